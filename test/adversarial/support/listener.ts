/**
 * The real listener the attackers talk to: `Tcp.listen` from `@effect-p2p/node`, and for every
 * connection, in its own fiber, what an Octez node's connect handler does: refuse it at once when
 * `maxConnections` sessions are already running (Octez's `max_incoming_connections`), else
 * `TcpSession.establish` (authenticate, Ack or Nack) under a short handshake timeout, then serve
 * the peer (echo every message, or read slowly) until the connection ends. Each connection's
 * outcome, the tag of the error that ended it, is recorded against the peer's TCP port; `live`
 * counts the connection fibers still running, for the leak checks.
 */
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import type * as Connection from "@effect-p2p/connection/Connection"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as Tcp from "@effect-p2p/node/Tcp"
import * as TcpSession from "@effect-p2p/node/TcpSession"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Cause, Deferred, Effect, Exit, Option, type Scope } from "effect"

export const chainName = "SANDBOXED_TEZOS"
export const supported = {
  chainName,
  distributedDbVersions: [0, 1] as [number, number],
  p2pVersions: [0, 1] as [number, number]
}
export const version = { chainName, distributedDbVersion: 1, p2pVersion: 1 }
/** Every identity in the suite is made at this difficulty, which the listener requires. */
export const difficulty = 4
export const metadata: Metadata.OctezMetadata = { disableMempool: false, privateNode: false }
export const messageEncoding = P2pMessage.envelope

export interface Outcome {
  /** The tag of the error that ended the connection (`ConnectionClosed` when the peer closed), `"Refused"` when over the cap. */
  readonly tag: string
  readonly error: unknown
}

export interface ListenerOptions {
  /** Handshake budget. Default 300 ms. */
  readonly timeout?: number
  /** Sessions running at once before new connections are refused. Default: no cap. */
  readonly maxConnections?: number
  /** Queue sizes, chunk size, maxMessageSize of the message connection. */
  readonly connection?: Connection.Options
  /** After the handshake: `"echo"` writes every message back; `"slow"` reads one message every 20 ms. */
  readonly serve?: "echo" | "slow"
  readonly backlog?: number
}

export interface Listener {
  readonly port: number
  readonly identity: Identity.Identity
  /** The outcome of the connection whose peer used this local port. */
  readonly outcomeOf: (peerPort: number) => Effect.Effect<Outcome>
  /** Connection fibers running now (refused ones included while they close). */
  readonly live: () => number
  readonly stats: () => { readonly accepted: number; readonly refused: number; readonly established: number }
}

export const tagOf = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "Success"
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isSome(error)) {
    const value = error.value
    return typeof value === "object" && value !== null && "_tag" in value ? String(value._tag) : "UnknownError"
  }
  return Cause.hasInterrupts(exit.cause) ? "Interrupt" : "Die"
}

export const errorOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined

export const makeIdentity = Identity.generate({ difficulty }).pipe(Effect.provide(CryptoBackend.layerNoble))

export const listen = (options: ListenerOptions = {}): Effect.Effect<Listener, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const identity = yield* makeIdentity
    const server = yield* Tcp.listen({ port: 0, host: "127.0.0.1", backlog: options.backlog ?? 511 })
    const port = server.address.port
    const max = options.maxConnections ?? Number.POSITIVE_INFINITY
    const outcomes = new Map<number, Deferred.Deferred<Outcome>>()
    const slot = (peerPort: number) => {
      let deferred = outcomes.get(peerPort)
      if (deferred === undefined) {
        deferred = Deferred.makeUnsafe<Outcome>()
        outcomes.set(peerPort, deferred)
      }
      return deferred
    }
    let live = 0
    let sessions = 0
    const stats = { accepted: 0, refused: 0, established: 0 }
    const sessionOptions: TcpSession.SessionOptions<Metadata.OctezMetadata, P2pMessage.Envelope> = {
      identity,
      powTarget: ProofOfWork.target(difficulty),
      supported,
      metadata,
      metadataEncoding: Metadata.octez,
      messageEncoding,
      connection: options.connection,
      timeout: options.timeout ?? 300
    }

    const serve = (peer: TcpSession.Peer<Metadata.OctezMetadata, P2pMessage.Envelope>) =>
      options.serve === "slow"
        ? Effect.forever(Effect.andThen(peer.connection.read, Effect.sleep(20)))
        : Effect.forever(Effect.flatMap(peer.connection.read, ([, message]) => peer.connection.write(message)))

    const handle = (tcp: Tcp.TcpSocket) =>
      Effect.gen(function* () {
        const record = (outcome: Outcome) => Deferred.succeed(slot(tcp.remote.port), outcome)
        if (sessions >= max) {
          stats.refused++
          yield* tcp.abort
          return yield* record({ tag: "Refused", error: undefined })
        }
        stats.accepted++
        sessions++
        const exit = yield* Effect.exit(
          Effect.gen(function* () {
            const peer = yield* TcpSession.establish(tcp, sessionOptions, { incoming: true, listeningPort: port })
            stats.established++
            return yield* serve(peer)
          }).pipe(Effect.scoped, Effect.ensuring(Effect.sync(() => sessions--)))
        )
        yield* record({ tag: tagOf(exit), error: errorOf(exit) })
      }).pipe(Effect.ensuring(Effect.sync(() => live--)), Effect.provide(CryptoBackend.layerNoble))

    yield* Effect.forkScoped(
      server.run((tcp) =>
        Effect.suspend(() => {
          live++
          return handle(tcp)
        })
      )
    )
    return {
      port,
      identity,
      outcomeOf: (peerPort) => Deferred.await(slot(peerPort)),
      live: () => live,
      stats: () => ({ ...stats })
    }
  })
