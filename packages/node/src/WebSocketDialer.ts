/**
 * Dials a peer over a WebSocket (a listener's `--ws-port`, or a bridge in front of a TCP peer) and
 * runs the session on it: the same handshake as `Dialer` (the pool's connect handler), on binary
 * frames instead of TCP.
 *
 * @since 0.1.0
 */
import type { WebSocketError } from "@effect-p2p/connection/WebSocketByteSocket"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import { type Duration, Effect, type Scope } from "effect"
import * as Handshake from "./internal/handshake.ts"
import type * as TcpSession from "./TcpSession.ts"
import * as WebSocket from "./WebSocket.ts"

/**
 * Options of {@link connect}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<Meta, Msg> extends TcpSession.SessionOptions<Meta, Msg> {
  /** `ws://host:port/path`; through a bridge, the path picks the target (`/HOST:PORT`). */
  readonly url: string
  /** Longest wait for the socket to open. Default 10 seconds. */
  readonly openTimeout?: Duration.Input | undefined
  /** Mask frames as browsers do (see `WebSocket.ConnectOptions.maskFrames`). Default false. */
  readonly maskFrames?: boolean | undefined
}

/** `{ host, port }` of a ws:// or wss:// URL, for the peer's `remote` endpoint. */
const endpointOf = (url: string) => {
  try {
    const parsed = new URL(url)
    const port = parsed.port === "" ? (parsed.protocol === "wss:" ? 443 : 80) : Number(parsed.port)
    return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port }
  } catch {
    return { host: url, port: 0 }
  }
}

/**
 * Opens the WebSocket, authenticates and accepts. Closes with the scope. Can fail with
 * `WebSocketError` (cannot open), the session's errors, `Rejected` and `UnexpectedPeerId`.
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * import { type Identity, ProofOfWork } from "@effect-p2p/crypto"
 * import { WebSocketDialer } from "@effect-p2p/node"
 * import { Metadata } from "@effect-p2p/session"
 * import { Effect } from "effect"
 *
 * const program = (identity: Identity.Identity) => Effect.scoped(Effect.gen(function*() {
 *   const peer = yield* WebSocketDialer.connect({
 *     url: "ws://127.0.0.1:9733/", identity, expectedPow: 26,
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
): Effect.Effect<TcpSession.Peer<Meta, Msg>, WebSocketError | TcpSession.EstablishError, CryptoBackend | Scope.Scope> =>
  Effect.gen(function* () {
    // Bad options fail before the socket is opened.
    const handler = yield* Effect.fromResult(Handshake.handlerOf(options))
    const socket = yield* WebSocket.connect({
      url: options.url,
      maskFrames: options.maskFrames,
      ...(options.openTimeout === undefined ? {} : { openTimeout: options.openTimeout })
    })
    const tcp = { socket, local: { host: "", port: 0 }, remote: endpointOf(options.url), abort: socket.close }
    return yield* Handshake.establish(handler, tcp, options, { incoming: false })
  })
