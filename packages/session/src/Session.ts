/**
 * The session handshake over any `ByteSocket` (Octez `P2p_socket.authenticate`, `accept`, `nack`).
 * Both sides run the same three steps:
 *
 * 1. **Connection message.** Each side writes its framed connection message at once (listening
 *    port, public key, proof-of-work stamp, a fresh message nonce, the announced network version)
 *    and reads the peer's. The peer's stamp is checked against our `expectedPow` difficulty
 *    before anything encrypted is sent (`NotEnoughProofOfWork`); then the channel key and the two
 *    nonces are derived from the keys and the two framed messages.
 * 2. **Metadata.** Each side sends its metadata as one encrypted chunk and reads the peer's
 *    (`DecipherError` if it does not open, `DecodeError` if it does not decode exactly). Only now,
 *    with proof that the peer holds the secret key of the public key it presented, is a connection
 *    to ourselves detected (`Myself`). {@link authenticate} ends here and returns the
 *    {@link ConnectionInfo} and an {@link AuthenticatedConnection}, which cannot read or write.
 * 3. **Ack or Nack.** The caller decides (see `Negotiation`): {@link accept} sends an Ack, reads
 *    the peer's Ack (or fails with `RejectedByNack`) and returns the message `Connection`;
 *    {@link nack} sends a Nack and closes. Either consumes the authenticated connection.
 *
 * The whole handshake runs under one deadline (default 5 s for an incoming connection, 10 s for an
 * outgoing one, as Octez's `authentication_timeout`/`connection_timeout`); it fails with
 * `HandshakeTimeout`. On every failure, timeout and interruption the socket is closed.
 *
 * @since 0.1.0
 */
import { type SchemaOrEncoding, toEncoding } from "@effect-p2p/codec/Encoding"
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import type * as Chunk from "@effect-p2p/connection/Chunk"
import * as Connection from "@effect-p2p/connection/Connection"
import { spanOptions as traceOptions } from "@effect-p2p/connection/Trace"
import * as Box from "@effect-p2p/crypto/Box"
import { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { Identity } from "@effect-p2p/crypto/Identity"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import { Clock, Duration, Effect, Exit, Option, Random, type Scope } from "effect"
import * as Ack from "./Ack.ts"
import * as ConnectionMessage from "./ConnectionMessage.ts"
import * as Metadata from "./Metadata.ts"
import type * as Rejection from "./Rejection.ts"
import {
  type AcceptError,
  AlreadyUsed,
  type AuthenticateError,
  HandshakeTimeout,
  Myself,
  type NackError,
  NotEnoughProofOfWork,
  type Point,
  RejectedByNack
} from "./SessionError.ts"

/**
 * Default budget of an incoming handshake (Octez `authentication_timeout`).
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultIncomingTimeout: Duration.Duration = Duration.seconds(5)

/**
 * Default budget of an outgoing handshake (Octez `connection_timeout`).
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultOutgoingTimeout: Duration.Duration = Duration.seconds(10)

/**
 * What {@link authenticate} needs.
 *
 * @category models
 * @since 0.1.0
 */
export interface AuthenticateOptions<Meta> {
  /** The transport, already connected. The session owns it from now on. */
  readonly socket: ByteSocket
  /** Our keys and stamp. */
  readonly identity: Identity
  /** True when we accepted the TCP connection, false when we dialled. */
  readonly incoming: boolean
  /** The peer's TCP address and port, for `ConnectionInfo` and `Myself` (default: address "", port 0). */
  readonly remote?: { readonly address: string; readonly port: number } | undefined
  /** The port we accept connections on, announced to the peer; absent means none (0 on the wire). */
  readonly listeningPort?: number | undefined
  /**
   * The proof-of-work difficulty the peer's stamp must meet (Octez `expected_pow`): about the
   * number of leading zero bits of its hash, fractional allowed, from 0 (any stamp) to 256; Octez
   * nodes use 26. Anything else (negative, above 256, NaN) fails with `InvalidDifficulty`.
   */
  readonly expectedPow: number
  /** The chain name and versions we announce (see `Negotiation.announced`). */
  readonly version: NetworkVersion
  /** Our metadata, sent in step 2. */
  readonly metadata: Meta
  /** How metadata is encoded on both sides: an Effect Schema, or an `Encoding` (`Metadata.octez` for an Octez node). */
  readonly metadataEncoding: SchemaOrEncoding<Meta>
  /**
   * Budget of the whole handshake, Ack included. Default 5 s if incoming, 10 s if outgoing.
   * `Duration.infinity` sets no deadline (for a caller that runs the handshake under its own).
   */
  readonly timeout?: Duration.Input | undefined
}

/**
 * What the handshake learned about the peer (Octez `P2p_connection.Info`).
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectionInfo<Meta> {
  /** True when the peer dialled us. */
  readonly incoming: boolean
  /** blake2b-16 of the peer's public key. */
  readonly peerId: PeerId.PeerId
  /** The peer's address and the port it can be reached on: the port it announced if it dialled us, else the port we dialled. */
  readonly remotePoint: Point
  /** The port the peer announced in its connection message (`None` for 0). */
  readonly remoteListeningPort: Option.Option<number>
  /** The TCP port of the peer's end of this connection. */
  readonly remoteSocketPort: number
  /** The chain name and versions the peer announced. */
  readonly announcedVersion: NetworkVersion
  readonly localMetadata: Meta
  readonly remoteMetadata: Meta
}

