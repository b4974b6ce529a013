/**
 * Accepts peers over TCP: every connection runs in its own fiber through the pool's connect handler
 * (`@effect-p2p/pool/ConnectHandler`, the one `Pool` runs: authenticate, expected peer id, version,
 * the `policy`, then Ack or Nack) and, once accepted, through the caller's handler. A peer that fails the
 * handshake, misbehaves or makes its handler fail is logged as an event and closed; nothing it
 * does reaches the other connections or the listener. At most `maxConnections` connections exist
 * at once, handshakes included; one more is dropped as soon as it arrives.
 *
 * @since 0.1.0
 */
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import * as IoScheduler from "@effect-p2p/connection/IoScheduler"
import type { Stat } from "@effect-p2p/connection/Stat"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import { Cause, Context, Effect, Exit, Layer, type Scope } from "effect"
import * as Handshake from "./internal/handshake.ts"
import * as Tcp from "./Tcp.ts"
import type { TcpError } from "./TcpError.ts"
import * as TcpSession from "./TcpSession.ts"

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<Meta, Msg> extends TcpSession.SessionOptions<Meta, Msg>, Tcp.ListenOptions {
  /** The port announced to peers. Default: the bound port. */
  readonly advertisedPort?: number | undefined
  /** Pending connections the kernel queues before they are accepted. Default {@link defaultBacklog} (511). */
  readonly backlog?: number | undefined
  /** Connections in any state, handshakes included. Default 1,000. */
  readonly maxConnections?: number | undefined
  /** Receives every lifecycle event (logging, metrics). Must not fail. */
  readonly onEvent?: ((event: Event) => Effect.Effect<void>) | undefined
  /**
   * Global download and upload limits in bytes per second, shared fairly by every connection of
   * this listener. Ignored when an `IoScheduler` is already in the context (then that one is used).
   */
  readonly bandwidth?: IoScheduler.Options | undefined
}

/**
 * Default of `maxConnections`.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxConnections = 1000

/**
 * Default listen backlog of {@link make}: 511, the largest Linux accepts without raising
 * `net.core.somaxconn` (4,096 on current kernels) and what nginx and Node use. Octez's 20 makes a
 * burst of dials wait on SYN retries (1 s, then 3 s); a node meant to take many peers needs more.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultBacklog = 511

/**
 * What happened to a connection.
 *
 * @category models
 * @since 0.1.0
 */
export type Event =
  | { readonly _tag: "Refused"; readonly remote: Tcp.Endpoint; readonly reason: string }
  | {
      readonly _tag: "HandshakeFailed"
      readonly remote: Tcp.Endpoint
      /** The error's tag (`NotEnoughProofOfWork`, `Rejected`, `HandshakeTimeout`, ...). */
      readonly error: string
      readonly message: string
      /** The whole failure, for the error's own fields (`Cause.findErrorOption`); always set by {@link make}. */
      readonly cause?: Cause.Cause<unknown> | undefined
    }
  | {
      readonly _tag: "Accepted"
      readonly remote: Tcp.Endpoint
      readonly peerId: string
      readonly version: NetworkVersion
      readonly announcedVersion: NetworkVersion
    }
  | {
      readonly _tag: "Closed"
      readonly remote: Tcp.Endpoint
      readonly peerId: string
      readonly reason: string
      readonly stat: Stat
      /**
       * Why the handler stopped, when it failed: typically the read error that ended it
       * (`ConnectionClosed` when the peer closed, `DecipherError`, `DecodeError`, ...). Absent when
       * the handler returned or was interrupted.
       */
      readonly cause?: Cause.Cause<unknown> | undefined
    }

/**
 * A running listener.
 *
 * @category models
 * @since 0.1.0
 */
export interface Listener {
  /** The bound address (the real port when 0 was asked). */
  readonly address: Tcp.Endpoint
  /** Connections currently open, handshakes included. */
  readonly connections: Effect.Effect<number>
  /** Traffic of every connection this listener accepted, together (wire bytes). */
  readonly stat: Effect.Effect<Stat>
}

