import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect, Exit, Result } from "effect"
import * as fc from "fast-check"
import * as Graph from "../src/Graph.ts"
import * as Limits from "../src/Limits.ts"
import * as Simulator from "../src/Simulator.ts"

/**
 * `--connections 10` (min 5, expected 10, max 15; maintenance bounds 6 / 7 / 13 / 14): a random
 * graph of 100 nodes with degree ≥ 6 > ln 100 ≈ 4.6 is connected with high probability, and each
 * node keeps a tenth of the network, as Octez's defaults (50 of thousands) keep a small fraction.
 * Octez's defaults (10 / 50 / 100) would make 100 nodes an almost complete graph.
 */
const limits = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 10))
const bounds = Limits.maintenanceBounds(limits)
const withCrypto = Effect.provide(CryptoBackend.layerNoble)
const timeout = 180_000

const violationsOf = (report: Simulator.Report) =>
  report.violations.map((v) => `${v.time} ms node ${v.node} ${v.invariant}: ${v.detail}`).join("\n")

/** Per node, the live connection count at the end (from the final graph's edges). */
const degrees = (report: Simulator.Report) => {
  const degree = new Map<number, number>()
  for (const [a, b] of report.graph.edges) {
    degree.set(a, (degree.get(a) ?? 0) + 1)
    degree.set(b, (degree.get(b) ?? 0) + 1)
  }
  return degree
}

describe("Graph", () => {
  it("components and diameter of paths, cycles and disjoint unions", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), (n, m) => {
        const path = Array.from({ length: n }, (_, k) => [k - 1, k + 1].filter((j) => j >= 0 && j < n))
        assert.strictEqual(Graph.components(path), 1)
        assert.strictEqual(Graph.diameter(path), n - 1)
        if (n >= 3) {
          const cycle = Array.from({ length: n }, (_, k) => [(k + n - 1) % n, (k + 1) % n])
          assert.strictEqual(Graph.diameter(cycle), Math.floor(n / 2))
        }
        // A path of n beside a path of m: two components, no diameter.
        const union = [
          ...path,
          ...Array.from({ length: m }, (_, k) => [k - 1, k + 1].filter((j) => j >= 0 && j < m).map((j) => j + n))
        ]
        assert.strictEqual(Graph.components(union), 2)
        assert.isNull(Graph.diameter(union))
      })
    )
    assert.strictEqual(Graph.components([]), 0)
    assert.isNull(Graph.diameter([]))
  })
})