const TypeId: unique symbol = Symbol.for("@effect-p2p/session/AuthenticatedConnection")

/**
 * An authenticated peer that has not been answered yet: it can only be given to {@link accept} or
 * {@link nack}, once. It has no `read` or `write`; the transport and keys are private.
 *
 * @category models
 * @since 0.1.0
 */
export interface AuthenticatedConnection<Meta> {
  readonly [TypeId]: { readonly _Meta: (_: Meta) => Meta }
  readonly info: ConnectionInfo<Meta>
}

type Use = "accept" | "nack" | "release"

interface State {
  readonly reader: ByteReader.ByteReader
  readonly channelKey: ChannelKey
  readonly localNonce: Chunk.NonceCounter
  readonly remoteNonce: Chunk.NonceCounter
  /** Clock time (ms) when the handshake budget runs out. */
  readonly deadline: number
  readonly timeoutMillis: number
  usedBy: Use | undefined
  /** Wire bytes we wrote during the handshake (connection message, metadata, Ack), for the stats. */
  sentBytes: number
}

// Internal state lives outside the value so nothing public can reach the socket or the keys.
const states = new WeakMap<object, State>()

const messageNonceLength = 24

/**
 * The message nonce comes from Effect's `Random` service so tests can pin it: each byte is one
 * draw, the same as `Random.nextIntBetween(0, 255)`, taken from the service once rather than as
 * 24 effects (which cost more than the rest of the connection message). It only makes the message
 * unique (it is hashed into the session nonces, never used as one), so the default generator's
 * quality is sufficient.
 */
const messageNonce: Effect.Effect<Nonce.Nonce> = Effect.withFiber((fiber) => {
  const random = fiber.getRef(Random.Random)
  const bytes = new Uint8Array(messageNonceLength)
  for (let i = 0; i < messageNonceLength; i++) bytes[i] = Math.floor(random.nextDoubleUnsafe() * 256)
  return Effect.succeed(bytes as Nonce.Nonce)
})

const closeOnFailure =
  (socket: ByteSocket) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.onExit(effect, (exit) => (Exit.isFailure(exit) ? socket.close : Effect.void))

/**
 * Fails with `onTimeout()` when the step has not finished within `duration`, interrupting it.
 * Effect's own timer, so a TestClock drives it in tests. (A hand-made `setTimeout` beside it saved
 * one fiber per step, too little to be worth a second code path.) An infinite duration runs the
 * step as it is: a race costs two fibers and a timer, about 8 % of a handshake's CPU per step on
 * each side (docs/benchmarks.md, "Handshake CPU"), so a caller that puts one deadline around the
 * whole handshake passes `Duration.infinity` here.
 */
const withDeadline =
  <E2>(duration: Duration.Duration, onTimeout: () => E2) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> =>
    Duration.isFinite(duration)
      ? Effect.timeoutOrElse(self, { duration, orElse: () => Effect.fail(onTimeout()) })
      : self

const remaining = (state: State) =>
  Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(0, state.deadline - now)))

