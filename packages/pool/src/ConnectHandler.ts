/**
 * One connection's handshake, as Octez's `P2p_connect_handler.raw_authenticate` sequences it: the
 * one connect handler of effect-p2p, shared by the pool (`Pool`, either direction) and by
 * `@effect-p2p/node`'s `Listener`, `Dialer` and `WebSocketDialer`. Platform-free: it takes a
 * `Transport` connection (a byte socket with its remote address) and runs
 *
 * 1. `Session.authenticate` (connection message, proof of work, metadata) within the timeout;
 * 2. the caller's checks (`check`: the pool's banned peer, expected peer id, chain and versions,
 *    slots, private mode, already connected; a bare caller's version selection), each ending in a
 *    {@link Verdict};
 * 3. the application's {@link Policy} (accept, or a Nack motive);
 * 4. the Ack (`Session.accept`, within what is left of the timeout) — or the Nack, with the motive
 *    and the alternative points the caller gives (Octez sends up to 50 known public points).
 *
 * The timeout is one deadline around all four steps (Octez: one canceler around
 * `raw_authenticate`); it fails with `HandshakeTimeout`, step `authenticate` until the peer is
 * authenticated and `accept` after.
 *
 * What each step decided is reported to `onEvent` with Octez's event names, so that a pool keeps its
 * tables and a listener its log without a second copy of the sequence. Nothing here runs per
 * message: the handler ends when the message connection is open.
 *
 * @since 0.1.0
 */
import type { SchemaOrEncoding } from "@effect-p2p/codec/Encoding"
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import type * as Connection from "@effect-p2p/connection/Connection"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { InvalidDifficulty } from "@effect-p2p/crypto/CryptoError"
import type { Identity } from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as Negotiation from "@effect-p2p/session/Negotiation"
import type * as Rejection from "@effect-p2p/session/Rejection"
import * as Session from "@effect-p2p/session/Session"
import {
  type AcceptError,
  type AlreadyUsed,
  type AuthenticateError,
  HandshakeTimeout,
  type InvalidVersions,
  Rejected
} from "@effect-p2p/session/SessionError"
import { Cause, Duration, Effect, Predicate, Result, type Scope } from "effect"
import type { Connected } from "./Transport.ts"

/**
 * The application's say between metadata and Ack (js-libp2p's connection gater, Octez's "the
 * calling module will make additional checks"): accept, or refuse with a Nack motive.
 *
 * @category models
 * @since 0.1.0
 */
export type Decision = { readonly _tag: "Accept" } | { readonly _tag: "Reject"; readonly motive: Rejection.Motive }

/**
 * The application's policy: runs once the peer's metadata is known, after the handler's own checks
 * and before the Ack.
 *
 * @category models
 * @since 0.1.0
 */
export type Policy<Meta> = (info: Session.ConnectionInfo<Meta>) => Effect.Effect<Decision>

/**
 * What a check decides about an authenticated peer:
 * - `Accept` with the negotiated version (see {@link selectVersion});
 * - `Reject`: a Nack with the motive and the alternative points, then `Rejected`;
 * - `Refuse`: fail with the caller's `error`, after a bare Nack (`nack: true`, no motive, no points,
 *   as Octez answers a wrong expected peer id) or after dropping the socket without a byte
 *   (`nack: false`, as Octez closes a banned peer or one refused by private mode).
 *
 * @category models
 * @since 0.1.0
 */
export type Verdict<E> =
  | { readonly _tag: "Accept"; readonly version: NetworkVersion }
  | { readonly _tag: "Reject"; readonly motive: Rejection.Motive }
  | { readonly _tag: "Refuse"; readonly error: E; readonly nack: boolean }

/**
 * What the handler tells its caller, named after Octez's events (`authentication_failed`,
 * `rejecting_request`, `accepting_request`, `request_rejected`).
 *
 * @category models
 * @since 0.1.0
 */
