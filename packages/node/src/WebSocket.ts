/**
 * WebSockets for sessions in Node 20: dial a WebSocket peer with the `ws` package, or listen for
 * WebSocket peers (browsers) with a `ws` server, and get each connection as a `ByteSocket` over
 * binary frames (`@effect-p2p/connection/WebSocketByteSocket`: writes paced on `bufferedAmount`,
 * a bounded read buffer, `ws`'s pause at half of it). The shapes are those of `Tcp`, so the
 * listener and the session code serve both transports.
 *
 * `ws` is configured as browser.md recommends: no per-message deflate (encrypted chunks do not
 * compress), and `maxPayload` at the read bound so one frame cannot exceed it.
 *
 * @since 0.1.0
 */
import type * as Http from "node:http"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
import { Effect, type Scope } from "effect"
import * as NetAddress from "effect/net/NetAddress"
import * as Socket from "effect/socket/Socket"
import * as WS from "ws"
import type * as Tcp from "./Tcp.ts"
import { fromCause, type TcpError } from "./TcpError.ts"

const asLike = (ws: WS.WebSocket): WebSocketByteSocket.WebSocketLike =>
  ws as unknown as WebSocketByteSocket.WebSocketLike

/**
 * `ws`'s client with this module's settings, as a WHATWG-style constructor.
 *
 * @example
 * ```ts
 * import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
 * import { WebSocket } from "@effect-p2p/node"
 * const dial = WebSocketByteSocket.connect({ url: "ws://127.0.0.1:9733/", WebSocket: WebSocket.makeConstructor() })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const makeConstructor = (
  maxReadBuffer: number = WebSocketByteSocket.defaultMaxReadBuffer,
  maskFrames = false
): WebSocketByteSocket.Constructor =>
  function NodeWebSocket(url: string, protocols?: string | Array<string>) {
    const ws = new WS.WebSocket(url, protocols, {
      perMessageDeflate: false,
      maxPayload: maxReadBuffer,
      // A zero masking key: ws then skips masking (and the server unmasking), a byte-by-byte loop
      // in JS on each side without `bufferutil`. Masking protects proxies from script-chosen bytes
      // in browsers; a session's bytes after the connection message are ciphertext.
      ...(maskFrames ? {} : { generateMask: zeroMask })
    })
    ws.binaryType = "nodebuffer"
    return asLike(ws)
  } as unknown as WebSocketByteSocket.Constructor

const zeroMask = (mask: Uint8Array) => {
  mask.fill(0)
}

/**
 * Options of {@link connect}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectOptions extends WebSocketByteSocket.Options {
  /** `ws://host:port/path` */
  readonly url: string
  /** Longest wait for the socket to open. Default 10 seconds. */
  readonly openTimeout?: WebSocketByteSocket.ConnectOptions["openTimeout"]
  /**
   * Mask every frame with a random key, as browsers must (default false: a zero key, so neither
   * side runs ws's masking loop). For measuring what a browser's frames cost a server or bridge.
   */
  readonly maskFrames?: boolean | undefined
}

/**
 * Dials a WebSocket peer. Closes with the scope. Can fail with `WebSocketError`.
 *
 * @example
 * ```ts
 * import { WebSocket } from "@effect-p2p/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const socket = yield* WebSocket.connect({ url: "ws://127.0.0.1:9733/" })
 *   yield* socket.write(new Uint8Array([1, 2, 3]))
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const connect = (
  options: ConnectOptions
): Effect.Effect<ByteSocket, WebSocketByteSocket.WebSocketError, Scope.Scope> =>
  WebSocketByteSocket.connect({ ...options, WebSocket: makeConstructor(options.maxReadBuffer, options.maskFrames) })

/**
 * One accepted WebSocket connection: a `Tcp.TcpSocket` (the byte socket and both endpoints) plus
 * the path the client asked for.
 *
 * @category models
 * @since 0.1.0
 */
export interface Connection extends Tcp.TcpSocket {
  /** The request's path and query, e.g. `/127.0.0.1:9732`. */
  readonly path: string
  /**
   * Closes with a close code and reason the client can read (a refusal): codes 4000–4999 are the
   * application's; the reason is at most 123 bytes.
   */
  readonly closeWith: (code: number, reason: string) => Effect.Effect<void>
}

