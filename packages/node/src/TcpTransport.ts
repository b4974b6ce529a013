/**
 * The pool's `Transport` over TCP: listening and dialling with `Tcp` (Node's sockets, no Nagle,
 * a listen backlog), each connection handed to the pool as a `ByteSocket` with its two endpoints.
 *
 * @since 0.1.0
 */
import { type Address, Transport, TransportError, type TransportShape } from "@effect-p2p/pool/Transport"
import { Effect, Layer } from "effect"
import * as Tcp from "./Tcp.ts"
import type { TcpError } from "./TcpError.ts"

const reasonOf = (code: string): TransportError["reason"] => {
  switch (code) {
    case "ECONNREFUSED":
    case "ECONNRESET":
      return "Refused"
    case "ETIMEDOUT":
      return "TimedOut"
    case "EADDRINUSE":
      return "AddressInUse"
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "Unreachable"
    default:
      return "Other"
  }
}

const fromTcpError = (error: TcpError): TransportError =>
  new TransportError({
    operation: error.operation === "listen" ? "listen" : "dial",
    address: error.address,
    reason: reasonOf(error.code),
    detail: error.message
  })

const toConnected = (tcp: Tcp.TcpSocket) => ({
  socket: tcp.socket,
  local: tcp.local,
  remote: tcp.remote,
  abort: tcp.abort
})

/**
 * Options of the TCP transport.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Listen backlog. Default 511 (see `Listener.defaultBacklog`: Octez's 20 makes bursts of dials wait on SYN retries). */
  readonly backlog?: number | undefined
}

/**
 * The transport.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { TcpTransport } from "@effect-p2p/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const transport = TcpTransport.make()
 *   const server = yield* transport.listen({ host: "127.0.0.1", port: 0 })
 *   const client = yield* transport.dial(server.address)
 *   yield* client.socket.write(new Uint8Array([1]))
 * }))
 * ```
 */
export const make = (options: Options = {}): TransportShape => ({
  listen: (address: Address) =>
    Tcp.listen({ host: address.host, port: address.port, backlog: options.backlog ?? 511 }).pipe(
      Effect.mapError(fromTcpError),
      Effect.map((server) => ({
        address: server.address,
        run: (handler) => server.run((tcp) => handler(toConnected(tcp)))
      }))
    ),
  dial: (address, dialOptions) =>
    Tcp.connect({
      host: address.host,
      port: address.port,
      ...(dialOptions?.timeout === undefined ? {} : { timeout: dialOptions.timeout })
    }).pipe(Effect.mapError(fromTcpError), Effect.map(toConnected))
})

/**
 * The transport as the pool's `Transport` service.
 *
 * @category layers
 * @since 0.1.0
 * @example
 * ```ts
 * import { TcpTransport } from "@effect-p2p/node"
 * // Pool.make(...).pipe(Effect.provide(TcpTransport.layer()))
 * const transport = TcpTransport.layer()
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<Transport> => Layer.succeed(Transport, make(options))
