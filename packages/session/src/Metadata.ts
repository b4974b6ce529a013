/**
 * The metadata chunk, the first encrypted record of a session (Octez `P2p_socket.Metadata`): each
 * side's metadata value, encoded with the application's encoding and no extra prefix, sealed as
 * one chunk with the initial nonce. The reader must consume the decrypted chunk exactly. For an
 * Octez node the value is `obj2(disable_mempool: bool, private_node: bool)`: {@link octez}.
 *
 * @since 0.1.0
 */
import * as Binary from "@effect-p2p/codec/Binary"
import type { DecodeError, EncodeError } from "@effect-p2p/codec/CodecError"
import * as Encoding from "@effect-p2p/codec/Encoding"
import type { ByteReader } from "@effect-p2p/connection/ByteReader"
import * as Chunk from "@effect-p2p/connection/Chunk"
import type { ConnectionClosed, InvalidIncomingCiphertextSize } from "@effect-p2p/connection/ConnectionError"
import type { CryptoBackendShape } from "@effect-p2p/crypto/CryptoBackend"
import { DecipherError } from "@effect-p2p/crypto/CryptoError"
import { Effect, Result } from "effect"
import * as HandshakeChunk from "./internal/chunk.ts"
import { InvalidMessageSize } from "./SessionError.ts"

/**
 * An Octez node's connection metadata.
 *
 * @category models
 * @since 0.1.0
 */
export interface OctezMetadata {
  /** The node does not want mempool messages. */
  readonly disableMempool: boolean
  /** The node runs in private mode: its point must not be advertised. */
  readonly privateNode: boolean
}

/**
 * The encoding of {@link OctezMetadata}: two Data_encoding booleans (2 bytes).
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Binary } from "@effect-p2p/codec"
 * import { Metadata } from "@effect-p2p/session"
 *
 * Binary.encode(Metadata.octez, { disableMempool: false, privateNode: true }) // Success(Uint8Array [0x00, 0xff])
 * ```
 */
export const octez: Encoding.Encoding<OctezMetadata> = Encoding.struct({
  disableMempool: Encoding.bool,
  privateNode: Encoding.bool
})

/**
 * Encodes and seals a metadata value as one chunk with the current local nonce (then advanced).
 *
 * Can fail with: `EncodeError`, `InvalidMessageSize` (more than 65517 bytes).
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * import { Metadata } from "@effect-p2p/session"
 * import { Result } from "effect"
 *
 * const channelKey = new Uint8Array(32)
 * const localNonce = { current: Nonce.zero() }
 * const chunk = Metadata.seal(CryptoBackend.noble, channelKey, localNonce, Metadata.octez, {
 *   disableMempool: false,
 *   privateNode: false
 * })
 * Result.map(chunk, (bytes) => bytes.length) // Result.succeed(20): length(2) || tag(16) || 2 bytes
 * ```
 */
export const seal = <Meta>(
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: Chunk.NonceCounter,
  encoding: Encoding.Encoding<Meta>,
  metadata: Meta
): Result.Result<Uint8Array, EncodeError | InvalidMessageSize> =>
  Result.flatMap(Binary.encode(encoding, metadata), (plaintext) =>
    plaintext.length > Chunk.maxContentLength
      ? Result.fail(new InvalidMessageSize({ what: "metadata", size: plaintext.length, max: Chunk.maxContentLength }))
      : Result.succeed(HandshakeChunk.seal(backend, key, nonce, plaintext))
  )

/**
 * Reads one chunk, opens it with the current remote nonce (then advanced) and decodes it exactly.
 *
 * Can fail with: `ConnectionClosed`, `InvalidIncomingCiphertextSize`, `DecipherError` (the chunk
 * does not open), `DecodeError` (the plaintext is not exactly one value).
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { ByteReader, ByteSocket } from "@effect-p2p/connection"
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect, Result } from "effect"
 *
 * const channelKey = new Uint8Array(32)
 * const value = { disableMempool: true, privateNode: false }
 * const [a, b] = ByteSocket.makePair()
 * const program = Effect.gen(function*() {
 *   yield* a.write(Result.getOrThrow(Metadata.seal(CryptoBackend.noble, channelKey, { current: Nonce.zero() }, Metadata.octez, value)))
 *   return yield* Metadata.read(CryptoBackend.noble, channelKey, { current: Nonce.zero() }, ByteReader.make(b), Metadata.octez)
 * })
 * Effect.runPromise(program) // { disableMempool: true, privateNode: false }
 * ```
 */
export const read = <Meta>(
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: Chunk.NonceCounter,
  reader: ByteReader,
  encoding: Encoding.Encoding<Meta>
): Effect.Effect<Meta, ConnectionClosed | InvalidIncomingCiphertextSize | DecipherError | DecodeError> =>
  Effect.flatMap(HandshakeChunk.read(backend, key, nonce, reader), (opened) =>
    opened._tag === "Tampered"
      ? Effect.fail<DecipherError | DecodeError>(new DecipherError({ length: opened.length }))
      : Effect.fromResult(Binary.decode(encoding, opened.plaintext))
  )
