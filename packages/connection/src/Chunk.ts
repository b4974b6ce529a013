/**
 * The encrypted chunk, the record of the message connection (Octez `P2p_socket.Crypto`):
 *
 * `u16 (16 + n) || tag(16) || ciphertext(n)`, sealed with XSalsa20-Poly1305 under the channel key
 * and the sender's current nonce, which is then incremented. A chunk is at most 65535 bytes on the
 * wire, so it carries at most 65517 bytes of plaintext.
 *
 * @since 0.1.0
 */

import type { CryptoBackendShape } from "@effect-p2p/crypto/CryptoBackend"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Result } from "effect"
import { InvalidChunksSize } from "./ConnectionError.ts"
import { allocUninitialized } from "./internal/alloc.ts"

/** Bytes of the length header. @category constants @since 0.1.0 */
export const headerLength = 2
/** Bytes of the Poly1305 tag. @category constants @since 0.1.0 */
export const tagLength = 16
/** Header plus tag: the overhead of every chunk. @category constants @since 0.1.0 */
export const extraBytes = headerLength + tagLength
/** Largest chunk on the wire, header included. @category constants @since 0.1.0 */
export const maxChunkSize = 65535
/** Largest plaintext one chunk carries. @category constants @since 0.1.0 */
export const maxContentLength = maxChunkSize - extraBytes
/** Smallest valid `binaryChunksSize`: one byte of data per chunk. @category constants @since 0.1.0 */
export const minChunkSize = extraBytes + 1

/**
 * Validates a `binaryChunksSize` (the largest wire chunk, header included) and returns the size of
 * the plaintext pieces it allows. Absent means the maximum.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Chunk } from "@effect-p2p/connection"
 *
 * Chunk.pieceSize(21) // Result.succeed(3)
 * Chunk.pieceSize(18) // Result.fail(InvalidChunksSize { value: 18, min: 19, max: 65535 })
 * ```
 */
export const pieceSize = (binaryChunksSize?: number): Result.Result<number, InvalidChunksSize> => {
  if (binaryChunksSize === undefined) return Result.succeed(maxContentLength)
  if (!Number.isInteger(binaryChunksSize) || binaryChunksSize < minChunkSize || binaryChunksSize > maxChunkSize) {
    return Result.fail(new InvalidChunksSize({ value: binaryChunksSize, min: minChunkSize, max: maxChunkSize }))
  }
  return Result.succeed(binaryChunksSize - extraBytes)
}

/**
 * A direction's nonce, advanced after every chunk.
 *
 * @category models
 * @since 0.1.0
 */
export interface NonceCounter {
  current: Nonce.Nonce
}

/**
 * Cuts `message` into pieces of at most `piece` bytes and seals each as one chunk with
 * consecutive nonces, returning the chunks back to back, ready for one socket write. An empty
 * message gives one empty chunk. This is what Octez's writer does with every message.
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Chunk } from "@effect-p2p/connection"
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 *
 * const nonce = { current: Nonce.zero() }
 * const wire = Chunk.sealMessage(CryptoBackend.noble, new Uint8Array(32), nonce, new Uint8Array(5), 3)
 * wire.length // 2 chunks: (2 + 16 + 3) + (2 + 16 + 2) = 41
 * ```
 */
export const sealMessage = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: NonceCounter,
  message: Uint8Array,
  piece: number
): Uint8Array => sealMessages(backend, key, nonce, [message], piece, false)

const chunksFor = (bytes: number, piece: number) => Math.max(1, Math.ceil(bytes / piece))

/**
 * Seals several messages into one buffer of chunks, ready for one socket write. With `pack`, the
 * messages are one byte stream cut into as few chunks as possible, so small messages share chunks
 * (Octez's reader accepts this: chunk boundaries carry no meaning, see protocol.md §7.3); without
 * it, each message starts a new chunk, as Octez's writer does. Every chunk is sealed where it lies in
 * the output (one copy of each message, no buffer per chunk). `allocate(size)` gives the output,
 * exactly `size` bytes that may hold anything (default: fresh memory), so a caller can seal into a
 * buffer it reuses.
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Chunk } from "@effect-p2p/connection"
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 *
 * const key = new Uint8Array(32)
 * const messages = [new Uint8Array(5), new Uint8Array(5)]
 * Chunk.sealMessages(CryptoBackend.noble, key, { current: Nonce.zero() }, messages, 100, true).length // 1 chunk: 2 + 16 + 10 = 28
 * Chunk.sealMessages(CryptoBackend.noble, key, { current: Nonce.zero() }, messages, 100, false).length // 2 chunks: 2 × 23 = 46
 * ```
 */
