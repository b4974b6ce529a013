/**
 * Dials a peer over TCP and runs the session with the pool's connect handler
 * (`@effect-p2p/pool/ConnectHandler`): the result is an accepted peer with an open message
 * connection, scoped (Octez's outgoing connection: TCP connect, authenticate, checks and `policy`,
 * Ack or Nack). A pool's `connect` runs the same handler with its own checks.
 *
 * @since 0.1.0
 */

import { spanOptions as traceOptions } from "@effect-p2p/connection/Trace"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import { type Duration, Effect, type Scope } from "effect"
import * as Handshake from "./internal/handshake.ts"
import * as Tcp from "./Tcp.ts"
import type { TcpError } from "./TcpError.ts"
import type * as TcpSession from "./TcpSession.ts"

/**
 * Options of {@link connect}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<Meta, Msg> extends TcpSession.SessionOptions<Meta, Msg>, Tcp.Endpoint {
  /** The port we accept connections on, announced to the peer (default: none). */
  readonly listeningPort?: number | undefined
  /** Longest wait for the TCP connection, then again for the handshake. Default 10 s each (Octez `connection_timeout`). */
  readonly timeout?: Duration.Input | undefined
}

/**
 * What {@link connect} can fail with: `TcpError` and everything `TcpSession.establish` can.
 *
 * @category errors
 * @since 0.2.0
 */
export type ConnectError = TcpError | TcpSession.EstablishError

/**
 * Connects, authenticates and accepts. The connection closes with the scope. Can fail with
 * {@link ConnectError}: `InvalidDifficulty` / `InvalidVersions` (bad options, before dialling),
 * `TcpError` (unreachable, refused, timed out), the session's errors (`NotEnoughProofOfWork`,
 * `RejectedByNack`, `HandshakeTimeout`, `DecipherError`, `Myself`, ...), `Rejected` (we nacked
 * the peer: other chain or no common version) and `UnexpectedPeerId`.
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * import type { Identity } from "@effect-p2p/crypto"
 * import { Dialer } from "@effect-p2p/node"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect } from "effect"
 *
 * const program = (identity: Identity.Identity) => Effect.scoped(Effect.gen(function*() {
 *   const peer = yield* Dialer.connect({
 *     host: "127.0.0.1", port: 9732, identity, expectedPow: 26,
 *     supported: { chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
 *     metadata: { disableMempool: false, privateNode: false }, metadataEncoding: Metadata.octez,
 *     messageEncoding: P2pMessage.envelope
 *   })
 *   yield* peer.connection.write({ tag: 0x10, body: new Uint8Array() })
 *   return yield* peer.connection.read
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const connect = <Meta, Msg>(
  options: Options<Meta, Msg>
): Effect.Effect<TcpSession.Peer<Meta, Msg>, ConnectError, CryptoBackend | Scope.Scope> =>
  Effect.gen(function* () {
    // Bad options fail before dialling.
    const handler = yield* Effect.fromResult(Handshake.handlerOf(options))
    const tcp = yield* Tcp.connect({
      host: options.host,
      port: options.port,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout })
    })
    return yield* Handshake.establish(handler, tcp, options, { incoming: false, listeningPort: options.listeningPort })
  }).pipe(Effect.withSpan("Dialer.connect", undefined, traceOptions))
