import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect, Exit, Result } from "effect"
import { TestClock } from "effect/testing"
import * as Limits from "../src/Limits.ts"
import * as Maintenance from "../src/Maintenance.ts"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import * as PointState from "../src/PointState.ts"
import { identities, point, startPool, until } from "./harness.ts"

const ids = identities(10)
const withCrypto = Effect.provide(CryptoBackend.layerNoble)

/** `--connections 6`: min 3, expected 6, max 9. */
const six = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 6))
const count = (pool: { readonly connections: Effect.Effect<ReadonlyArray<unknown>> }) =>
  Effect.map(pool.connections, (c) => c.length)

describe("Maintenance.candidates (Octez classify / connectable)", () => {
  const base = (p: string) => PointState.make(p)
  it("never-missed first, then the oldest miss; skips seen, banned, in back-off, missed this round, untrusted in private mode", () => {
    const failedAt = (p: string, t: number) => {
      const requested = Result.getOrThrow(PointState.setRequested(base(p), t))
      return Result.getOrThrow(PointState.setDisconnected(requested, t))
    }
    const never = base("10.0.0.1:9732")
    const old = failedAt("10.0.0.2:9732", 1_000)
    const recent = failedAt("10.0.0.3:9732", 5_000)
    const seen = base("10.0.0.4:9732")
    const banned = base("10.0.0.5:9732")
    const running = Result.getOrThrow(PointState.setRequested(base("10.0.0.6:9732"), 0))
    const thisRound = failedAt("10.0.0.7:9732", 200_000)
    const trusted = { ...base("10.0.0.8:9732"), trusted: true }
    const all = [recent, thisRound, old, seen, banned, running, never, trusted]
    const now = 300_000
    const options = {
      now,
      start: 100_000,
      max: 10,
      seen: new Set([seen.point]),
      privateMode: false,
      banned: (info: PointState.Info) => info.point === banned.point
    }
    assert.deepStrictEqual(Maintenance.candidates(all, options), [never.point, trusted.point, old.point, recent.point])
    assert.deepStrictEqual(Maintenance.candidates(all, { ...options, max: 1 }), [never.point])
    assert.deepStrictEqual(Maintenance.candidates(all, { ...options, privateMode: true }), [trusted.point])
    // `recent` failed at 5 s: its back-off ends at 6 s.
    assert.deepStrictEqual(Maintenance.candidates(all, { ...options, now: 5_001 }), [
      never.point,
      trusted.point,
      old.point
    ])
  })
})

