/**
 * A network of N pools in one process, in virtual time: every pool is a real `Pool.make` with its
 * maintenance, on one {@link MemoryNetwork}, with full crypto (real keys, real handshakes, proof of
 * work difficulty 0). The simulation runs under its own `TestClock` and a `Random` seeded from the
 * scenario, so a scenario and a seed give one event log; it advances the clock one virtual second at
 * a time and checks invariants after each second:
 *
 * - no node stays above its `max_threshold` for longer than its idle time and
 *   {@link aboveThresholdGrace};
 * - no dial starts before the back-off end time of its point (checked at the transport, when the
 *   dial leaves the node);
 * - no node dials, or stays connected to, an address it has banned or greylisted;
 * - both ends agree on every link (a connection one end still lists for two checks in a row while
 *   the other does not is a violation);
 * - no link crosses an active partition; no public node dials a private island's point unless it
 *   is the island's gateway.
 *
 * Knobs: N, limits, bootstrap points, per-link latency, churn (a fraction of the peers replaced by
 * new ones, on new addresses, every virtual minute), a partition and its heal, a private-mode
 * island, flooding peers (they send an `Advertise` of 101 points, which greylists them). It records
 * every pool event with its virtual time and node, and computes per-minute statistics (connection
 * counts, connectivity, components, diameter by BFS, dials, greylistings, swaps) and a summary.
 *
 * Platform-free: the crypto backend comes from the context (`CryptoBackend.layerNoble`, or the
 * native backend of `@effect-p2p/node`).
 *
 * @since 0.1.0
 */