export const sealMessages = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: NonceCounter,
  messages: ReadonlyArray<Uint8Array>,
  piece: number,
  pack: boolean,
  allocate: (size: number) => Uint8Array = allocUninitialized
): Uint8Array => {
  let total = 0
  let count = 0
  for (const message of messages) {
    total += message.length
    if (!pack) count += chunksFor(message.length, piece)
  }
  if (pack) count = chunksFor(total, piece)
  const out = allocate(total + count * extraBytes)
  // `at` is where the next chunk's header goes, `fill` how many plaintext bytes that chunk has so far.
  let at = 0
  let fill = 0
  const finishChunk = () => {
    const boxed = fill + tagLength
    out[at] = boxed >>> 8
    out[at + 1] = boxed & 0xff
    CryptoBackend.sealInPlace(backend, key, nonce.current, out.subarray(at + headerLength, at + headerLength + boxed))
    nonce.current = Nonce.increment(nonce.current)
    at += headerLength + boxed
    fill = 0
  }
  let open = false // a chunk has been started and not yet sealed
  for (const message of messages) {
    let from = 0
    do {
      const n = Math.min(piece - fill, message.length - from)
      // Most messages go in whole: no view to make for them. An empty one copies nothing, and its
      // offset may lie past the end of `out`, where `set` would throw even for zero bytes.
      if (n > 0 && n === message.length) out.set(message, at + extraBytes + fill)
      else if (n > 0) out.set(message.subarray(from, from + n), at + extraBytes + fill)
      fill += n
      from += n
      // An empty message takes a chunk of its own only when messages are not packed.
      if (n > 0 || !pack) open = true
      if (fill === piece) {
        finishChunk()
        open = false
      }
    } while (from < message.length)
    if (!pack && open) {
      finishChunk()
      open = false
    }
  }
  if (open || at === 0) finishChunk()
  return out
}

/**
 * Opens one chunk body (tag and ciphertext, without the header) with the current nonce, which is
 * advanced whether or not the chunk authenticates, as Octez does. `undefined` means tampered.
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Chunk } from "@effect-p2p/connection"
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 *
 * const key = new Uint8Array(32)
 * const wire = Chunk.sealMessage(CryptoBackend.noble, key, { current: Nonce.zero() }, new Uint8Array([7]), 100)
 * Chunk.openChunk(CryptoBackend.noble, key, { current: Nonce.zero() }, wire.subarray(2)) // Uint8Array [7]
 * ```
 */
export const openChunk = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: NonceCounter,
  body: Uint8Array
): Uint8Array | undefined => {
  const plaintext = backend.open(key, nonce.current, body)
  nonce.current = Nonce.increment(nonce.current)
  return plaintext
}

/**
 * Opens one chunk body (tag and ciphertext) where it lies, advancing the nonce either way: the
 * plaintext is `body.subarray(16)` and the body's bytes are overwritten. `undefined` means tampered.
 * For bodies the caller owns (the connection's reader); {@link openChunk} leaves its input intact.
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Chunk } from "@effect-p2p/connection"
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 *
 * const key = new Uint8Array(32)
 * const wire = Chunk.sealMessage(CryptoBackend.noble, key, { current: Nonce.zero() }, new Uint8Array([7]), 100)
 * Chunk.openChunkInPlace(CryptoBackend.noble, key, { current: Nonce.zero() }, wire.subarray(2)) // Uint8Array [7]
 * ```
 */
export const openChunkInPlace = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: NonceCounter,
  body: Uint8Array
): Uint8Array | undefined => {
  const ok = CryptoBackend.openInPlace(backend, key, nonce.current, body)
  nonce.current = Nonce.increment(nonce.current)
  return ok ? body.subarray(tagLength) : undefined
}

/**
 * Reads the 16-bit big-endian chunk length from a 2-byte header.
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Chunk } from "@effect-p2p/connection"
 *
 * Chunk.readHeader(new Uint8Array([0x01, 0x00])) // 256
 * ```
 */
export const readHeader = (header: Uint8Array): number => (header[0]! << 8) | header[1]!
