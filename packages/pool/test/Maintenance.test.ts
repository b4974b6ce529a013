import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import { Effect, Exit, Fiber, Result, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Limits from "../src/Limits.ts"
import * as Maintenance from "../src/Maintenance.ts"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import * as PointState from "../src/PointState.ts"
import type * as Pool from "../src/Pool.ts"
import { host, identities, point, rawPeer, startPool, type TestPool, until, waitFor } from "./harness.ts"

const ids = identities(10)
const withCrypto = Effect.provide(CryptoBackend.layerNoble)

/** `--connections 6`: min 3, expected 6, max 9. */
const six = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 6))
/** `--connections 2`: min 1, expected 2, max 3; bounds 1/1/3/3. */
const two = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 2))
/** `--connections 1`: min, expected and max 1; bounds 1/1/1/1. */
const one = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 1))

/** Every event of `pool` from now on, as a collector fiber appends them. */
const collect = (pool: TestPool) =>
  Effect.gen(function* () {
    const seen: Array<Pool.Event> = []
    const events = yield* pool.subscribe
    yield* Effect.forkChild(Stream.runForEach(events, (e) => Effect.sync(() => seen.push(e))))
    return seen
  })
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

  it.effect(
    "p2p-maintenance-disabled: no maintenance step, no dial, maintain fails; the enabled node does two steps",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        // As Octez's test: the target has --connections 2, the two others --connections 1 (bounds 1/1/1/1).
        const target = yield* startPool(network, ids[1]!, 1, { limits: two })
        const disabled = yield* startPool(network, ids[0]!, 0, {
          limits: { ...one, maintenanceIdleTime: null },
          maintenance: true,
          trustedPoints: [{ point: point(1) }]
        })
        const disabledSeen = yield* collect(disabled)
        const off = yield* startPool(network, ids[2]!, 2, { limits: one, trustedPoints: [{ point: point(1) }] })
        const enabled = yield* startPool(network, ids[3]!, 3, {
          limits: one,
          maintenance: true,
          trustedPoints: [{ point: point(1) }]
        })
        const enabledSeen = yield* collect(enabled)
        const exit = yield* Effect.exit(disabled.maintain)
        assert.isTrue(Exit.isFailure(exit) && String(exit.cause).includes("MaintenanceDisabled"))
        assert.isTrue(Exit.isFailure(yield* Effect.exit(off.maintain)))
        // First step (activation): the enabled node dials the target.
        yield* until(Effect.map(count(enabled), (c) => c === 1))
        yield* until(Effect.sync(() => enabledSeen.filter((e) => e.event === "maintenance_ended").length === 1))
        const [started] = enabledSeen.filter((e) => e.event === "maintenance_started")
        assert.strictEqual(started?.reason, "activation")
        // Second step: the target drops it (Octez restarts the target) ⇒ too few ⇒ a new step, which
        // ends once the point's 60 s back-off is over and it is dialled again.
        yield* target.disconnect(enabled.peerId)
        yield* until(Effect.sync(() => enabledSeen.filter((e) => e.event === "maintenance_started").length === 2))
        assert.strictEqual(
          enabledSeen.filter((e) => e.event === "maintenance_started")[1]?.reason,
          "too_few_connections"
        )
        for (let i = 0; i < 7; i++) yield* TestClock.adjust("10 seconds")
        yield* until(Effect.sync(() => enabledSeen.filter((e) => e.event === "maintenance_ended").length === 2))
        assert.strictEqual(yield* count(enabled), 1)
        // Two idle periods more: the disabled node never started a step nor dialled.
        for (let minute = 0; minute < 4; minute++) yield* TestClock.adjust("1 minute")
        assert.isFalse(disabledSeen.some((e) => e.event.startsWith("maintenance_")))
        assert.isFalse(disabledSeen.some((e) => e.event === "outgoing_connection"))
        const [trusted] = yield* disabled.knownPoints
        assert.strictEqual(trusted?.point, point(1))
        assert.deepStrictEqual(trusted?.events, [])
        assert.strictEqual(yield* count(disabled), 0)
        assert.strictEqual(yield* count(off), 0)
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

  it.effect("maintain returns once the step it triggered is done: back inside the bounds", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      // It knows two points where nobody listens yet: every dial fails, and it keeps asking.
      const pool = yield* startPool(network, ids[0]!, 0, {
        limits: two,
        maintenance: true,
        knownPoints: [point(1), point(2)]
      })
      const seen = yield* collect(pool)
      yield* until(Effect.sync(() => seen.filter((e) => e.event === "outgoing_connection").length === 2))
      const maintain = yield* Effect.forkChild(pool.maintain)
      for (let i = 0; i < 3; i++) yield* TestClock.adjust("10 seconds")
      assert.isUndefined(maintain.pollUnsafe(), "maintain returned while under the bounds")
      yield* startPool(network, ids[1]!, 1)
      for (let i = 0; i < 3; i++) yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(maintain)
      // Returned: the step is over, so the count is inside the bounds, and the events say so.
      assert.strictEqual(yield* count(pool), 1)
      yield* until(Effect.sync(() => seen.some((e) => e.event === "maintenance_ended")))
      const ended = seen.find((e) => e.event === "maintenance_ended")!
      assert.strictEqual(ended.count, 1)
      assert.isAtLeast(ended.durationMillis ?? 0, 30_000)
      // Inside the bounds, maintain's step is one swap proposal (none possible with one connection).
      const steps = seen.filter((e) => e.event === "maintenance_started").length
      yield* pool.maintain
      assert.strictEqual(seen.filter((e) => e.event === "maintenance_started").length, steps)
    }).pipe(withCrypto)
  )

  /**
   * Octez's tezt `Swap.test_swap_raw`: 1b-1a-swapper-2a-2b, every node with peer discovery disabled,
   * all but the swapper with maintenance disabled; the swapper (`--connections 2`, bounds 1/1/3/3)
   * knows 1a and 2a (`--peer`). Its maintenance dials both, then, inside its bounds, proposes one to
   * the other. Returns the pools and the one that received the request.
   */
  const swapTopology = (swapLinger: number | null) =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const quiet = { limits: { ...Limits.defaults, swapLinger }, disablePeerDiscovery: true }
      const [a1, b1, a2, b2] = yield* Effect.forEach([1, 2, 3, 4], (i) => startPool(network, ids[i]!, i, quiet))
      yield* a1!.connect(point(2))
      yield* a2!.connect(point(4))
      const seen = new Map<string, Array<Pool.Event>>()
      for (const p of [a1!, b1!, a2!, b2!]) seen.set(p.peerId, yield* collect(p))
      const swapper = yield* startPool(network, ids[0]!, 0, {
        limits: two,
        maintenance: true,
        disablePeerDiscovery: true,
        trustedPoints: [{ point: point(1) }, { point: point(3) }]
      })
      seen.set(swapper.peerId, yield* collect(swapper))
      return { swapper, a1: a1!, b1: b1!, a2: a2!, b2: b2!, seen }
    })

  const neighbours = (pool: TestPool) => Effect.map(pool.connections, (cs) => cs.map((c) => c.peerId).sort())
  const ofPools = (...pools: ReadonlyArray<TestPool>) => pools.map((p) => p.peerId).sort()

  it.effect("p2p-swap: 1b-1a-swapper-2a-2b becomes 1b-swapper-1a-2a-2b (or its mirror)", () =>
    Effect.gen(function* () {
      const { swapper, a1, b1, a2, b2, seen } = yield* swapTopology(30)
      const of = (p: TestPool) => seen.get(p.peerId)!
      // The request reaches 1a or 2a, naming the other; the swapper gets the ack; both succeed.
      yield* until(Effect.sync(() => [a1, a2].some((p) => of(p).some((e) => e.event === "swap_request_received"))))
      const requested = of(a1).some((e) => e.event === "swap_request_received") ? a1 : a2
      const [other, far, otherFar] = requested === a1 ? [a2, b1, b2] : [a1, b2, b1]
      assert.strictEqual(
        of(requested).find((e) => e.event === "swap_request_received")?.point,
        other === a1 ? point(1) : point(3)
      )
      yield* until(Effect.sync(() => of(swapper).some((e) => e.event === "swap_ack_received")))
      assert.strictEqual(
        of(swapper).find((e) => e.event === "swap_ack_received")?.point,
        far === b1 ? point(2) : point(4)
      )
      yield* until(Effect.sync(() => of(requested).some((e) => e.event === "swap_success")))
      yield* until(Effect.sync(() => of(swapper).some((e) => e.event === "swap_success")))
      // The final neighbour sets, as Octez's test checks them (swapper ⊇ {requested, its far end},
      // requested ⊇ {swapper, the other}); here the whole line, exactly.
      yield* until(
        Effect.map(
          Effect.all([
            neighbours(swapper),
            neighbours(requested),
            neighbours(far),
            neighbours(other),
            neighbours(otherFar)
          ]),
          ([s, r, f, o, of]) =>
            String(s) === String(ofPools(requested, far)) &&
            String(r) === String(ofPools(swapper, other)) &&
            String(f) === String(ofPools(swapper)) &&
            String(o) === String(ofPools(requested, otherFar)) &&
            String(of) === String(ofPools(other))
        )
      )
    }).pipe(withCrypto)
  )

  it.effect("p2p-swap-disable: nodes with swap disabled neither answer nor send; the neighbour sets stay", () =>
    Effect.gen(function* () {
      const { swapper, a1, b1, a2, b2, seen } = yield* swapTopology(null)
      const of = (p: TestPool) => seen.get(p.peerId)!
      yield* until(Effect.map(neighbours(swapper), (n) => n.length === 2))
      // The swapper asks (its swap is enabled); the one asked ignores it, and no ack ever comes.
      yield* until(Effect.sync(() => of(swapper).some((e) => e.event === "swap_request_sent")))
      yield* until(
        Effect.sync(() =>
          [a1, a2].some((p) => of(p).some((e) => e.event === "swap_request_ignored" && e.reason === "swap disabled"))
        )
      )
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(yield* neighbours(swapper), ofPools(a1, a2))
      assert.deepStrictEqual(yield* neighbours(a1), ofPools(swapper, b1))
      assert.deepStrictEqual(yield* neighbours(a2), ofPools(swapper, b2))
      assert.isFalse(of(swapper).some((e) => e.event === "swap_ack_received"))
      for (const p of [a1, b1, a2, b2]) {
        assert.isFalse(of(p).some((e) => e.event === "swap_ack_sent" || e.event === "swap_request_sent"))
      }
      // A centre with swap disabled and two neighbours never sends a request.
      const network = yield* MemoryNetwork.make()
      const n1 = yield* startPool(network, ids[5]!, 5)
      const n2 = yield* startPool(network, ids[6]!, 6)
      const seen1 = yield* collect(n1)
      const seen2 = yield* collect(n2)
      const center = yield* startPool(network, ids[7]!, 7, {
        limits: { ...two, swapLinger: null },
        maintenance: true,
        trustedPoints: [{ point: point(5) }, { point: point(6) }]
      })
      const centerSeen = yield* collect(center)
      yield* until(Effect.map(count(center), (c) => c === 2))
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("1 minute")
      assert.isTrue(seen1.some((e) => e.event === "connection_established"))
      assert.isTrue(seen2.some((e) => e.event === "connection_established"))
      assert.isFalse([...seen1, ...seen2].some((e) => e.event === "swap_request_received"))
      assert.isTrue(centerSeen.some((e) => e.event === "maintenance_ended"))
      assert.isFalse(centerSeen.some((e) => e.event === "swap_request_sent"))
    }).pipe(withCrypto)
  )

  it.effect(
    "p2p-peer-discovery-disable: neighbours of a centre with discovery disabled get no Bootstrap nor Advertise",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        // Default limits (min 10): both nodes stay under their bounds and ask the centre every 5 s.
        const node1 = yield* startPool(network, ids[1]!, 1, { maintenance: true })
        const node2 = yield* startPool(network, ids[2]!, 2, { maintenance: true })
        const seen1 = yield* collect(node1)
        const seen2 = yield* collect(node2)
        const center = yield* startPool(network, ids[0]!, 0, { maintenance: true, disablePeerDiscovery: true })
        const centerSeen = yield* collect(center)
        yield* center.connect(point(1))
        yield* center.connect(point(2))
        // Two idle periods and more.
        for (let i = 0; i < 10; i++) yield* TestClock.adjust("30 seconds")
        yield* until(Effect.sync(() => seen1.filter((e) => e.event === "bootstrap_sent").length >= 10))
        yield* until(Effect.sync(() => seen2.filter((e) => e.event === "bootstrap_sent").length >= 10))
        for (const seen of [seen1, seen2]) {
          assert.isFalse(seen.some((e) => e.event === "bootstrap_received" || e.event === "advertise_received"))
        }
        // The centre sent nothing of the kind and answered none of their Bootstraps.
        assert.isFalse(centerSeen.some((e) => e.event === "bootstrap_sent" || e.event === "advertise_sent"))
        assert.strictEqual(yield* center.bootstrap, 0)
        // So neither learnt the other's point.
        assert.isFalse((yield* node1.knownPoints).some((p) => p.point === point(2)))
        assert.isFalse((yield* node2.knownPoints).some((p) => p.point === point(1)))
        assert.deepStrictEqual(yield* neighbours(node1), ofPools(center))
        // A full node (one slot, taken by node1, a known public point) refuses later dialers with a
        // Nack. With discovery disabled its Nack carries no points; with discovery it carries node1's.
        const oneSlot = {
          ...Limits.defaults,
          minConnections: 0,
          expectedConnections: 1,
          maxConnections: 1,
          maintenanceIdleTime: null
        }
        const crowded = yield* startPool(network, ids[3]!, 3, { disablePeerDiscovery: true, limits: oneSlot })
        const full = yield* startPool(network, ids[5]!, 5, { limits: oneSlot })
        for (const node of [crowded, full]) {
          yield* node.connect(point(1))
          assert.isTrue((yield* node.knownPoints).some((p) => p.point === point(1) && p.knownPublic))
        }
        const client = yield* startPool(network, ids[4]!, 4)
        const refused = yield* Effect.flip(client.connect(point(3)))
        assert.strictEqual(refused._tag, "RejectedByNack")
        assert.isFalse((yield* client.knownPoints).some((p) => p.point === point(1)))
        // And a node with discovery disabled registers none of the points a Nack carries, where a
        // node with discovery learns them (Octez skips `register_list_of_new_points` then).
        const learner = yield* startPool(network, ids[6]!, 6)
        const deaf = yield* startPool(network, ids[7]!, 7, { disablePeerDiscovery: true })
        for (const dialer of [learner, deaf]) {
          const nacked = yield* Effect.flip(dialer.connect(point(5)))
          assert.strictEqual(nacked._tag, "RejectedByNack")
        }
        assert.isTrue((yield* learner.knownPoints).some((p) => p.point === point(1)))
        assert.isFalse((yield* deaf.knownPoints).some((p) => p.point === point(1)))
      }).pipe(withCrypto)
  )

  it.effect(
    "Test expected_peer_id: a dial expecting another peer id fails and connects nothing; the right one connects",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const target = yield* startPool(network, ids[0]!, 0)
        const other = yield* startPool(network, ids[1]!, 1)
        const client = yield* startPool(network, ids[2]!, 2)
        const wrong = yield* Effect.flip(client.connect(point(0), { expectedPeerId: other.peerId }))
        assert.strictEqual(wrong._tag, "IdentityCheckFailure")
        if (wrong._tag === "IdentityCheckFailure") {
          assert.strictEqual(wrong.expected, other.peerId)
          assert.strictEqual(wrong.actual, target.peerId)
        }
        assert.deepStrictEqual(yield* neighbours(client), [])
        yield* until(Effect.map(neighbours(target), (n) => n.length === 0))
        const info = (yield* client.knownPoints).find((p) => p.point === point(0))
        assert.strictEqual(info?.state._tag, "Disconnected")
        assert.strictEqual(info?.expectedPeerId, other.peerId)
        // Past the failure's back-off, the right peer id connects.
        yield* TestClock.adjust("2 seconds")
        const summary = yield* client.connect(point(0), { expectedPeerId: target.peerId })
        assert.strictEqual(summary.peerId, target.peerId)
        assert.deepStrictEqual(yield* neighbours(client), ofPools(target))
      }).pipe(withCrypto)
  )

  it.effect(
    "Test expected_peer_id (tezt): in a 5-clique the right expected id keeps every connection; a wrong one drops exactly two per node",
    () =>
      Effect.gen(function* () {
        const n = 5
        const network = yield* MemoryNetwork.make()
        const pools = yield* Effect.forEach(ids.slice(0, n), (id, i) => startPool(network, id, i))
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) yield* pools[i]!.connect(point(j))
        yield* until(Effect.map(Effect.forEach(pools, count), (cs) => cs.every((c) => c === n - 1)))
        const next = (i: number) => (i + 1) % n
        const prev = (i: number) => (i + n - 1) % n
        // Each node expects its neighbour's own id at the neighbour's point: nothing is lost.
        for (let i = 0; i < n; i++) yield* pools[i]!.setExpectedPeerId(point(next(i)), pools[next(i)]!.peerId)
        for (let i = 0; i < n; i++) {
          const info = (yield* pools[i]!.knownPoints).find((p) => p.point === point(next(i)))
          assert.strictEqual(info?.expectedPeerId, pools[next(i)]!.peerId)
          assert.strictEqual(info?.state._tag, "Running")
          assert.strictEqual(yield* count(pools[i]!), n - 1)
        }
        // Each node now expects its own id there: it drops next(i), and prev(i) drops it.
        for (let i = 0; i < n; i++) yield* pools[i]!.setExpectedPeerId(point(next(i)), pools[i]!.peerId)
        yield* until(Effect.map(Effect.forEach(pools, count), (cs) => cs.every((c) => c === n - 3)))
        for (let i = 0; i < n; i++) {
          const peers = yield* neighbours(pools[i]!)
          assert.notInclude(peers, pools[next(i)]!.peerId)
          assert.notInclude(peers, pools[prev(i)]!.peerId)
          assert.isTrue(pools[i]!.acl.isAddressBanned(host(next(i)), 0))
        }
        // Unknown points are left alone (Octez does nothing for them).
        yield* pools[0]!.setExpectedPeerId("10.9.9.9:9732", pools[1]!.peerId)
        assert.isFalse((yield* pools[0]!.knownPoints).some((p) => p.point === "10.9.9.9:9732"))
      }).pipe(withCrypto)
  )
})
