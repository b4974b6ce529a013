import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Rejection from "@effect-p2p/session/Rejection"
import { Clock, Effect, Exit, Fiber, Metric, Option, Random, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import * as Limits from "../src/Limits.ts"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import * as PeersFile from "../src/PeersFile.ts"
import type * as Pool from "../src/Pool.ts"
import { type App, host, identities, point, rawPeer, startPool, supported, until, waitFor } from "./harness.ts"

const ids = identities(12)
const withCrypto = Effect.provide(CryptoBackend.layerNoble)

describe("Pool scenarios (Octez p2p-connection-pool, in memory)", () => {
  it.effect("simple: everyone connects to everyone, pings everyone, reads every ping", () =>
    Effect.gen(function* () {
      const n = 5
      const network = yield* MemoryNetwork.make()
      const pools = yield* Effect.forEach(ids.slice(0, n), (id, i) => startPool(network, id, i))
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) yield* pools[i]!.connect(point(j))
      }
      for (const pool of pools) yield* until(Effect.map(pool.connections, (c) => c.length === n - 1))
      for (const [i, pool] of pools.entries()) {
        const conns = yield* pool.connections
        // The same array while no connection opens or closes (the simulator asks every second).
        assert.strictEqual(yield* pool.connections, conns)
        assert.sameMembers(
          conns.map((c) => c.peerId),
          pools.filter((_, j) => j !== i).map((p) => p.peerId)
        )
        for (const c of conns) yield* pool.send(c.peerId, { _tag: "Ping", n: i })
      }
      for (const [i, pool] of pools.entries()) {
        const got = yield* Stream.runCollect(Stream.take(pool.messages, n - 1))
        assert.sameMembers(
          got.map(([from, m]) => `${from}:${m._tag === "Ping" ? m.n : -1}`),
          pools.flatMap((p, j) => (j === i ? [] : [`${p.peerId}:${j}`]))
        )
      }
      for (const pool of pools) {
        for (const c of yield* pool.connections) yield* pool.disconnect(c.peerId)
      }
      for (const pool of pools) yield* until(Effect.map(pool.connections, (c) => c.length === 0))
    }).pipe(withCrypto)
  )

  it.effect("random: random connects and disconnects, five rounds; states stay consistent", () =>
    Effect.gen(function* () {
      const n = 5
      const network = yield* MemoryNetwork.make()
      const pools = yield* Effect.forEach(ids.slice(0, n), (id, i) => startPool(network, id, i))
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < n; i++) {
          const j = yield* Random.nextIntBetween(0, n - 1)
          if (j === i) continue
          const connected = (yield* pools[i]!.connections).some((c) => c.peerId === pools[j]!.peerId)
          if (connected && (yield* Random.nextBoolean))
            yield* pools[i]!.disconnect(pools[j]!.peerId).pipe(Effect.ignore)
          else yield* Effect.exit(pools[i]!.connect(point(j)))
        }
        yield* TestClock.adjust("61 seconds") // past every back-off
        for (const pool of pools) {
          // Each connection's peer is Running, every other known peer is not.
          const conns = yield* pool.connections
          const running = (yield* pool.knownPeers).filter((p) => p.state._tag === "Running").map((p) => p.peerId)
          assert.sameMembers(
            running,
            conns.map((c) => c.peerId)
          )
          // Nothing is left half-way once every attempt has finished, and Running points are connected.
          const pointsNow = yield* pool.knownPoints
          assert.isTrue(pointsNow.every((p) => p.state._tag === "Disconnected" || p.state._tag === "Running"))
          assert.sameMembers(
            pointsNow.filter((p) => p.state._tag === "Running").map((p) => p.point),
            conns.filter((c) => pointsNow.some((p) => p.point === c.point)).map((c) => c.point)
          )
        }
      }
    }).pipe(Random.withSeed(42), withCrypto)
  )

  it.effect(
    "garbled: garbage after authentication closes that connection and greylists its address; others undisturbed",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const target = yield* startPool(network, ids[0]!, 0)
        const friend = yield* startPool(network, ids[1]!, 1)
        yield* friend.connect(point(0))
        const events = yield* target.subscribe
        const raw = yield* rawPeer(network, ids[2]!, host(2), { host: host(0), port: 9732 })
        yield* until(Effect.map(target.connections, (c) => c.length === 2))
        yield* raw.connected.socket.write(new Uint8Array(16))
        const greylisted = yield* waitFor(events, (e) => e.event === "greylisted")
        assert.strictEqual(greylisted?.point, host(2))
        yield* until(Effect.map(target.connections, (c) => c.length === 1))
        assert.isTrue(target.acl.isAddressBanned(host(2), 0))
        assert.isTrue(target.acl.isPeerBanned(PeerId.toBase58(ids[2]!.peerId)))
        // The other connection still carries messages.
        yield* friend.send(target.peerId, { _tag: "Chat", text: "still here" })
        const [from, message] = (yield* Stream.runHead(target.messages)).pipe(Option.getOrThrow)
        assert.strictEqual(from, friend.peerId)
        assert.deepStrictEqual(message, { _tag: "Chat", text: "still here" })
      }).pipe(withCrypto)
  )

  it.effect(
    "overcrowded: a full target nacks every client with its known points; every client ends knowing every point",
    () =>
      Effect.gen(function* () {
        const clients = 6
        const network = yield* MemoryNetwork.make()
        // Threshold 0: the target takes nobody, and answers each with a Nack and its points.
        const target = yield* startPool(network, ids[0]!, 0, {
          limits: { ...Limits.defaults, minConnections: 0, expectedConnections: 0, maxConnections: 0 }
        })
        const pools = yield* Effect.forEach(ids.slice(1, clients + 1), (id, i) => startPool(network, id, i + 1))
        for (let round = 0; round < 2; round++) {
          for (const pool of pools) {
            const error = yield* Effect.flip(pool.connect(point(0)))
            assert.strictEqual(error._tag, "RejectedByNack")
            if (error._tag === "RejectedByNack") assert.strictEqual(error.motive, Rejection.TooManyConnections)
          }
          yield* TestClock.adjust("2 seconds") // past the back-off of the failed attempt
        }
        for (const [i, pool] of pools.entries()) {
          const known = (yield* pool.knownPoints).map((p) => p.point)
          const others = pools.map((_, j) => point(j + 1)).filter((_, j) => j !== i)
          for (const p of [point(0), ...others]) assert.include(known, p, `client ${i + 1} knows ${p}`)
        }
        assert.deepStrictEqual(yield* target.connections, [])
      }).pipe(withCrypto)
  )

  it.effect(
    "no-common-network-protocol: another chain is nacked with Unknown_chain_name; the point is unregistered, not greylisted",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const a = yield* startPool(network, ids[0]!, 0)
        const b = yield* startPool(network, ids[1]!, 1, { supported: { ...supported, chainName: "OTHER_CHAIN" } })
        const error = yield* Effect.flip(a.connect(point(1)))
        // Both sides nack (each sees another chain); the dialler reports its own Nack or the peer's.
        assert.include(["Rejected", "RejectedByNack"], error._tag)
        assert.isFalse((yield* b.knownPoints).some((p) => p.point === point(0)))
        assert.isFalse(b.acl.isAddressBanned(host(0), 0))
        assert.isFalse(a.acl.isAddressBanned(host(1), 0))
        assert.deepStrictEqual(yield* a.connections, [])
      }).pipe(withCrypto)
  )

  it.effect("ban: a greylisted IP is banned: its connections are closed without a byte", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const target = yield* startPool(network, ids[0]!, 0)
      const client = yield* startPool(network, ids[1]!, 1)
      const events = yield* target.subscribe
      target.acl.greylistAddress(host(1), yield* Clock.currentTimeMillis)
      const refused = yield* Effect.flip(client.connect(point(0)))
      assert.strictEqual(refused._tag, "ConnectionClosed")
      const event = yield* waitFor(events, (e) => e.event === "incoming_connection_refused")
      assert.strictEqual(event?.reason, "banned")
      // Closed without a byte: a raw dial reads the end of the stream at once.
      const raw = yield* network.transport(host(1)).dial({ host: host(0), port: 9732 })
      assert.isTrue(Exit.isFailure(yield* Effect.exit(raw.socket.read)))
      // Greylisting expires after ip_greylist_cleanup_delay (1 day).
      yield* TestClock.adjust("1 days")
      yield* client.connect(point(0))
      assert.strictEqual((yield* target.connections).length, 1)
    }).pipe(withCrypto)
  )

  it.effect("clear: emptying the greylists lets the address in again", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const target = yield* startPool(network, ids[0]!, 0)
      const client = yield* startPool(network, ids[1]!, 1)
      target.acl.greylistAddress(host(1), yield* Clock.currentTimeMillis)
      assert.strictEqual((yield* Effect.flip(client.connect(point(0))))._tag, "ConnectionClosed")
      target.acl.clearGreylists()
      yield* TestClock.adjust("2 seconds") // the client's back-off after its failed attempt
      yield* client.connect(point(0))
      assert.strictEqual((yield* target.connections).length, 1)
    }).pipe(withCrypto)
  )

  it.effect("banAddress disconnects the peers there; unbanAddress lets them back; trustPoint unbans", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const a = yield* startPool(network, ids[0]!, 0)
      const b = yield* startPool(network, ids[1]!, 1)
      yield* a.connect(point(1))
      yield* a.banAddress(host(1))
      yield* until(Effect.map(a.connections, (c) => c.length === 0))
      const banned = yield* Effect.flip(a.connect(point(1)))
      assert.strictEqual(banned._tag, "PointBanned")
      yield* a.trustPoint(point(1))
      yield* TestClock.adjust("61 seconds")
      yield* a.connect(point(1))
      assert.strictEqual((yield* b.connections).length, 1)
      yield* a.banPeer(b.peerId)
      yield* until(Effect.map(a.connections, (c) => c.length === 0))
      yield* TestClock.adjust("61 seconds")
      const again = yield* Effect.flip(a.connect(point(1)))
      assert.strictEqual(again._tag, "PeerBanned")
    }).pipe(withCrypto)
  )
})

