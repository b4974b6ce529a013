/**
 * The pool's connect handler (`@effect-p2p/pool/ConnectHandler`) with the checks of a bare session
 * (the expected peer id, then the version), for `TcpSession`, `Listener`, `Dialer` and
 * `WebSocketDialer`: one handshake sequence for the pool and for them.
 */
import { spanOptions as traceOptions } from "@effect-p2p/connection/Trace"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ConnectHandler from "@effect-p2p/pool/ConnectHandler"
import type * as Session from "@effect-p2p/session/Session"
import { Effect, type Result, type Scope } from "effect"
import type { TcpSocket } from "../Tcp.ts"
import { UnexpectedPeerId } from "../TcpError.ts"
import type { EstablishError, OptionsError, Peer, SessionOptions } from "../TcpSession.ts"

/** The handler for these options; fails with `InvalidDifficulty` or `InvalidVersions`. */
export const handlerOf = <Meta, Msg>(
  options: SessionOptions<Meta, Msg>
): Result.Result<ConnectHandler.ConnectHandler<Meta, Msg>, OptionsError> => ConnectHandler.make(options)

/** Octez's `expected_peer_id` (a bare Nack, then `UnexpectedPeerId`), then the version. */
const expecting =
  <Meta>(supported: SessionOptions<Meta, unknown>["supported"], expected: string) =>
  (info: Session.ConnectionInfo<Meta>): Effect.Effect<ConnectHandler.Verdict<UnexpectedPeerId>> => {
    const actual = PeerId.toBase58(info.peerId)
    return Effect.succeed(
      actual === expected
        ? ConnectHandler.selectVersion(supported, info.announcedVersion)
        : { _tag: "Refuse", error: new UnexpectedPeerId({ expected, actual }), nack: true }
    )
  }

/** Runs the handler on one connection and returns the peer with both endpoints. */
export const establish = <Meta, Msg>(
  handler: ConnectHandler.ConnectHandler<Meta, Msg>,
  tcp: TcpSocket,
  options: SessionOptions<Meta, Msg>,
  role: { readonly incoming: boolean; readonly listeningPort?: number | undefined }
): Effect.Effect<Peer<Meta, Msg>, EstablishError, CryptoBackend | Scope.Scope> =>
  handler
    .run(tcp, {
      incoming: role.incoming,
      listeningPort: role.listeningPort,
      timeout: options.timeout,
      check: options.expectedPeerId === undefined ? undefined : expecting(options.supported, options.expectedPeerId)
    })
    .pipe(
      Effect.map(
        ({ info, version, connection }): Peer<Meta, Msg> => ({
          info,
          version,
          connection,
          local: tcp.local,
          remote: tcp.remote
        })
      ),
      Effect.withSpan("TcpSession.establish", undefined, traceOptions)
    )
