/**
 * How the pool reaches the network: listen on an address (each incoming connection comes as a byte
 * socket with its remote address) and dial a point. TCP lives in `@effect-p2p/node`
 * (`TcpTransport`); `MemoryNetwork` gives an in-memory one for tests and simulations. The pool never
 * sees more than this interface, so it runs unchanged on either.
 *
 * @since 0.1.0
 */
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import { Context, type Duration, type Effect, Schema, type Scope } from "effect"

/**
 * A host (IP address or name) and a port.
 *
 * @category models
 * @since 0.1.0
 */
export interface Address {
  readonly host: string
  readonly port: number
}

/**
 * One open connection, either way.
 *
 * @category models
 * @since 0.1.0
 */
export interface Connected {
  readonly socket: ByteSocket
  readonly local: Address
  readonly remote: Address
  /** Drops the connection at once, without a byte more (for refusals before any protocol). */
  readonly abort: Effect.Effect<void>
}

/**
 * A listening address.
 *
 * @category models
 * @since 0.1.0
 */
export interface Listening {
  /** The bound address (the real port when 0 was asked). */
  readonly address: Address
  /**
   * Runs `handler` for every incoming connection, each in its own fiber and scope (the socket is
   * closed when the handler ends). Runs until interrupted; interrupting it interrupts every handler.
   */
  readonly run: <R>(
    handler: (connection: Connected) => Effect.Effect<void, never, R>
  ) => Effect.Effect<never, never, Exclude<R, Scope.Scope>>
}

/**
 * Why a transport operation failed. `reason` is one of a few kinds a program can match on.
 *
 * @category errors
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  operation: Schema.Literals(["listen", "dial"]),
  address: Schema.String,
  reason: Schema.Literals(["Refused", "TimedOut", "Unreachable", "AddressInUse", "Other"]),
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.operation} ${this.address}: ${this.reason}${this.detail === undefined ? "" : ` (${this.detail})`}`
  }
}

/**
 * Options of a dial.
 *
 * @category models
 * @since 0.1.0
 */
export interface DialOptions {
  /** Longest wait for the connection to open. Default: the transport's (10 s for TCP). */
  readonly timeout?: Duration.Input | undefined
}

/**
 * The transport service.
 *
 * @category services
 * @since 0.1.0
 */
export interface TransportShape {
  /** Listens; the listener and every connection it accepted close with the scope. Can fail with `TransportError`. */
  readonly listen: (address: Address) => Effect.Effect<Listening, TransportError, Scope.Scope>
  /** Dials; the connection closes with the scope. Can fail with `TransportError` (`Refused`, `TimedOut`, ...). */
  readonly dial: (address: Address, options?: DialOptions) => Effect.Effect<Connected, TransportError, Scope.Scope>
}

/**
 * @category services
 * @since 0.1.0
 * @example
 * ```ts
 * import { Transport } from "@effect-p2p/pool"
 * import { Effect } from "effect"
 * const dial = Effect.gen(function* () {
 *   const transport = yield* Transport.Transport
 *   return yield* transport.dial({ host: "10.0.0.1", port: 9732 })
 * })
 * ```
 */
export class Transport extends Context.Service<Transport, TransportShape>()("@effect-p2p/pool/Transport") {}

/**
 * `host:port`, with brackets around an IPv6 host (Octez's point notation).
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Transport } from "@effect-p2p/pool"
 * Transport.format({ host: "::1", port: 9732 }) // "[::1]:9732"
 * ```
 */
export const format = (address: Address): string =>
  address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