describe("connect handler", () => {
  it.effect(
    "Don't remove incoming connections too early: the incoming count stays 1 while authentication hangs, then the timeout frees it",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const target = yield* startPool(network, ids[0]!, 0, {
          limits: { ...Limits.defaults, maxIncomingConnections: 1 }
        })
        const events = yield* target.subscribe
        // A dial that never sends its connection message.
        yield* network.transport(host(1)).dial({ host: host(0), port: 9732 })
        yield* until(Effect.map(target.pendingIncoming, (n) => n === 1))
        // Over max incoming: the next one is closed at once.
        const second = yield* network.transport(host(2)).dial({ host: host(0), port: 9732 })
        assert.isTrue(Exit.isFailure(yield* Effect.exit(second.socket.read)))
        assert.strictEqual(
          (yield* waitFor(events, (e) => e.event === "incoming_connection_refused"))?.reason,
          "too many incoming"
        )
        yield* TestClock.adjust("4999 millis")
        assert.strictEqual(yield* target.pendingIncoming, 1)
        yield* TestClock.adjust("1 millis")
        yield* until(Effect.map(target.pendingIncoming, (n) => n === 0))
        const failed = yield* waitFor(events, (e) => e.event === "authentication_failed")
        assert.strictEqual(failed?.reason, "HandshakeTimeout")
        assert.isFalse(target.acl.isAddressBanned(host(1), 0), "a slow peer is not greylisted")
      }).pipe(withCrypto)
  )

  it.effect(
    "each Nack shares the points known and not banned when it is sent (learnt or banned since the last one)",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const target = yield* startPool(network, ids[0]!, 0, {
          limits: { ...Limits.defaults, minConnections: 0, expectedConnections: 0, maxConnections: 0 }
        })
        const clients = yield* Effect.forEach([1, 2, 3, 4], (i) => startPool(network, ids[i]!, i))
        const nackedPoints = (client: Pool.Pool<App>) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(client.connect(point(0)))
            assert.strictEqual(error._tag, "RejectedByNack")
            return error._tag === "RejectedByNack"
              ? [...Option.getOrElse(error.alternativePoints, () => [])].sort()
              : []
          })
        yield* nackedPoints(clients[0]!)
        assert.deepStrictEqual(yield* nackedPoints(clients[1]!), [point(1), point(2)])
        // Twice from an unchanged table: the same points.
        assert.deepStrictEqual(yield* nackedPoints(clients[2]!), [point(1), point(2), point(3)])
        yield* TestClock.adjust("2 seconds")
        assert.deepStrictEqual(yield* nackedPoints(clients[2]!), [point(1), point(2), point(3)])
        // Banned, then greylisted: out of the next Nack; unbanned: back in.
        target.acl.banAddress(host(1))
        assert.deepStrictEqual(yield* nackedPoints(clients[3]!), [point(2), point(3), point(4)])
        target.acl.unbanAddress(host(1))
        target.acl.greylistAddress(host(2), yield* Clock.currentTimeMillis)
        yield* TestClock.adjust("2 seconds")
        assert.deepStrictEqual(yield* nackedPoints(clients[3]!), [point(1), point(3), point(4)])
      }).pipe(withCrypto)
  )

  it.effect(
    "the policy hook runs after the metadata and before the Ack: its Nack carries the motive and known points",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        let asked = 0
        const target = yield* startPool(network, ids[0]!, 0, {
          policy: (info) =>
            Effect.sync(() => {
              asked++
              return info.remoteMetadata.disableMempool
                ? ({ _tag: "Reject", motive: Rejection.NoMotive } as const)
                : ({ _tag: "Accept" } as const)
            })
        })
        const good = yield* startPool(network, ids[1]!, 1)
        const picky = yield* startPool(network, ids[2]!, 2, { disableMempool: true })
        yield* good.connect(point(0))
        const error = yield* Effect.flip(picky.connect(point(0)))
        assert.strictEqual(asked, 2)
        assert.strictEqual(error._tag, "RejectedByNack")
        if (error._tag === "RejectedByNack") {
          assert.strictEqual(error.motive, Rejection.NoMotive)
          assert.include(Option.getOrThrow(error.alternativePoints), point(1))
        }
        assert.deepStrictEqual(
          (yield* target.connections).map((c) => c.peerId),
          [good.peerId]
        )
      }).pipe(withCrypto)
  )

  it.effect("an expected peer id that does not match is refused (IdentityCheckFailure)", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      yield* startPool(network, ids[0]!, 0)
      const b = yield* startPool(network, ids[1]!, 1)
      const client = yield* startPool(network, ids[2]!, 2)
      const error = yield* Effect.flip(client.connect(point(0), { expectedPeerId: b.peerId }))
      assert.strictEqual(error._tag, "IdentityCheckFailure")
    }).pipe(withCrypto)
  )

  it.effect("private mode: only trusted points connect either way", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const priv = yield* startPool(network, ids[0]!, 0, { privateMode: true, trustedPoints: [{ point: point(1) }] })
      yield* startPool(network, ids[1]!, 1)
      const stranger = yield* startPool(network, ids[2]!, 2)
      const refused = yield* Effect.flip(priv.connect(point(2)))
      assert.strictEqual(refused._tag, "PrivateMode")
      yield* priv.connect(point(1))
      const inbound = yield* Effect.flip(stranger.connect(point(0)))
      assert.strictEqual(inbound._tag, "ConnectionClosed")
      assert.strictEqual((yield* priv.connections).length, 1)
    }).pipe(withCrypto)
  )

  it.effect(
    "simultaneous dials: each point is Requested when the other's dial arrives; at most one connection results",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const a = yield* startPool(network, ids[0]!, 0)
        const b = yield* startPool(network, ids[1]!, 1)
        const [ra, rb] = yield* Effect.all([Effect.exit(a.connect(point(1))), Effect.exit(b.connect(point(0)))], {
          concurrency: 2
        })
        // Octez's rule (point Requested and incoming ⇒ Already_connected) may refuse both; never two links.
        for (const r of [ra, rb]) {
          if (Exit.isFailure(r)) {
            const error = Option.getOrThrow(Exit.findErrorOption(r))
            assert.include(["Rejected", "RejectedByNack", "ConnectionClosed"], error._tag)
          }
        }
        yield* until(
          Effect.map(Effect.all([a.connections, b.connections]), ([x, y]) => x.length === y.length && x.length <= 1)
        )
        for (const pool of [a, b]) {
          const states = (yield* pool.knownPoints).map((p) => p.state._tag)
          assert.isTrue(states.every((t) => t === "Disconnected" || t === "Running"))
        }
      }).pipe(withCrypto)
  )
})