describe("Maintenance scenarios (Octez test_p2p_maintenance and tezt p2p, in memory, TestClock)", () => {
  it.effect(
    "p2p-maintenance-init-expected_connections: expected 6 ⇒ 3/4/5/6/7/8/9, then min_target ≤ n ≤ max_target",
    () =>
      Effect.gen(function* () {
        const bounds = Limits.maintenanceBounds(six)
        assert.deepStrictEqual(
          [
            six.minConnections,
            bounds.minThreshold,
            bounds.minTarget,
            six.expectedConnections,
            bounds.maxTarget,
            bounds.maxThreshold,
            six.maxConnections
          ],
          [3, 4, 5, 6, 7, 8, 9]
        )
        // Seven pools that only know pool 0: maintenance (Bootstrap, Advertise, dials) does the rest.
        const n = 7
        const network = yield* MemoryNetwork.make()
        const pools = yield* Effect.forEach(ids.slice(0, n), (id, i) =>
          startPool(network, id, i, {
            limits: six,
            maintenance: true,
            trustedPoints: i === 0 ? [] : [{ point: point(0) }]
          })
        )
        for (let minute = 0; minute < 10; minute++) yield* TestClock.adjust("1 minute")
        for (const pool of pools) {
          const c = yield* count(pool)
          assert.isTrue(c >= 5 && c <= 7, `${c} connections`)
        }
      }).pipe(withCrypto)
  )

  it.effect(
    "triggers.too-many-connections: one connection at max-connections ⇒ trimmed to max_target, a trusted private one kept",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        // The slot threshold is max-connections (maintenance-idle-time null in the limits), as in
        // Octez's test; the maintenance worker is started apart, with an idle time that never ends.
        const target = yield* startPool(network, ids[0]!, 0, {
          limits: { ...six, maintenanceIdleTime: null, swapLinger: null }
        })
        yield* target.trustPoint(point(1))
        const privateClient = yield* startPool(network, ids[1]!, 1, { privateMode: true })
        yield* privateClient.connect(point(0), { trusted: true })
        const maintenance = yield* Maintenance.make(target, { idleTime: 36_000_000 })
        const clients = yield* Effect.forEach(ids.slice(2, 9), (id, i) => startPool(network, id, i + 2))
        for (const client of clients.slice(0, 6)) yield* client.connect(point(0))
        yield* until(Effect.map(count(target), (c) => c === 7))
        // Inside the bounds (max threshold 8): nothing is closed.
        yield* clients[6]!.connect(point(0))
        yield* until(Effect.map(count(target), (c) => c === 8))
        const stepsAt8 = yield* maintenance.steps
        const ownClient = yield* startPool(network, ids[9]!, 9)
        yield* ownClient.connect(point(0))
        // 9 = max-connections ⇒ too_many_connections ⇒ trimmed to max_target 7, without the timer.
        yield* until(Effect.map(count(target), (c) => c === maintenance.bounds.maxTarget))
        assert.isAbove(yield* maintenance.steps, stepsAt8)
        assert.isTrue((yield* target.connections).some((c) => c.peerId === privateClient.peerId))
        assert.isTrue((yield* privateClient.connections).length === 1)
      }).pipe(withCrypto)
  )

  it.effect("triggers.too-few-connections: connections closed below min-connections ⇒ it dials again", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const clients = yield* Effect.forEach(ids.slice(1, 9), (id, i) => startPool(network, id, i + 1))
      const target = yield* startPool(network, ids[0]!, 0, {
        limits: { ...six, maintenanceIdleTime: 36_000, swapLinger: null },
        maintenance: true,
        knownPoints: clients.map((_, i) => point(i + 1))
      })
      // Activation: from 0 it dials toward min_target 5, at most max_target 7 at once, in parallel.
      yield* until(Effect.map(count(target), (c) => c === 7))
      const connected = new Set((yield* target.connections).map((c) => c.peerId))
      const dropping = clients.filter((c) => connected.has(c.peerId)).slice(0, 5)
      for (const client of dropping) yield* client.disconnect(target.peerId)
      // 2 < min-connections 3 ⇒ too_few_connections ⇒ the one point never dialled is dialled at once;
      // the others are in their 60 s back-off.
      yield* until(Effect.map(count(target), (c) => c === 3))
      const fresh = clients.find((c) => !connected.has(c.peerId))!
      assert.isTrue((yield* target.connections).some((c) => c.peerId === fresh.peerId))
      // After the back-off (Bootstrap every 5 s meanwhile), back inside the targets.
      yield* TestClock.adjust("66 seconds")
      yield* until(Effect.map(count(target), (c) => c >= 5 && c <= 7))
    }).pipe(withCrypto)
  )

  it.effect("p2p-maintenance-disabled: no dial of its own and maintain fails; the same node enabled connects", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      yield* startPool(network, ids[1]!, 1)
      const disabled = yield* startPool(network, ids[0]!, 0, {
        limits: { ...six, maintenanceIdleTime: null },
        maintenance: true,
        trustedPoints: [{ point: point(1) }]
      })
      const off = yield* startPool(network, ids[2]!, 2, {
        limits: six,
        trustedPoints: [{ point: point(1) }]
      })
      const enabled = yield* startPool(network, ids[3]!, 3, {
        limits: six,
        maintenance: true,
        trustedPoints: [{ point: point(1) }]
      })
      const exit = yield* Effect.exit(disabled.maintain)
      assert.isTrue(Exit.isFailure(exit) && String(exit.cause).includes("MaintenanceDisabled"))
      assert.isTrue(Exit.isFailure(yield* Effect.exit(off.maintain)))
      yield* enabled.maintain
      for (let minute = 0; minute < 10; minute++) yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* count(disabled), 0)
      assert.strictEqual(yield* count(off), 0)
      assert.strictEqual(yield* count(enabled), 1)
    }).pipe(withCrypto)
  )
})
