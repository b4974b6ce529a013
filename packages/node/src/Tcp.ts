/**
 * TCP for sessions: dial a peer or listen for peers with `@effect/platform-node` sockets, and get
 * each connection as a `ByteSocket` (the transport every session runs over) with its two
 * endpoints. Everything is scoped: closing the scope closes the socket or the server and every
 * connection it accepted.
 *
 * @since 0.1.0
 */

import * as Net from "node:net"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import type * as ByteSocketModule from "@effect-p2p/connection/ByteSocket"
import { Duration, Effect, Result, type Scope } from "effect"
import * as NetAddress from "effect/net/NetAddress"
import { fromNetSocket } from "./internal/netSocket.ts"
import { fromCause, TcpError } from "./TcpError.ts"

/**
 * A host and a port.
 *
 * @category models
 * @since 0.1.0
 */
export interface Endpoint {
  readonly host: string
  readonly port: number
}

/**
 * `host:port`, with brackets around an IPv6 host (Octez's point notation).
 *
 * @example
 * ```ts
 * import { Tcp } from "@effect-p2p/node"
 * Tcp.formatEndpoint({ host: "::1", port: 9732 }) // "[::1]:9732"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const formatEndpoint = (endpoint: Endpoint): string =>
  endpoint.host.includes(":") ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`

/**
 * Parses `host:port` or `[ipv6]:port`; fails with a readable reason.
 *
 * @example
 * ```ts
 * import { Tcp } from "@effect-p2p/node"
 * Tcp.parseEndpoint("127.0.0.1:9732") // Result.succeed({ host: "127.0.0.1", port: 9732 })
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const parseEndpoint = (text: string): Result.Result<Endpoint, string> => {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim())
  if (match === null) return Result.fail(`expected HOST:PORT or [IPV6]:PORT, got "${text}"`)
  const port = Number(match[3])
  if (port < 1 || port > 65535) return Result.fail(`port ${port} is not between 1 and 65535`)
  return Result.succeed({ host: (match[1] ?? match[2])!, port })
}

/**
 * One open TCP connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface TcpSocket {
  readonly socket: ByteSocketModule.ByteSocket
  readonly local: Endpoint
  readonly remote: Endpoint
  /** Drops the connection at once, without flushing (for peers refused before any protocol). */
  readonly abort: Effect.Effect<void>
}

const endpointsOf = (conn: Net.Socket) => ({
  local: { host: conn.localAddress ?? "", port: conn.localPort ?? 0 },
  remote: { host: conn.remoteAddress ?? "", port: conn.remotePort ?? 0 }
})

// The connection is already open, so wrapping it cannot fail; a closed peer shows up on the first
// read instead. (A direct wrapper: `NodeSocket.fromDuplex` + `ByteSocket.fromSocket` cost three
// times the socket itself per connection, see internal/netSocket.ts.)
const adopt = (conn: Net.Socket): Effect.Effect<TcpSocket, never, Scope.Scope> =>
  Effect.map(fromNetSocket(conn), (socket) => ({
    socket,
    ...endpointsOf(conn),
    abort: Effect.sync(() => conn.destroy())
  }))

/**
 * Options of {@link connect}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectOptions extends Endpoint {
  /** Longest wait for the TCP connection to open. Default 10 seconds (Octez's `connection_timeout`). */
  readonly timeout?: Duration.Input
}