/**
 * Runs steps 1 and 2 of the handshake and returns what was learned with the authenticated (not
 * yet answered) connection. If the connection is neither accepted nor nacked when the scope
 * closes, the socket is closed then.
 *
 * Can fail with ({@link AuthenticateError}): `InvalidDifficulty` (`expectedPow` out of range),
 * `ConnectionClosed`, `EncodeError` / `InvalidMessageSize` (our own connection
 * message or metadata cannot be sent), `DecodeError` (the peer's connection message or metadata is
 * malformed), `NotEnoughProofOfWork`, `InvalidPublicKey` (a low-order peer key),
 * `InvalidIncomingCiphertextSize`, `DecipherError` (the peer's metadata does not open), `Myself`,
 * `HandshakeTimeout`. The socket is closed on any failure or interruption.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import type { ByteSocket } from "@effect-p2p/connection"
 * import type { Identity } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * import { Session } from "@effect-p2p/session"
 *
 * const dial = (socket: ByteSocket.ByteSocket, identity: Identity.Identity) =>
 *   Effect.gen(function*() {
 *     const [info, auth] = yield* Session.authenticate({
 *       socket, identity, incoming: false, listeningPort: 9732,
 *       expectedPow: 26,
 *       version: { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 },
 *       metadata: new Uint8Array(0), metadataEncoding: Encoding.Fixed.bytes(0)
 *     })
 *     return yield* Session.accept(auth, { messageEncoding: Encoding.bytes })
 *   })
 * ```
 */
export const authenticate = <Meta>(
  options: AuthenticateOptions<Meta>
): Effect.Effect<
  readonly [ConnectionInfo<Meta>, AuthenticatedConnection<Meta>],
  AuthenticateError,
  CryptoBackend | Scope.Scope
> =>
  Effect.gen(function* () {
    const { socket, identity, incoming } = options
    const timeoutMillis = Duration.toMillis(
      options.timeout ?? (incoming ? defaultIncomingTimeout : defaultOutgoingTimeout)
    )
    const deadline = (yield* Clock.currentTimeMillis) + timeoutMillis
    const backend = yield* CryptoBackend
    const reader = ByteReader.make(socket)
    let sentBytes = 0
    const remote = options.remote ?? { address: "", port: 0 }

    const handshake = Effect.gen(function* () {
      const powTarget = yield* Effect.fromResult(ProofOfWork.fromDifficulty(options.expectedPow))
      // Step 1: our message goes out before we read theirs, so two peers never wait for each other.
      const sent = yield* Effect.fromResult(
        ConnectionMessage.frame({
          port: Option.fromUndefinedOr(options.listeningPort),
          publicKey: identity.publicKey,
          powStamp: identity.powStamp,
          messageNonce: yield* messageNonce,
          version: options.version
        })
      )
      yield* socket.write(sent)
      sentBytes += sent.length
      const received = yield* ConnectionMessage.read(reader)
      const peer = received.message
      const peerId = PeerId.fromPublicKeyWith(backend, peer.publicKey)
      if (!ProofOfWork.checkWith(backend, peer.publicKey, peer.powStamp, powTarget)) {
        return yield* new NotEnoughProofOfWork({ peerId: PeerId.toBase58(peerId) })
      }
      const channelKey = yield* Effect.fromResult(Box.precomputeWith(backend, identity.secretKey, peer.publicKey))
      const nonces = Nonce.deriveWith(backend.blake2b, { incoming, sent, received: received.bytes })
      const localNonce: Chunk.NonceCounter = { current: nonces.local }
      const remoteNonce: Chunk.NonceCounter = { current: nonces.remote }

      // Step 2: one metadata chunk each way.
      const metadataChunk = yield* Effect.fromResult(
        Metadata.seal(backend, channelKey, localNonce, toEncoding(options.metadataEncoding), options.metadata)
      )
      yield* socket.write(metadataChunk)
      sentBytes += metadataChunk.length
      const remoteMetadata = yield* Metadata.read(
        backend,
        channelKey,
        remoteNonce,
        reader,
        toEncoding(options.metadataEncoding)
      )

      const remotePoint: Point = {
        address: remote.address,
        port: incoming ? peer.port : Option.some(remote.port)
      }
      // Checked only now: before the metadata opened, anyone could have presented our public key.
      if (PeerId.equals(peerId, identity.peerId)) return yield* new Myself({ point: remotePoint })

      const info: ConnectionInfo<Meta> = {
        incoming,
        peerId,
        remotePoint,
        remoteListeningPort: peer.port,
        remoteSocketPort: remote.port,
        announcedVersion: peer.version,
        localMetadata: options.metadata,
        remoteMetadata
      }
      const state: State = {
        reader,
        channelKey,
        localNonce,
        remoteNonce,
        deadline,
        timeoutMillis,
        usedBy: undefined,
        sentBytes
      }
      return { info, state }
    })

    const { info, state } = yield* handshake.pipe(
      withDeadline(Duration.millis(timeoutMillis), () => new HandshakeTimeout({ step: "authenticate", timeoutMillis })),
      closeOnFailure(socket)
    )
    const auth = { [TypeId]: { _Meta: (meta: Meta) => meta }, info } as AuthenticatedConnection<Meta>
    states.set(auth, state)
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        if (state.usedBy !== undefined) return Effect.void
        state.usedBy = "release"
        return socket.close
      })
    )
    return [info, auth] as const
  }).pipe(Effect.withSpan("Session.authenticate", undefined, traceOptions))

