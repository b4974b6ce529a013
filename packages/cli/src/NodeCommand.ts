/**
 * `effect-p2p node`: runs a pool (`@effect-p2p/pool`) over TCP as an Octez node's P2P layer does:
 * listens, runs the pool's maintenance (Octez `p2p_maintenance`: dials its bootstrap points,
 * trusted peers and learnt points while under the bounds, asks for points with Bootstrap when it
 * runs out of them, trims above the bounds, proposes a swap every `maintenance-idle-time`, 120 s),
 * prints every pool event under its Octez name, and on SIGINT / SIGTERM closes every connection and
 * saves the peers file. `--disable-maintenance` (Octez `--disable-p2p-maintenance`) only dials the
 * trusted points once at start; `--disable-swap` (Octez `--disable-p2p-swap`) neither sends nor
 * answers swaps; `--disable-peer-discovery` (Octez's `--disable-peer-discovery`) neither sends nor
 * answers Bootstrap, ignores Advertise and sends Nacks without points; `--maintenance-idle-time S`
 * sets the maintenance timer (Octez's `maintenance-idle-time` limit, 120 s). With maintenance on, a
 * `maintenance_bounds` line gives the bounds, and the maintenance steps are printed
 * (`maintenance_started` with its motive, `maintenance_ended`).
 *
 * Application messages (tags from 0x10) are printed, not interpreted.
 *
 * @since 0.1.0
 */
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CodecPoint from "@effect-p2p/codec/Point"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as PeersFile from "@effect-p2p/node/PeersFile"
import * as TcpAndWebSocketTransport from "@effect-p2p/node/TcpAndWebSocketTransport"
import * as TcpTransport from "@effect-p2p/node/TcpTransport"
import * as Limits from "@effect-p2p/pool/Limits"
import * as Pool from "@effect-p2p/pool/Pool"
import { Effect, Layer, Option, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import * as Flags from "./Flags.ts"
import * as Host from "./Host.ts"
import * as Output from "./Output.ts"
import * as SessionFlags from "./SessionFlags.ts"

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
    e.durationMillis === undefined ? undefined : `${e.durationMillis} ms`,
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
  ...(e.durationMillis === undefined ? {} : { duration_ms: e.durationMillis }),
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
    disableMaintenance: Flags.withDefault(
      Flag.Boolean("disable-maintenance"),
      "no maintenance: trusted points are dialled once at start, nothing else (Octez's --disable-p2p-maintenance)",
      false,
      "off"
    ),
    disableSwap: Flags.withDefault(
      Flag.Boolean("disable-swap"),
      "neither send nor answer swap requests (Octez's --disable-p2p-swap)",
      false,
      "off"
    ),
    disablePeerDiscovery: Flags.withDefault(
      Flag.Boolean("disable-peer-discovery"),
      "neither send nor answer Bootstrap, ignore Advertise, send Nacks without points (Octez's --disable-peer-discovery)",
      false,
      "off"
    ),
    maintenanceIdleTime: Flags.optional(
      Flags.integer("maintenance-idle-time", 1, 86_400),
      "seconds between two maintenance wake-ups when nothing else wakes it (Octez's maintenance-idle-time limit)",
      "120"
    ),
    connections: Flags.optional(
      Flags.integer("connections", 1, 100),
      "scales the connection limits as Octez's --connections (min N/2, expected N, max 3N/2)",
      "min 10, expected 50, max 100"
    ),
    wsPort: Flags.optional(
      Flags.integer("ws-port", 0, 65535),
      "also accept WebSocket peers (browsers) on this port, same host; dials stay TCP",
      "none"
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
    const scaled = Option.isSome(input.connections)
      ? yield* Effect.fromResult(Limits.fromConnections(Limits.defaults, input.connections.value)).pipe(
          Effect.mapError((error) => inputFailure(`--connections: ${error.reason}`))
        )
      : Limits.defaults
    const limits: Limits.Limits = {
      ...scaled,
      maintenanceIdleTime: input.disableMaintenance
        ? null
        : Option.getOrElse(input.maintenanceIdleTime, () => scaled.maintenanceIdleTime),
      swapLinger: input.disableSwap ? null : scaled.swapLinger
    }
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
    const transportLayer = Option.match(input.wsPort, {
      onNone: () => TcpTransport.layer(),
      onSome: (webSocketPort) =>
        TcpAndWebSocketTransport.layer({
          webSocketPort,
          onWebSocketListening: (ws) =>
            print(
              { event: "listening_ws", host: ws.host, port: ws.port, peer_id: peerId },
              `listening for WebSocket peers on ws://${ws.host}:${ws.port}/`
            )
        })
    })
    const pool = yield* Pool.make({
      identity: session.identity,
      supported: session.supported,
      expectedPow: input.expectedPow,
      messages: P2pMessage.envelope,
      limits,
      listen: { host: input.host, port: input.port },
      privateMode: input.privateMode,
      disablePeerDiscovery: input.disablePeerDiscovery,
      trustedPoints: trusted,
      maintenance: true
    }).pipe(Effect.provide(Layer.merge(transportLayer, peersLayer)), CliFailure.orFail(CliFailure.ExitCode.network))
    const events = yield* pool.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (e) => print(jsonOf(e), textOf(e))))
    const address = Option.getOrThrow(pool.address)
    yield* print(
      { event: "listening", host: address.host, port: address.port, pid: process.pid, peer_id: peerId },
      `listening on ${address.host}:${address.port} as ${peerId} (pid ${process.pid})`
    )
    if (!input.disableMaintenance) {
      const bounds = Limits.maintenanceBounds(limits)
      yield* print(
        {
          event: "maintenance_bounds",
          min_threshold: bounds.minThreshold,
          min_target: bounds.minTarget,
          max_target: bounds.maxTarget,
          max_threshold: bounds.maxThreshold
        },
        `maintenance bounds: ${bounds.minThreshold} / ${bounds.minTarget} / ${bounds.maxTarget} / ${bounds.maxThreshold}`
      )
    }
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

    // The pool's maintenance dials the trusted points among the others; without it, dial them once.
    if (input.disableMaintenance) {
      yield* Effect.forEach(
        trusted,
        (t) => Effect.ignore(pool.connect(t.point, { trusted: true, expectedPeerId: t.expectedPeerId })),
        { concurrency: "unbounded", discard: true }
      )
    }
    return yield* Effect.never
  }, Effect.scoped)
).pipe(
  Command.withDescription(
    "Run a pool of peers over TCP (Octez's P2P layer): bootstrap, learn points, print events (SIGINT or SIGTERM to stop)"
  )
)