describe("back-off", () => {
  it.effect("no dial ever starts before its point's back-off end time (random schedules, TestClock)", () =>
    Effect.gen(function* () {
      const schedules = fc.sample(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 5, maxLength: 25 }), {
        numRuns: 10,
        seed: 7
      })
      for (const steps of schedules) {
        const network = yield* MemoryNetwork.make()
        const pool = yield* startPool(network, ids[0]!, 0)
        const dials: Array<number> = []
        let endTime = Number.NEGATIVE_INFINITY
        for (const step of steps) {
          yield* TestClock.adjust(step)
          const now = yield* Clock.currentTimeMillis
          const exit = yield* Effect.exit(pool.connect("10.9.9.9:9732"))
          assert.isTrue(Exit.isFailure(exit))
          const info = (yield* pool.knownPoints).find((p) => p.point === "10.9.9.9:9732")!
          if (info.lastFailedConnection === now) {
            dials.push(now)
            assert.isAbove(now, endTime, "dialled after the previous back-off ended")
            endTime = info.reconnection.endTime!
          }
        }
        assert.isAbove(dials.length, 0)
      }
    }).pipe(withCrypto)
  )
})

describe("hostile peers", () => {
  const setup = Effect.gen(function* () {
    const network = yield* MemoryNetwork.make()
    const target = yield* startPool(network, ids[0]!, 0)
    const friend = yield* startPool(network, ids[1]!, 1)
    yield* friend.connect(point(0))
    return { network, target, friend }
  })

  /** The friend's connection still carries messages both ways. */
  const friendStillServed = (target: Pool.Pool<App>, friend: Pool.Pool<App>) =>
    Effect.gen(function* () {
      yield* friend.send(target.peerId, { _tag: "Chat", text: "fine" })
      const [from, message] = Option.getOrThrow(yield* Stream.runHead(target.messages))
      assert.strictEqual(from, friend.peerId)
      assert.deepStrictEqual(message, { _tag: "Chat", text: "fine" })
    })

  it.effect("an Advertise of 101 points greylists that peer and its address; others undisturbed", () =>
    Effect.gen(function* () {
      const { network, target, friend } = yield* setup
      const raw = yield* rawPeer(network, ids[2]!, host(2), { host: host(0), port: 9732 })
      const events = yield* target.subscribe
      const body: Array<number> = []
      for (let i = 0; i < 101; i++) {
        const p = new TextEncoder().encode(`10.1.0.${i % 250}:${1000 + i}`)
        body.push(0, 0, 0, p.length, ...p)
      }
      const frame = new Uint8Array(6 + body.length)
      new DataView(frame.buffer).setUint32(0, body.length + 2)
      new DataView(frame.buffer).setUint16(4, 3)
      frame.set(body, 6)
      yield* raw.connection.writeEncoded(frame)
      const event = yield* waitFor(events, (e) => e.event === "greylisted")
      assert.strictEqual(event?.reason, "DecodeError")
      assert.isTrue(target.acl.isAddressBanned(host(2), 0))
      yield* until(Effect.map(target.connections, (c) => c.length === 1))
      assert.isFalse((yield* target.knownPoints).some((p) => p.point.startsWith("10.1.0.")))
      yield* friendStillServed(target, friend)
    }).pipe(withCrypto)
  )

  it.effect("a Bootstrap storm is throttled: one Advertise per 100 ms, none dropped", () =>
    Effect.gen(function* () {
      const { network, target } = yield* setup
      const raw = yield* rawPeer(network, ids[2]!, host(2), { host: host(0), port: 9732 })
      for (let i = 0; i < 5; i++) yield* raw.connection.write({ _tag: "Bootstrap" })
      const first = yield* raw.connection.read
      assert.strictEqual(first[1]._tag, "Advertise")
      if (first[1]._tag === "Advertise") assert.include(first[1].points, point(1))
      // The others wait their cooldown: nothing more until the clock moves.
      for (let i = 0; i < 100; i++) yield* Effect.yieldNow
      assert.isTrue(Option.isNone(yield* raw.connection.readNow))
      for (let i = 1; i < 5; i++) {
        yield* TestClock.adjust("100 millis")
        const next = yield* raw.connection.read
        assert.strictEqual(next[1]._tag, "Advertise")
      }
      assert.strictEqual((yield* target.connections).length, 2)
    }).pipe(withCrypto)
  )

  it.effect("a private node's points are never advertised, and Bootstrap from a private node is not answered", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const target = yield* startPool(network, ids[0]!, 0)
      const priv = yield* startPool(network, ids[1]!, 1, { privateMode: true, trustedPoints: [{ point: point(0) }] })
      yield* priv.connect(point(0))
      const raw = yield* rawPeer(network, ids[2]!, host(2), { host: host(0), port: 9732 })
      yield* raw.connection.write({ _tag: "Bootstrap" })
      const answer = yield* raw.connection.read
      assert.strictEqual(answer[1]._tag, "Advertise")
      if (answer[1]._tag === "Advertise") assert.notInclude(answer[1].points, point(1))
      assert.isTrue((yield* target.knownPoints).some((p) => p.point === point(1) && !p.knownPublic))
    }).pipe(withCrypto)
  )

  it.effect(
    "failed authentication greylists the address (not enough proof of work); the next dial from it is closed at once",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const target = yield* startPool(network, ids[0]!, 0, { expectedPow: 24 })
        const client = yield* startPool(network, ids[1]!, 1)
        const events = yield* target.subscribe
        const error = yield* Effect.flip(client.connect(point(0)))
        assert.strictEqual(error._tag, "ConnectionClosed")
        const greylisted = yield* waitFor(events, (e) => e.event === "greylisted")
        assert.deepStrictEqual([greylisted?.point, greylisted?.reason], [host(1), "NotEnoughProofOfWork"])
        assert.include(target.acl.greylistedAddresses(yield* Clock.currentTimeMillis), host(1))
      }).pipe(withCrypto)
  )

  it.effect("advertised points past max_known_points are collected down to the target, trusted points kept", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const target = yield* startPool(network, ids[0]!, 0, {
        limits: { ...Limits.defaults, maxKnownPoints: [6, 3] },
        trustedPoints: [{ point: "10.7.7.7:1" }]
      })
      const events = yield* target.subscribe
      const raw = yield* rawPeer(network, ids[2]!, host(2), { host: host(0), port: 9732 })
      const advertised = Array.from({ length: 20 }, (_, i) => `10.2.0.${i}:9732`)
      yield* raw.connection.write({ _tag: "Advertise", points: advertised })
      const gc = yield* waitFor(events, (e) => e.event === "gc_points")
      assert.isAbove(gc?.count ?? 0, 0)
      yield* until(Effect.map(target.knownPoints, (ps) => ps.some((p) => p.point === advertised.at(-1))))
      const known = (yield* target.knownPoints).map((p) => p.point)
      assert.isAtMost(known.length, 6)
      assert.include(known, "10.7.7.7:1")
      assert.include(known, point(2), "the connected peer's point is running, never collected")
    }).pipe(withCrypto)
  )

  it.effect(
    "peers file: known peers and their last points are saved when the pool stops and registered on restart",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const store = yield* Effect.gen(function* () {
          return yield* PeersFile.PeersStore
        }).pipe(Effect.provide(PeersFile.memory()))
        const withStore = Effect.provideService(PeersFile.PeersStore, store)
        yield* startPool(network, ids[1]!, 1)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const a = yield* withStore(startPool(network, ids[0]!, 0))
            yield* a.connect(point(1))
          })
        )
        const saved = yield* store.load
        assert.deepStrictEqual(
          saved.map((r) => [r.peer_id, r.last_seen?.[0]]),
          [[PeerId.toBase58(ids[1]!.peerId), { addr: host(1), port: 9732 }]]
        )
        const again = yield* withStore(startPool(network, ids[0]!, 0))
        assert.include(
          (yield* again.knownPoints).map((p) => p.point),
          point(1)
        )
      }).pipe(withCrypto)
  )

  it.effect(
    "Connect then destroy: closing a pool's scope closes its connections; the peer sees an external disconnection and no event follows",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const stayer = yield* startPool(network, ids[0]!, 0)
        const stayerEvents = yield* stayer.subscribe
        const counts = { established: 0, disconnected: 0, after: 0 }
        let destroyed = false
        yield* Effect.scoped(
          Effect.gen(function* () {
            const leaver = yield* startPool(network, ids[1]!, 1)
            const events = yield* leaver.subscribe
            yield* Effect.forkScoped(
              Stream.runForEach(events, (e) =>
                Effect.sync(() => {
                  if (destroyed) counts.after++
                  if (e.event === "connection_established") counts.established++
                  if (e.event === "disconnection" || e.event === "external_disconnection") counts.disconnected++
                })
              )
            )
            yield* leaver.connect(point(0))
            yield* until(Effect.sync(() => counts.established === 1))
          })
        )
        destroyed = true
        yield* TestClock.adjust("61 seconds") // past the back-off of the closed connection's point
        const gone = yield* waitFor(stayerEvents, (e) => e.event === "external_disconnection")
        assert.strictEqual(gone?.peerId, PeerId.toBase58(ids[1]!.peerId))
        yield* until(Effect.map(stayer.connections, (c) => c.length === 0))
        // The closed pool listens no more.
        assert.strictEqual((yield* Effect.flip(stayer.connect(point(1))))._tag, "ConnectionFailed")
        assert.strictEqual(counts.after, 0)
      }).pipe(withCrypto)
  )

  it.effect("metrics follow the pool: connections, known points, greylisted addresses", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const a = yield* startPool(network, ids[0]!, 0)
      yield* startPool(network, ids[1]!, 1)
      yield* a.connect(point(1))
      assert.strictEqual((yield* Metric.value(a.metrics.connections)).value, 1)
      assert.isAtLeast((yield* Metric.value(a.metrics.knownPoints)).value, 1)
      yield* a.greylistPeer(PeerId.toBase58(ids[1]!.peerId))
      yield* until(Effect.map(a.connections, (c) => c.length === 0))
      assert.strictEqual((yield* Metric.value(a.metrics.connections)).value, 0)
      assert.strictEqual((yield* Metric.value(a.metrics.greylisted)).value, 1)
      assert.isAbove((yield* Metric.value(a.metrics.bytesSent)).value, 0)
    }).pipe(withCrypto)
  )

  it.effect("messages ends when the pool stops, after what was already queued", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const b = yield* startPool(network, ids[1]!, 1)
      const scope = yield* Scope.make()
      const a = yield* startPool(network, ids[0]!, 0).pipe(Scope.provide(scope))
      yield* b.connect(point(0))
      yield* until(Effect.map(a.connections, (c) => c.length === 1))
      const before = (yield* a.stat(b.peerId)).totalRecv
      yield* b.send(a.peerId, { _tag: "Ping", n: 7 })
      // Received (and queued by the reader) before the pool stops.
      yield* until(Effect.map(a.stat(b.peerId), (stat) => stat.totalRecv > before))
      for (let i = 0; i < 100; i++) yield* Effect.yieldNow
      const collected = yield* Effect.forkChild(Stream.runCollect(a.messages))
      yield* Scope.close(scope, Exit.void)
      const got = yield* Fiber.join(collected)
      assert.deepStrictEqual(
        got.map(([, m]) => m),
        [{ _tag: "Ping", n: 7 }]
      )
    }).pipe(withCrypto)
  )

  it.effect(
    "p2p-swap: S proposes Y to X; X answers with Z and dials Y; S dials Z; each drops the peer it gave away",
    () =>
      Effect.gen(function* () {
        const network = yield* MemoryNetwork.make()
        const [s, x, y, z] = yield* Effect.forEach([0, 1, 2, 3], (i) => startPool(network, ids[i]!, i))
        yield* s!.connect(point(1)) // S–X
        yield* s!.connect(point(2)) // S–Y
        yield* x!.connect(point(3)) // X–Z
        const linked = (a: Pool.Pool<App>, b: Pool.Pool<App>) =>
          Effect.map(a.connections, (cs) => cs.some((c) => c.peerId === b.peerId))
        const sEvents = yield* s!.subscribe
        const xEvents = yield* x!.subscribe
        // Force S's choice: with only X and Y, the recipient and the proposal are one each way; retry until X receives.
        let sent = false
        for (let attempt = 0; attempt < 20 && !sent; attempt++) {
          assert.isTrue(yield* s!.swap)
          const event = yield* waitFor(sEvents, (e) => e.event === "swap_request_sent")
          sent = event?.peerId === x!.peerId
          if (!sent) yield* TestClock.adjust("61 seconds") // Y's throttle and linger; try again
        }
        assert.isTrue(sent)
        assert.strictEqual((yield* waitFor(xEvents, (e) => e.event === "swap_ack_sent"))?.point, point(3))
        yield* until(Effect.map(Effect.all([linked(x!, y!), linked(s!, z!)]), ([a, b]) => a && b))
        yield* until(Effect.map(Effect.all([linked(x!, z!), linked(s!, y!)]), ([a, b]) => !a && !b))
        assert.isTrue(yield* linked(s!, x!))
        // X accepted a swap just now: another request within swap-linger (30 s) is ignored, after it is not.
        const raw = yield* rawPeer(network, ids[4]!, host(4), { host: host(1), port: 9732 })
        const xLater = yield* x!.subscribe
        yield* raw.connection.write({ _tag: "SwapRequest", point: "10.9.9.9:9732", peerId: ids[5]!.peerId })
        const ignored = yield* waitFor(xLater, (e) => e.event === "swap_request_ignored")
        assert.strictEqual(ignored?.reason, "swap linger")
        yield* TestClock.adjust("61 seconds")
        yield* raw.connection.write({ _tag: "SwapRequest", point: "10.9.9.9:9732", peerId: ids[5]!.peerId })
        const acked = yield* waitFor(xLater, (e) => e.event === "swap_ack_sent")
        assert.strictEqual(acked?.peerId, PeerId.toBase58(ids[4]!.peerId))
      }).pipe(withCrypto)
  )

  it.effect("swap disabled (swap-linger null): requests are ignored and none is sent", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const off = { limits: { ...Limits.defaults, swapLinger: null } }
      const s = yield* startPool(network, ids[0]!, 0, off)
      yield* startPool(network, ids[1]!, 1, off)
      yield* startPool(network, ids[2]!, 2, off)
      yield* s.connect(point(1))
      yield* s.connect(point(2))
      assert.isFalse(yield* s.swap)
      const raw = yield* rawPeer(network, ids[3]!, host(3), { host: host(0), port: 9732 })
      const events = yield* s.subscribe
      yield* raw.connection.write({ _tag: "SwapRequest", point: "10.3.3.3:9732", peerId: ids[4]!.peerId })
      const ignored = yield* waitFor(events, (e) => e.event === "swap_request_ignored")
      assert.strictEqual(ignored?.reason, "swap disabled")
    }).pipe(withCrypto)
  )

  it.effect("myself: a point that turns out to be us is forgotten and never dialled again", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const a = yield* startPool(network, ids[0]!, 0)
      // The same identity behind another address: to a, that point is itself.
      yield* startPool(network, ids[0]!, 1)
      const error = yield* Effect.flip(a.connect(point(1)))
      assert.strictEqual(error._tag, "Myself")
      assert.isFalse((yield* a.knownPoints).some((p) => p.point === point(1)))
      const again = yield* Effect.flip(a.connect(point(1)))
      assert.strictEqual(again._tag, "InvalidPoint")
    }).pipe(withCrypto)
  )

  it.effect("overcrowded-mixed: a p2p-version-0 client gets a bare Nack_v_0, a version-1 client the points", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      yield* startPool(network, ids[0]!, 0, {
        limits: { ...Limits.defaults, minConnections: 0, expectedConnections: 0, maxConnections: 0 }
      })
      const v0 = yield* startPool(network, ids[1]!, 1, { supported: { ...supported, p2pVersions: [0] } })
      const v1 = yield* startPool(network, ids[2]!, 2)
      const e0 = yield* Effect.flip(v0.connect(point(0)))
      const e1 = yield* Effect.flip(v1.connect(point(0)))
      assert.strictEqual(e0._tag, "RejectedByNack")
      assert.strictEqual(e1._tag, "RejectedByNack")
      if (e0._tag === "RejectedByNack") assert.isTrue(Option.isNone(e0.alternativePoints))
      if (e1._tag === "RejectedByNack") assert.include(Option.getOrThrow(e1.alternativePoints), point(1))
    }).pipe(withCrypto)
  )

  it.effect(
    "p2p-peer-discovery: through one center, every node learns every other point by Bootstrap / Advertise",
    () =>
      Effect.gen(function* () {
        const n = 10
        const network = yield* MemoryNetwork.make()
        const center = yield* startPool(network, ids[0]!, 0)
        const nodes = yield* Effect.forEach(ids.slice(1, n), (id, i) =>
          startPool(network, id, i + 1, { trustedPoints: [{ point: point(0) }] })
        )
        for (const node of nodes) yield* node.connect(point(0))
        yield* until(Effect.map(center.connections, (c) => c.length === n - 1))
        for (const node of nodes) assert.strictEqual(yield* node.bootstrap, 1)
        yield* TestClock.adjust("1 second")
        for (const [i, node] of nodes.entries()) {
          const want = Array.from({ length: n }, (_, j) => point(j)).filter((p) => p !== point(i + 1))
          yield* until(Effect.map(node.knownPoints, (ps) => want.every((p) => ps.some((k) => k.point === p))))
          assert.notInclude(
            (yield* node.knownPoints).map((p) => p.point),
            point(i + 1)
          )
        }
      }).pipe(withCrypto)
  )

  it.effect("an IPv4-mapped IPv6 point is the IPv4 point (one peer, one point, as Octez)", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const a = yield* startPool(network, ids[0]!, 0, { trustedPoints: [{ point: "[::FFFF:10.0.0.2]:9732" }] })
      yield* startPool(network, ids[1]!, 1)
      const connection = yield* a.connect("[::ffff:10.0.0.2]:9732")
      assert.strictEqual(connection.point, point(1))
      const known = yield* a.knownPoints
      assert.deepStrictEqual(
        known.map((p) => [p.point, p.trusted, p.state._tag]),
        [[point(1), true, "Running"]]
      )
    }).pipe(withCrypto)
  )

  it.effect("wrong inputs are refused with their tagged error, before any socket", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const badLimits = yield* Effect.flip(
        startPool(network, ids[0]!, 0, { limits: { ...Limits.defaults, minConnections: 60 } })
      )
      assert.strictEqual((badLimits as { _tag: string })._tag, "InvalidLimits")
      const a = yield* startPool(network, ids[0]!, 0)
      const taken = yield* Effect.flip(startPool(network, ids[1]!, 0))
      assert.strictEqual((taken as { _tag: string; reason: string }).reason, "AddressInUse")
      for (const bad of ["nonsense", "10.0.0.2", "10.0.0.2:70000", "[::1:9732", ":9732"]) {
        const error = yield* Effect.flip(a.connect(bad))
        assert.strictEqual(error._tag, "InvalidPoint", bad)
      }
      const nobody = PeerId.toBase58(ids[5]!.peerId)
      assert.strictEqual((yield* Effect.flip(a.send(nobody, { _tag: "Ping", n: 1 })))._tag, "PeerNotConnected")
      assert.strictEqual((yield* Effect.flip(a.stat(nobody)))._tag, "PeerNotConnected")
      assert.strictEqual((yield* Effect.flip(a.disconnect(nobody)))._tag, "PeerNotConnected")
      assert.strictEqual(yield* network.openLinks, 0)
    }).pipe(withCrypto)
  )
})
