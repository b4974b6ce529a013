/**
 * `effect-p2p node`: runs a pool (`@effect-p2p/pool`) over TCP as an Octez node's P2P layer does:
 * listens, dials its bootstrap points and trusted peers, learns points through Bootstrap /
 * Advertise, proposes a swap every maintenance period (`maintenance-idle-time`, 120 s), prints every
 * pool event under its Octez name, and on SIGINT / SIGTERM closes every connection and saves the
 * peers file.
 *
 * Application messages (tags from 0x10) are printed, not interpreted.
 *
 * @since 0.1.0
 */
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CodecPoint from "@effect-p2p/codec/Point"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as PeersFile from "@effect-p2p/node/PeersFile"
import * as TcpTransport from "@effect-p2p/node/TcpTransport"
import * as Limits from "@effect-p2p/pool/Limits"
import * as Pool from "@effect-p2p/pool/Pool"
import { Duration, Effect, Layer, Option, Result, Schedule, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import * as Flags from "./Flags.ts"
import * as Host from "./Host.ts"
import * as Output from "./Output.ts"
import * as SessionFlags from "./SessionFlags.ts"

/**
 * How often the node asks its peers for points while it has fewer connections than the
 * maintenance minimum (Octez's `time_between_looking_for_peers`, 5 s).
 *
 * @category constants
 * @since 0.1.0
 */
export const lookForPeersEvery: Duration.Duration = Duration.seconds(5)

const inputFailure = (reason: string) => new CliFailure.CliFailure({ reason, exitCode: CliFailure.ExitCode.input })

/**
 * Parses `HOST:PORT` or `HOST:PORT#PEER_ID` (Octez's `--peer` notation).
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { NodeCommand } from "@effect-p2p/cli"
 * NodeCommand.parsePeer("127.0.0.1:9732") // Result.succeed({ point: "127.0.0.1:9732" })
 * ```
 */
export const parsePeer = (text: string): Result.Result<Pool.TrustedPoint, string> => {
  const hash = text.indexOf("#")
  const pointText = hash < 0 ? text : text.slice(0, hash)
  const parsed = CodecPoint.parse(pointText)
  if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
  if (parsed.success.port === 0) return Result.fail(`port 0 in "${text}"`)
  const point = CodecPoint.format(parsed.success.host, parsed.success.port)
  if (hash < 0) return Result.succeed({ point })
  const id = text.slice(hash + 1)
  if (Result.isFailure(PeerId.fromBase58(id))) return Result.fail(`invalid peer id "${id}"`)
  return Result.succeed({ point, expectedPeerId: id })
}

const textOf = (e: Pool.Event): string =>
  [
    e.event,
    e.point,
    e.peerId,
    e.incoming === undefined ? undefined : e.incoming ? "incoming" : "outgoing",
    e.count === undefined ? undefined : `${e.count}`,
    e.reason === undefined ? undefined : `(${e.reason})`
  ]
    .filter((part) => part !== undefined)
    .join(" ")

const jsonOf = (e: Pool.Event): Output.Event => ({
  event: e.event,
  ...(e.point === undefined ? {} : { point: e.point }),
  ...(e.peerId === undefined ? {} : { peer_id: e.peerId }),
  ...(e.incoming === undefined ? {} : { incoming: e.incoming }),
  ...(e.count === undefined ? {} : { count: e.count }),
  ...(e.reason === undefined ? {} : { reason: e.reason })
})

/**
 * The `node` command.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { NodeCommand } from "@effect-p2p/cli"
 * NodeCommand.command // effect-p2p node --port 9732 --identity identity.json --bootstrap 10.0.0.1:9732
 * ```
 */
export const command = Command.make(
  "node",
  {
    ...SessionFlags.flags,
    port: Flags.withDefault(Flags.integer("port", 0, 65535), "TCP port to listen on (0 picks a free one)", 9732),
    host: Flags.withDefault(Flag.String("host"), "address to bind", "0.0.0.0"),
    bootstrap: Flag.String("bootstrap").pipe(
      Flag.withDescription(
        "a bootstrap point HOST:PORT, trusted and dialled at start; repeat the flag for more (default: none)"
      ),
      Flag.atLeast(0)
    ),
    peer: Flag.String("peer").pipe(
      Flag.withDescription(
        "a trusted peer HOST:PORT or HOST:PORT#PEER_ID, dialled at start; repeatable (default: none)"
      ),
      Flag.atLeast(0)
    ),
    privateMode: Flags.withDefault(
      Flag.Boolean("private-mode"),
      "only trusted points and peers connect, and our point is never advertised",
      false,
      "off"
    ),
    connections: Flags.optional(
      Flags.integer("connections", 1, 100),
      "scales the connection limits as Octez's --connections (min N/2, expected N, max 3N/2)",
      "min 10, expected 50, max 100"
    ),
    peersFile: Flags.optional(
      Flag.String("peers-file"),
      "known peers, loaded at start and saved at stop (Octez's peers.json)",
      "none"
    )
  },
  Effect.fn(function* (input) {
    yield* Effect.fromResult(Host.validate(input.host)).pipe(Effect.mapError((r) => inputFailure(`--host: ${r}`)))
    const trusted: Array<Pool.TrustedPoint> = []
    for (const [flag, values] of [
      ["--bootstrap", input.bootstrap],
      ["--peer", input.peer]
    ] as const) {
      for (const value of values) {
        const parsed = parsePeer(value)
        if (Result.isFailure(parsed)) return yield* inputFailure(`${flag}: ${parsed.failure}`)
        if (flag === "--bootstrap" && parsed.success.expectedPeerId !== undefined) {
          return yield* inputFailure(`--bootstrap takes HOST:PORT; use --peer for HOST:PORT#PEER_ID`)
        }
        trusted.push(parsed.success)
      }
    }
    const limits = Option.isSome(input.connections)
      ? yield* Effect.fromResult(Limits.fromConnections(Limits.defaults, input.connections.value)).pipe(
          Effect.mapError((error) => inputFailure(`--connections: ${error.reason}`))
        )
      : Limits.defaults
    const session = yield* SessionFlags.sessionOptions(input)
    const print = Output.make(input.json)
    const peerId = PeerId.toBase58(session.identity.peerId)
    const peersLayer = Option.match(input.peersFile, {
      onNone: () => Layer.empty,
      onSome: (path) => PeersFile.layer(path)
    })

    yield* Effect.addFinalizer(() =>
      print(
        { event: "stopped", peer_id: peerId },
        `stopped${Option.isSome(input.peersFile) ? "; peers file saved" : ""}`
      )
    )
    const pool = yield* Pool.make({
      identity: session.identity,
      supported: session.supported,
      expectedPow: input.expectedPow,
      messages: P2pMessage.envelope,
      limits,
      listen: { host: input.host, port: input.port },
      privateMode: input.privateMode,
      trustedPoints: trusted
    }).pipe(
      Effect.provide(Layer.merge(TcpTransport.layer(), peersLayer)),
      CliFailure.orFail(CliFailure.ExitCode.network)
    )
    const events = yield* pool.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (e) => print(jsonOf(e), textOf(e))))
    const address = Option.getOrThrow(pool.address)
    yield* print(
      { event: "listening", host: address.host, port: address.port, pid: process.pid, peer_id: peerId },
      `listening on ${address.host}:${address.port} as ${peerId} (pid ${process.pid})`
    )
    const known = (yield* pool.knownPoints).map((p) => p.point)
    yield* print(
      { event: "known_points", count: known.length, points: known },
      `${known.length} known points${known.length === 0 ? "" : `: ${known.join(", ")}`}`
    )
    yield* Effect.forkScoped(
      Stream.runForEach(pool.messages, ([from, message]) =>
        print(
          { event: "message", peer_id: from, tag: message.tag, size: message.body.length },
          `${from} sent tag 0x${message.tag.toString(16).padStart(4, "0")}, ${message.body.length} bytes`
        )
      )
    )

    const threshold = Limits.maintenanceBounds(limits).minThreshold
    // Dial every trusted point that is not connected (its back-off permitting), then ask the
    // connected peers for points while under the minimum, as Octez's maintenance does.
    const round = Effect.gen(function* () {
      const connected = new Set((yield* pool.connections).map((c) => c.point))
      for (const t of trusted) {
        if (!connected.has(t.point)) {
          yield* pool.connect(t.point, { trusted: true, expectedPeerId: t.expectedPeerId }).pipe(Effect.ignore)
        }
      }
      if ((yield* pool.connections).length < threshold) yield* pool.bootstrap
    })
    yield* Effect.forkScoped(Effect.repeat(round, Schedule.spaced(lookForPeersEvery)))
    // One swap proposal per maintenance period, as Octez's maintenance does when within bounds.
    if (limits.maintenanceIdleTime !== null) {
      const every = Duration.seconds(limits.maintenanceIdleTime)
      yield* Effect.forkScoped(Effect.repeat(Effect.delay(pool.swap, every), Schedule.forever))
    }
    return yield* Effect.never
  }, Effect.scoped)
).pipe(
  Command.withDescription(
    "Run a pool of peers over TCP (Octez's P2P layer): bootstrap, learn points, print events (SIGINT or SIGTERM to stop)"
  )
)