const claim = <Meta>(auth: AuthenticatedConnection<Meta>, operation: "accept" | "nack") =>
  Effect.suspend(() => {
    const state = states.get(auth)
    // A value not made by `authenticate` is as unusable as a consumed one.
    if (state === undefined) return Effect.fail(new AlreadyUsed({ operation, usedBy: "release" }))
    if (state.usedBy !== undefined) return Effect.fail(new AlreadyUsed({ operation, usedBy: state.usedBy }))
    state.usedBy = operation
    return Effect.succeed(state)
  })

/**
 * How {@link accept} sets up the message connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface AcceptOptions<Msg> extends Connection.Options {
  /** The application messages: an Effect Schema, or an `Encoding` (e.g. the P2p envelope, or `Encoding.bytes`). */
  readonly messageEncoding: SchemaOrEncoding<Msg>
  /** Budget of the Ack exchange. Default: what is left of the authentication's budget. */
  readonly timeout?: Duration.Input | undefined
}

/**
 * Step 3, yes: sends an Ack, reads the peer's answer and, if it is an Ack too, returns the message
 * connection (closed with the scope). Consumes the authenticated connection.
 *
 * Can fail with ({@link AcceptError}): `AlreadyUsed`, `InvalidChunksSize` / `UnframedEncoding`
 * (options the connection refuses, checked before the Ack is sent), `ConnectionClosed`,
 * `InvalidIncomingCiphertextSize`, `InvalidAuth` (the peer's chunk does not open), `DecodeError`,
 * `RejectedByNack` (`alternativePoints` is `None` for a Nack_v_0), `HandshakeTimeout`. The socket
 * is closed on any failure (except `AlreadyUsed`, which leaves it to its owner) or interruption.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import { Effect } from "effect"
 * import { Session } from "@effect-p2p/session"
 *
 * const talk = <Meta>(auth: Session.AuthenticatedConnection<Meta>) =>
 *   Effect.gen(function*() {
 *     const connection = yield* Session.accept(auth, { messageEncoding: Encoding.bytes, binaryChunksSize: 4096 })
 *     yield* connection.write(new Uint8Array([1, 2, 3]))
 *     return yield* connection.read
 *   })
 * ```
 */
export const accept = <Meta, Msg>(
  auth: AuthenticatedConnection<Meta>,
  options: AcceptOptions<Msg>
): Effect.Effect<Connection.Connection<Msg>, AcceptError, CryptoBackend | Scope.Scope> =>
  Effect.gen(function* () {
    const state = yield* claim(auth, "accept")
    const backend = yield* CryptoBackend
    const socket = state.reader.socket
    const budget = options.timeout === undefined ? yield* remaining(state) : Duration.fromInputUnsafe(options.timeout)
    const timeoutMillis = Duration.toMillis(budget)
    const messageEncoding = toEncoding(options.messageEncoding)

    const exchange = Effect.gen(function* () {
      // Refused before our Ack goes out: options the connection would refuse (a chunk size out of
      // range, a message encoding that cannot mark where a message ends) must not accept the peer.
      yield* Effect.fromResult(Connection.validateOptions(options))
      yield* Effect.fromResult(Connection.checkEncoding(messageEncoding))
      // A peer that nacks may close before our Ack arrives; its Nack, already received, says more
      // than the failed write, so we still read it and report the write failure only otherwise.
      const ackChunk = Ack.seal(backend, state.channelKey, state.localNonce, { _tag: "Ack" })
      state.sentBytes += ackChunk.length
      const writeFailure = yield* socket.write(ackChunk).pipe(
        Effect.as(undefined),
        Effect.catch((error) => Effect.succeed(error))
      )
      const answer = yield* Ack.read(backend, state.channelKey, state.remoteNonce, state.reader).pipe(
        Effect.mapError((error) => writeFailure ?? error)
      )
      switch (answer._tag) {
        case "Ack":
          if (writeFailure !== undefined) return yield* writeFailure
          return
        case "NackV0":
          return yield* new RejectedByNack({ motive: "NoMotive", alternativePoints: Option.none() })
        case "Nack":
          return yield* new RejectedByNack({
            motive: answer.motive,
            alternativePoints: Option.some(answer.alternativePoints)
          })
      }
    })

    yield* exchange.pipe(
      withDeadline(budget, () => new HandshakeTimeout({ step: "accept", timeoutMillis })),
      closeOnFailure(socket)
    )
    return yield* Connection.make({
      reader: state.reader,
      channelKey: state.channelKey,
      localNonce: state.localNonce.current,
      remoteNonce: state.remoteNonce.current,
      encoding: messageEncoding,
      handshakeBytes: { sent: state.sentBytes, received: state.reader.consumed() },
      ...(options.incomingQueueSize === undefined ? {} : { incomingQueueSize: options.incomingQueueSize }),
      ...(options.outgoingQueueSize === undefined ? {} : { outgoingQueueSize: options.outgoingQueueSize }),
      ...(options.binaryChunksSize === undefined ? {} : { binaryChunksSize: options.binaryChunksSize }),
      ...(options.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize })
    }).pipe(closeOnFailure(socket))
  }).pipe(Effect.withSpan("Session.accept", undefined, traceOptions))

