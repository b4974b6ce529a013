/**
 * The pool's `Transport` over WebSockets (`ws` on Node 20): listen on `host:port` for WebSocket
 * peers (browsers), dial `ws://host:port/`. Each connection is the session's byte stream in binary
 * frames (`WebSocketByteSocket`), so the pool runs on it unchanged.
 *
 * @since 0.1.0
 */
import * as Transport from "@effect-p2p/pool/Transport"
import { Effect, Layer } from "effect"
import type { TcpError } from "./TcpError.ts"
import * as WebSocket from "./WebSocket.ts"

const urlOf = (address: Transport.Address) => `ws://${Transport.format(address)}/`

const dialReason = (message: string): Transport.TransportError["reason"] => {
  if (message.includes("ECONNREFUSED")) return "Refused"
  if (message.includes("timed out") || message.includes("ETIMEDOUT")) return "TimedOut"
  if (/EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/.test(message)) return "Unreachable"
  return "Other"
}

const listenReason = (error: TcpError): Transport.TransportError["reason"] =>
  error.code === "EADDRINUSE" ? "AddressInUse" : "Other"

/**
 * The transport.
 *
 * @example
 * ```ts
 * import { WebSocketTransport } from "@effect-p2p/node"
 * import { Effect } from "effect"
 * const dial = Effect.scoped(WebSocketTransport.transport.dial({ host: "127.0.0.1", port: 9733 }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const transport: Transport.TransportShape = {
  listen: (address) =>
    WebSocket.listen({ host: address.host, port: address.port }).pipe(
      Effect.mapError(
        (error) =>
          new Transport.TransportError({
            operation: "listen",
            address: Transport.format(address),
            reason: listenReason(error),
            detail: error.message
          })
      )
    ),
  dial: (address, options) =>
    WebSocket.connect({
      url: urlOf(address),
      ...(options?.timeout === undefined ? {} : { openTimeout: options.timeout })
    }).pipe(
      Effect.map((socket) => ({
        socket,
        local: { host: "", port: 0 },
        remote: address,
        abort: socket.close
      })),
      Effect.mapError(
        (error) =>
          new Transport.TransportError({
            operation: "dial",
            address: Transport.format(address),
            reason: dialReason(error.reason),
            detail: error.reason
          })
      )
    )
}

/**
 * The transport as the pool's `Transport` service.
 *
 * @example
 * ```ts
 * import { WebSocketTransport } from "@effect-p2p/node"
 * WebSocketTransport.layer // Layer<Transport.Transport>
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport.Transport> = Layer.succeed(Transport.Transport, transport)
