/**
 * The ways the pool refuses or fails a connection (Octez `P2p_errors`), each a tagged class with
 * structured fields and a readable message. Session failures (`NotEnoughProofOfWork`,
 * `RejectedByNack`, `HandshakeTimeout`, ...) pass through unchanged.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The point's IP address is blacklisted or greylisted (Octez `Point_banned`).
 *
 * @category errors
 * @since 0.1.0
 */
export class PointBanned extends Schema.TaggedError<PointBanned>()("PointBanned", { point: Schema.String }) {
  override get message(): string {
    return `point ${this.point} is banned`
  }
}

/**
 * The peer id is blacklisted or greylisted (Octez `Peer_banned`); the connection is closed without a Nack.
 *
 * @category errors
 * @since 0.1.0
 */
export class PeerBanned extends Schema.TaggedError<PeerBanned>()("PeerBanned", { peerId: Schema.String }) {
  override get message(): string {
    return `peer ${this.peerId} is banned`
  }
}

/**
 * No slot left (Octez `Too_many_connections`).
 *
 * @category errors
 * @since 0.1.0
 */
export class TooManyConnections extends Schema.TaggedError<TooManyConnections>()("TooManyConnections", {
  active: Schema.Number,
  limit: Schema.Number
}) {
  override get message(): string {
    return `too many connections (${this.active}, limit ${this.limit})`
  }
}

/**
 * In private mode only trusted points and peers connect (Octez `Private_mode`).
 *
 * @category errors
 * @since 0.1.0
 */
export class PrivateMode extends Schema.TaggedError<PrivateMode>()("PrivateMode", { point: Schema.String }) {
  override get message(): string {
    return `private mode: ${this.point} is not trusted`
  }
}

/**
 * The point is already being dialled or connected (Octez `Pending_connection` / `Connected`).
 *
 * @category errors
 * @since 0.1.0
 */
export class PointNotDisconnected extends Schema.TaggedError<PointNotDisconnected>()("PointNotDisconnected", {
  point: Schema.String,
  state: Schema.String
}) {
  override get message(): string {
    return `point ${this.point} is ${this.state}`
  }
}

/**
 * The point's reconnection back-off has not ended: no dial before `endTime` (Clock ms).
 *
 * @category errors
 * @since 0.1.0
 */
export class ReconnectionDelay extends Schema.TaggedError<ReconnectionDelay>()("ReconnectionDelay", {
  point: Schema.String,
  endTime: Schema.Number
}) {
  override get message(): string {
    return `point ${this.point} cannot be dialled before ${this.endTime}`
  }
}

/**
 * The transport could not open the connection (Octez `Connection_failed`).
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionFailed extends Schema.TaggedError<ConnectionFailed>()("ConnectionFailed", {
  point: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `connection to ${this.point} failed: ${this.reason}`
  }
}

/**
 * The peer is not the one expected at this point (Octez `Identity_check_failure`).
 *
 * @category errors
 * @since 0.1.0
 */
export class IdentityCheckFailure extends Schema.TaggedError<IdentityCheckFailure>()("IdentityCheckFailure", {
  point: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message(): string {
    return `${this.point}: expected peer ${this.expected}, got ${this.actual}`
  }
}

/**
 * No connection to that peer (send, disconnect).
 *
 * @category errors
 * @since 0.1.0
 */
export class PeerNotConnected extends Schema.TaggedError<PeerNotConnected>()("PeerNotConnected", {
  peerId: Schema.String
}) {
  override get message(): string {
    return `not connected to ${this.peerId}`
  }
}

/**
 * A point that is not `host:port`.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidPoint extends Schema.TaggedError<InvalidPoint>()("InvalidPoint", {
  point: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid point "${this.point}": ${this.reason}`
  }
}
