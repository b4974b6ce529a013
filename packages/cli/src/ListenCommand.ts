/**
 * `effect-p2p listen`: accepts peers like an Octez node (same handshake, metadata, envelope and
 * nack rules), logs every event, and optionally echoes every message back.
 *
 * @since 0.1.0
 */
import * as Binary from "@effect-p2p/codec/Binary"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as IoScheduler from "@effect-p2p/connection/IoScheduler"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Listener from "@effect-p2p/node/Listener"
import * as Tcp from "@effect-p2p/node/Tcp"
import type * as TcpSession from "@effect-p2p/node/TcpSession"
import * as WebSocket from "@effect-p2p/node/WebSocket"
import type * as Metadata from "@effect-p2p/session/Metadata"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import { defaults } from "./Defaults.ts"
import * as Flags from "./Flags.ts"
import * as Host from "./Host.ts"
import * as Output from "./Output.ts"
import * as SessionFlags from "./SessionFlags.ts"
import * as Signals from "./Signals.ts"
import * as Stopping from "./Stopping.ts"

/**
 * Defaults of the listener's own flags.
 *
 * @example
 * ```ts
 * import { ListenCommand } from "@effect-p2p/cli"
 * ListenCommand.listenDefaults.maxMessageSize // 4194304
 * ```
 * @category constants
 * @since 0.1.0
 */
export const listenDefaults = {
  /** Octez's default P2P port. */
  port: 9732,
  /**
   * Largest message a peer may send: 4 MiB, a fifth of what one connection may hold, so that a
   * message in reassembly plus one queued each way stay within the per-connection bound.
   */
  maxMessageSize: 4 * 1024 * 1024,
  backlog: Listener.defaultBacklog,
  /** Seconds from SIGINT or SIGTERM to the exit; what is not flushed by then is dropped. */
  stopTimeout: Signals.defaultStopMillis / 1000
} as const

/** The smallest P2p envelope: a 4-byte length and a 2-byte tag. */
const smallestEnvelope = 6

/** Time kept at the end of a stop for closing without flushing and logging each close. */
const settleMillis = 500

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

