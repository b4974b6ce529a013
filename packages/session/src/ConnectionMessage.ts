/**
 * The connection message, the only plaintext of a session (Octez `P2p_socket.Connection_message`):
 *
 * `u16 length || port(2) || public_key(32) || pow_stamp(24) || message_nonce(24) || version`
 *
 * where `version` is the network version triple (chain name with a 4-byte length prefix, then the
 * distributed-db and p2p versions as uint16). Port 0 means "no listening port". The framed bytes,
 * length prefix included, are kept by both sides: they seed the session nonces, so the reader
 * returns exactly what was on the wire and rejects any byte the body does not account for.
 *
 * @since 0.1.0
 */
import * as Binary from "@effect-p2p/codec/Binary"
import type { DecodeError, EncodeError } from "@effect-p2p/codec/CodecError"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as NetworkVersion from "@effect-p2p/codec/NetworkVersion"
import type { ByteReader } from "@effect-p2p/connection/ByteReader"
import type { ConnectionClosed } from "@effect-p2p/connection/ConnectionError"
import type { PowStamp, PublicKey } from "@effect-p2p/crypto/Keys"
import type { Nonce } from "@effect-p2p/crypto/Nonce"
import { Effect, Option, Result } from "effect"
import { InvalidMessageSize } from "./SessionError.ts"

/**
 * A decoded connection message.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectionMessage {
  /** The port the sender listens on, `None` when it does not accept connections (0 on the wire). */
  readonly port: Option.Option<number>
  readonly publicKey: PublicKey
  readonly powStamp: PowStamp
  /** 24 fresh random bytes: they only make the message, hence the session nonces, unique. */
  readonly messageNonce: Nonce
  /** The chain name and the versions the sender announces. */
  readonly version: NetworkVersion.NetworkVersion
}

/** Bytes of the length prefix. @category constants @since 0.1.0 */
export const headerLength = 2

/** Largest body: the length must fit the 16-bit prefix. @category constants @since 0.1.0 */
export const maxBodySize = 65535

const port: Encoding.Encoding<Option.Option<number>> = Encoding.conv(Encoding.uint16, {
  decode: (n) => (n === 0 ? Option.none() : Option.some(n)),
  encode: (p) => Option.getOrElse(p, () => 0)
})

/**
 * The body encoding (without the length prefix).
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Binary } from "@effect-p2p/codec"
 * import { CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { ConnectionMessage } from "@effect-p2p/session"
 * import { Option, Result } from "effect"
 *
 * const message: ConnectionMessage.ConnectionMessage = {
 *   port: Option.some(9732),
 *   publicKey: Keys.generateWith(CryptoBackend.noble).publicKey,
 *   powStamp: Result.getOrThrow(Keys.powStamp(new Uint8Array(24))),
 *   messageNonce: Nonce.zero(),
 *   version: { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }
 * }
 * Binary.length(ConnectionMessage.encoding, message) // 103: 90 + |chain name|
 * ```
 */
export const encoding: Encoding.Encoding<ConnectionMessage> = Encoding.struct({
  port,
  publicKey: Encoding.conv(Encoding.Fixed.bytes(32), {
    decode: (b) => b as PublicKey,
    encode: (k: PublicKey) => k
  }),
  powStamp: Encoding.conv(Encoding.Fixed.bytes(24), { decode: (b) => b as PowStamp, encode: (s: PowStamp) => s }),
  messageNonce: Encoding.conv(Encoding.Fixed.bytes(24), { decode: (b) => b as Nonce, encode: (n: Nonce) => n }),
  version: NetworkVersion.encoding
})