describe("Simulator (N = 100, full crypto, virtual time)", () => {
  it.effect("an impossible scenario fails InvalidScenario", () =>
    Effect.gen(function* () {
      for (const scenario of [
        { peers: 1, minutes: 1, seed: 1 },
        { peers: 10, minutes: 0, seed: 1 },
        { peers: 10, minutes: 1, seed: 1, churn: 1.5 },
        { peers: 10, minutes: 1, seed: 1, bootstrapPeers: 11 },
        { peers: 10, minutes: 1, seed: 1, partition: { from: 3, until: 2 } },
        { peers: 10, minutes: 1, seed: 1, limits: { ...limits, minConnections: 20 } }
      ]) {
        const exit = yield* Effect.exit(Simulator.run(scenario))
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(scenario))
        if (Exit.isFailure(exit)) assert.include(String(exit.cause), "InvalidScenario")
      }
    }).pipe(withCrypto)
  )

  it.live(
    "convergence: every node inside [min_threshold, max_threshold] within 10 virtual minutes, the graph connected, no invariant broken",
    () =>
      Effect.gen(function* () {
        const report = yield* Simulator.run({ peers: 100, minutes: 10, seed: 1, limits })
        assert.strictEqual(report.summary.violations, 0, violationsOf(report))
        assert.isTrue(report.summary.converged, JSON.stringify(report.perMinute.at(-1)))
        const last = report.perMinute.at(-1)!
        assert.strictEqual(last.alive, 100)
        assert.isTrue(last.connected)
        assert.strictEqual(last.components, 1)
        assert.isAtLeast(last.connections.min, bounds.minThreshold)
        assert.isAtMost(last.connections.max, bounds.maxThreshold)
        assert.isNotNull(last.diameter)
        // The final graph agrees with the statistics: 100 nodes, every degree inside the bounds.
        const degree = degrees(report)
        assert.strictEqual(degree.size, 100)
        for (const d of degree.values()) assert.isTrue(d >= bounds.minThreshold && d <= bounds.maxThreshold, `${d}`)
        // Maintenance did the work: dials, and swaps once inside the bounds.
        assert.isAbove(report.summary.dials, 100)
        assert.isAbove(report.summary.swaps, 0)
      }).pipe(withCrypto),
    timeout
  )

  it.live(
    "a private-mode island: its nodes talk only to each other and their gateway; nobody else learns their points",
    () =>
      Effect.gen(function* () {
        const island = 5
        const report = yield* Simulator.run(
          { peers: 100, minutes: 10, seed: 4, limits, privateIsland: island },
          { keepEvents: true }
        )
        assert.strictEqual(report.summary.violations, 0, violationsOf(report))
        const islanders = report.graph.nodes.filter((n) => n.privateNode)
        assert.strictEqual(islanders.length, island)
        const islandIndex = new Set(islanders.map((n) => n.index))
        const islandPoints = new Set(islanders.map((n) => n.point))
        // Every link of an island node goes to another island node or to node 0, the gateway.
        for (const [a, b] of report.graph.edges) {
          if (islandIndex.has(a) || islandIndex.has(b)) {
            const other = islandIndex.has(a) ? b : a
            assert.isTrue(islandIndex.has(other) || other === 0, `island link ${a}-${b}`)
          }
        }
        // The island is connected inside, and so is the public rest: two subgraphs of the final graph.
        const subgraph = (members: ReadonlyArray<number>) => {
          const position = new Map(members.map((index, k) => [index, k]))
          const adjacency = members.map((): Array<number> => [])
          for (const [a, b] of report.graph.edges) {
            const pa = position.get(a)
            const pb = position.get(b)
            if (pa !== undefined && pb !== undefined) {
              adjacency[pa]!.push(pb)
              adjacency[pb]!.push(pa)
            }
          }
          return adjacency
        }
        assert.strictEqual(Graph.components(subgraph([...islandIndex])), 1, "the island is connected inside")
        const publicNodes = report.graph.nodes.filter((n) => !n.privateNode).map((n) => n.index)
        assert.strictEqual(Graph.components(subgraph(publicNodes)), 1, "the public nodes are connected")
        // No public node but the gateway ever registered an island point (never advertised).
        for (const { node, event } of report.log!) {
          if (event.event === "new_point" && event.point !== undefined && islandPoints.has(event.point)) {
            assert.isTrue(node === 0 || islandIndex.has(node), `node ${node} learnt ${event.point}`)
          }
        }
        // The public nodes converge around it. (Whether the island reaches its gateway depends on
        // a free slot there: node 0 is a bootstrap point, often full, and inside its bounds it
        // dials nobody.)
        const degree = degrees(report)
        for (const index of publicNodes) {
          const d = degree.get(index) ?? 0
          assert.isTrue(d >= bounds.minThreshold && d <= bounds.maxThreshold, `node ${index}: ${d}`)
        }
      }).pipe(withCrypto),
    timeout
  )

  it.live(
    "flooding peers (an Advertise of 101 points) are greylisted by the nodes they reach, while the rest converge",
    () =>
      Effect.gen(function* () {
        const report = yield* Simulator.run(
          { peers: 100, minutes: 10, seed: 5, limits, flooders: 2 },
          { keepEvents: true }
        )
        assert.strictEqual(report.summary.violations, 0, violationsOf(report))
        const flooders = report.graph.nodes.filter((n) => n.hostile)
        assert.strictEqual(flooders.length, 2)
        const flooderHosts = new Set(flooders.map((n) => n.point.split(":")[0]))
        const greylistings = report.log!.filter((e) => e.event.event === "greylisted")
        assert.isAbove(greylistings.length, 2)
        assert.strictEqual(report.summary.greylisted, greylistings.length)
        // Only flooders are greylisted, each for its oversized Advertise.
        for (const { event } of greylistings) {
          assert.isTrue(flooderHosts.has(event.point ?? ""), `greylisted ${event.point}`)
          assert.strictEqual(event.reason, "DecodeError")
        }
        // A node greylists a flooder once: later dials from it are closed before a handshake.
        const pairs = greylistings.map((e) => `${e.node} ${e.event.point}`)
        assert.strictEqual(new Set(pairs).size, pairs.length)
        assert.isTrue(report.summary.converged, JSON.stringify(report.perMinute.at(-1)))
        // Flooders never appear in the honest graph.
        const hostile = new Set(flooders.map((n) => n.index))
        for (const [a, b] of report.graph.edges) assert.isFalse(hostile.has(a) || hostile.has(b))
      }).pipe(withCrypto),
    timeout
  )

  it.live(
    "the same seed gives the same event log twice; another seed another log",
    () =>
      Effect.gen(function* () {
        const scenario = { peers: 100, minutes: 2, seed: 7, limits, churn: 0.1 }
        const first = yield* Simulator.run(scenario, { keepEvents: true })
        const second = yield* Simulator.run(scenario, { keepEvents: true })
        const other = yield* Simulator.run({ ...scenario, seed: 8 }, { keepEvents: true })
        assert.isAbove(first.events, 1000)
        assert.strictEqual(first.log!.length, first.events)
        assert.deepStrictEqual(second.log, first.log)
        assert.deepStrictEqual(second.perMinute, first.perMinute)
        assert.deepStrictEqual(second.graph, first.graph)
        assert.notDeepEqual(other.log, first.log)
      }).pipe(withCrypto),
    timeout
  )
})
