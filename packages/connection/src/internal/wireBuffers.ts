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

/**
 * Released buffers kept for reuse, process-wide: at most 10 MiB. One busy connection hands the
 * socket up to 32 batches in one turn of the event loop (its whole 8 MiB outgoing queue: the kernel
 * takes them at once on a fast link) and gets them all back together in the next, when Node calls
 * the writes back. With 8 kept, three in four batches of a 64 KiB sender went into fresh memory
 * (1.4 GB of new array buffers in 5 s), whose external-memory accounting kept V8's full collector
 * marking (a third of the sender's CPU in `perf`); see docs/benchmarks.md.
 */
export const maxFree = 32

const free: Array<Uint8Array> = []

/** Buffers handed out, and those handed out again after a release (for tests and benchmarks). */
let borrows = 0
let reuses = 0

/**
 * A buffer of `bufferSize` bytes for a batch of `size` wire bytes, or `undefined` when the batch is
 * too small or too large to be pooled (the caller allocates it then).
 */
export const borrow = (size: number): Uint8Array | undefined => {
  if (size < minPooled || size > bufferSize) return undefined
  borrows++
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

/** How many buffers were borrowed, how many of those were served by a released buffer, and how many are free now. */
export const stats = (): { readonly borrows: number; readonly reuses: number; readonly free: number } => ({
  borrows,
  reuses,
  free: free.length
})