const describeCause = (cause: Cause.Cause<unknown>): { readonly error: string; readonly message: string } => {
  const error = Cause.squash(cause)
  if (typeof error === "object" && error !== null) {
    const tag = "_tag" in error && typeof error._tag === "string" ? error._tag : "Defect"
    const message = "message" in error && typeof error.message === "string" ? error.message : String(error)
    return { error: tag, message }
  }
  return { error: "Defect", message: String(error) }
}

/**
 * What {@link make} can fail with: bad options (`InvalidDifficulty`, `InvalidVersions`, checked
 * before listening) or `TcpError` (port in use, ...). What happens to each connection afterwards
 * is an {@link Event}, never a failure of the listener.
 *
 * @category errors
 * @since 0.2.0
 */
export type MakeError = TcpError | TcpSession.OptionsError

/**
 * Starts listening; closing the scope stops the listener and closes every connection. The
 * handler gets each accepted peer; when it returns (or fails) the connection is closed, flushing
 * what was queued. Can fail with {@link MakeError}: bad options, or `TcpError` (port in use, ...).
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * import type { Identity } from "@effect-p2p/crypto"
 * import { Listener } from "@effect-p2p/node"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect } from "effect"
 *
 * // An echo server: every message goes back to its sender.
 * const echo = (identity: Identity.Identity) => Effect.scoped(Effect.gen(function*() {
 *   const listener = yield* Listener.make({
 *     port: 9732, identity, expectedPow: 26,
 *     supported: { chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
 *     metadata: { disableMempool: false, privateNode: false }, metadataEncoding: Metadata.octez,
 *     messageEncoding: P2pMessage.envelope,
 *     onEvent: (event) => Effect.log(event._tag)
 *   }, ({ connection }) => Effect.forever(Effect.flatMap(connection.read, ([, m]) => connection.write(m))))
 *   yield* Effect.log(`listening on port ${listener.address.port}`)
 *   return yield* Effect.never
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = <Meta, Msg, E, R>(
  options: Options<Meta, Msg>,
  handler: (peer: TcpSession.Peer<Meta, Msg>) => Effect.Effect<void, E, R>
): Effect.Effect<Listener, MakeError, Requirements<R>> =>
  Effect.fromResult(TcpSession.validateOptions(options)).pipe(
    Effect.andThen(Tcp.listen({ ...options, backlog: options.backlog ?? defaultBacklog })),
    Effect.flatMap((server) => fromServer(server, options, handler))
  )

/**
 * What a listener needs: the crypto backend, a scope, and what the handler needs beyond the
 * per-connection scope and the listener's `IoScheduler`, which it gets.
 *
 * @category models
 * @since 0.2.0
 */
export type Requirements<R> = CryptoBackend | Scope.Scope | Exclude<Exclude<R, IoScheduler.IoScheduler>, Scope.Scope>

