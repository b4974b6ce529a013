/**
 * A WebSocket-to-TCP bridge: browsers, which cannot open TCP sockets, reach TCP peers such as Octez
 * nodes through it. It relays bytes only; the session runs end to end between the browser and the
 * TCP peer, so after the cleartext connection message the bridge sees nothing but ciphertext.
 *
 * Per connection:
 *
 * 1. **Route**: the URL path `/HOST:PORT` picks one of the listed targets (with a single target,
 *    any path reaches it). Nothing else is dialled: this is not an open proxy.
 * 2. **Cap**: at most `maxSessionsPerTarget` browsers per target, waiting ones included.
 * 3. **Check**: read the browser's connection message (the session's first, length-prefixed,
 *    cleartext chunk) and verify its proof of work against the target's, *before* dialling. Octez
 *    greylists the source address of a peer with a bad proof of work for about a day, and every
 *    browser shares the bridge's address, so one bad browser must not reach the node.
 * 4. **Relay**: dial the target, forward the connection message, then copy bytes both ways until
 *    either side closes, then close the other (after what was already sent).
 *
 * A refused browser sees its WebSocket closed with a code from {@link CloseCode} and a readable
 * reason. Browsers should pin the target's peer id (`expectedPeerId`): a bridge that substituted
 * its own keys would then fail the handshake.
 *
 * @since 0.1.0
 */

import * as ByteReader from "@effect-p2p/connection/ByteReader"
import type * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import type { ConnectionClosed } from "@effect-p2p/connection/ConnectionError"
import type * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { InvalidDifficulty } from "@effect-p2p/crypto/CryptoError"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as ConnectionMessage from "@effect-p2p/session/ConnectionMessage"
import { type Duration, Effect, Metric, type Scope } from "effect"
import * as Tcp from "./Tcp.ts"
import type { TcpError } from "./TcpError.ts"
import * as WebSocket from "./WebSocket.ts"

/**
 * The close codes a refused browser sees (application range 4000–4999).
 *
 * @category constants
 * @since 0.1.0
 */
export const CloseCode = {
  /** The first bytes were no valid connection message, or none came in time. */
  badConnectionMessage: 4000,
  /** The connection message's proof of work is below the target's. */
  notEnoughProofOfWork: 4003,
  /** The path names no listed target. */
  unknownTarget: 4004,
  /** The target already has `maxSessionsPerTarget` sessions. */
  tooManySessions: 4029,
  /** The target could not be reached. */
  targetUnreachable: 4502
} as const

/**
 * The bridge's counters: `p2p_bridge_refused_total` (attribute `code`: the close code),
 * `p2p_bridge_sessions_total` (relayed sessions), `p2p_bridge_up_bytes_total` and
 * `p2p_bridge_down_bytes_total` (relayed bytes, counted when a session ends).
 *
 * @example
 * ```ts
 * import { Bridge } from "@effect-p2p/node"
 * import { Effect, Metric } from "effect"
 * const refused = Effect.map(Metric.value(Bridge.Metrics.refused), (state) => state.count)
 * ```
 * @category metrics
 * @since 0.1.0
 */
export const Metrics = {
  refused: Metric.counter("p2p_bridge_refused_total", { description: "browsers refused (by close code)" }),
  sessions: Metric.counter("p2p_bridge_sessions_total", { description: "sessions relayed to a target" }),
  upBytes: Metric.counter("p2p_bridge_up_bytes_total", { description: "bytes relayed from browsers to targets" }),
  downBytes: Metric.counter("p2p_bridge_down_bytes_total", { description: "bytes relayed from targets to browsers" })
}

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends WebSocketByteSocket.Options {
  /** WebSocket port to listen on; 0 picks a free one. */
  readonly port: number
  /** Address to bind. Default: every interface. */
  readonly host?: string | undefined
  /** The TCP peers browsers may reach (at least one). */
  readonly targets: ReadonlyArray<Tcp.Endpoint>
  /**
   * The proof-of-work difficulty the targets demand (their `expectedPow`; Octez nodes use 26): a
   * browser whose stamp falls short is refused before any dial. 0 to 256, else `InvalidDifficulty`.
   */
  readonly expectedPow: number
  /** Browsers per target at once, waiting ones included. Default 100. */
  readonly maxSessionsPerTarget?: number | undefined
  /** Longest wait for a browser's connection message. Default 5 seconds (Octez's `authentication_timeout`). */
  readonly connectionMessageTimeout?: Duration.Input | undefined
  /** Longest wait for the TCP connection to a target. Default 10 seconds. */
  readonly dialTimeout?: Duration.Input | undefined
  /** Receives every event (logging, metrics). Must not fail. */
  readonly onEvent?: ((event: Event) => Effect.Effect<void>) | undefined
}