/** Logs every message (its first 64 bytes at most) and, with `echo`, writes it back. */
const serve =
  (print: ReturnType<typeof Output.make>, echo: boolean, stopping: Stopping.Stopping) =>
  (peer: TcpSession.Peer<Metadata.OctezMetadata, P2pMessage.Envelope>) => {
    const peerId = PeerId.toBase58(peer.info.peerId)
    // Reads, logs and (with echo) encodes one message. Only the encoding leaves this effect, so while
    // the echo waits for room (a peer that does not read) the decoded message is already garbage:
    // one copy of it is held, not two.
    const receive = Effect.gen(function* () {
      const [size, message] = yield* peer.connection.read
      const body = Output.hexPrefix(message.body)
      const truncated = message.body.length > Output.hexPrefixBytes
      yield* print(
        { event: "message", peer_id: peerId, size, tag: message.tag, body, truncated },
        `${peerId} sent tag 0x${message.tag.toString(16).padStart(4, "0")}, ${size} bytes: ${body}`
      )
      return echo ? yield* Effect.fromResult(Binary.encode(P2pMessage.envelope, message)) : undefined
    })
    const one = Effect.flatMap(receive, (encoded) =>
      encoded === undefined ? Effect.void : peer.connection.writeEncoded(encoded)
    )
    // The peer closing is the normal end; any other read error (garbled data) closes with its reason.
    return stopping.serve(
      peer.connection,
      Effect.forever(one).pipe(Effect.catchTag("ConnectionClosed", () => Effect.void))
    )
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
    port: Flags.withDefault(
      Flags.integer("port", 0, 65535),
      "TCP port (0 picks a free one; the bound port is printed)",
      listenDefaults.port
    ),
    host: Flags.optional(Flag.String("host"), "address to bind", "every interface"),
    wsPort: Flags.optional(
      Flags.integer("ws-port", 0, 65535),
      "also accept WebSocket peers (browsers) on this port, beside TCP",
      "TCP only"
    ),
    echo: Flags.withDefault(Flag.Boolean("echo"), "write every message back", false, "off"),
    maxConnections: Flags.withDefault(
      Flags.integer("max-connections", 1),
      "connections in any state, handshakes included",
      defaults.maxConnections
    ),
    maxMessageSize: Flags.withDefault(
      Flags.integer("max-message-size", smallestEnvelope, P2pMessage.maxSize),
      "largest message a peer may send, in bytes (length prefix, tag and body); a larger one closes its connection",
      listenDefaults.maxMessageSize,
      `${listenDefaults.maxMessageSize} = 4 MiB`
    ),
    backlog: Flags.withDefault(
      Flags.integer("backlog", 1, 65535),
      "connections the kernel queues before they are accepted (capped by net.core.somaxconn)",
      listenDefaults.backlog
    ),
    maxConnectionBytes: Flags.withDefault(
      Flags.integer("max-connection-bytes", 64 * 1024),
      "bytes one connection's queues may hold (each message charged its size plus a measured overhead); a full connection stops reading its socket",
      IoScheduler.defaultPerConnectionBytes,
      `${IoScheduler.defaultPerConnectionBytes} = 20 MiB`
    ),
    maxTotalBytes: Flags.withDefault(
      Flags.integer("max-total-bytes", 64 * 1024),
      "bytes all connections' queues may hold together; when reached, the connections holding the most stop reading first",
      IoScheduler.defaultTotalBytes,
      `${IoScheduler.defaultTotalBytes} = 512 MiB`
    ),
    maxDownloadSpeed: Flags.optional(
      Flags.integer("max-download-speed", 1),
      "global download limit in KiB/s, shared fairly by all peers (as Octez's flag)",
      "unlimited"
    ),
    maxUploadSpeed: Flags.optional(
      Flags.integer("max-upload-speed", 1),
      "global upload limit in KiB/s, shared fairly by all peers (as Octez's flag)",
      "unlimited"
    ),
    stopTimeout: Flags.withDefault(
      Flags.number("stop-timeout", 0.5, 3600),
      "seconds from SIGINT or SIGTERM to the exit; what peers have not read by then is dropped",
      listenDefaults.stopTimeout
    )
  },
  Effect.fn(function* (input) {
    const host = Option.getOrUndefined(input.host)
    if (host !== undefined) {
      yield* Effect.fromResult(Host.validate(host)).pipe(
        Effect.mapError(
          (reason) => new CliFailure.CliFailure({ reason: `--host: ${reason}`, exitCode: CliFailure.ExitCode.input })
        )
      )
    }
    const session = yield* SessionFlags.sessionOptions(input)
    const stopMillis = input.stopTimeout * 1000
    yield* Signals.setStopMillis(stopMillis)
    const print = Output.make(input.json)
    const stopping = yield* Stopping.make
    const onEvent = reportEvent(print)
    const options = {
      ...session,
      connection: { maxMessageSize: input.maxMessageSize },
      port: input.port,
      host,
      backlog: input.backlog,
      maxConnections: input.maxConnections,
      onEvent: (event: Listener.Event) =>
        Effect.andThen(
          onEvent(event),
          event._tag === "Accepted" ? stopping.accepted : event._tag === "Closed" ? stopping.closed : Effect.void
        )
    }
    // One scheduler for both transports: the bandwidth limits and the memory budget cover every peer.
    const kib = (value: Option.Option<number>) => Option.map(value, (k) => k * 1024)
    const scheduler = yield* IoScheduler.make({
      perConnectionBytes: input.maxConnectionBytes,
      totalBytes: input.maxTotalBytes,
      ...Option.match(kib(input.maxDownloadSpeed), { onNone: () => ({}), onSome: (b) => ({ maxDownloadSpeed: b }) }),
      ...Option.match(kib(input.maxUploadSpeed), { onNone: () => ({}), onSome: (b) => ({ maxUploadSpeed: b }) })
    })
    // `kill -USR2 <pid>` prints what the process holds, after a full collection when Node runs with --expose-gc.
    // Set up before the listening event, so a signal sent once the pid is printed never meets Node's default (exit).
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        const onSignal = () =>
          Effect.runFork(print(...memoryEvent(scheduler.queuedBytes(), scheduler.peakQueuedBytes())))
        process.on("SIGUSR2", onSignal)
        return onSignal
      }),
      (onSignal) => Effect.sync(() => process.off("SIGUSR2", onSignal))
    )
    const handler = serve(print, input.echo, stopping)
    const listener = yield* Listener.make(options, handler).pipe(
      Effect.provideService(IoScheduler.IoScheduler, scheduler),
      CliFailure.orFail(CliFailure.ExitCode.network)
    )
    const peerId = PeerId.toBase58(session.identity.peerId)
    const address = listener.address
    yield* print(
      {
        event: "listening",
        host: address.host,
        port: address.port,
        pid: process.pid,
        peer_id: peerId,
        chain_name: input.chainName,
        expected_pow: input.expectedPow
      },
      `listening on ${Tcp.formatEndpoint(address)} as ${peerId} (chain ${input.chainName}, expected proof of work ${input.expectedPow}; pid ${process.pid})`
    )
    if (Option.isSome(input.wsPort)) {
      const ws = yield* WebSocket.listen({ port: input.wsPort.value, host, backlog: input.backlog }).pipe(
        Effect.flatMap((server) => Listener.fromServer(server, options, handler)),
        Effect.provideService(IoScheduler.IoScheduler, scheduler),
        CliFailure.orFail(CliFailure.ExitCode.network)
      )
      yield* print(
        { event: "listening_ws", host: ws.address.host, port: ws.address.port, peer_id: peerId },
        `listening for WebSocket peers on ws://${Tcp.formatEndpoint(ws.address)}/ as ${peerId}`
      )
    }
    const limits = scheduler.limits
    yield* print(
      {
        event: "limits",
        perConnectionBytes: limits.perConnectionBytes,
        totalBytes: limits.totalBytes,
        maxMessageSize: input.maxMessageSize,
        maxConnections: input.maxConnections,
        backlog: input.backlog
      },
      `limits: at most ${Output.bytes(limits.perConnectionBytes)} held per connection and ${Output.bytes(limits.totalBytes)} in all; messages up to ${Output.bytes(input.maxMessageSize)}; ${input.maxConnections} connections; backlog ${input.backlog}`
    )
    // Added last, so it runs first when the scope closes: while the listeners still serve.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        const signal = yield* Signals.current
        const why = Option.match(signal, { onNone: () => "listener stopped", onSome: (s) => `stopped by ${s}` })
        const flushMillis = Math.max(0, stopMillis - settleMillis)
        const result = yield* stopping.stop({
          reason: why,
          droppedReason: `${why}; what the peer had not read within ${Output.duration(flushMillis)} was dropped`,
          flushMillis,
          settleMillis
        })
        yield* print(
          { event: "stopped", reason: why, connections: result.open, dropped: result.dropped },
          result.dropped === 0
            ? `${why}: ${result.open} connections closed`
            : `${why}: ${result.open} connections closed; ${result.dropped} of them had not read everything within ${Output.duration(flushMillis)}, and the rest was dropped`
        )
      })
    )
    return yield* Effect.never
  }, Effect.scoped)
).pipe(Command.withDescription("Accept peers and log sessions and messages (SIGINT or SIGTERM to stop)"))

/**
 * The `memory` event: heap and array buffers (where socket data and queued messages live), and
 * what the queues account for (`queuedBytes`, bounded by the host budget; `peakQueuedBytes`, the
 * most they ever accounted for).
 */
const memoryEvent = (queuedBytes: number, peakQueuedBytes: number): [Output.Event, string] => {
  const gc = (globalThis as { readonly gc?: () => void }).gc
  gc?.()
  const usage = process.memoryUsage()
  const held = usage.heapUsed + usage.arrayBuffers
  return [
    {
      event: "memory",
      held_bytes: held,
      heap_used: usage.heapUsed,
      array_buffers: usage.arrayBuffers,
      rss: usage.rss,
      queued_bytes: queuedBytes,
      peak_queued_bytes: peakQueuedBytes,
      after_gc: gc !== undefined
    },
    `memory: ${Output.bytes(held)} held (heap ${Output.bytes(usage.heapUsed)}, array buffers ${Output.bytes(usage.arrayBuffers)}), rss ${Output.bytes(usage.rss)}, ${Output.bytes(queuedBytes)} accounted in queues (at most ${Output.bytes(peakQueuedBytes)} so far)${gc === undefined ? "" : ", after a full collection"}`
  ]
}