/**
 * {@link make} over a server that is already listening: any transport with `Tcp.Server`'s shape
 * (`WebSocket.listen` for browsers). Closing the scope stops serving and closes every connection.
 * Can fail with `TcpSession.OptionsError` (bad options, checked before serving).
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * import type { Identity } from "@effect-p2p/crypto"
 * import { Listener, WebSocket } from "@effect-p2p/node"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect } from "effect"
 *
 * // An echo server for browsers, on WebSockets.
 * const echo = (identity: Identity.Identity) => Effect.scoped(Effect.gen(function*() {
 *   const options = {
 *     identity, expectedPow: 26,
 *     supported: { chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
 *     metadata: { disableMempool: false, privateNode: false }, metadataEncoding: Metadata.octez,
 *     messageEncoding: P2pMessage.envelope
 *   } as const
 *   const server = yield* WebSocket.listen({ port: 9733 })
 *   yield* Listener.fromServer(server, options, ({ connection }) =>
 *     Effect.forever(Effect.flatMap(connection.read, ([, m]) => connection.write(m))))
 *   return yield* Effect.never
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromServer = <Meta, Msg, E, R>(
  server: Tcp.Server,
  options: Omit<Options<Meta, Msg>, keyof Tcp.ListenOptions>,
  handler: (peer: TcpSession.Peer<Meta, Msg>) => Effect.Effect<void, E, R>
): Effect.Effect<Listener, TcpSession.OptionsError, Requirements<R>> =>
  Effect.gen(function* () {
    // One connect handler for every connection: the options are checked once, here.
    const connectHandler = yield* Effect.fromResult(Handshake.handlerOf(options))
    const max = options.maxConnections ?? defaultMaxConnections
    const emit = options.onEvent ?? (() => Effect.void)
    const listeningPort = options.advertisedPort ?? server.address.port
    let open = 0
    // One scheduler for the whole listener: shared limits and host-wide stats, and one refresh
    // fiber instead of one per connection.
    const existing = yield* Effect.serviceOption(IoScheduler.IoScheduler)
    const scheduler = existing._tag === "Some" ? existing.value : yield* IoScheduler.make(options.bandwidth ?? {})

    const serve = Effect.fnUntraced(function* (tcp: Tcp.TcpSocket) {
      const peer = yield* Handshake.establish(connectHandler, tcp, options, { incoming: true, listeningPort })
      const peerId = PeerId.toBase58(peer.info.peerId)
      yield* emit({
        _tag: "Accepted",
        remote: tcp.remote,
        peerId,
        version: peer.version,
        announcedVersion: peer.info.announcedVersion
      })
      const exit = yield* Effect.exit(handler(peer))
      const failed = Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause) ? exit.cause : undefined
      const failure = failed === undefined ? undefined : describeCause(failed)
      yield* peer.connection.close({ wait: failure === undefined, reason: failure?.message ?? "handler finished" })
      const closed = yield* peer.connection.closed
      yield* emit({
        _tag: "Closed",
        remote: tcp.remote,
        peerId,
        reason: closed.description,
        stat: yield* peer.connection.stat,
        cause: failed
      })
    })

    const onConnection = (tcp: Tcp.TcpSocket) =>
      Effect.suspend(() => {
        if (open >= max) {
          return Effect.andThen(
            tcp.abort,
            emit({ _tag: "Refused", remote: tcp.remote, reason: `too many connections (${max})` })
          )
        }
        open++
        return serve(tcp).pipe(
          Effect.provideService(IoScheduler.IoScheduler, scheduler),
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.void
              : emit({ _tag: "HandshakeFailed", remote: tcp.remote, ...describeCause(cause), cause })
          ),
          Effect.ensuring(Effect.sync(() => open--))
        )
      })

    yield* Effect.forkScoped(server.run(onConnection))
    const listener: Listener = {
      address: server.address,
      connections: Effect.sync(() => open),
      stat: Effect.sync(() => scheduler.globalStat())
    }
    return listener
  })

/**
 * The running listener as a service, for programs built from layers.
 *
 * @example
 * ```ts
 * import { Listener } from "@effect-p2p/node"
 * import { Effect } from "effect"
 * const port = Effect.gen(function*() {
 *   const listener = yield* Listener.ListenerService
 *   return listener.address.port
 * })
 * ```
 * @category services
 * @since 0.1.0
 */
export class ListenerService extends Context.Service<ListenerService, Listener>()("@effect-p2p/node/Listener") {}

/**
 * {@link make} as a layer: the listener runs while the layer is alive.
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * import { CryptoBackend, type Identity } from "@effect-p2p/crypto"
 * import { Listener } from "@effect-p2p/node"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect, Layer } from "effect"
 *
 * const EchoLive = (identity: Identity.Identity) =>
 *   Listener.layer({
 *     port: 9732, identity, expectedPow: 26,
 *     supported: { chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
 *     metadata: { disableMempool: false, privateNode: false }, metadataEncoding: Metadata.octez,
 *     messageEncoding: P2pMessage.envelope
 *   }, ({ connection }) => Effect.forever(Effect.flatMap(connection.read, ([, m]) => connection.write(m))))
 * // EchoLive(identity): Layer<Listener.ListenerService, Listener.MakeError, CryptoBackend>
 *
 * const serve = (identity: Identity.Identity) =>
 *   Layer.launch(EchoLive(identity)).pipe(Effect.provide(CryptoBackend.layerNoble)) // runs until interrupted
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = <Meta, Msg, E, R>(
  options: Options<Meta, Msg>,
  handler: (peer: TcpSession.Peer<Meta, Msg>) => Effect.Effect<void, E, R>
): Layer.Layer<ListenerService, MakeError, Exclude<Requirements<R>, Scope.Scope>> =>
  Layer.effect(ListenerService, make(options, handler))