/**
 * Default of `maxSessionsPerTarget`.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxSessionsPerTarget = 100

/**
 * What happened to a browser's connection.
 *
 * @category models
 * @since 0.1.0
 */
export type Event =
  | {
      readonly _tag: "Refused"
      readonly remote: Tcp.Endpoint
      readonly path: string
      readonly code: number
      readonly reason: string
    }
  | {
      readonly _tag: "Relaying"
      readonly remote: Tcp.Endpoint
      readonly target: Tcp.Endpoint
      /** The browser's peer id, from its connection message. */
      readonly peerId: string
    }
  | {
      readonly _tag: "Closed"
      readonly remote: Tcp.Endpoint
      readonly target: Tcp.Endpoint
      readonly peerId: string
      /** Bytes relayed from the browser to the target, and back. */
      readonly up: number
      readonly down: number
      readonly reason: string
    }

/**
 * A running bridge.
 *
 * @category models
 * @since 0.1.0
 */
export interface Bridge {
  /** The bound WebSocket address. */
  readonly address: Tcp.Endpoint
  /** Sessions per target (`host:port`), waiting ones included. */
  readonly sessions: Effect.Effect<ReadonlyMap<string, number>>
}

/**
 * The target a path names: `/HOST:PORT` (URL-encoded or not) among `targets`; with one target,
 * any path. `undefined` if none.
 *
 * @example
 * ```ts
 * import { Bridge } from "@effect-p2p/node"
 * const targets = [{ host: "127.0.0.1", port: 9732 }, { host: "::1", port: 9732 }]
 * Bridge.route(targets, "/127.0.0.1:9732") // { host: "127.0.0.1", port: 9732 }
 * Bridge.route(targets, "/%5B::1%5D:9732") // { host: "::1", port: 9732 }
 * Bridge.route(targets, "/10.0.0.1:9732") // undefined
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const route = (targets: ReadonlyArray<Tcp.Endpoint>, path: string): Tcp.Endpoint | undefined => {
  if (targets.length === 1) return targets[0]
  let wanted: string
  try {
    wanted = decodeURIComponent(path.replace(/[?#].*$/, "").replace(/^\/+/, ""))
  } catch {
    return undefined
  }
  return targets.find((target) => Tcp.formatEndpoint(target) === wanted)
}

/** Copies `from` into `to` until `from` ends; counts bytes. */
const pump = (from: ByteSocket.ByteSocket, to: ByteSocket.ByteSocket, count: (n: number) => void) =>
  Effect.forever(
    Effect.flatMap(from.read, (bytes) => {
      count(bytes.length)
      return to.write(bytes)
    })
  )