export type Event<Meta> =
  /** Authentication failed (not for an interruption). */
  | { readonly _tag: "AuthenticationFailed"; readonly cause: Cause.Cause<AuthenticateError> }
  /** We sent a Nack with this motive (a `Reject` verdict or decision). */
  | { readonly _tag: "Rejecting"; readonly info: Session.ConnectionInfo<Meta>; readonly motive: Rejection.Motive }
  /** Every check and the policy accepted: the Ack goes out next. */
  | { readonly _tag: "Accepting"; readonly info: Session.ConnectionInfo<Meta>; readonly version: NetworkVersion }
  /** The Ack exchange failed: the peer nacked us (`RejectedByNack`), closed, timed out, ... */
  | {
      readonly _tag: "RequestRejected"
      readonly info: Session.ConnectionInfo<Meta>
      readonly error: Exclude<AcceptError, AlreadyUsed>
    }

/**
 * What a handler is made of: the same for every connection it runs.
 *
 * @category models
 * @since 0.1.0
 */
export interface Settings<Meta, Msg> {
  readonly identity: Identity
  /** Peers' proof of work must meet this difficulty: 0 to 256, fractional allowed (Octez nodes: 26). */
  readonly expectedPow: number
  /** Our chain name and supported versions; the greatest of each is announced. */
  readonly supported: Negotiation.Supported
  readonly metadata: Meta
  /** The metadata: an Effect Schema or an `Encoding` (`Metadata.octez`). */
  readonly metadataEncoding: SchemaOrEncoding<Meta>
  /** The messages of the connection once accepted: must delimit themselves in a stream. */
  readonly messageEncoding: SchemaOrEncoding<Msg>
  /** Queue sizes and chunk size of the message connection. */
  readonly connection?: Connection.Options | undefined
  /** The application's decision after the checks, before the Ack. Default: accept. */
  readonly policy?: Policy<Meta> | undefined
}

/**
 * One connection's part: which side we are and the caller's hooks.
 *
 * @category models
 * @since 0.1.0
 */
export interface Role<Meta, E, R> {
  readonly incoming: boolean
  /** The port we listen on, announced to the peer. Default: none. */
  readonly listeningPort?: number | undefined
  /** The peer's address as the session records it. Default: the connection's remote address. */
  readonly remote?: { readonly address: string; readonly port: number } | undefined
  /**
   * Budget of the whole handshake (Octez `authentication_timeout` incoming, `connection_timeout`
   * outgoing); the Ack exchange gets what authentication left. Default 5 s incoming, 10 s outgoing.
   */
  readonly timeout?: Duration.Input | undefined
  /** The caller's checks, in its order. Default {@link selectVersion}. */
  readonly check?: ((info: Session.ConnectionInfo<Meta>) => Effect.Effect<Verdict<E>, E, R>) | undefined
  /** Points offered in a Nack with a motive (Octez: up to 50 known public points). Default none. */
  readonly alternativePoints?: Effect.Effect<ReadonlyArray<string>, never, R> | undefined
  /** Told what each step decided; must not fail. */
  readonly onEvent?: ((event: Event<Meta>) => Effect.Effect<void, never, R>) | undefined
}

/**
 * An accepted peer: what the handshake learned, the negotiated version and the open connection
 * (closed with the scope).
 *
 * @category models
 * @since 0.1.0
 */
export interface Established<Meta, Msg> {
  readonly info: Session.ConnectionInfo<Meta>
  /** Our chain name with the selected distributed-db and p2p versions. */
  readonly version: NetworkVersion
  readonly connection: Connection.Connection<Msg>
}

/**
 * What {@link make} refuses: an `expectedPow` outside 0..256, a version list that is empty or holds
 * something other than a uint16.
 *
 * @category errors
 * @since 0.1.0
 */
export type SettingsError = InvalidDifficulty | InvalidVersions

/**
 * What a run can fail with besides the checks' own errors: the session's (`AlreadyUsed` excepted:
 * the authenticated connection is answered once, here) and `Rejected` when we nacked the peer.
 *
 * @category errors
 * @since 0.1.0
 */
export type HandshakeError = Exclude<AuthenticateError | AcceptError, AlreadyUsed> | Rejected