/**
 * Dials `host:port`. The socket is closed when the scope closes. Can fail with `TcpError`
 * (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT` after `timeout`, ...).
 *
 * @example
 * ```ts
 * import { Tcp } from "@effect-p2p/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const { socket, remote } = yield* Tcp.connect({ host: "127.0.0.1", port: 9732 })
 *   yield* socket.write(new Uint8Array([1, 2, 3]))
 *   return remote
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const connect = (options: ConnectOptions): Effect.Effect<TcpSocket, TcpError, Scope.Scope> => {
  const address = formatEndpoint(options)
  const open = Effect.acquireRelease(
    Effect.callback<Net.Socket, TcpError>((resume) => {
      const timeoutMillis = Duration.toMillis(Duration.fromInputUnsafe(options.timeout ?? "10 seconds"))
      // No Nagle: handshake messages are small and each side waits for the other's, so Nagle plus
      // delayed ACKs would add tens of milliseconds per round trip.
      const conn = Net.createConnection({ host: options.host, port: options.port, noDelay: true })
      // The deadline is a plain timer in this callback rather than `Effect.timeoutOrElse`, which
      // would race two more fibers (and an Effect timer) on every dial. Beyond the longest timer
      // Node has (about 24.8 days), there is no deadline.
      const timer =
        timeoutMillis <= maxTimerMillis
          ? setTimeout(() => {
              conn.destroy()
              resume(
                Effect.fail(new TcpError({ operation: "connect", address, code: "ETIMEDOUT", reason: "timed out" }))
              )
            }, timeoutMillis)
          : undefined
      const onError = (cause: unknown) => {
        clearTimeout(timer)
        resume(Effect.fail(fromCause("connect", address, cause)))
      }
      conn.once("error", onError)
      conn.once("connect", () => {
        clearTimeout(timer)
        conn.off("error", onError)
        resume(Effect.succeed(conn))
      })
      // Interrupted before the connection opened.
      return Effect.sync(() => {
        clearTimeout(timer)
        conn.destroy()
      })
    }),
    (conn) => Effect.sync(() => conn.destroy())
  )
  return Effect.flatMap(open, adopt)
}

/** The longest delay `setTimeout` accepts (2^31 − 1 ms); a longer one would fire at once. */
const maxTimerMillis = 2_147_483_647

/**
 * Options of {@link listen}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ListenOptions {
  /** Port to listen on; 0 picks a free one (read it from `Server.address`). */
  readonly port: number
  /** Address to bind. Default: every interface. */
  readonly host?: string | undefined
  /** Pending connections the kernel queues. Default 20 (Octez's `backlog`). */
  readonly backlog?: number | undefined
}

/**
 * A listening socket.
 *
 * @category models
 * @since 0.1.0
 */
export interface Server {
  /** The bound address (with the real port when 0 was asked). */
  readonly address: Endpoint
  /**
   * Runs `handler` for every connection, each in its own fiber with its own scope: a handler that
   * fails or dies is logged and affects no other connection. Runs until interrupted; interrupting
   * it interrupts every handler and closes their sockets.
   */
  readonly run: <R>(
    handler: (socket: TcpSocket) => Effect.Effect<void, never, R>
  ) => Effect.Effect<never, never, Exclude<R, Scope.Scope>>
}

/**
 * Listens on a port. The server and every accepted connection close with the scope. Can fail with
 * `TcpError` (`EADDRINUSE`, `EACCES`, ...).
 *
 * @example
 * ```ts
 * import { Tcp } from "@effect-p2p/node"
 * import { Effect } from "effect"
 *
 * const echo = Effect.scoped(Effect.gen(function*() {
 *   const server = yield* Tcp.listen({ port: 0, host: "127.0.0.1" })
 *   yield* Effect.log(`listening on port ${server.address.port}`)
 *   return yield* server.run(({ socket }) =>
 *     Effect.forever(Effect.flatMap(socket.read, socket.write)).pipe(Effect.ignore))
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const listen = (options: ListenOptions): Effect.Effect<Server, TcpError, Scope.Scope> =>
  Effect.gen(function* () {
    const requested = formatEndpoint({ host: options.host ?? "0.0.0.0", port: options.port })
    const server = yield* NodeSocketServer.make({
      port: options.port,
      ...(options.host === undefined ? {} : { host: options.host }),
      backlog: options.backlog ?? 20,
      noDelay: true
    }).pipe(
      Effect.mapError((error) =>
        fromCause("listen", requested, "cause" in error.reason ? error.reason.cause : error.reason)
      )
    )
    const bound = server.address
    const address: Endpoint =
      bound._tag === "UnixPathAddress"
        ? { host: options.host ?? "0.0.0.0", port: options.port }
        : { host: NetAddress.formatIp(bound.address), port: bound.port }
    const run = <R>(handler: (socket: TcpSocket) => Effect.Effect<void, never, R>) =>
      server
        .run(() =>
          Effect.gen(function* () {
            // The Node server puts the raw socket in each connection's context.
            const conn = yield* Effect.serviceOption(NodeSocket.NetSocket)
            if (conn._tag === "None") return yield* Effect.die("NodeSocketServer gave no NetSocket")
            return yield* handler(yield* adopt(conn.value))
          }).pipe(Effect.scoped)
        )
        .pipe(Effect.orDie)
    return { address, run }
  })
