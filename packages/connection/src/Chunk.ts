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
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Result } from "effect"
import { InvalidChunksSize } from "./ConnectionError.ts"

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
 * message gives one empty chunk.
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
): Uint8Array => {
  const count = Math.max(1, Math.ceil(message.length / piece))
  const out = new Uint8Array(message.length + count * extraBytes)
  let at = 0
  for (let i = 0; i < count; i++) {
    const plaintext = message.subarray(i * piece, Math.min(message.length, (i + 1) * piece))
    const boxed = backend.seal(key, nonce.current, plaintext)
    nonce.current = Nonce.increment(nonce.current)
    out[at] = boxed.length >>> 8
    out[at + 1] = boxed.length & 0xff
    out.set(boxed, at + headerLength)
    at += headerLength + boxed.length
  }
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
