// Each scenario here takes about a minute of wall time on the 2-core machine: `pnpm test:slow`.
import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect, Result } from "effect"
import * as Limits from "../src/Limits.ts"
import * as Simulator from "../src/Simulator.ts"

/**
 * `--connections 10` (min 5, expected 10, max 15; maintenance bounds 6 / 7 / 13 / 14): a random
 * graph of 100 nodes with degree ≥ 6 > ln 100 ≈ 4.6 is connected with high probability, and each
 * node keeps a tenth of the network, as Octez's defaults (50 of thousands) keep a small fraction.
 * Octez's defaults (10 / 50 / 100) would make 100 nodes an almost complete graph.
 */
const limits = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 10))
const withCrypto = Effect.provide(CryptoBackend.layerNoble)
const timeout = 180_000

const violationsOf = (report: Simulator.Report) =>
  report.violations.map((v) => `${v.time} ms node ${v.node} ${v.invariant}: ${v.detail}`).join("\n")

describe("Simulator, minutes of wall time (N = 100, full crypto, virtual time)", () => {
  it.live(
    "churn: 10 % of the peers replaced every virtual minute; no dial before its back-off end time; the network stays connected",
    () =>
      Effect.gen(function* () {
        const report = yield* Simulator.run(
          { peers: 100, minutes: 10, seed: 2, limits, churn: 0.1 },
          { keepEvents: true }
        )
        const log = report.log!
        // The transport-level check: no dial left a node while its point was in back-off.
        assert.strictEqual(report.summary.violations, 0, violationsOf(report))
        // The same from the event log alone: after a closed connection to a point, the node does not
        // dial it again for 60 s (Octez's disconnection delay), unless it collected its known points
        // since (`gc_points`: a collected point is forgotten with its back-off, as in Octez, and may
        // be learnt again from an Advertise).
        const lastGc = new Map<number, number>()
        const closedAt = new Map<string, number>()
        let redials = 0
        for (const { time, node, event } of log) {
          const key = `${node} ${event.point}`
          if (event.event === "gc_points") lastGc.set(node, time)
          if (event.event === "disconnection" || event.event === "external_disconnection") closedAt.set(key, time)
          if (event.event === "outgoing_connection") {
            const closed = closedAt.get(key)
            if (closed !== undefined && (lastGc.get(node) ?? -1) < closed) {
              redials++
              assert.isAtLeast(time, closed + 60_000, `${key} dialed ${time - closed} ms after its disconnection`)
            }
          }
        }
        assert.isAbove(redials, 0, "some point was dialed again after a disconnection")
        // 9 rounds of 10 replacements: 90 nodes started after the first 100, departed points dialed
        // and failing (their back-off grows).
        assert.strictEqual(report.graph.nodes.length, 190)
        assert.strictEqual(report.graph.nodes.filter((n) => n.alive).length, 100)
        const departed = new Set(report.graph.nodes.filter((n) => !n.alive).map((n) => n.point))
        // Departed points are dialed and fail; each node spaces its dials to one such point by at
        // least the initial back-off (1 s), growing ×1.2 per failure.
        const lastDial = new Map<string, number>()
        lastGc.clear()
        let departedDials = 0
        for (const { time, node, event } of log) {
          if (event.event === "gc_points") lastGc.set(node, time)
          if (event.event !== "outgoing_connection" || event.point === undefined || !departed.has(event.point)) continue
          const key = `${node} ${event.point}`
          const previous = lastDial.get(key)
          if (previous !== undefined && (lastGc.get(node) ?? -1) < previous) {
            departedDials++
            assert.isAtLeast(time - previous, 1_000, `${key} redialed after ${time - previous} ms`)
          }
          lastDial.set(key, time)
        }
        assert.isAbove(departedDials, 0, "departed points were dialed again")
        for (const stats of report.perMinute) assert.strictEqual(stats.alive, 100)
        const last = report.perMinute.at(-1)!
        assert.isTrue(last.connected, JSON.stringify(last))
        assert.isAtLeast(last.connections.min, 1)
      }).pipe(withCrypto),
    timeout
  )

  it.live(
    "partition and heal: no link across while it lasts (two components), then connected again",
    () =>
      Effect.gen(function* () {
        // Halves from minute 2 to minute 5. Nodes inside their bounds dial nobody and swaps only
        // propose current neighbours, so two halves that each settled stay apart until something
        // changes: here churn (5 % per minute), whose newcomers dial the bootstrap points.
        const report = yield* Simulator.run({
          peers: 100,
          minutes: 15,
          seed: 3,
          limits,
          churn: 0.05,
          partition: { from: 2, until: 5 }
        })
        assert.strictEqual(report.summary.violations, 0, violationsOf(report))
        const during = report.perMinute.filter((s) => s.minute >= 4 && s.minute <= 5)
        for (const s of during) assert.isAtLeast(s.components, 2, JSON.stringify(s))
        const last = report.perMinute.at(-1)!
        assert.isTrue(last.connected, JSON.stringify(last))
      }).pipe(withCrypto),
    timeout
  )
})