/**
 * A listening WebSocket server (the same shape as `Tcp.Server`).
 *
 * @category models
 * @since 0.1.0
 */
export interface Server {
  readonly address: Tcp.Endpoint
  /**
   * Runs `handler` for every connection in its own fiber and scope, until interrupted
   * (interrupting it interrupts the handlers and closes their sockets).
   */
  readonly run: <R>(
    handler: (connection: Connection) => Effect.Effect<void, never, R>
  ) => Effect.Effect<never, never, Exclude<R, Scope.Scope>>
}

/**
 * Options of {@link listen}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ListenOptions extends WebSocketByteSocket.Options {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number
  /** Address to bind. Default: every interface. */
  readonly host?: string | undefined
  /** Pending TCP connections the kernel queues. Default 20 (Octez's `backlog`). */
  readonly backlog?: number | undefined
}

const formatHost = (host: string) => (host.includes(":") ? `[${host}]` : host)

/**
 * Listens for WebSocket peers on `host:port` (any path). The server and its connections close
 * with the scope. Can fail with `TcpError` (`EADDRINUSE`, ...).
 *
 * @example
 * ```ts
 * import { WebSocket } from "@effect-p2p/node"
 * import { Effect } from "effect"
 *
 * const echo = Effect.scoped(Effect.gen(function*() {
 *   const server = yield* WebSocket.listen({ port: 0, host: "127.0.0.1" })
 *   return yield* server.run(({ socket }) => Effect.forever(Effect.flatMap(socket.read, socket.write)).pipe(Effect.ignore))
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const listen = (options: ListenOptions): Effect.Effect<Server, TcpError, Scope.Scope> =>
  Effect.gen(function* () {
    const requested = `${formatHost(options.host ?? "0.0.0.0")}:${options.port}`
    const server = yield* NodeSocketServer.makeWebSocket({
      port: options.port,
      ...(options.host === undefined ? {} : { host: options.host }),
      backlog: options.backlog ?? 20,
      perMessageDeflate: false,
      maxPayload: options.maxReadBuffer ?? WebSocketByteSocket.defaultMaxReadBuffer
    }).pipe(
      Effect.mapError((error) =>
        fromCause("listen", requested, "cause" in error.reason ? error.reason.cause : error.reason)
      )
    )
    const bound = server.address
    const address: Tcp.Endpoint =
      bound._tag === "UnixPathAddress"
        ? { host: options.host ?? "0.0.0.0", port: options.port }
        : { host: NetAddress.formatIp(bound.address), port: bound.port }
    const run = <R>(handler: (connection: Connection) => Effect.Effect<void, never, R>) =>
      server
        .run(() =>
          Effect.gen(function* () {
            // The ws server puts the raw socket and the upgrade request in each connection's context
            // (and pauses the socket until a reader is there; WebSocketByteSocket resumes it).
            const wsOption = yield* Effect.serviceOption(Socket.WebSocket)
            const reqOption = yield* Effect.serviceOption(NodeSocketServer.IncomingMessage)
            if (wsOption._tag === "None" || reqOption._tag === "None") {
              return yield* Effect.die("NodeSocketServer gave no WebSocket or IncomingMessage")
            }
            const ws = wsOption.value as unknown as WS.WebSocket
            ws.binaryType = "nodebuffer"
            const req: Http.IncomingMessage = reqOption.value
            const socket = yield* WebSocketByteSocket.make(asLike(ws), options)
            const tcp = req.socket
            return yield* handler({
              socket,
              path: req.url ?? "/",
              local: { host: tcp.localAddress ?? "", port: tcp.localPort ?? 0 },
              remote: { host: tcp.remoteAddress ?? "", port: tcp.remotePort ?? 0 },
              abort: Effect.sync(() => ws.terminate()),
              closeWith: (code, reason) => Effect.sync(() => ws.close(code, reason))
            })
          }).pipe(Effect.scoped)
        )
        .pipe(Effect.orDie)
    return { address, run }
  })
