/**
 * The ways a handshake fails. Each failure the session layer owns is a tagged class with
 * structured fields and a readable `message`; failures that belong to a lower layer are re-used
 * from it rather than duplicated: `DecodeError`/`EncodeError` (codec), `DecipherError`,
 * `InvalidPublicKey` and `InvalidDifficulty` (crypto), `ConnectionClosed`, `InvalidChunksSize` and
 * `InvalidIncomingCiphertextSize` (connection). The unions {@link AuthenticateError},
 * {@link AcceptError} and {@link NackError} list what each step of `Session` can fail with.
 *
 * @since 0.1.0
 */
import type { DecodeError, EncodeError } from "@effect-p2p/codec/CodecError"
import type {
  ConnectionClosed,
  InvalidChunksSize,
  InvalidIncomingCiphertextSize,
  UnframedEncoding
} from "@effect-p2p/connection/ConnectionError"
import type { DecipherError, InvalidDifficulty, InvalidPublicKey } from "@effect-p2p/crypto/CryptoError"
import { Option, Predicate, Schema } from "effect"
import * as Rejection from "./Rejection.ts"

/**
 * Where a peer can be reached: its IP address and the port it listens on, if known (Octez
 * `P2p_point.Id.t` with an optional port, the `id_point` of `authenticate`).
 *
 * @category models
 * @since 0.1.0
 */
export const Point = Schema.Struct({
  address: Schema.String,
  port: Schema.Option(Schema.Number)
})

/**
 * @category models
 * @since 0.1.0
 */
export type Point = typeof Point.Type

/**
 * Formats a point as Octez prints it: `address:port`, or the bare address without a port.
 *
 * @category models
 * @since 0.1.0
 * @example
 * ```ts
 * import { Option } from "effect"
 * import { SessionError } from "@effect-p2p/session"
 *
 * SessionError.formatPoint({ address: "127.0.0.1", port: Option.some(9732) }) // "127.0.0.1:9732"
 * ```
 */
export const formatPoint = (point: Point): string => {
  const host = point.address.includes(":") ? `[${point.address}]` : point.address
  return Option.match(point.port, { onNone: () => host, onSome: (port) => `${host}:${port}` })
}

/**
 * The peer's proof-of-work stamp does not meet our target (Octez `Not_enough_proof_of_work`).
 * Raised before anything encrypted is sent. `peerId` is the peer's base58 `id…`.
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.NotEnoughProofOfWork({ peerId: "idtdVEDBSoi2auJJ9CmUaNnK4FSNk6" }).message
 * ```
 */
export class NotEnoughProofOfWork extends Schema.TaggedError<NotEnoughProofOfWork>()("NotEnoughProofOfWork", {
  peerId: Schema.String
}) {
  override get message(): string {
    return `peer ${this.peerId} does not meet the required proof of work`
  }
}

/**
 * The peer has our own peer id: we connected to ourselves (Octez `Myself`). Only detected after
 * the peer's metadata chunk opened, so a peer merely presenting our public key cannot cause it.
 * `point` is the remote point, which the caller may remember as one of its own addresses.
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Option } from "effect"
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.Myself({ point: { address: "127.0.0.1", port: Option.some(9732) } }).message
 * ```
 */
export class Myself extends Schema.TaggedError<Myself>()("Myself", { point: Point }) {
  override get message(): string {
    return `connected to myself at ${formatPoint(this.point)}`
  }
}

/**
 * The peer refused the connection with a Nack (Octez `Rejected_by_nack`). `alternativePoints` is
 * `None` for a `Nack_v_0` (which carries nothing), otherwise the points the peer suggested.
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Option } from "effect"
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.RejectedByNack({ motive: "TooManyConnections", alternativePoints: Option.some(["10.0.0.2:9732"]) }).message
 * // "rejected by peer: Too_many_connections (1 alternative point)"
 * ```
 */
export class RejectedByNack extends Schema.TaggedError<RejectedByNack>()("RejectedByNack", {
  /** The peer's motive; `NoMotive` for a Nack_v_0; a code with no name is an `UnknownMotive`. */
  motive: Rejection.Received,
  alternativePoints: Schema.Option(Schema.Array(Schema.String))
}) {
  override get message(): string {
    const points = Option.match(this.alternativePoints, {
      onNone: () => "",
      onSome: (points) => ` (${points.length} alternative point${points.length === 1 ? "" : "s"})`
    })
    return `rejected by peer: ${Rejection.name(this.motive)}${points}`
  }
}

/**
 * We refused the peer after authenticating it (Octez `Rejected` / `Rejected_no_common_protocol`):
 * a Nack with `motive` was sent (another chain name, no common distributed-db or p2p version, or
 * the application's own reason). The counterpart of {@link RejectedByNack}, where the peer refused us.
 *
 * @category errors
 * @since 0.2.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.Rejected({ peerId: "idtdVEDBSoi2auJJ9CmUaNnK4FSNk6", motive: "UnknownChainName" }).message
 * // "rejected peer idtdVEDBSoi2auJJ9CmUaNnK4FSNk6: Unknown_chain_name"
 * ```
 */