/**
 * A connect handler: {@link Settings} checked once, run on each connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectHandler<Meta, Msg> {
  readonly settings: Settings<Meta, Msg>
  /**
   * Runs the handshake on one connection: authenticate, check, policy, then Ack or Nack. Can fail
   * with {@link HandshakeError} or the check's error `E`.
   */
  readonly run: <E = never, R = never>(
    connected: Connected,
    role: Role<Meta, E, R>
  ) => Effect.Effect<Established<Meta, Msg>, HandshakeError | E, CryptoBackend | Scope.Scope | R>
}

/**
 * Octez's version selection as a check: `Accept` with our chain name and the greatest common
 * versions, or `Reject` with `UnknownChainName` / `DeprecatedDistributedDbVersion` /
 * `DeprecatedP2pVersion`.
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { ConnectHandler } from "@effect-p2p/pool"
 * const supported = { chainName: "SANDBOX", distributedDbVersions: [0, 1], p2pVersions: [0, 1] }
 * ConnectHandler.selectVersion(supported, { chainName: "SANDBOX", distributedDbVersion: 2, p2pVersion: 1 })
 * // { _tag: "Accept", version: { chainName: "SANDBOX", distributedDbVersion: 1, p2pVersion: 1 } }
 * ```
 */
export const selectVersion = (supported: Negotiation.Supported, announced: NetworkVersion): Verdict<never> => {
  const selected = Negotiation.select(supported, announced)
  return Result.isSuccess(selected)
    ? { _tag: "Accept", version: selected.success }
    : { _tag: "Reject", motive: selected.failure }
}

/**
 * The authenticated connection is answered once, here, so `AlreadyUsed` would be a bug in this
 * module, not something a caller could handle.
 */
const usedOnce = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, AlreadyUsed>, R> =>
  self.pipe(
    Effect.catch((error) =>
      Predicate.isTagged(error, "AlreadyUsed") ? Effect.die(error) : Effect.fail(error as Exclude<E, AlreadyUsed>)
    )
  )

const noEvent = () => Effect.void

/**
 * Checks the settings (`InvalidDifficulty`, `InvalidVersions`) and returns the handler. Validation
 * happens here, once, not on every connection.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import { CryptoBackend, Identity } from "@effect-p2p/crypto"
 * import { ConnectHandler, MemoryNetwork } from "@effect-p2p/pool"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect, Result } from "effect"
 *
 * // Accepts every peer on the chain that authenticates on 10.0.0.1:9732, with the default checks.
 * const serve = Effect.scoped(Effect.gen(function* () {
 *   const network = yield* MemoryNetwork.make()
 *   const identity = yield* Identity.generate({ difficulty: 0 })
 *   const handler = yield* Effect.fromResult(ConnectHandler.make({
 *     identity, expectedPow: 0,
 *     supported: { chainName: "SANDBOX", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
 *     metadata: { disableMempool: false, privateNode: false }, metadataEncoding: Metadata.octez,
 *     messageEncoding: Encoding.bytes,
 *     policy: (info) => Effect.succeed(info.remoteMetadata.privateNode
 *       ? { _tag: "Reject", motive: "NoMotive" } as const
 *       : { _tag: "Accept" } as const)
 *   }))
 *   const listening = yield* network.transport("10.0.0.1").listen({ host: "10.0.0.1", port: 9732 })
 *   return yield* listening.run((connected) =>
 *     handler.run(connected, { incoming: true, listeningPort: 9732, timeout: "5 seconds" }).pipe(
 *       Effect.flatMap(({ connection }) => connection.closed),
 *       Effect.ignore
 *     ))
 * })).pipe(Effect.provide(CryptoBackend.layerNoble))
 * ```
 */
export const make = <Meta, Msg>(
  settings: Settings<Meta, Msg>
): Result.Result<ConnectHandler<Meta, Msg>, SettingsError> =>
  Result.flatMap(ProofOfWork.fromDifficulty(settings.expectedPow), () =>
    Result.map(Negotiation.validate(settings.supported), () => ({ settings, run: runner(settings) }))
  )