/**
 * Why {@link nack} refuses the peer.
 *
 * @category models
 * @since 0.1.0
 */
export interface NackOptions {
  /** The motive (see `Rejection`, `Negotiation.select`). Default `NoMotive`. */
  readonly motive?: Rejection.Motive | undefined
  /** Points the peer may try instead (`address:port`); at most 100 are sent, unencodable ones are dropped. */
  readonly alternativePoints?: ReadonlyArray<string> | undefined
}

/**
 * Step 3, no: sends a Nack with the motive and points if the peer announced p2p version > 0
 * (Octez's `Nack_with_list` feature), a bare Nack_v_0 otherwise, then closes the socket. Write
 * errors are ignored, as Octez does: the peer is refused either way. Consumes the authenticated
 * connection.
 *
 * Can fail with ({@link NackError}): `AlreadyUsed`.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Session } from "@effect-p2p/session"
 *
 * const refuse = <Meta>(auth: Session.AuthenticatedConnection<Meta>) =>
 *   Session.nack(auth, { motive: "TooManyConnections", alternativePoints: ["10.0.0.2:9732"] })
 * ```
 */
export const nack = <Meta>(
  auth: AuthenticatedConnection<Meta>,
  options: NackOptions = {}
): Effect.Effect<void, NackError, CryptoBackend> =>
  Effect.gen(function* () {
    const state = yield* claim(auth, "nack")
    const backend = yield* CryptoBackend
    const socket = state.reader.socket
    const message: Ack.AckMessage =
      auth.info.announcedVersion.p2pVersion > 0
        ? { _tag: "Nack", motive: options.motive ?? "NoMotive", alternativePoints: options.alternativePoints ?? [] }
        : { _tag: "NackV0" }
    const budget = yield* remaining(state)
    // `withDeadline`: no timer when the caller keeps the deadline around the whole handshake (an
    // infinite timeout still registers a sleep that never ends, one per Nack). A late or failed
    // write is ignored either way: the socket closes.
    yield* socket.write(Ack.seal(backend, state.channelKey, state.localNonce, message)).pipe(
      withDeadline(budget, () => new HandshakeTimeout({ step: "accept", timeoutMillis: Duration.toMillis(budget) })),
      Effect.ignore,
      Effect.ensuring(socket.close)
    )
  }).pipe(Effect.withSpan("Session.nack", undefined, traceOptions))

/**
 * Whether a value is an authenticated connection that can still be accepted or nacked.
 *
 * @category guards
 * @since 0.1.0
 * @example
 * ```ts
 * import { Session } from "@effect-p2p/session"
 * import { Effect } from "effect"
 *
 * // After `const [info, auth] = yield* Session.authenticate(...)`, auth is pending until accepted or nacked
 * const release = <Meta>(auth: Session.AuthenticatedConnection<Meta>) =>
 *   Session.isPending(auth) ? Session.nack(auth) : Effect.void
 * Session.isPending({}) // false
 * ```
 */
export const isPending = (u: unknown): boolean => {
  if (typeof u !== "object" || u === null) return false
  const state = states.get(u)
  return state !== undefined && state.usedBy === undefined
}
