/**
 * `effect-p2p simulate`: runs a network of N pools in one process, in virtual time
 * (`@effect-p2p/pool`'s `Simulator`: real pools and maintenance, real handshakes and crypto, on an
 * in-memory network), and prints one line per virtual minute (the distribution of connection
 * counts, whether the graph is connected and its diameter, dials, greylistings and swaps) and a
 * summary line; with `--json`, one JSON object instead; with `--svg FILE`, a picture of the network
 * and of the connection counts over time ({@link SimulationSvg}).
 *
 * The command exits 0 when the simulation ran to its end, whether the network converged or not
 * (convergence is the result it reports: twenty peers under Octez's default limits can never reach
 * `min_threshold` 23, and saying so is not a failure of the command); 1 for a bad flag or scenario
 * or an SVG file that cannot be written; 130 / 143 when SIGINT / SIGTERM stops it.
 *
 * @since 0.1.0
 */
import * as Path from "node:path"
import * as V8 from "node:v8"
import * as Limits from "@effect-p2p/pool/Limits"
import * as Simulator from "@effect-p2p/pool/Simulator"
import { Clock, Console, Effect, FileSystem, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import * as Flags from "./Flags.ts"
import * as Output from "./Output.ts"
import * as SimulationSvg from "./SimulationSvg.ts"

/**
 * One virtual minute as a line of text.
 *
 * @example
 * ```ts
 * import { SimulateCommand } from "@effect-p2p/cli"
 * SimulateCommand.minuteLine(
 *   {
 *     minute: 2, alive: 20, connections: { min: 3, median: 5, max: 8, histogram: [] },
 *     connected: true, components: 1, diameter: 3, dials: 40, greylisted: 0, swaps: 1, violations: 0
 *   },
 *   10
 * ) // "minute 2/10: 20 running, connections min 3 median 5 max 8, connected (diameter 3), 40 dials, 0 greylisted, 1 swap"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const minuteLine = (m: Simulator.MinuteStats, minutes: number): string =>
  [
    `minute ${m.minute}/${minutes}: ${m.alive} running`,
    `connections min ${m.connections.min} median ${m.connections.median} max ${m.connections.max}`,
    m.connected ? `connected (diameter ${m.diameter ?? "?"})` : `not connected (${m.components} components)`,
    plural(m.dials, "dial"),
    `${m.greylisted} greylisted`,
    plural(m.swaps, "swap"),
    ...(m.violations > 0 ? [`${plural(m.violations, "invariant violation")}`] : [])
  ].join(", ")

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`

/**
 * The summary as a line of text.
 *
 * @example
 * ```ts
 * import { SimulateCommand } from "@effect-p2p/cli"
 * SimulateCommand.summaryLine(
 *   {
 *     peers: 20, minutes: 10, seed: 1, converged: true, minConnections: 4, maxConnections: 9, connected: true,
 *     dials: 400, greylisted: 0, swaps: 7, violations: 0
 *   },
 *   { minThreshold: 4, minTarget: 6, maxTarget: 10, maxThreshold: 12 }
 * ) // "converged: 20 peers after 10 virtual minutes (seed 1), connections 4 to 9 (band [4, 12]), connected, ..."
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const summaryLine = (s: Simulator.Summary, bounds: Limits.MaintenanceBounds): string =>
  [
    `${s.converged ? "converged" : "not converged"}: ${s.peers} peers after ${s.minutes} virtual minutes (seed ${s.seed})`,
    `connections ${s.minConnections} to ${s.maxConnections} (band [${bounds.minThreshold}, ${bounds.maxThreshold}])`,
    s.connected ? "connected" : "not connected",
    plural(s.dials, "dial"),
    `${s.greylisted} greylisted`,
    plural(s.swaps, "swap"),
    plural(s.violations, "invariant violation")
  ].join(", ")

/**
 * The `--json` object: the summary's fields, the scenario's knobs, the maintenance band, and the
 * per-minute statistics (no wall-clock figure, so one seed gives one object).
 *
 * @example
 * ```ts
 * import { SimulateCommand } from "@effect-p2p/cli"
 * SimulateCommand.summaryJson // (report, bounds, svg) => { peers, minutes, seed, converged, ... }
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const summaryJson = (
  report: Simulator.Report,
  bounds: Limits.MaintenanceBounds,
  svg: string | undefined
): Output.Event => ({
  event: "simulated",
  ...report.summary,
  churn: report.scenario.churn ?? 0,
  minThreshold: bounds.minThreshold,
  maxThreshold: bounds.maxThreshold,
  events: report.events,
  perMinute: report.perMinute,
  ...(svg === undefined ? {} : { svg })
})

/**
 * Fails with a `CliFailure` (bad input) unless a file can be written at `file`: its directory
 * exists and is writable, and `file` is not a directory. Run before the simulation, not after it.
 *
 * @example
 * ```ts
 * import { SimulateCommand } from "@effect-p2p/cli"
 * SimulateCommand.checkOutput("/tmp/simulation.svg")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const checkOutput = Effect.fn("checkOutput")(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  const directory = Path.dirname(file)
  const cannot = (why: string) => CliFailure.fail(`cannot write ${file}: ${why}`)
  const target = yield* fs.stat(file).pipe(Effect.option)
  if (Option.isSome(target) && target.value.type === "Directory") return yield* cannot("it is a directory")
  const info = yield* fs.stat(directory).pipe(Effect.option)
  if (Option.isNone(info)) return yield* cannot(`no directory ${directory}`)
  if (info.value.type !== "Directory") return yield* cannot(`${directory} is not a directory`)
  yield* fs.access(directory, { writable: true }).pipe(Effect.catch(() => cannot(`${directory} is not writable`)))
})

/**
 * Writes `text` to `file` atomically: into a temporary file beside it, then renamed over it, so a
 * reader never sees half a picture and a failed write leaves any previous file as it was.
 *
 * @example
 * ```ts
 * import { SimulateCommand } from "@effect-p2p/cli"
 * SimulateCommand.writeAtomically("/tmp/simulation.svg", "<svg/>")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const writeAtomically = Effect.fn("writeAtomically")(function* (file: string, text: string) {
  const fs = yield* FileSystem.FileSystem
  const temporary = Path.join(Path.dirname(file), `.${Path.basename(file)}.${process.pid}.tmp`)
  yield* fs.writeFileString(temporary, text).pipe(
    Effect.andThen(fs.rename(temporary, file)),
    Effect.onError(() => Effect.ignore(fs.remove(temporary))),
    CliFailure.orFail(CliFailure.ExitCode.input, `cannot write ${file}: `)
  )
})

/**
 * What a simulated connection end holds in memory, about: N = 1,000 with Octez's defaults held 3.5 GB
 * of heap for its 85,000 connection ends (docs/benchmarks.md, "Simulator at N = 1,000").
 *
 * @category constants
 * @since 0.2.0
 */
export const bytesPerConnectionEnd = 42_000

/**
 * A note for a run whose connections would fill more than half of the JavaScript heap's limit
 * (`heapLimit`, bytes): V8 then collects the heap again and again as it nears the limit, and a larger
 * run fails with "heap out of memory". Undefined when the run fits. The note says which
 * `--max-old-space-size` to give node: two and a half times the estimate, in whole GiB.
 *
 * @example
 * ```ts
 * import { SimulateCommand } from "@effect-p2p/cli"
 * SimulateCommand.heapNote(1000, 84, 4288 * 2 ** 20)?.includes("--max-old-space-size=9216") // true
 * SimulateCommand.heapNote(100, 84, 4288 * 2 ** 20) // undefined
 * ```
 * @category encoding
 * @since 0.2.0
 */
export const heapNote = (peers: number, maxThreshold: number, heapLimit: number): string | undefined => {
  const estimate = peers * Math.min(peers - 1, maxThreshold) * bytesPerConnectionEnd
  if (estimate <= heapLimit / 2) return undefined
  const gib = 2 ** 30
  const advised = Math.ceil((estimate * 2.5) / gib) * 1024
  const shown = (bytes: number) => `${(bytes / gib).toFixed(1)} GiB`
  return `note: ${peers} peers hold about ${shown(estimate)} of connections, and this node's heap is limited to ${shown(heapLimit)}: the run will be slow (the collector runs again and again near the limit) or fail; start node with --max-old-space-size=${advised} (the CLI's README, "Large runs")`
}

/**
 * The `simulate` command.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { SimulateCommand } from "@effect-p2p/cli"
 * SimulateCommand.command // effect-p2p simulate --peers 50 --minutes 10 --seed 7 --svg simulation.svg
 * ```
 */
export const command = Command.make(
  "simulate",
  {
    peers: Flags.integer("peers", 2, 60_000).pipe(
      Flag.withDescription("N: pools running at once, 2 to 60000 (required)")
    ),
    minutes: Flags.integer("minutes", 1, 100_000).pipe(
      Flag.withDescription("virtual minutes to simulate, at least 1 (required)")
    ),
    seed: Flags.withDefault(
      Flags.integer("seed", Number.MIN_SAFE_INTEGER),
      "seeds every choice and every identity: the same seed gives the same run",
      1
    ),
    churn: Flags.withDefault(
      Flags.number("churn", 0, 1),
      "fraction of the peers replaced by new ones (new addresses) every virtual minute, 0 to 1",
      0
    ),
    connections: Flags.optional(
      Flags.integer("connections", 1, 100),
      "scales the connection limits as Octez's --connections (min N/2, expected N, max 3N/2)",
      "Octez's min 10, expected 50, max 100"
    ),
    bootstrapPeers: Flags.withDefault(
      Flags.integer("bootstrap-peers", 1),
      "well-known bootstrap nodes every node is given, at most --peers",
      3
    ),
    privateIsland: Flags.withDefault(
      Flags.integer("private-island", 0),
      "this many nodes (the last ones) run in private mode, trusting each other and node 0 only",
      0
    ),
    flooders: Flags.withDefault(
      Flags.integer("flooders", 0, 1000),
      "hostile peers flooding random nodes with oversized Advertise messages (they get greylisted)",
      0
    ),
    json: Flags.withDefault(
      Flag.Boolean("json"),
      "print one JSON object at the end instead of text lines",
      false,
      "off"
    ),
    svg: Flags.optional(
      Flag.String("svg"),
      "write a picture of the network and of the connection counts per minute to this file (SVG)",
      "none"
    )
  },
  Effect.fn(function* (input) {
    const limits = Option.isSome(input.connections)
      ? yield* Effect.fromResult(Limits.fromConnections(Limits.defaults, input.connections.value)).pipe(
          CliFailure.orFail(CliFailure.ExitCode.input, "--connections: ")
        )
      : Limits.defaults
    const bounds = Limits.maintenanceBounds(limits)
    if (input.peers - 1 < bounds.minThreshold) {
      // Not an error (the run shows what maintenance does then), but rarely what was meant.
      yield* Console.error(
        `note: with ${input.peers} peers no node can reach min_threshold ${bounds.minThreshold} (at most ${input.peers - 1} connections each); --connections scales the limits down`
      )
    }
    const tight = heapNote(input.peers, bounds.maxThreshold, V8.getHeapStatistics().heap_size_limit)
    if (tight !== undefined) yield* Console.error(tight)
    const svgFile = Option.map(input.svg, (file) => Path.resolve(file))
    if (Option.isSome(svgFile)) yield* checkOutput(svgFile.value)
    const scenario: Simulator.Scenario = {
      peers: input.peers,
      minutes: input.minutes,
      seed: input.seed,
      churn: input.churn,
      limits,
      bootstrapPeers: input.bootstrapPeers,
      privateIsland: input.privateIsland,
      flooders: input.flooders
    }
    const started = yield* Clock.currentTimeMillis
    const report = yield* Simulator.run(scenario, {
      onMinute: (stats) => (input.json ? Effect.void : Console.log(minuteLine(stats, input.minutes)))
    }).pipe(CliFailure.orFail(CliFailure.ExitCode.input))
    const wall = (yield* Clock.currentTimeMillis) - started
    if (Option.isSome(svgFile)) {
      yield* writeAtomically(svgFile.value, SimulationSvg.render(report, bounds))
    }
    const print = Output.make(input.json)
    yield* print(
      summaryJson(report, bounds, Option.getOrUndefined(svgFile)),
      `${summaryLine(report.summary, bounds)}; ${Output.duration(wall)} of wall time`
    )
    if (Option.isSome(svgFile) && !input.json) yield* Console.log(`picture written to ${svgFile.value}`)
  })
).pipe(
  Command.withDescription(
    "Simulate N pools in virtual time (real handshakes and maintenance, in one process): connection counts per minute, convergence, an SVG picture"
  )
)
