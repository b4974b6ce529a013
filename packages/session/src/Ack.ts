/**
 * The Ack chunk, the last handshake record (Octez `P2p_socket.Ack`): one encrypted chunk holding
 * `00` (Ack), `ff` (Nack_v_0, no content) or `01` followed by an int16 motive and a list of at
 * most 100 alternative points (Nack). Sent with the local nonce + 1, read with the remote nonce + 1.
 *
 * @since 0.1.0
 */

import * as Binary from "@effect-p2p/codec/Binary"
import type { DecodeError } from "@effect-p2p/codec/CodecError"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as Point from "@effect-p2p/codec/Point"
import type { ByteReader } from "@effect-p2p/connection/ByteReader"
import type * as Chunk from "@effect-p2p/connection/Chunk"
import type { ConnectionClosed, InvalidIncomingCiphertextSize } from "@effect-p2p/connection/ConnectionError"
import type { CryptoBackendShape } from "@effect-p2p/crypto/CryptoBackend"
import { Effect, Result } from "effect"
import * as HandshakeChunk from "./internal/chunk.ts"
import * as MotiveCode from "./internal/motive.ts"
import type * as Rejection from "./Rejection.ts"
import { InvalidAuth } from "./SessionError.ts"

/**
 * The content of an Ack chunk: `Ack` accepts the connection, `Nack` refuses it with a motive and
 * points to try instead, `NackV0` refuses a p2p-version-0 peer (it carries nothing).
 *
 * @category models
 * @since 0.1.0
 * @example
 * ```ts
 * import type { Ack } from "@effect-p2p/session"
 *
 * const refusal: Ack.AckMessage = { _tag: "Nack", motive: "TooManyConnections", alternativePoints: ["10.0.0.2:9732"] }
 * ```
 */
export type AckMessage =
  | { readonly _tag: "Ack" }
  | { readonly _tag: "NackV0" }
  | {
      readonly _tag: "Nack"
      readonly motive: Rejection.Received
      readonly alternativePoints: ReadonlyArray<Point.Point>
    }

/**
 * Most alternative points a Nack carries (Octez's decoder refuses more).
 *
 * @category constants
 * @since 0.1.0
 */
export const maxAlternativePoints = 100

/**
 * The Ack/Nack union: a 1-byte tag (Ack `00`, Nack `01`, Nack_v_0 `ff`); a Nack's motive is an
 * int16 code, then the points as a list of at most 100 (Octez `P2p_socket.Ack.encoding`).
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Binary } from "@effect-p2p/codec"
 * import { Ack } from "@effect-p2p/session"
 *
 * Binary.encode(Ack.encoding, { _tag: "Nack", motive: "DeprecatedP2pVersion", alternativePoints: ["127.0.0.1:9832"] })
 * // 01 0003 00000012 0000000e 3132372e302e302e313a39383332
 * ```
 */
export const encoding: Encoding.Encoding<AckMessage> = Encoding.taggedUnion({
  Ack: { tag: 0x00, encoding: Encoding.struct({}) },
  Nack: {
    tag: 0x01,
    encoding: Encoding.struct({
      motive: MotiveCode.encoding,
      alternativePoints: Encoding.list(Point.encoding, { maxLength: maxAlternativePoints })
    })
  },
  NackV0: { tag: 0xff, encoding: Encoding.struct({}) }
})

/** Largest encoded point (4-byte prefix included). @category constants @since 0.1.0 */
export const maxPointSize = Point.maxEncodedSize

/**
 * Whether a point fits a Nack: at most 47 bytes of text (51 with its prefix).
 *
 * @category guards
 * @since 0.1.0
 * @example
 * ```ts
 * import { Ack } from "@effect-p2p/session"
 *
 * Ack.isSendablePoint("127.0.0.1:9732") // true
 * ```
 */
export const isSendablePoint = (point: string): boolean =>
  new TextEncoder().encode(point).length + 4 <= Point.maxEncodedSize

/**
 * Seals an Ack/Nack as one chunk with the current local nonce (then advanced). Points that cannot
 * be encoded are dropped and at most 100 are kept, so this cannot fail.
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * import { Ack } from "@effect-p2p/session"
 *
 * const channelKey = new Uint8Array(32)
 * const localNonce = { current: Nonce.zero() }
 * Ack.seal(CryptoBackend.noble, channelKey, localNonce, { _tag: "Ack" }).length // 19: length(2) || tag(16) || 00
 * localNonce.current[23] // 1: advanced
 * ```
 */
export const seal = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: Chunk.NonceCounter,
  message: AckMessage
): Uint8Array => {
  const sendable: AckMessage =
    message._tag === "Nack"
      ? {
          _tag: "Nack",
          motive: message.motive,
          alternativePoints: message.alternativePoints.filter(isSendablePoint).slice(0, maxAlternativePoints)
        }
      : message
  // Only an unknown motive with an out-of-range code can still fail; it is sent as a plain
  // Nack_v_0 rather than not at all.
  const plaintext = Result.getOrElse(Binary.encode(encoding, sendable), () => new Uint8Array([0xff]))
  return HandshakeChunk.seal(backend, key, nonce, plaintext)
}

/**
 * Reads the peer's Ack chunk with the current remote nonce (then advanced).
 *
 * Can fail with: `ConnectionClosed`, `InvalidIncomingCiphertextSize`, `InvalidAuth` (the chunk
 * does not open), `DecodeError` (not exactly one Ack/Nack, e.g. a Nack with 101 points).
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { ByteReader, ByteSocket } from "@effect-p2p/connection"
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * import { Ack } from "@effect-p2p/session"
 * import { Effect } from "effect"
 *
 * const channelKey = new Uint8Array(32)
 * const [a, b] = ByteSocket.makePair()
 * const program = Effect.gen(function*() {
 *   yield* a.write(Ack.seal(CryptoBackend.noble, channelKey, { current: Nonce.zero() }, { _tag: "NackV0" }))
 *   return yield* Ack.read(CryptoBackend.noble, channelKey, { current: Nonce.zero() }, ByteReader.make(b))
 * })
 * Effect.runPromise(program) // { _tag: "NackV0" }
 * ```
 */
export const read = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: Chunk.NonceCounter,
  reader: ByteReader
): Effect.Effect<AckMessage, ConnectionClosed | InvalidIncomingCiphertextSize | InvalidAuth | DecodeError> =>
  Effect.flatMap(HandshakeChunk.read(backend, key, nonce, reader), (opened) =>
    opened._tag === "Tampered"
      ? Effect.fail<InvalidAuth | DecodeError>(new InvalidAuth({ length: opened.length }))
      : Effect.fromResult(Binary.decode(encoding, opened.plaintext))
  )
