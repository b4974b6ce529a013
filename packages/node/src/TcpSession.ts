/**
 * One session over one TCP connection (or any byte socket with its endpoints), run by the pool's
 * connect handler (`@effect-p2p/pool/ConnectHandler`, the one `Pool` uses): authenticate, check the
 * expected peer id, select the version (`Negotiation.select`), ask the application's `policy`,
 * then Ack, or Nack with the motive. What `Listener`, `Dialer` and `WebSocketDialer` share: the
 * options, the accepted {@link Peer}, the errors, and {@link establish} for a socket of your own.
 *
 * @since 0.1.0
 */
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import type * as Connection from "@effect-p2p/connection/Connection"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { InvalidDifficulty } from "@effect-p2p/crypto/CryptoError"
import type * as ConnectHandler from "@effect-p2p/pool/ConnectHandler"
import type * as Session from "@effect-p2p/session/Session"
import type {
  AcceptError,
  AlreadyUsed,
  AuthenticateError,
  InvalidVersions,
  Rejected
} from "@effect-p2p/session/SessionError"
import { type Duration, Effect, Result, type Scope } from "effect"
import * as Handshake from "./internal/handshake.ts"
import type { Endpoint, TcpSocket } from "./Tcp.ts"
import type { UnexpectedPeerId } from "./TcpError.ts"

/**
 * What both ends of a session are configured with: the connect handler's settings
 * (`ConnectHandler.Settings`: identity, `expectedPow` (0 to 256, Octez nodes use 26), `supported`,
 * metadata and its encoding, the message encoding, the connection's queue and chunk sizes, and the
 * application's `policy`, asked after the checks and before the Ack), plus the session's own checks.
 *
 * @category models
 * @since 0.1.0
 */
export interface SessionOptions<Meta, Msg> extends ConnectHandler.Settings<Meta, Msg> {
  /** Budget of the handshake (default 5 s incoming, 10 s outgoing, as Octez). */
  readonly timeout?: Duration.Input | undefined
  /**
   * The peer id (base58, `idt…`) the peer must have, as Octez's `expected_peer_id`: checked after
   * authentication, before Ack; another id is nacked and fails with `UnexpectedPeerId`. A browser
   * pins its target's id so that a bridge cannot sit in the middle.
   */
  readonly expectedPeerId?: string | undefined
}

/**
 * An accepted peer: what the handshake learned, the negotiated version and the open connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface Peer<Meta, Msg> {
  readonly info: Session.ConnectionInfo<Meta>
  /** Our chain name with the selected distributed-db and p2p versions. */
  readonly version: NetworkVersion
  readonly connection: Connection.Connection<Msg>
  readonly local: Endpoint
  readonly remote: Endpoint
}

/**
 * What {@link validateOptions} refuses: an `expectedPow` outside 0..256, a version list that is
 * empty or holds something other than a uint16.
 *
 * @category errors
 * @since 0.2.0
 */
export type OptionsError = InvalidDifficulty | InvalidVersions

/**
 * What {@link establish} can fail with: bad options, the errors of `Session.authenticate` and
 * `Session.accept` (but `AlreadyUsed`: the authenticated connection is used once, here),
 * `Rejected` when we nacked the peer, `UnexpectedPeerId` when the peer is not `expectedPeerId`.
 *
 * @category errors
 * @since 0.2.0
 */
export type EstablishError =
  | OptionsError
  | Exclude<AuthenticateError | AcceptError, AlreadyUsed>
  | Rejected
  | UnexpectedPeerId

/**
 * Checks the options before any socket is opened: `expectedPow` (`InvalidDifficulty`) and the
 * version lists of `supported` (`InvalidVersions`).
 *
 * @example
 * ```ts
 * import { TcpSession } from "@effect-p2p/node"
 * import type { Identity } from "@effect-p2p/crypto"
 * import { Encoding } from "@effect-p2p/codec"
 *
 * const check = (identity: Identity.Identity) =>
 *   TcpSession.validateOptions({
 *     identity, expectedPow: 300,
 *     supported: { chainName: "C", distributedDbVersions: [0], p2pVersions: [1] },
 *     metadata: new Uint8Array(0), metadataEncoding: Encoding.Fixed.bytes(0), messageEncoding: Encoding.bytes
 *   }) // Result.fail(InvalidDifficulty)
 * ```
 * @category constructors
 * @since 0.2.0
 */
export const validateOptions = <Meta, Msg>(
  options: SessionOptions<Meta, Msg>
): Result.Result<SessionOptions<Meta, Msg>, OptionsError> => Result.map(Handshake.handlerOf(options), () => options)

/**
 * Runs the handshake over an open TCP connection with the pool's connect handler and returns the
 * peer; the connection closes with the scope. Can fail with {@link EstablishError}: bad options
 * ({@link validateOptions}), the errors of `Session.authenticate` and `Session.accept`, `Rejected`
 * when we nacked the peer (other chain, no common version, or the `policy`'s motive), and
 * `UnexpectedPeerId` when `expectedPeerId` is set and the peer has another id (nacked too).
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * import type { Identity } from "@effect-p2p/crypto"
 * import { Tcp, TcpSession } from "@effect-p2p/node"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect } from "effect"
 *
 * const dial = (identity: Identity.Identity) => Effect.scoped(Effect.gen(function*() {
 *   const tcp = yield* Tcp.connect({ host: "127.0.0.1", port: 9732 })
 *   const peer = yield* TcpSession.establish(tcp, {
 *     identity, expectedPow: 26,
 *     supported: { chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
 *     metadata: { disableMempool: false, privateNode: false }, metadataEncoding: Metadata.octez,
 *     messageEncoding: P2pMessage.envelope
 *   }, { incoming: false })
 *   return peer.version // e.g. { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const establish = <Meta, Msg>(
  tcp: TcpSocket,
  options: SessionOptions<Meta, Msg>,
  role: { readonly incoming: boolean; readonly listeningPort?: number | undefined }
): Effect.Effect<Peer<Meta, Msg>, EstablishError, CryptoBackend | Scope.Scope> =>
  Effect.flatMap(Effect.fromResult(Handshake.handlerOf(options)), (handler) =>
    Handshake.establish(handler, tcp, options, role)
  )