/**
 * Starts the bridge; closing the scope stops it and closes every relayed connection. Needs a
 * `CryptoBackend` (for the proof-of-work check). Can fail with `InvalidDifficulty` (a bad
 * `expectedPow`, before listening) or `TcpError` (port in use, ...).
 *
 * @example
 * ```ts
 * import { Bridge } from "@effect-p2p/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bridge = yield* Bridge.make({
 *     port: 9733, targets: [{ host: "127.0.0.1", port: 9732 }], expectedPow: 26,
 *     onEvent: (event) => Effect.log(event._tag)
 *   })
 *   yield* Effect.log(`bridge on ws://127.0.0.1:${bridge.address.port}/`)
 *   return yield* Effect.never
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: Options
): Effect.Effect<Bridge, InvalidDifficulty | TcpError, CryptoBackend | Scope.Scope> =>
  Effect.gen(function* () {
    const powTarget = yield* Effect.fromResult(ProofOfWork.fromDifficulty(options.expectedPow))
    const server: WebSocket.Server = yield* WebSocket.listen(options)
    const max = options.maxSessionsPerTarget ?? defaultMaxSessionsPerTarget
    const emit = options.onEvent ?? (() => Effect.void)
    const sessions = new Map<string, number>()

    const refuse = (connection: WebSocket.Connection, code: number, reason: string) =>
      Effect.all(
        [
          connection.closeWith(code, reason),
          Metric.update(Metric.withAttributes(Metrics.refused, { code: String(code) }), 1),
          emit({ _tag: "Refused", remote: connection.remote, path: connection.path, code, reason })
        ],
        { discard: true }
      )

    const relay = Effect.fnUntraced(function* (connection: WebSocket.Connection, target: Tcp.Endpoint) {
      const reader = ByteReader.make(connection.socket)
      const received = yield* ConnectionMessage.read(reader).pipe(
        Effect.timeoutOrElse({
          duration: options.connectionMessageTimeout ?? "5 seconds",
          orElse: () => Effect.succeed("timeout" as const)
        }),
        Effect.catchTags({
          DecodeError: (error) => Effect.succeed({ invalid: error.message }),
          ConnectionClosed: (error: ConnectionClosed) => Effect.succeed({ gone: error.description })
        })
      )
      if (received === "timeout") {
        return yield* refuse(connection, CloseCode.badConnectionMessage, "no connection message in time")
      }
      if ("gone" in received) {
        return yield* emit({
          _tag: "Refused",
          remote: connection.remote,
          path: connection.path,
          code: 1000,
          reason: `left before its connection message (${received.gone})`
        })
      }
      if ("invalid" in received) {
        return yield* refuse(connection, CloseCode.badConnectionMessage, "invalid connection message")
      }
      const { message, bytes } = received
      if (!(yield* ProofOfWork.check(message.publicKey, message.powStamp, powTarget))) {
        const met = ProofOfWork.difficultyMet(message.publicKey, message.powStamp)
        return yield* refuse(connection, CloseCode.notEnoughProofOfWork, `proof of work too low (${met})`)
      }
      const peerId = PeerId.toBase58(yield* PeerId.fromPublicKey(message.publicKey))
      const tcp = yield* Tcp.connect({ ...target, timeout: options.dialTimeout ?? "10 seconds" }).pipe(
        Effect.catchTag("TcpError", (error: TcpError) => Effect.succeed({ failed: error.message }))
      )
      if ("failed" in tcp) return yield* refuse(connection, CloseCode.targetUnreachable, "target unreachable")
      yield* Metric.update(Metrics.sessions, 1)
      yield* emit({ _tag: "Relaying", remote: connection.remote, target, peerId })
      let up = 0
      let down = 0
      const early = reader.readExactlyNow(reader.buffered())
      const upstream = Effect.gen(function* () {
        yield* tcp.socket.write(bytes)
        up += bytes.length
        if (early !== undefined && early.length > 0) {
          yield* tcp.socket.write(early)
          up += early.length
        }
        return yield* pump(connection.socket, tcp.socket, (n) => {
          up += n
        })
      })
      const downstream = pump(tcp.socket, connection.socket, (n) => {
        down += n
      })
      // Whichever direction ends first (a close or an error) ends the relay; closing both sockets
      // still sends what each was already given.
      const ended = yield* Effect.raceFirst(Effect.flip(upstream), Effect.flip(downstream))
      yield* Effect.all([tcp.socket.close, connection.socket.close], { discard: true })
      yield* Metric.update(Metrics.upBytes, up)
      yield* Metric.update(Metrics.downBytes, down)
      yield* emit({ _tag: "Closed", remote: connection.remote, target, peerId, up, down, reason: ended.description })
    })

    const onConnection = (connection: WebSocket.Connection) =>
      Effect.suspend(() => {
        const target = route(options.targets, connection.path)
        if (target === undefined) return refuse(connection, CloseCode.unknownTarget, "unknown target")
        const key = Tcp.formatEndpoint(target)
        const open = sessions.get(key) ?? 0
        if (open >= max) return refuse(connection, CloseCode.tooManySessions, `too many sessions (${max})`)
        sessions.set(key, open + 1)
        return relay(connection, target).pipe(
          Effect.ensuring(Effect.sync(() => sessions.set(key, (sessions.get(key) ?? 1) - 1)))
        )
      })

    yield* Effect.forkScoped(server.run(onConnection))
    const bridge: Bridge = { address: server.address, sessions: Effect.sync(() => new Map(sessions)) }
    return bridge
  })
