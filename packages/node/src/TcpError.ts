/**
 * The failures of TCP listening and dialling: one tagged error with the operation, the address
 * and a readable reason (the system error code when there is one), as Effect's `SocketError`.
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"

/**
 * Listening or dialling failed: `ECONNREFUSED`, `ENOTFOUND`, `EADDRINUSE`, a timeout, ...
 *
 * @example
 * ```ts
 * import { TcpError } from "@effect-p2p/node"
 * new TcpError.TcpError({ operation: "connect", address: "127.0.0.1:1", code: "ECONNREFUSED", reason: "connection refused" }).message
 * // "cannot connect to 127.0.0.1:1: connection refused (ECONNREFUSED)"
 * ```
 * @category errors
 * @since 0.1.0
 */
export class TcpError extends Schema.TaggedError<TcpError>()("TcpError", {
  operation: Schema.Literals(["connect", "listen"]),
  address: Schema.String,
  /** The system error code (`ECONNREFUSED`, ...), `ETIMEDOUT` for our own timeout, or "" if unknown. */
  code: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    const code = this.code === "" ? "" : ` (${this.code})`
    return `cannot ${this.operation} ${this.operation === "connect" ? "to" : "on"} ${this.address}: ${this.reason}${code}`
  }
}

/**
 * Tells whether a value is a `TcpError`.
 *
 * @example
 * ```ts
 * import { TcpError } from "@effect-p2p/node"
 * TcpError.isTcpError(new Error("x")) // false
 * ```
 * @category guards
 * @since 0.1.0
 */
export const isTcpError = (u: unknown): u is TcpError => Predicate.isTagged(u, "TcpError")

const reasons: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available",
  EACCES: "permission denied"
}

/**
 * Builds a `TcpError` from a Node system error.
 *
 * @example
 * ```ts
 * import { TcpError } from "@effect-p2p/node"
 * TcpError.fromCause("listen", "0.0.0.0:80", Object.assign(new Error("x"), { code: "EACCES" })).reason // "permission denied"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromCause = (operation: "connect" | "listen", address: string, cause: unknown): TcpError => {
  const code = Predicate.hasProperty(cause, "code") && typeof cause.code === "string" ? cause.code : ""
  const fallback = cause instanceof Error ? cause.message : String(cause)
  return new TcpError({ operation, address, code, reason: reasons[code] ?? fallback })
}

/**
 * The peer authenticated with another peer id than the expected one (Octez's `expected_peer_id`
 * check): nacked. Through a bridge, this is what a substituted key looks like.
 *
 * @example
 * ```ts
 * import { TcpError } from "@effect-p2p/node"
 * new TcpError.UnexpectedPeerId({ expected: "idtA…", actual: "idtB…" }).message
 * // "expected peer idtA…, got idtB…"
 * ```
 * @category errors
 * @since 0.1.0
 */
export class UnexpectedPeerId extends Schema.TaggedError<UnexpectedPeerId>()("UnexpectedPeerId", {
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message(): string {
    return `expected peer ${this.expected}, got ${this.actual}`
  }
}
