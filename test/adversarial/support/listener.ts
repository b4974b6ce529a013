/**
 * The listener the attackers talk to: `Listener.make` from `@effect-p2p/node`, the one an
 * application runs, on 127.0.0.1. After the handshake each peer is
 * served by echoing every message (or by a case's own handler). The listener's events
 * give every connection's outcome, the tag of the error that ended it (`ConnectionClosed` when the
 * peer closed, `"Refused"` over `maxConnections`), recorded against the peer's TCP port;
 * `live` is the listener's count of open connections, for the leak checks.
 */
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import type * as Connection from "@effect-p2p/connection/Connection"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import type * as Dialer from "@effect-p2p/node/Dialer"
import * as NodeListener from "@effect-p2p/node/Listener"
import type * as TcpSession from "@effect-p2p/node/TcpSession"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Cause, Deferred, type Duration, Effect, Exit, Option, type Scope } from "effect"

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

export type Peer = TcpSession.Peer<Metadata.OctezMetadata, P2pMessage.Envelope>

export interface ListenerOptions {
  /** Handshake budget in ms. Default 5,000 (Octez's); cases that expect `HandshakeTimeout` set a short one. */
  readonly timeout?: number
  /** Connections (handshakes included) at once before new ones are refused. Default: the listener's (1,000). */
  readonly maxConnections?: number
  /** Queue sizes, chunk size, maxMessageSize of the message connection. */
  readonly connection?: Connection.Options
  /** What the listener does with each accepted peer. Default: write every message back (echo). */
  readonly serve?: (peer: Peer) => Effect.Effect<void, unknown>
  readonly backlog?: number
  /** Proof of work required of peers. Default {@link difficulty}. */
  readonly difficulty?: number
  /** Whose identity the listener uses. Default: a fresh one at {@link difficulty}. */
  readonly identity?: Identity.Identity
  /** The crypto backend the listener runs with. Default noble. */
  readonly crypto?: CryptoBackend.CryptoBackendShape
}

export interface Listener {
  readonly port: number
  readonly identity: Identity.Identity
  /** The outcome of the connection whose peer used this local port. */
  readonly outcomeOf: (peerPort: number) => Effect.Effect<Outcome>
  /** Connections the listener holds now, handshakes included. */
  readonly live: Effect.Effect<number>
  /** Counts of the listener's events so far. */
  readonly stats: () => {
    readonly refused: number
    readonly handshakeFailed: number
    readonly established: number
    readonly closed: number
  }
}

export const tagOfCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) {
    const value = error.value
    return typeof value === "object" && value !== null && "_tag" in value ? String(value._tag) : "UnknownError"
  }
  return Cause.hasInterrupts(cause) ? "Interrupt" : "Die"
}

export const tagOf = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isSuccess(exit) ? "Success" : tagOfCause(exit.cause)

const outcomeOfCause = (cause: Cause.Cause<unknown> | undefined): Outcome =>
  cause === undefined
    ? { tag: "Success", error: undefined }
    : { tag: tagOfCause(cause), error: Option.getOrUndefined(Cause.findErrorOption(cause)) }

export const makeIdentity = Identity.generate({ difficulty }).pipe(Effect.provide(CryptoBackend.layerNoble))

/** Writes every message back to its sender. */
/** Dialer options for a well-behaved peer of this listener; `overrides` set the rest (timeout, PoW target). */
export const dialOptions = (
  listener: { readonly port: number },
  identity: Identity.Identity,
  overrides: { readonly timeout: Duration.Input; readonly powDifficulty?: number }
): Dialer.Options<Metadata.OctezMetadata, P2pMessage.Envelope> => ({
  host: "127.0.0.1",
  port: listener.port,
  identity,
  expectedPow: overrides.powDifficulty ?? difficulty,
  supported,
  metadata,
  metadataEncoding: Metadata.octez,
  messageEncoding,
  timeout: overrides.timeout
})

export const echo = (peer: Peer) =>
  Effect.forever(Effect.flatMap(peer.connection.read, ([, message]) => peer.connection.write(message)))

export const listen = (options: ListenerOptions = {}): Effect.Effect<Listener, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const identity = options.identity ?? (yield* makeIdentity)
    const outcomes = new Map<number, Deferred.Deferred<Outcome>>()
    const slot = (peerPort: number) => {
      let deferred = outcomes.get(peerPort)
      if (deferred === undefined) {
        deferred = Deferred.makeUnsafe<Outcome>()
        outcomes.set(peerPort, deferred)
      }
      return deferred
    }
    const stats = { refused: 0, handshakeFailed: 0, established: 0, closed: 0 }
    const record = (peerPort: number, outcome: Outcome) => Deferred.doneUnsafe(slot(peerPort), Exit.succeed(outcome))
    const onEvent = (event: NodeListener.Event) =>
      Effect.sync(() => {
        switch (event._tag) {
          case "Refused":
            stats.refused++
            return record(event.remote.port, { tag: "Refused", error: undefined })
          case "HandshakeFailed":
            stats.handshakeFailed++
            return record(event.remote.port, outcomeOfCause(event.cause ?? Cause.die(event.message)))
          case "Accepted":
            stats.established++
            return
          case "Closed":
            stats.closed++
            return record(event.remote.port, outcomeOfCause(event.cause))
        }
      })
    const listener = yield* NodeListener.make(
      {
        identity,
        expectedPow: options.difficulty ?? difficulty,
        supported,
        metadata,
        metadataEncoding: Metadata.octez,
        messageEncoding,
        connection: options.connection,
        timeout: options.timeout ?? 5000,
        port: 0,
        host: "127.0.0.1",
        backlog: options.backlog ?? 511,
        maxConnections: options.maxConnections,
        onEvent
      },
      options.serve ?? echo
    ).pipe(Effect.provideService(CryptoBackend.CryptoBackend, options.crypto ?? CryptoBackend.noble))
    return {
      port: listener.address.port,
      identity,
      outcomeOf: (peerPort) => Deferred.await(slot(peerPort)),
      live: listener.connections,
      stats: () => ({ ...stats })
    }
  })
