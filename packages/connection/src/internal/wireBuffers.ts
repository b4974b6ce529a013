/**
 * Buffers a connection's writer seals its batches into when the socket says when it is done with
 * them (`ByteSocket.writeReusable`). Shared by every connection of the process and bounded, so an
 * idle connection holds none and a burst leaves at most `maxFree` behind.
 *
 * Why: on the machines we measure, memory fresh from the allocator costs a page fault per 4 KiB on
 * first touch, and a 256 KiB batch in fresh memory each time was a visible share of the sender's
 * CPU. A reused buffer is already mapped.
 *
 * @internal
 */
import { allocUninitialized } from "./alloc.ts"

/** A full writer batch (256 KiB of messages) with its chunks' headers and tags, and some room. */
export const bufferSize = 320 * 1024

/** Below this a batch is cheap to allocate, and a small write should not hold a whole buffer. */
export const minPooled = 16 * 1024

const maxFree = 8

const free: Array<Uint8Array> = []

/** Buffers handed out again after a release, for tests. */
let reuses = 0

/**
 * A buffer of `bufferSize` bytes for a batch of `size` wire bytes, or `undefined` when the batch is
 * too small or too large to be pooled (the caller allocates it then).
 */
export const borrow = (size: number): Uint8Array | undefined => {
  if (size < minPooled || size > bufferSize) return undefined
  const reused = free.pop()
  if (reused !== undefined) {
    reuses++
    return reused
  }
  return allocUninitialized(bufferSize)
}

/** Gives back a buffer from `borrow` that nobody references any more. */
export const release = (buffer: Uint8Array): void => {
  if (free.length < maxFree) free.push(buffer)
}

/** How many borrows were served by a released buffer, and how many are free now. */
export const stats = (): { readonly reuses: number; readonly free: number } => ({ reuses, free: free.length })