export class Rejected extends Schema.TaggedError<Rejected>()("Rejected", {
  /** The peer's base58 `id…`. */
  peerId: Schema.String,
  motive: Rejection.Motive
}) {
  override get message(): string {
    return `rejected peer ${this.peerId}: ${Rejection.name(this.motive)}`
  }
}

/**
 * The peer's Ack/Nack chunk did not open under the channel key (Octez `Invalid_auth`): the peer
 * is not who its connection message claimed, or the stream is corrupted.
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.InvalidAuth({ length: 17 }).message
 * ```
 */
export class InvalidAuth extends Schema.TaggedError<InvalidAuth>()("InvalidAuth", {
  /** Bytes of the chunk that failed to open (tag included). */
  length: Schema.Number
}) {
  override get message(): string {
    return `invalid authentication: the peer's ${this.length}-byte Ack chunk does not open`
  }
}

/**
 * A handshake step did not finish in time. `step` is `"authenticate"` or `"accept"` (the Ack
 * exchange shares the deadline of the authentication it follows); `timeoutMillis` is the budget.
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.HandshakeTimeout({ step: "authenticate", timeoutMillis: 5000 }).message
 * ```
 */
export class HandshakeTimeout extends Schema.TaggedError<HandshakeTimeout>()("HandshakeTimeout", {
  step: Schema.Literals(["authenticate", "accept"]),
  timeoutMillis: Schema.Number
}) {
  override get message(): string {
    return `handshake timed out during ${this.step} (budget ${this.timeoutMillis} ms)`
  }
}

/**
 * An authenticated connection was already accepted or nacked: it can be consumed only once.
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.AlreadyUsed({ operation: "accept", usedBy: "nack" }).message
 * ```
 */
export class AlreadyUsed extends Schema.TaggedError<AlreadyUsed>()("AlreadyUsed", {
  operation: Schema.Literals(["accept", "nack"]),
  usedBy: Schema.Literals(["accept", "nack", "release"])
}) {
  override get message(): string {
    return `cannot ${this.operation}: the authenticated connection was already consumed by ${this.usedBy}`
  }
}

/**
 * A handshake message does not fit its frame: a connection message body must be below 65536
 * bytes, a metadata chunk carries at most 65517 bytes (Octez `Invalid_message_size`).
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.InvalidMessageSize({ what: "metadata", size: 70000, max: 65517 }).message
 * ```
 */
export class InvalidMessageSize extends Schema.TaggedError<InvalidMessageSize>()("InvalidMessageSize", {
  what: Schema.String,
  size: Schema.Number,
  max: Schema.Number
}) {
  override get message(): string {
    return `${this.what} is ${this.size} bytes, at most ${this.max} fit`
  }
}

/**
 * A list of supported versions (`Negotiation.Supported`) is empty or holds something other than an
 * integer from 0 to 65535 (a version is a uint16 on the wire). `list` names the field.
 *
 * @category errors
 * @since 0.2.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * new SessionError.InvalidVersions({ list: "p2pVersions", versions: [] }).message
 * // "p2pVersions must list at least one version, each an integer from 0 to 65535; got []"
 * ```
 */
export class InvalidVersions extends Schema.TaggedError<InvalidVersions>()("InvalidVersions", {
  list: Schema.Literals(["distributedDbVersions", "p2pVersions"]),
  versions: Schema.Array(Schema.Number)
}) {
  override get message(): string {
    return `${this.list} must list at least one version, each an integer from 0 to 65535; got [${this.versions.join(", ")}]`
  }
}

/**
 * The failures this package defines.
 *
 * @category errors
 * @since 0.1.0
 */
export type SessionError =
  | NotEnoughProofOfWork
  | Myself
  | RejectedByNack
  | Rejected
  | InvalidAuth
  | HandshakeTimeout
  | AlreadyUsed
  | InvalidMessageSize
  | InvalidVersions

/**
 * What `Session.authenticate` can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type AuthenticateError =
  | InvalidDifficulty
  | ConnectionClosed
  | EncodeError
  | InvalidMessageSize
  | DecodeError
  | NotEnoughProofOfWork
  | InvalidPublicKey
  | InvalidIncomingCiphertextSize
  | DecipherError
  | Myself
  | HandshakeTimeout

/**
 * What `Session.accept` can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type AcceptError =
  | AlreadyUsed
  | InvalidChunksSize
  | UnframedEncoding
  | ConnectionClosed
  | InvalidIncomingCiphertextSize
  | InvalidAuth
  | DecodeError
  | RejectedByNack
  | HandshakeTimeout

/**
 * What `Session.nack` can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type NackError = AlreadyUsed

const tags: ReadonlySet<string> = new Set([
  "NotEnoughProofOfWork",
  "Myself",
  "RejectedByNack",
  "Rejected",
  "InvalidAuth",
  "HandshakeTimeout",
  "AlreadyUsed",
  "InvalidMessageSize",
  "InvalidVersions"
])

/**
 * Tells whether a value is one of the errors this package defines.
 *
 * @category guards
 * @since 0.1.0
 * @example
 * ```ts
 * import { SessionError } from "@effect-p2p/session"
 *
 * SessionError.isSessionError(new SessionError.InvalidAuth({ length: 17 })) // true
 * ```
 */
export const isSessionError = (u: unknown): u is SessionError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)