/**
 * Encodes and frames a message: `u16 length || body`. These are the bytes to send and to keep.
 *
 * Can fail with: `EncodeError` (a field out of range), `InvalidMessageSize` (body ≥ 65536 bytes).
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { ConnectionMessage } from "@effect-p2p/session"
 * import { Option, Result } from "effect"
 *
 * const framed = ConnectionMessage.frame({
 *   port: Option.none(),
 *   publicKey: Keys.generateWith(CryptoBackend.noble).publicKey,
 *   powStamp: Result.getOrThrow(Keys.powStamp(new Uint8Array(24))),
 *   messageNonce: Nonce.zero(),
 *   version: { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }
 * }) // Result<Uint8Array, EncodeError | InvalidMessageSize>
 * Result.map(framed, (bytes) => bytes.length) // Result.succeed(105): the u16 length 103, then the body
 * ```
 */
export const frame = (message: ConnectionMessage): Result.Result<Uint8Array, EncodeError | InvalidMessageSize> =>
  Result.flatMap(Binary.encode(encoding, message), (body) => {
    if (body.length > maxBodySize) {
      return Result.fail(new InvalidMessageSize({ what: "connection message", size: body.length, max: maxBodySize }))
    }
    const framed = new Uint8Array(headerLength + body.length)
    framed[0] = body.length >>> 8
    framed[1] = body.length & 0xff
    framed.set(body, headerLength)
    return Result.succeed(framed)
  })

/**
 * Decodes a framed message (prefix included). The prefix must announce exactly the bytes that
 * follow and the body must decode exactly.
 *
 * Can fail with: `DecodeError`.
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { ConnectionMessage } from "@effect-p2p/session"
 * import { Option, Result } from "effect"
 *
 * const framed = Result.getOrThrow(ConnectionMessage.frame({
 *   port: Option.some(9732),
 *   publicKey: Keys.generateWith(CryptoBackend.noble).publicKey,
 *   powStamp: Result.getOrThrow(Keys.powStamp(new Uint8Array(24))),
 *   messageNonce: Nonce.zero(),
 *   version: { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }
 * }))
 * Result.map(ConnectionMessage.unframe(framed), (message) => message.port) // Result.succeed(Option.some(9732))
 * ConnectionMessage.unframe(framed.subarray(0, 50)) // Result.fail(DecodeError)
 * ```
 */
export const unframe = (framed: Uint8Array): Result.Result<ConnectionMessage, DecodeError> =>
  Binary.decode(Encoding.dynamicSize(encoding, { kind: "uint16" }), framed)

/**
 * A message read from the wire, with the exact framed bytes it came as.
 *
 * @category models
 * @since 0.1.0
 */
export interface Received {
  readonly message: ConnectionMessage
  readonly bytes: Uint8Array
}

/**
 * Reads one framed message: 2 bytes of length, then exactly that many bytes, decoded exactly.
 * Bytes after the frame stay in the reader for the next step.
 *
 * Can fail with: `ConnectionClosed`, `DecodeError`.
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { ByteReader, ByteSocket } from "@effect-p2p/connection"
 * import { CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { ConnectionMessage } from "@effect-p2p/session"
 * import { Effect, Option, Result } from "effect"
 *
 * const framed = Result.getOrThrow(ConnectionMessage.frame({
 *   port: Option.some(9732),
 *   publicKey: Keys.generateWith(CryptoBackend.noble).publicKey,
 *   powStamp: Result.getOrThrow(Keys.powStamp(new Uint8Array(24))),
 *   messageNonce: Nonce.zero(),
 *   version: { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }
 * }))
 * const [a, b] = ByteSocket.makePair()
 * const program = Effect.gen(function*() {
 *   yield* a.write(framed)
 *   const { message, bytes } = yield* ConnectionMessage.read(ByteReader.make(b))
 *   return [message.version.chainName, bytes.length] as const // ["TEZOS_MAINNET", 105]
 * })
 * ```
 */
export const read = (reader: ByteReader): Effect.Effect<Received, ConnectionClosed | DecodeError> =>
  Effect.gen(function* () {
    const header = yield* reader.readExactly(headerLength)
    const body = yield* reader.readExactly((header[0]! << 8) | header[1]!)
    const message = yield* Effect.fromResult(Binary.decode(encoding, body))
    const bytes = new Uint8Array(headerLength + body.length)
    bytes.set(header, 0)
    bytes.set(body, headerLength)
    return { message, bytes }
  })