import * as Encoding from "@effect-p2p/codec/Encoding"
import { CryptoBackend, type CryptoBackendShape } from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Keys from "@effect-p2p/crypto/Keys"
import * as Metadata from "@effect-p2p/session/Metadata"
import * as Negotiation from "@effect-p2p/session/Negotiation"
import * as Session from "@effect-p2p/session/Session"
import { Clock, Duration, Effect, Exit, Option, Random, Result, Schema, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Bfs from "./Graph.ts"
import * as Limits from "./Limits.ts"
import * as MemoryNetwork from "./MemoryNetwork.ts"
import * as PointState from "./PointState.ts"
import * as Pool from "./Pool.ts"
import * as PoolMessage from "./PoolMessage.ts"
import * as Transport from "./Transport.ts"

// ---- the scenario and the report (the contract with `effect-p2p simulate`) ----------------------

/**
 * A network split in two from minute `from` to minute `until` (exclusive; `until` absent: never
 * healed). Side B is every `every`-th node (default 2, i.e. half of them); the bootstrap nodes stay
 * on side A. Links across are reset when it starts, dials across time out while it lasts.
 *
 * @category models
 * @since 0.1.0
 */
export interface Partition {
  readonly from: number
  readonly until?: number | undefined
  readonly every?: number | undefined
}

/**
 * What to simulate.
 *
 * @category models
 * @since 0.1.0
 */
export interface Scenario {
  /** N: pools running at once (flooders not counted). */
  readonly peers: number
  /** Virtual minutes to run. */
  readonly minutes: number
  /** Seeds Effect's `Random` and the identities. */
  readonly seed: number
  /** Fraction of the (non-bootstrap) peers replaced per virtual minute, 0..1. Default 0. */
  readonly churn?: number | undefined
  /** Default: Octez's defaults (10 / 50 / 100). */
  readonly limits?: Limits.Limits | undefined
  /** Well-known bootstrap points every node is given as trusted points. Default 3. */
  readonly bootstrapPeers?: number | undefined
  /** Per-link latency, ms. Default 5. */
  readonly latencyMillis?: number | undefined
  readonly partition?: Partition | undefined
  /**
   * The last `privateIsland` nodes run in private mode: they trust each other and node 0 (their
   * gateway), and nothing else.
   */
  readonly privateIsland?: number | undefined
  /** Hostile peers that connect to random nodes and flood them (an Advertise of 101 points). Default 0. */
  readonly flooders?: number | undefined
  /**
   * The nodes join one after the other over this many virtual seconds (node i at
   * ⌊i · joinSeconds / N⌋), rather than all at once. Default 0.
   */
  readonly joinSeconds?: number | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface MinuteStats {
  /** 1..minutes */
  readonly minute: number
  /** Pools running at the end of that minute. */
  readonly alive: number
  readonly connections: {
    readonly min: number
    readonly median: number
    readonly max: number
    /** `[connection count, nodes with that count]`, ascending. */
    readonly histogram: ReadonlyArray<readonly [count: number, nodes: number]>
  }
  /** The graph of running pools is connected. */
  readonly connected: boolean
  readonly components: number
  /** `null` when not connected. */
  readonly diameter: number | null
  /** Dials started during that minute. */
  readonly dials: number
  /** Greylistings during that minute. */
  readonly greylisted: number
  /** Successful swaps during that minute. */
  readonly swaps: number
  /** Invariant violations found during that minute. */
  readonly violations: number
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Summary {
  readonly peers: number
  readonly minutes: number
  readonly seed: number
  /** Every live public node inside `[min_threshold, max_threshold]` and the graph connected, at the end. */
  readonly converged: boolean
  readonly minConnections: number
  readonly maxConnections: number
  readonly connected: boolean
  readonly dials: number
  readonly greylisted: number
  readonly swaps: number
  readonly violations: number
}

/**
 * The network at the end: every node ever started (replaced ones with `alive: false`), and the
 * links between running pools.
 *
 * @category models
 * @since 0.1.0
 */
export interface Graph {
  readonly nodes: ReadonlyArray<{
    readonly index: number
    readonly point: string
    readonly privateNode: boolean
    readonly alive: boolean
    readonly hostile: boolean
  }>
  /** Node indices, each link once. */
  readonly edges: ReadonlyArray<readonly [number, number]>
}

/**
 * One recorded pool event: virtual time (ms since the start), the node, and the event.
 *
 * @category models
 * @since 0.1.0
 */
export interface LoggedEvent {
  readonly time: number
  readonly node: number
  readonly event: Pool.Event
}

/**
 * A broken invariant, with when and where.
 *
 * @category models
 * @since 0.1.0
 */
export interface Violation {
  readonly time: number
  readonly node: number
  readonly invariant:
    | "above-max-threshold"
    | "dial-in-back-off"
    | "banned-point"
    | "asymmetric-link"
    | "partition"
    | "private-island"
  readonly detail: string
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Report {
  readonly scenario: Scenario
  readonly perMinute: ReadonlyArray<MinuteStats>
  readonly summary: Summary
  /** At the end. */
  readonly graph: Graph
  /** Count of recorded events (the log itself with `keepEvents`). */
  readonly events: number
  /** The event log, when `keepEvents` was set. */
  readonly log?: ReadonlyArray<LoggedEvent> | undefined
  /** Every invariant violation (at most {@link maxViolationsKept}; `summary.violations` counts them all). */
  readonly violations: ReadonlyArray<Violation>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface RunOptions {
  readonly onMinute?: ((stats: MinuteStats) => Effect.Effect<void>) | undefined
  /** Keep the whole event log in the report (memory: ~100 B per event). Default false. */
  readonly keepEvents?: boolean | undefined
  /** Called with every event as it is recorded. */
  readonly onEvent?: ((event: LoggedEvent) => void) | undefined
}

/**
 * A scenario that cannot run.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidScenario extends Schema.TaggedError<InvalidScenario>()("InvalidScenario", {
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid scenario: ${this.reason}`
  }
}

/**
 * @category errors
 * @since 0.1.0
 */
export type SimulationError = InvalidScenario

/**
 * Seconds a node may stay above `max_threshold` beyond its maintenance idle time. Octez's trim
 * runs at once only when a connection reaches `max_connections`; between `max_threshold` and
 * `max_connections` (handshakes that passed the slot check together) the node waits for its idle
 * timer (120 s by default), then trims, which takes a round trip or two.
 *
 * @category constants
 * @since 0.1.0
 */
export const aboveThresholdGrace = 10

/**
 * @category constants
 * @since 0.1.0
 */
export const maxViolationsKept = 1000

/**
 * Limits for a simulation: the pool's limits with per-connection queues small enough for
 * thousands of connections in one process (a simulated node sends only P2P messages, each under
 * 2 KiB: Advertise of 50 points, Swap, Bootstrap).
 *
 * @category constructors
 * @since 0.1.0
 */
export const simulationLimits = (limits: Limits.Limits): Limits.Limits => ({
  ...limits,
  readBufferSize: Math.min(limits.readBufferSize, 4096),
  readQueueSize: Math.min(limits.readQueueSize, 64 * 1024),
  writeQueueSize: Math.min(limits.writeQueueSize, 64 * 1024),
  incomingMessageQueueSize: Math.min(limits.incomingMessageQueueSize, 64 * 1024),
  outgoingMessageQueueSize: Math.min(limits.outgoingMessageQueueSize, 64 * 1024),
  incomingAppMessageQueueSize: Math.min(limits.incomingAppMessageQueueSize, 2)
})

// ---- the simulated nodes ----------------------------------------------------------------------

/** The application protocol of the simulated nodes: one message, never sent (only P2P traffic). */
const App = Schema.Union([
  Schema.TaggedStruct("Ping", { n: Schema.Int.annotate(Encoding.binary(Encoding.uint16)) }).annotate(
    Encoding.binary({ tag: 0x10 })
  )
]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))
type App = typeof App.Type

const supported: Negotiation.Supported = {
  chainName: "SIMULATED_TEZOS",
  distributedDbVersions: Negotiation.octezDistributedDbVersions,
  p2pVersions: Negotiation.octezP2pVersions
}

const port = 9732

/** Node `i`'s host: 10.x.y.z from i + 1 (documentation-like private range, never a real socket). */
export const hostOf = (i: number): string => `10.${((i + 1) >> 16) & 255}.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`
const pointOf = (i: number): string => `${hostOf(i)}:${port}`
const hostOfPoint = (point: string): string => point.slice(0, point.lastIndexOf(":"))

/**
 * Node `i`'s identity for `seed`: the secret key is BLAKE2b-256 of the seed and the index, so a
 * seed gives the same peer ids every run; the stamp is zero (difficulty 0 accepts any stamp).
 *
 * @category constructors
 * @since 0.1.0
 */
export const identity = (backend: CryptoBackendShape, seed: number, i: number): Identity.Identity => {
  const input = new TextEncoder().encode(`effect-p2p simulator ${seed} ${i}`)
  const secret = backend.blake2b(input, 32)
  const secretKey = Result.getOrThrow(Keys.secretKey(secret))
  const publicKey = Result.getOrThrow(Keys.publicKey(backend.publicKeyOf(secret)))
  const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(Keys.stampLength)))
  return Identity.fromParts(backend, { publicKey, secretKey }, stamp)
}

interface Node {
  readonly index: number
  readonly host: string
  readonly point: string
  readonly privateNode: boolean
  readonly hostile: boolean
  readonly bootstrap: boolean
  /** Side B of the partition. */
  readonly sideB: boolean
  alive: boolean
  scope: Scope.Closeable | undefined
  pool: Pool.Pool<App> | undefined
  /** Open connections as its events count them, and the fewest since the last invariant check. */
  live: number
  lowest: number
}

/**
 * One running node as the per-second invariant check sees it.
 *
 * @category models
 * @since 0.1.0
 */
export interface CheckedNode {
  readonly index: number
  readonly peerId: string
  /** Its open connections: the peer id and the point of each. */
  readonly connections: ReadonlyArray<{ readonly peerId: string; readonly point: string }>
  /** Whether the node has banned or greylisted anything at all (false: no connection is looked at for bans). */
  readonly anyBanned: boolean
  /** Whether the node has banned or greylisted the host of a point. */
  readonly isBanned: (host: string) => boolean
  /**
   * The fewest connections the node had at any moment since the previous check (undefined: not
   * known, taken as its count now). A node that was back inside `max_threshold` in between (a trim,
   * then new connections before the next check) starts its time above the threshold again.
   */
  readonly lowestSinceLastCheck?: number | undefined
}

/**
 * What the check carries from one second to the next: since when each node has been above
 * `max_threshold`, and the links seen one-sided at the previous second.
 *
 * @category models
 * @since 0.1.0
 */
export interface CheckState {
  readonly aboveSince: ReadonlyMap<number, number>
  readonly oneSided: ReadonlySet<number>
  /**
   * Each node's connections resolved to node indices at the last check, with the running nodes
   * they were resolved against: reused while both are the same (a pool returns the same
   * connection array until a connection opens or closes). At N = 1,000 resolving 85,000 peer ids
   * every second was a fifth of a quiet virtual minute's CPU.
   */
  readonly resolved: ReadonlyMap<number, ResolvedLinks>
  readonly members: ReadonlyArray<{ readonly index: number; readonly peerId: string }>
}

/**
 * A node's connection list as node indices (`others[i]`: the node at the other end of connection
 * `i`, undefined if none is running), and those indices sorted.
 *
 * @category models
 * @since 0.2.0
 */
export interface ResolvedLinks {
  readonly connections: CheckedNode["connections"]
  readonly others: ReadonlyArray<number | undefined>
  readonly sorted: Int32Array
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const initialCheckState: CheckState = {
  aboveSince: new Map(),
  oneSided: new Set(),
  resolved: new Map(),
  members: []
}

/** A directed link as one number (no string per link per second: 85,000 links at N = 1,000). */
const linkKey = (from: number, to: number) => from * 2 ** 21 + to

/**
 * The link invariants of one virtual second, over the running nodes: above `maxThreshold` for more
 * than `grace` seconds, above `hardLimit` at all, connected to a banned host, connected across the
 * partition, and a link one end lists and the other does not, at two checks in a row. Pure: the
 * simulator calls it every virtual second with the pools' connection lists.
 *
 * @category combinators
 * @since 0.1.0
 */
export const checkSecond = (input: {
  readonly second: number
  readonly nodes: ReadonlyArray<CheckedNode>
  readonly maxThreshold: number
  readonly hardLimit: number
  readonly grace: number
  readonly crossesPartition: (a: number, b: number) => boolean
  readonly state: CheckState
}): { readonly violations: ReadonlyArray<Omit<Violation, "time">>; readonly state: CheckState } => {
  const violations: Array<Omit<Violation, "time">> = []
  const violate = (node: number, invariant: Violation["invariant"], detail: string) =>
    violations.push({ node, invariant, detail })
  // Each connection's other end (undefined: not a running node), and each node's neighbours as a
  // sorted array of indices (a binary search per link: cheaper than a set of all the links).
  const previous = input.state
  const sameMembers =
    previous.members.length === input.nodes.length &&
    input.nodes.every((node, k) => {
      const member = previous.members[k]!
      return member.index === node.index && member.peerId === node.peerId
    })
  let byPeer: Map<string, number> | undefined
  const resolve = (node: CheckedNode): ResolvedLinks => {
    const cached = sameMembers ? previous.resolved.get(node.index) : undefined
    if (cached !== undefined && cached.connections === node.connections) return cached
    if (byPeer === undefined) {
      byPeer = new Map()
      for (const member of input.nodes) byPeer.set(member.peerId, member.index)
    }
    const others = node.connections.map((c) => byPeer!.get(c.peerId))
    const indices = new Int32Array(others.length)
    let count = 0
    for (const other of others) if (other !== undefined) indices[count++] = other
    return { connections: node.connections, others, sorted: indices.subarray(0, count).sort() }
  }
  const resolved = new Map<number, ResolvedLinks>()
  for (const node of input.nodes) resolved.set(node.index, resolve(node))
  const hasNeighbour = (from: number, to: number): boolean => {
    const sorted = resolved.get(from)?.sorted
    if (sorted === undefined) return false
    let low = 0
    let high = sorted.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (sorted[mid]! < to) low = mid + 1
      else high = mid
    }
    return low < sorted.length && sorted[low] === to
  }
  const aboveSince = new Map<number, number>()
  const oneSided = new Set<number>()
  input.nodes.forEach((node) => {
    const count = node.connections.length
    if (count > input.maxThreshold) {
      const dipped = node.lowestSinceLastCheck !== undefined && node.lowestSinceLastCheck <= input.maxThreshold
      const since = dipped ? input.second : (input.state.aboveSince.get(node.index) ?? input.second)
      if (input.second - since > input.grace) {
        violate(node.index, "above-max-threshold", `${count} connections since ${since} s`)
        aboveSince.set(node.index, input.second)
      } else aboveSince.set(node.index, since)
    }
    if (count > input.hardLimit) violate(node.index, "above-max-threshold", `${count} connections`)
    const others = resolved.get(node.index)!.others
    node.connections.forEach((c, i) => {
      if (node.anyBanned && node.isBanned(hostOfPoint(c.point))) {
        violate(node.index, "banned-point", `connected to ${c.point}`)
      }
      const other = others[i]
      if (other === undefined) return
      if (input.crossesPartition(node.index, other)) {
        violate(node.index, "partition", `connected across the partition to ${other}`)
      }
      if (!hasNeighbour(other, node.index)) {
        const key = linkKey(node.index, other)
        if (input.state.oneSided.has(key)) {
          violate(node.index, "asymmetric-link", `lists ${other}, which does not list it`)
        } else oneSided.add(key)
      }
    })
  })
  const members = sameMembers ? previous.members : input.nodes.map(({ index, peerId }) => ({ index, peerId }))
  return { violations, state: { aboveSince, oneSided, resolved, members } }
}

const median = (sorted: ReadonlyArray<number>): number => {
  if (sorted.length === 0) return 0
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const validate = (scenario: Scenario): Result.Result<Scenario, InvalidScenario> => {
  const fail = (reason: string) => Result.fail(new InvalidScenario({ reason }))
  const isCount = (n: number) => Number.isInteger(n) && n >= 0
  if (!isCount(scenario.peers) || scenario.peers < 2) return fail(`peers must be an integer ≥ 2, got ${scenario.peers}`)
  if (scenario.peers > 60_000) return fail(`peers must be at most 60000, got ${scenario.peers}`)
  if (!isCount(scenario.minutes) || scenario.minutes < 1) {
    return fail(`minutes must be a positive integer, got ${scenario.minutes}`)
  }
  if (!Number.isSafeInteger(scenario.seed)) return fail(`seed must be an integer, got ${scenario.seed}`)
  const churn = scenario.churn ?? 0
  if (!(churn >= 0 && churn <= 1)) return fail(`churn must be in [0, 1], got ${churn}`)
  const bootstrap = scenario.bootstrapPeers ?? 3
  if (!isCount(bootstrap) || bootstrap < 1 || bootstrap > scenario.peers) {
    return fail(`bootstrapPeers must be in [1, peers], got ${bootstrap}`)
  }
  const latency = scenario.latencyMillis ?? 5
  if (!(latency >= 0 && latency <= 10_000)) return fail(`latencyMillis must be in [0, 10000], got ${latency}`)
  const island = scenario.privateIsland ?? 0
  if (!isCount(island) || island > scenario.peers - bootstrap) {
    return fail(`privateIsland must be in [0, peers - bootstrapPeers], got ${island}`)
  }
  const join = scenario.joinSeconds ?? 0
  if (!(join >= 0 && join <= scenario.minutes * 60))
    return fail(`joinSeconds must be in [0, minutes × 60], got ${join}`)
  const flooders = scenario.flooders ?? 0
  if (!isCount(flooders) || flooders > 1000) return fail(`flooders must be in [0, 1000], got ${flooders}`)
  const partition = scenario.partition
  if (partition !== undefined) {
    const every = partition.every ?? 2
    if (!isCount(partition.from) || (partition.until !== undefined && !(partition.until > partition.from))) {
      return fail("partition: from must be a minute ≥ 0 and until after from")
    }
    if (!Number.isInteger(every) || every < 2) return fail(`partition.every must be an integer ≥ 2, got ${every}`)
  }
  if (scenario.limits !== undefined) {
    const limits = Limits.validate(scenario.limits)
    if (Result.isFailure(limits)) return fail(limits.failure.message)
    if (scenario.limits.maintenanceIdleTime === null) return fail("limits: maintenance must be enabled")
  }
  return Result.succeed(scenario)
}

/**
 * Runs a scenario to its end and reports. Time is virtual (its own `TestClock`); the crypto backend
 * comes from the context.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { CryptoBackend } from "@effect-p2p/crypto"
 * import { Limits, Simulator } from "@effect-p2p/pool"
 * import { Effect, Result } from "effect"
 *
 * const limits = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 10))
 * const report = Effect.runPromise(
 *   Simulator.run({ peers: 30, minutes: 5, seed: 1, limits }).pipe(Effect.provide(CryptoBackend.layerNoble))
 * )
 * // (await report).summary.converged === true
 * ```
 */
export const run = (
  scenario: Scenario,
  options: RunOptions = {}
): Effect.Effect<Report, SimulationError, CryptoBackend> =>
  Effect.gen(function* () {
    yield* Effect.fromResult(validate(scenario))
    const backend = yield* CryptoBackend
    return yield* simulate(scenario, options, backend).pipe(
      Effect.scoped,
      // Spans of a million handshakes in virtual time would say nothing and cost their memory.
      Effect.withTracerEnabled(false),
      Effect.provide(TestClock.layer({ warningDelay: "1 day" })),
      Random.withSeed(`effect-p2p simulator ${scenario.seed}`)
    )
  })

const simulate = (scenario: Scenario, options: RunOptions, backend: CryptoBackendShape) =>
  Effect.gen(function* () {
    // A fiber yields to others after a number of operations counted since it last resumed: start
    // from a fresh count, so that the interleaving (hence the log) does not depend on what the
    // calling fiber did before.
    yield* Effect.yieldNow
    const limits = simulationLimits(scenario.limits ?? Limits.defaults)
    const bounds = Limits.maintenanceBounds(limits)
    const threshold = Limits.connectionsThreshold(limits)
    const n = scenario.peers
    const churn = scenario.churn ?? 0
    const bootstrapCount = scenario.bootstrapPeers ?? 3
    const islandSize = scenario.privateIsland ?? 0
    const partition = scenario.partition
    const every = partition?.every ?? 2
    const latency = scenario.latencyMillis ?? 5
    const network = yield* MemoryNetwork.make({ latency: Duration.millis(latency), capacity: 64 * 1024 })

    const nodes: Array<Node> = []
    /** Running pools by host, for the transport checks. */
    const byHost = new Map<string, Node>()
    const log: Array<LoggedEvent> = []
    let eventCount = 0
    const violations: Array<Violation> = []
    let violationCount = 0
    let minuteViolations = 0
    let minuteDials = 0
    let minuteGreylisted = 0
    let minuteSwaps = 0
    let totalDials = 0
    let totalGreylisted = 0
    let totalSwaps = 0
    let partitioned = false
    /** Set once the report is made: the nodes' shutdown is not part of the log. */
    let finished = false
    const grace = (limits.maintenanceIdleTime ?? 0) + aboveThresholdGrace
    const startTime = yield* Clock.currentTimeMillis
    const islandStart = n - islandSize
    const bootstrapPoints = Array.from({ length: bootstrapCount }, (_, i) => pointOf(i))
    const islandPoints = new Set(Array.from({ length: islandSize }, (_, k) => pointOf(islandStart + k)))

    const violate = (node: number, invariant: Violation["invariant"], detail: string) =>
      Effect.map(Clock.currentTimeMillis, (t) => {
        violationCount++
        minuteViolations++
        if (violations.length < maxViolationsKept) violations.push({ time: t - startTime, node, invariant, detail })
      })

    const record = (node: Node, event: Pool.Event) =>
      Effect.map(Clock.currentTimeMillis, (t) => {
        if (finished) return
        eventCount++
        switch (event.event) {
          case "outgoing_connection":
            minuteDials++
            totalDials++
            break
          case "greylisted":
            minuteGreylisted++
            totalGreylisted++
            break
          case "swap_success":
            minuteSwaps++
            totalSwaps++
            break
          case "connection_established":
            node.live++
            break
          case "disconnection":
          case "external_disconnection":
            node.live--
            node.lowest = Math.min(node.lowest, node.live)
            break
        }
        const logged: LoggedEvent = { time: t - startTime, node: node.index, event }
        if (options.keepEvents === true) log.push(logged)
        options.onEvent?.(logged)
      })

    const crossesPartition = (a: string, b: string): boolean => {
      if (!partitioned) return false
      const na = byHost.get(a)
      const nb = byHost.get(b)
      return na !== undefined && nb !== undefined && na.sideB !== nb.sideB
    }

    /**
     * The node's transport: checks every dial as it leaves (back-off, ban, partition, island) and
     * makes dials across an active partition time out, as with dropped packets.
     */
    const transportOf = (node: Node): Transport.TransportShape => {
      const inner = network.transport(node.host)
      return {
        listen: inner.listen,
        dial: (address, dialOptions) =>
          Effect.gen(function* () {
            const target = Transport.format(address)
            const t = yield* Clock.currentTimeMillis
            const pool = node.pool
            if (pool !== undefined) {
              const info = yield* pool.knownPoint(target)
              if (Option.isSome(info) && PointState.inBackOff(info.value, t)) {
                yield* violate(node.index, "dial-in-back-off", `${target} until ${info.value.reconnection.endTime}`)
              }
              if (pool.acl.isAddressBanned(address.host, t)) {
                yield* violate(node.index, "banned-point", `dialed ${target}`)
              }
            }
            if (!node.privateNode && node.index !== 0 && islandPoints.has(target)) {
              yield* violate(node.index, "private-island", `public node dialed island point ${target}`)
            }
            if (crossesPartition(node.host, address.host)) {
              const timeout = Duration.fromInputUnsafe(dialOptions?.timeout ?? MemoryNetwork.defaultDialTimeout)
              yield* Effect.sleep(timeout)
              return yield* new Transport.TransportError({ operation: "dial", address: target, reason: "TimedOut" })
            }
            return yield* inner.dial(address, dialOptions)
          })
      }
    }

    const startNode = (node: Node) =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        node.scope = scope
        const id = identity(backend, scenario.seed, node.index)
        const trustedPoints = node.privateNode
          ? [...islandPoints, pointOf(0)].filter((p) => p !== node.point).map((point) => ({ point }))
          : bootstrapPoints.filter((p) => p !== node.point).map((point) => ({ point }))
        const pool = yield* Pool.make<App>({
          identity: id,
          supported,
          messages: App,
          listen: { host: node.host, port },
          limits,
          privateMode: node.privateNode,
          trustedPoints,
          maintenance: true
        }).pipe(
          Effect.provideService(Transport.Transport, transportOf(node)),
          Effect.provideService(CryptoBackend, backend),
          Scope.provide(scope),
          Effect.orDie
        )
        const events = yield* pool.subscribe.pipe(Scope.provide(scope))
        yield* Stream.runForEach(events, (event) => record(node, event)).pipe(Effect.forkIn(scope))
        node.pool = pool
        node.alive = true
        byHost.set(node.host, node)
      })

    /**
     * Starts a node after a random delay under a second. Real nodes never boot at the same
     * millisecond; started together, two nodes share the phase of every timer (maintenance's 5 s
     * wait, the idle timer) and two private nodes trusting each other then dial each other in
     * lockstep forever, each refusing the other's attempt as `Already_connected`.
     */
    const boot = (node: Node) =>
      Effect.flatMap(Random.nextIntBetween(0, 999), (delay) =>
        Effect.forkChild(Effect.andThen(Effect.sleep(Duration.millis(delay)), startNode(node)))
      )

    const stopNode = (node: Node) =>
      Effect.gen(function* () {
        node.alive = false
        byHost.delete(node.host)
        const scope = node.scope
        node.scope = undefined
        node.pool = undefined
        if (scope !== undefined) yield* Scope.close(scope, Exit.void)
      })

    const newNode = (options: { readonly privateNode?: boolean; readonly hostile?: boolean } = {}): Node => {
      const index = nodes.length
      const node: Node = {
        index,
        host: hostOf(index),
        point: pointOf(index),
        privateNode: options.privateNode ?? false,
        hostile: options.hostile ?? false,
        bootstrap: index < bootstrapCount,
        sideB: index >= bootstrapCount && index % every === every - 1,
        alive: false,
        scope: undefined,
        live: 0,
        lowest: 0,
        pool: undefined
      }
      nodes.push(node)
      return node
    }

    // ---- hostile peers: connect with the session alone and send an Advertise of 101 points ----

    const floodFrame = (() => {
      const body: Array<number> = []
      for (let i = 0; i < 101; i++) {
        const p = new TextEncoder().encode(`192.0.2.${i % 250}:${1000 + i}`)
        body.push(0, 0, 0, p.length, ...p)
      }
      const frame = new Uint8Array(6 + body.length)
      new DataView(frame.buffer).setUint32(0, body.length + 2)
      new DataView(frame.buffer).setUint16(4, 3)
      frame.set(body, 6)
      return frame
    })()

    const flood = (flooder: Node, target: Node) =>
      Effect.gen(function* () {
        const connected = yield* network.transport(flooder.host).dial({ host: target.host, port })
        const [, auth] = yield* Session.authenticate({
          socket: connected.socket,
          identity: identity(backend, scenario.seed, flooder.index),
          incoming: false,
          remote: { address: target.host, port },
          listeningPort: port,
          expectedPow: 0,
          version: Negotiation.announced(supported),
          metadata: { disableMempool: false, privateNode: false },
          metadataEncoding: Metadata.octez
        })
        const connection = yield* Session.accept(auth, { messageEncoding: PoolMessage.encoding(App) })
        yield* connection.writeEncoded(floodFrame)
        // Hold the connection a while: the target must close it.
        yield* Effect.sleep("5 seconds")
      }).pipe(Effect.scoped, Effect.provideService(CryptoBackend, backend), Effect.ignore)

    const startFlooder = (flooder: Node) =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        flooder.scope = scope
        flooder.alive = true
        yield* Effect.gen(function* () {
          for (;;) {
            const targets = nodes.filter((x) => x.alive && !x.hostile && !x.privateNode)
            if (targets.length > 0) {
              const target = targets[yield* Random.nextIntBetween(0, targets.length - 1)]!
              yield* Effect.forkIn(flood(flooder, target), scope)
            }
            yield* Effect.sleep("10 seconds")
          }
        }).pipe(Effect.forkIn(scope))
      })

    // ---- start ----------------------------------------------------------------------------

    for (let i = 0; i < n; i++) newNode({ privateNode: i >= islandStart })
    const flooderNodes = Array.from({ length: scenario.flooders ?? 0 }, () => newNode({ hostile: true }))
    const joinSeconds = scenario.joinSeconds ?? 0
    const joinAt = (node: Node) => Math.floor((node.index * joinSeconds) / n)
    /** Nodes not started yet, in join order. */
    const joining = nodes.filter((x) => !x.hostile)
    const join = (second: number) =>
      Effect.gen(function* () {
        while (joining.length > 0 && joinAt(joining[0]!) <= second) yield* boot(joining.shift()!)
      })
    yield* join(0)
    for (const flooder of flooderNodes) yield* startFlooder(flooder)
    yield* Effect.addFinalizer(() => Effect.forEach(nodes, (node) => stopNode(node), { discard: true }))

    // ---- invariants, once per virtual second ------------------------------------------------

    /** Links one end listed at the previous check and the other did not. */
    let checkState = initialCheckState

    const check = Effect.gen(function* () {
      const t = yield* Clock.currentTimeMillis
      const checked: Array<CheckedNode> = []
      for (const node of nodes) {
        const pool = node.pool
        if (!node.alive || pool === undefined) continue
        checked.push({
          index: node.index,
          peerId: pool.peerId,
          connections: yield* pool.connections,
          anyBanned: pool.acl.anyAddressListed(),
          isBanned: (host) => pool.acl.isAddressBanned(host, t),
          lowestSinceLastCheck: node.lowest
        })
        node.lowest = node.live
      }
      const result = checkSecond({
        second: Math.floor((t - startTime) / 1000),
        nodes: checked,
        maxThreshold: bounds.maxThreshold,
        hardLimit: threshold + limits.maxIncomingConnections,
        grace,
        crossesPartition: (a, b) => crossesPartition(nodes[a]!.host, nodes[b]!.host),
        state: checkState
      })
      checkState = result.state
      for (const v of result.violations) yield* violate(v.node, v.invariant, v.detail)
    })

    // ---- statistics --------------------------------------------------------------------------

    const snapshot = Effect.gen(function* () {
      const live = nodes.filter((x) => x.alive && !x.hostile && x.pool !== undefined)
      const position = new Map<string, number>()
      for (const [k, node] of live.entries()) position.set(node.pool!.peerId, k)
      const adjacency: Array<Array<number>> = []
      const counts: Array<number> = []
      const edges: Array<readonly [number, number]> = []
      for (const [k, node] of live.entries()) {
        const list = yield* node.pool!.connections
        counts.push(list.length)
        const out: Array<number> = []
        for (const c of list) {
          const j = position.get(c.peerId)
          if (j === undefined) continue
          out.push(j)
          if (k < j) edges.push([node.index, live[j]!.index])
        }
        adjacency.push(out)
      }
      return { live, counts, adjacency, edges }
    })

    const perMinute: Array<MinuteStats> = []
    const minuteStats = (minute: number) =>
      Effect.gen(function* () {
        const { live, counts, adjacency } = yield* snapshot
        const sorted = [...counts].sort((a, b) => a - b)
        const histogram = new Map<number, number>()
        for (const c of sorted) histogram.set(c, (histogram.get(c) ?? 0) + 1)
        const components = Bfs.components(adjacency)
        const connected = components === 1
        const stats: MinuteStats = {
          minute,
          alive: live.length,
          connections: {
            min: sorted[0] ?? 0,
            median: median(sorted),
            max: sorted[sorted.length - 1] ?? 0,
            histogram: [...histogram.entries()]
          },
          connected,
          components,
          diameter: connected ? Bfs.diameter(adjacency) : null,
          dials: minuteDials,
          greylisted: minuteGreylisted,
          swaps: minuteSwaps,
          violations: minuteViolations
        }
        minuteDials = 0
        minuteGreylisted = 0
        minuteSwaps = 0
        minuteViolations = 0
        return stats
      })

    // ---- churn and partition -------------------------------------------------------------------

    /** Replaces `churn × N` random non-bootstrap public nodes by new nodes on new addresses. */
    const replace = Effect.gen(function* () {
      const candidates = nodes.filter((x) => x.alive && !x.hostile && !x.bootstrap && !x.privateNode)
      const count = Math.min(candidates.length, Math.round(churn * n))
      const leaving = (yield* Random.shuffle(candidates)).slice(0, count)
      for (const node of leaving) yield* stopNode(node)
      for (let k = 0; k < leaving.length; k++) yield* boot(newNode())
    })

    const cut = Effect.gen(function* () {
      partitioned = true
      for (const node of nodes) {
        if (!node.alive || node.sideB) continue
        for (const other of nodes) {
          if (other.alive && other.sideB) yield* network.reset(node.host, other.host)
        }
      }
    })

    // ---- the run ------------------------------------------------------------------------------

    for (let minute = 1; minute <= scenario.minutes; minute++) {
      if (partition !== undefined) {
        if (minute - 1 === partition.from) yield* cut
        if (partition.until !== undefined && minute - 1 === partition.until) partitioned = false
      }
      if (churn > 0 && minute > 1) yield* replace
      for (let s = 0; s < 60; s++) {
        yield* join((minute - 1) * 60 + s)
        yield* TestClock.adjust(Duration.seconds(1))
        yield* check
      }
      const stats = yield* minuteStats(minute)
      perMinute.push(stats)
      if (options.onMinute !== undefined) yield* options.onMinute(stats)
    }

    const end = yield* snapshot
    finished = true
    const publicCounts = end.live.flatMap((node, k) => (node.privateNode ? [] : [end.counts[k]!]))
    const last = perMinute[perMinute.length - 1]!
    const inside = publicCounts.every((c) => c >= bounds.minThreshold && c <= bounds.maxThreshold)
    const summary: Summary = {
      peers: n,
      minutes: scenario.minutes,
      seed: scenario.seed,
      converged: inside && last.connected,
      minConnections: Math.min(...end.counts),
      maxConnections: Math.max(...end.counts),
      connected: last.connected,
      dials: totalDials,
      greylisted: totalGreylisted,
      swaps: totalSwaps,
      violations: violationCount
    }
    const graph: Graph = {
      nodes: nodes.map((node) => ({
        index: node.index,
        point: node.point,
        privateNode: node.privateNode,
        alive: node.alive,
        hostile: node.hostile
      })),
      edges: end.edges
    }
    const report: Report = {
      scenario,
      perMinute,
      summary,
      graph,
      events: eventCount,
      violations,
      ...(options.keepEvents === true ? { log } : {})
    }
    return report
  })
