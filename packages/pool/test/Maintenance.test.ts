import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import { Effect, Exit, Result, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Limits from "../src/Limits.ts"
import * as Maintenance from "../src/Maintenance.ts"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import * as PointState from "../src/PointState.ts"
import { host, identities, point, rawPeer, startPool, until, waitFor } from "./harness.ts"

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
      // During the back-off no dropped point is dialled (Bootstrap every 5 s finds nothing new).
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(yield* count(target), 3)
      // After it, back inside the targets.
      yield* TestClock.adjust("7 seconds")
      yield* until(Effect.map(count(target), (c) => c >= 5 && c <= 7))
      // Every dial of a dropped point started after its back-off's end (60 s after the drop).
      const dropped = new Set(dropping.map((c) => c.peerId))
      let redials = 0
      for (const info of yield* target.knownPoints) {
        const drop = info.events.find((e) => e.kind === "external_disconnection" && dropped.has(e.peerId ?? ""))
        if (drop === undefined) continue
        for (const e of info.events) {
          if (e.kind === "outgoing_request" && e.timestamp > drop.timestamp) {
            assert.isAbove(e.timestamp, drop.timestamp + 60_000)
            redials++
          }
        }
      }
      assert.isAtLeast(redials, 2)
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
  it.effect("p2p-peer-discovery: a learns b through Advertise from the centre and connects to it", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const options = { limits: six, maintenance: true, trustedPoints: [{ point: point(0) }] }
      const center = yield* startPool(network, ids[0]!, 0, { limits: six, maintenance: true })
      const a = yield* startPool(network, ids[1]!, 1, options)
      const aEvents = yield* a.subscribe
      const b = yield* startPool(network, ids[2]!, 2, options)
      // a knew only the centre: under min_threshold with no candidate left, it asks with Bootstrap.
      const advertised = yield* waitFor(aEvents, (e) => e.event === "new_point" && e.point === point(2))
      assert.strictEqual(advertised?.point, point(2))
      yield* TestClock.adjust("10 seconds")
      yield* until(Effect.map(a.connections, (cs) => cs.some((c) => c.peerId === b.peerId)))
      assert.sameMembers(
        (yield* center.connections).map((c) => c.peerId),
        [a.peerId, b.peerId]
      )
    }).pipe(withCrypto)
  )

  it.effect(
    "check preservation of trusted known points and peers: collections keep them, maintenance dials them again",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const trusted = yield* startPool(network, ids[1]!, 1)
        const target = yield* startPool(network, ids[0]!, 0, {
          limits: { ...six, maxKnownPoints: [6, 3], maxKnownPeerIds: [3, 2] },
          maintenance: true,
          trustedPoints: [{ point: point(1) }]
        })
        const events = yield* target.subscribe
        yield* until(Effect.map(target.connections, (cs) => cs.some((c) => c.peerId === trusted.peerId)))
        yield* target.trustPeer(trusted.peerId)
        // Points: 20 advertised ones overflow the table.
        const flooder = yield* rawPeer(network, ids[2]!, host(2), { host: host(0), port: 9732 })
        yield* flooder.connection.write({
          _tag: "Advertise",
          points: Array.from({ length: 20 }, (_, i) => `10.2.0.${i}:9732`)
        })
        yield* waitFor(events, (e) => e.event === "gc_points")
        // Peers: the trusted one goes, then short-lived peers overflow the peer table.
        yield* trusted.disconnect(target.peerId)
        yield* until(Effect.map(target.connections, (cs) => !cs.some((c) => c.peerId === trusted.peerId)))
        for (const k of [3, 4, 5, 6]) {
          const raw = yield* rawPeer(network, ids[k]!, host(k), { host: host(0), port: 9732 })
          const rawId = PeerId.toBase58(ids[k]!.peerId)
          yield* until(Effect.map(target.connections, (cs) => cs.some((c) => c.peerId === rawId)))
          yield* raw.connection.close()
          yield* until(Effect.map(target.connections, (cs) => !cs.some((c) => c.peerId === rawId)))
        }
        yield* waitFor(events, (e) => e.event === "gc_peer_ids")
        const points = yield* target.knownPoints
        assert.isTrue(points.some((p) => p.point === point(1) && p.trusted))
        assert.isAtMost(points.length, 6)
        const peers = yield* target.knownPeers
        assert.isTrue(peers.some((p) => p.peerId === trusted.peerId && p.trusted))
        assert.isAtMost(peers.length, 3)
        // Past its back-off, maintenance (under its minimum) dials the trusted point again.
        for (let i = 0; i < 12; i++) yield* TestClock.adjust("10 seconds")
        yield* until(Effect.map(target.connections, (cs) => cs.some((c) => c.peerId === trusted.peerId)))
      }).pipe(withCrypto)
  )
  it.effect("inside the bounds, the idle timer and maintain each propose one swap (none with swap disabled)", () =>
    Effect.gen(function* () {
      // --connections 2: bounds 1/1/3/3, so two connections are inside them.
      const two = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 2))
      const network = yield* MemoryNetwork.make()
      yield* startPool(network, ids[1]!, 1)
      yield* startPool(network, ids[2]!, 2)
      const start = (i: number, limits: Limits.Limits) =>
        startPool(network, ids[i]!, i, {
          limits,
          maintenance: true,
          trustedPoints: [{ point: point(1) }, { point: point(2) }]
        })
      const swapping = yield* start(0, two)
      const quiet = yield* start(3, { ...two, swapLinger: null })
      const sent = yield* swapping.subscribe
      const quietSeen: Array<string> = []
      const quietEvents = yield* quiet.subscribe
      yield* Effect.forkChild(Stream.runForEach(quietEvents, (e) => Effect.sync(() => quietSeen.push(e.event))))
      // Activation dials both trusted points at once (toward min_target, at most max_target).
      yield* until(Effect.map(count(swapping), (c) => c === 2))
      yield* until(Effect.map(count(quiet), (c) => c === 2))
      yield* TestClock.adjust("120 seconds")
      assert.isDefined(yield* waitFor(sent, (e) => e.event === "swap_request_sent"))
      yield* swapping.maintain
      assert.isDefined(yield* waitFor(sent, (e) => e.event === "swap_request_sent"))
      yield* quiet.maintain
      yield* TestClock.adjust("120 seconds")
      // The collector did see the quiet pool's traffic.
      yield* until(Effect.sync(() => quietSeen.includes("connection_established")))
      assert.notInclude(quietSeen, "swap_request_sent")
    }).pipe(withCrypto)
  )
})