const runner =
  <Meta, Msg>(settings: Settings<Meta, Msg>) =>
  <E = never, R = never>(
    connected: Connected,
    role: Role<Meta, E, R>
  ): Effect.Effect<Established<Meta, Msg>, HandshakeError | E, CryptoBackend | Scope.Scope | R> => {
    const onEvent = role.onEvent ?? noEvent
    const announced = Negotiation.announced(settings.supported)
    const budget = Duration.fromInputUnsafe(
      role.timeout ?? (role.incoming ? Session.defaultIncomingTimeout : Session.defaultOutgoingTimeout)
    )
    return Effect.suspend(() => {
      // Set once authenticated: a timeout from then on is the Ack exchange's.
      let authenticated: Session.ConnectionInfo<Meta> | undefined
      // One deadline for the whole sequence, as Octez's one canceler around raw_authenticate: the
      // session's own deadlines would race twice per side (two fibers and a timer each; one race
      // instead measured 0.86-0.99x the CPU per handshake, docs/benchmarks.md "Handshake CPU").
      const timedOut = () => {
        const timeoutMillis = Duration.toMillis(budget)
        if (authenticated === undefined) {
          const error = new HandshakeTimeout({ step: "authenticate", timeoutMillis })
          return Effect.andThen(onEvent({ _tag: "AuthenticationFailed", cause: Cause.fail(error) }), Effect.fail(error))
        }
        const error = new HandshakeTimeout({ step: "accept", timeoutMillis })
        return Effect.andThen(onEvent({ _tag: "RequestRejected", info: authenticated, error }), Effect.fail(error))
      }
      const sequence = Effect.gen(function* () {
        // 1. Authentication (the session closes the socket on any failure or interruption).
        const [info, auth] = yield* Session.authenticate({
          socket: connected.socket,
          identity: settings.identity,
          incoming: role.incoming,
          remote: role.remote ?? { address: connected.remote.host, port: connected.remote.port },
          listeningPort: role.listeningPort,
          expectedPow: settings.expectedPow,
          version: announced,
          metadata: settings.metadata,
          metadataEncoding: settings.metadataEncoding,
          timeout: Duration.infinity
        }).pipe(
          Effect.tapCause((cause) =>
            Cause.hasInterruptsOnly(cause) ? Effect.void : onEvent({ _tag: "AuthenticationFailed", cause })
          )
        )
        authenticated = info

        const reject = (motive: Rejection.Motive) =>
          Effect.gen(function* () {
            const alternativePoints = role.alternativePoints === undefined ? [] : yield* role.alternativePoints
            yield* usedOnce(Session.nack(auth, { motive, alternativePoints }))
            yield* onEvent({ _tag: "Rejecting", info, motive })
            return yield* new Rejected({ peerId: PeerId.toBase58(info.peerId), motive })
          })

        // 2. The caller's checks, then 3. the application's policy.
        const verdict =
          role.check === undefined ? selectVersion(settings.supported, info.announcedVersion) : yield* role.check(info)
        switch (verdict._tag) {
          case "Reject":
            return yield* reject(verdict.motive)
          case "Refuse":
            if (verdict.nack) yield* usedOnce(Session.nack(auth, {}))
            else yield* connected.abort
            return yield* Effect.fail(verdict.error)
        }
        if (settings.policy !== undefined) {
          const decision = yield* settings.policy(info)
          if (decision._tag === "Reject") return yield* reject(decision.motive)
        }

        // 4. The Ack.
        yield* onEvent({ _tag: "Accepting", info, version: verdict.version })
        const connection = yield* usedOnce(
          Session.accept(auth, { messageEncoding: settings.messageEncoding, ...settings.connection })
        ).pipe(Effect.tapError((error) => onEvent({ _tag: "RequestRejected", info, error })))
        const established: Established<Meta, Msg> = { info, version: verdict.version, connection }
        return established
      })
      return Duration.isFinite(budget)
        ? Effect.timeoutOrElse(sequence, { duration: budget, orElse: timedOut })
        : sequence
    })
  }
