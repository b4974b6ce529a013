/**
 * `effect-p2p listen`: accepts peers like an Octez node (same handshake, metadata, envelope and
 * nack rules), logs every event, and optionally echoes every message back.
 *
 * @since 0.1.0
 */
import type * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as IoScheduler from "@effect-p2p/connection/IoScheduler"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Listener from "@effect-p2p/node/Listener"
import * as Tcp from "@effect-p2p/node/Tcp"
import type * as TcpSession from "@effect-p2p/node/TcpSession"
import * as WebSocket from "@effect-p2p/node/WebSocket"
import type * as Metadata from "@effect-p2p/session/Metadata"
import { Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import { defaults } from "./Defaults.ts"
import * as Output from "./Output.ts"
import * as SessionFlags from "./SessionFlags.ts"

const portSchema = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))

/**
 * Text and JSON lines for the listener's lifecycle events.
 *
 * @example
 * ```ts
 * import { ListenCommand, Output } from "@effect-p2p/cli"
 * const onEvent = ListenCommand.reportEvent(Output.make(true))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const reportEvent =
  (print: ReturnType<typeof Output.make>) =>
  (event: Listener.Event): Effect.Effect<void> => {
    const remote = Tcp.formatEndpoint(event.remote)
    switch (event._tag) {
      case "Refused":
        return print({ event: "refused", remote, reason: event.reason }, `refused ${remote}: ${event.reason}`)
      case "HandshakeFailed":
        return print(
          { event: "handshake_failed", remote, error: event.error, message: event.message },
          `handshake with ${remote} failed: ${event.message}`
        )
      case "Accepted":
        return print(
          {
            event: "accepted",
            remote,
            peer_id: event.peerId,
            version: Output.versionJson(event.version),
            announced_version: Output.versionJson(event.announcedVersion)
          },
          `accepted ${event.peerId} from ${remote}, version ${Output.version(event.version)}`
        )
      case "Closed":
        return print(
          { event: "closed", remote, peer_id: event.peerId, reason: event.reason, stats: Output.statJson(event.stat) },
          `closed ${event.peerId}: ${event.reason}; ${Output.stat(event.stat)}`
        )
    }
  }

const serve =
  (print: ReturnType<typeof Output.make>, echo: boolean) =>
  (peer: TcpSession.Peer<Metadata.OctezMetadata, P2pMessage.Envelope>) => {
    const peerId = PeerId.toBase58(peer.info.peerId)
    const one = Effect.gen(function* () {
      const [size, message] = yield* peer.connection.read
      yield* print(
        { event: "message", peer_id: peerId, size, tag: message.tag, body: Output.hex(message.body) },
        `${peerId} sent tag 0x${message.tag.toString(16).padStart(4, "0")}, ${size} bytes: ${Output.hex(message.body)}`
      )
      if (echo) yield* peer.connection.write(message)
    })
    // The peer closing is the normal end; any other read error (garbled data) closes with its reason.
    return Effect.forever(one).pipe(Effect.catchTag("ConnectionClosed", () => Effect.void))
  }

/**
 * The `listen` command.
 *
 * @example
 * ```ts
 * import { ListenCommand } from "@effect-p2p/cli"
 * ListenCommand.command // effect-p2p listen --port 9732 --ws-port 9733 --identity identity.json --echo
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const command = Command.make(
  "listen",
  {
    ...SessionFlags.flags,
    port: Flag.Int("port").pipe(
      Flag.withSchema(portSchema),
      Flag.withDescription("TCP port (0 picks a free one; the bound port is printed)")
    ),
    host: Flag.String("host").pipe(Flag.withDescription("address to bind (default: all)"), Flag.optional),
    wsPort: Flag.Int("ws-port").pipe(
      Flag.withSchema(portSchema),
      Flag.withDescription("also accept WebSocket peers (browsers) on this port, beside TCP"),
      Flag.optional
    ),
    echo: Flag.Boolean("echo").pipe(Flag.withDescription("write every message back"), Flag.withDefault(false)),
    maxConnections: Flag.Int("max-connections").pipe(
      Flag.withDescription("connections in any state, handshakes included"),
      Flag.withDefault(defaults.maxConnections)
    ),
    maxDownloadSpeed: Flag.Int("max-download-speed").pipe(
      Flag.withDescription("global download limit in KiB/s, shared fairly by all peers (as Octez's flag)"),
      Flag.optional
    ),
    maxUploadSpeed: Flag.Int("max-upload-speed").pipe(
      Flag.withDescription("global upload limit in KiB/s, shared fairly by all peers (as Octez's flag)"),
      Flag.optional
    )
  },
  Effect.fn(function* (input) {
    const session = yield* SessionFlags.sessionOptions(input)
    if (input.maxConnections < 1) return yield* CliFailure.fail("--max-connections must be at least 1")
    const kibPerSecond = (name: string, value: Option.Option<number>) =>
      Option.isSome(value) && value.value < 1
        ? CliFailure.fail(`--${name} must be at least 1 (KiB/s)`)
        : Effect.succeed(Option.map(value, (kib) => kib * 1024))
    const download = yield* kibPerSecond("max-download-speed", input.maxDownloadSpeed)
    const upload = yield* kibPerSecond("max-upload-speed", input.maxUploadSpeed)
    const print = Output.make(input.json)
    const options = {
      ...session,
      port: input.port,
      host: Option.getOrUndefined(input.host),
      maxConnections: input.maxConnections,
      onEvent: reportEvent(print)
    }
    // One scheduler for both transports, so the bandwidth limits are shared by every peer.
    const scheduler = yield* IoScheduler.make({
      ...(Option.isSome(download) ? { maxDownloadSpeed: download.value } : {}),
      ...(Option.isSome(upload) ? { maxUploadSpeed: upload.value } : {})
    })
    const listener = yield* Listener.make(options, serve(print, input.echo)).pipe(
      Effect.provideService(IoScheduler.IoScheduler, scheduler),
      CliFailure.orFail(CliFailure.ExitCode.network)
    )
    const peerId = PeerId.toBase58(session.identity.peerId)
    const { host, port } = listener.address
    yield* print(
      { event: "listening", host, port, peer_id: peerId, chain_name: input.chainName, expected_pow: input.expectedPow },
      `listening on ${Tcp.formatEndpoint(listener.address)} as ${peerId} (chain ${input.chainName}, expected proof of work ${input.expectedPow})`
    )
    if (Option.isSome(input.wsPort)) {
      const ws = yield* WebSocket.listen({ port: input.wsPort.value, host: options.host }).pipe(
        Effect.flatMap((server) => Listener.fromServer(server, options, serve(print, input.echo))),
        Effect.provideService(IoScheduler.IoScheduler, scheduler),
        CliFailure.orFail(CliFailure.ExitCode.network)
      )
      yield* print(
        { event: "listening_ws", host: ws.address.host, port: ws.address.port, peer_id: peerId },
        `listening for WebSocket peers on ws://${Tcp.formatEndpoint(ws.address)}/ as ${peerId}`
      )
    }
    return yield* Effect.never
  }, Effect.scoped)
).pipe(Command.withDescription("Accept peers and log sessions and messages (Ctrl-C to stop)"))
