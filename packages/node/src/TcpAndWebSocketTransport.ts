/**
 * The pool's `Transport` for a node that browsers can reach too: it listens on TCP at the address
 * the pool asks for and, beside it, on WebSockets at `webSocketPort` (same host), and hands the
 * connections of both to the same handler; it dials over TCP only (Octez nodes listen on TCP, and
 * a point is a TCP address). A WebSocket peer is then a peer like any other: it is authenticated,
 * counted and greylisted by the pool's connect handler.
 *
 * @since 0.1.0
 */
import { type Address, Transport, type TransportShape } from "@effect-p2p/pool/Transport"
import { Effect, Layer } from "effect"
import * as TcpTransport from "./TcpTransport.ts"
import * as WebSocketTransport from "./WebSocketTransport.ts"

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends TcpTransport.Options {
  /** The WebSocket port, on the pool's listening host (0: any free port). */
  readonly webSocketPort: number
  /** Called once the WebSocket side listens, with its bound address (the real port when 0 was asked). */
  readonly onWebSocketListening?: ((address: Address) => Effect.Effect<void>) | undefined
}

/**
 * Listens on TCP and WebSockets, dials over TCP. The listener's `address` is the TCP one.
 *
 * @example
 * ```ts
 * import { TcpAndWebSocketTransport } from "@effect-p2p/node"
 * const transport = TcpAndWebSocketTransport.make({ webSocketPort: 9733 })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: Options): TransportShape => {
  const tcp = TcpTransport.make(options)
  return {
    dial: tcp.dial,
    listen: (address) =>
      Effect.gen(function* () {
        const tcpListening = yield* tcp.listen(address)
        const wsListening = yield* WebSocketTransport.transport.listen({
          host: address.host,
          port: options.webSocketPort
        })
        if (options.onWebSocketListening !== undefined) yield* options.onWebSocketListening(wsListening.address)
        return {
          address: tcpListening.address,
          run: (handler) =>
            // Both run until interrupted; interrupting this interrupts both and their handlers.
            Effect.all([tcpListening.run(handler), wsListening.run(handler)], { concurrency: 2 }).pipe(
              Effect.andThen(Effect.never)
            )
        }
      })
  }
}

/**
 * {@link make} as the pool's `Transport` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Transport> => Layer.succeed(Transport, make(options))
