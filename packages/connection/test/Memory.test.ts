/**
 * Queues charge what memory really costs (issue 18): for random sequences of message sizes, from
 * empty to twice the queue size, sent to a connection whose reader never drains, the queues'
 * accounted bytes never pass their bounds, and the heap really held (measured in a child process
 * run with --expose-gc, after forced collections) stays within what they account plus the fixed
 * buffers docs/LIMITS.md lists.
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect, Fiber } from "effect"
import * as fc from "fast-check"
import * as ByteReader from "../src/ByteReader.ts"
import * as ByteSocket from "../src/ByteSocket.ts"
import * as Chunk from "../src/Chunk.ts"
import * as Connection from "../src/Connection.ts"
import * as IoScheduler from "../src/IoScheduler.ts"
import { channelKey, connectionsOver, nonceA, nonceB } from "./helpers.ts"

const root = path.resolve(import.meta.dirname, "../../..")
const tsxLoader = pathToFileURL(path.join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
const fillScript = path.join(import.meta.dirname, "memory", "fill.ts")

/** Sizes from 0 to `2 × queueSize`, most of them small (floods of tiny messages are the costly case). */
const sizesUpTo = (queueSize: number, maxLength: number) =>
  fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 16 * 1024 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * queueSize }) }
    ),
    { minLength: 1, maxLength }
  )

/** What the outgoing queue may account: its bound, or one message alone (Octez's rule). */
const withinBound = (bytes: number, messages: number, bound: number) => bytes <= bound || messages <= 1

describe("queues charge what messages really cost", () => {
  it("accounted bytes never pass the queue bounds, for any mix of sizes, while the reader never drains", () =>
    fc.assert(
      fc.asyncProperty(sizesUpTo(64 * 1024, 300), (sizes) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const queueSize = 64 * 1024
              const options = { incomingQueueSize: queueSize, outgoingQueueSize: queueSize }
              const [sender, receiver] = yield* connectionsOver(
                ByteSocket.makePair({ capacity: 16 * 1024 }),
                Encoding.bytes,
                options
              )
              const writing = yield* Effect.forkChild(
                Effect.forEach(sizes, (n) => sender.write(new Uint8Array(n)), { discard: true })
              )
              let last = ""
              let still = 0
              while (still < 20) {
                const r = yield* receiver.queued
                const s = yield* sender.queued
                // Incoming also charges the one message the reader holds: being reassembled, or
                // complete and waiting for room.
                const largest = 2 * queueSize + 4 + Connection.incomingMessageOverhead
                assert.isTrue(
                  r.incomingBytes <= queueSize + largest || (r.incomingMessages <= 1 && r.incomingBytes <= 2 * largest),
                  JSON.stringify(r)
                )
                assert.isTrue(withinBound(s.outgoingBytes, s.outgoingMessages, queueSize), JSON.stringify(s))
                // Each message is charged its encoded size (4-byte prefix) plus the measured overhead.
                if (r.incomingMessages === 1) assert.isAtLeast(r.incomingBytes, Connection.incomingMessageOverhead + 4)
                const now = JSON.stringify([r, s])
                still = now === last ? still + 1 : 0
                last = now
                yield* Effect.yieldNow
              }
              yield* Fiber.interrupt(writing)
            })
          ).pipe(Effect.provide(CryptoBackend.layerNoble))
        )
      ),
      { numRuns: 25 }
    ))

  it.live(
    "a flood of empty messages is bounded by the per-message charge: the queue holds bound / overhead of them",
    () =>
      Effect.gen(function* () {
        const queueSize = 256 * 1024
        const [sender, receiver] = yield* connectionsOver(
          ByteSocket.makePair({ capacity: 16 * 1024 }),
          Encoding.bytes,
          {
            incomingQueueSize: queueSize,
            outgoingQueueSize: queueSize
          }
        )
        const flood = yield* Effect.forkChild(Effect.forever(sender.write(new Uint8Array(0))))
        let queued = yield* receiver.queued
        for (let i = 0; i < 1000 && queued.incomingBytes + Connection.incomingMessageOverhead + 4 <= queueSize; i++) {
          yield* Effect.sleep(1)
          queued = yield* receiver.queued
        }
        assert.strictEqual(queued.incomingMessages, Math.floor(queueSize / (Connection.incomingMessageOverhead + 4)))
        const s = yield* sender.queued
        assert.isAtMost(s.outgoingBytes, queueSize)
        yield* Fiber.interrupt(flood)
      }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it("the heap really held stays within the accounted bytes plus the fixed buffers (child process, --expose-gc)", () => {
    const queueSize = 2 * 1024 * 1024
    // What a connection pair holds beyond its queues (docs/LIMITS.md): the in-memory pair's 64 KiB,
    // the writer's sealed batch (a buffer of about 320 KiB), the reader's 64 KiB scratch, the
    // decoded messages of one chunk waiting for room (at most 65517 / 4 empty ones), and the
    // message being reassembled (charged, but in a buffer up to twice what arrived); plus 1 MiB of
    // slack for the runtime's own allocations. Charging 32 B per message (as before issue 18) would
    // overshoot this by tens of MiB.
    const oneChunk = Math.floor(Chunk.maxContentLength / 4) * Connection.incomingMessageOverhead
    const fixed = 64 * 1024 + 320 * 1024 + 64 * 1024 + oneChunk + 2 * queueSize + 1024 * 1024
    fc.assert(
      fc.property(sizesUpTo(queueSize, 20_000), (sizes) => {
        const child = spawnSync(
          process.execPath,
          ["--expose-gc", "--conditions=source", "--import", tsxLoader, fillScript, "fill", "-"],
          { cwd: root, encoding: "utf8", timeout: 60_000, input: JSON.stringify({ sizes, queueSize }) }
        )
        assert.strictEqual(child.status, 0, child.stderr)
        const result = JSON.parse(child.stdout.trim().split("\n").pop()!) as {
          maxIncoming: number
          maxOutgoing: number
          growth: number
        }
        // The queue, plus the one message the reader holds (reassembling, or waiting for room).
        const largest = 2 * queueSize + 4 + Connection.incomingMessageOverhead
        assert.isAtMost(result.maxIncoming, Math.max(queueSize, largest) + largest, child.stdout)
        assert.isAtMost(result.growth, result.maxIncoming + result.maxOutgoing + fixed, child.stdout)
      }),
      // Always one flood of empty messages: the case the old 32 B charge got 20 times wrong.
      { numRuns: 3, examples: [[Array.from({ length: 60_000 }, () => 0)]] }
    )
  }, 240_000)
})

describe("a message larger than the queues: one copy per direction", () => {
  for (const packMessages of [true, false]) {
    it.live(
      `a 1 MiB message is written in pieces of whole chunks, the same chunks as in one piece (packMessages ${packMessages})`,
      () =>
        Effect.gen(function* () {
          const big = new Uint8Array(1024 * 1024 + 77).map((_, i) => (i * 13) & 0xff)
          const encoded = new Uint8Array(big.length + 4)
          new DataView(encoded.buffer).setUint32(0, big.length)
          encoded.set(big, 4)
          const writes: Array<Uint8Array> = []
          const socket: ByteSocket.ByteSocket = {
            read: Effect.never,
            write: (bytes) => Effect.sync(() => void writes.push(bytes.slice())),
            close: Effect.void
          }
          const conn = yield* Connection.make({
            reader: ByteReader.make(socket),
            channelKey,
            localNonce: nonceA,
            remoteNonce: nonceB,
            encoding: Encoding.bytes,
            outgoingQueueSize: 64 * 1024,
            packMessages
          })
          yield* conn.writeSync(big)
          // No socket write holds the whole message sealed: at most a batch's worth of chunks each.
          assert.isAbove(writes.length, 1)
          for (const w of writes) assert.isAtMost(w.length, 256 * 1024 + 5 * Chunk.extraBytes)
          const all = new Uint8Array(writes.reduce((n, w) => n + w.length, 0))
          let at = 0
          for (const w of writes) {
            all.set(w, at)
            at += w.length
          }
          const whole = Chunk.sealMessage(
            CryptoBackend.noble,
            channelKey,
            { current: nonceA },
            encoded,
            Chunk.maxContentLength
          )
          assert.deepStrictEqual(all, whole)
        }).pipe(Effect.provide(CryptoBackend.layerNoble))
    )
  }

  it.live(
    "a batch stays charged until the socket is done with its sealed bytes, and a large message has at most three pieces out",
    () =>
      Effect.gen(function* () {
        const pending: Array<() => void> = []
        let mostOut = 0
        const socket: ByteSocket.ByteSocket = {
          read: Effect.never,
          write: () => Effect.void,
          writeReusable: (_bytes, release) =>
            Effect.sync(() => {
              pending.push(release)
              mostOut = Math.max(mostOut, pending.length)
            }),
          close: Effect.void
        }
        const conn = yield* Connection.make({
          reader: ByteReader.make(socket),
          channelKey,
          localNonce: nonceA,
          remoteNonce: nonceB,
          encoding: Encoding.bytes
        })
        yield* conn.writeSync(new Uint8Array(100_000))
        // Handed to the socket, not yet written out by it: still charged.
        assert.isAtLeast((yield* conn.queued).outgoingBytes, 100_004)
        for (const release of pending.splice(0)) release()
        // The writer lets go of the batch once it has handed it over (after `writeSync` returns).
        yield* Effect.sleep(1)
        assert.strictEqual((yield* conn.queued).outgoingBytes, 0)
        // A message of 1 MiB goes in 5 pieces; the writer waits for the socket before a fourth is out.
        const large = yield* Effect.forkChild(conn.writeSync(new Uint8Array(1 << 20)))
        for (let i = 0; i < 100 && pending.length < 3; i++) yield* Effect.sleep(1)
        yield* Effect.sleep(10)
        assert.strictEqual(pending.length, 3)
        while (pending.length > 0 || large.pollUnsafe() === undefined) {
          pending.shift()?.()
          yield* Effect.sleep(1)
        }
        yield* Fiber.join(large)
        yield* Effect.sleep(1)
        assert.strictEqual(mostOut, 3)
        assert.strictEqual((yield* conn.queued).outgoingBytes, 0)
      }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.live("a message four times the queues goes through both ways, and a second waits for the first to leave", () =>
    Effect.gen(function* () {
      const queueSize = 64 * 1024
      const [left, right] = yield* connectionsOver(ByteSocket.makePair({ capacity: 16 * 1024 }), Encoding.bytes, {
        incomingQueueSize: queueSize,
        outgoingQueueSize: queueSize
      })
      const big = (seed: number) => new Uint8Array(4 * queueSize).map((_, i) => (i + seed) & 0xff)
      yield* left.write(big(1))
      // The first is being written (or queued): the second does not fit beside it, so it waits.
      assert.isFalse(yield* left.writeNow(big(2)))
      const second = yield* Effect.forkChild(left.write(big(2)))
      assert.deepStrictEqual((yield* right.read)[1], big(1))
      yield* Fiber.join(second)
      assert.deepStrictEqual((yield* right.read)[1], big(2))
      // The message read last stays charged until the application asks for the next one.
      let usage = yield* right.queued
      assert.deepStrictEqual(
        [usage.incomingMessages, usage.incomingBytes],
        [0, 4 * queueSize + 4 + Connection.incomingMessageOverhead]
      )
      yield* right.readNow
      usage = yield* right.queued
      assert.deepStrictEqual([usage.incomingMessages, usage.incomingBytes], [0, 0])
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.live(
    "while a large message is reassembled it is charged, and the reader waits while other messages fill the queue",
    () =>
      Effect.gen(function* () {
        const queueSize = 128 * 1024
        const [left, right] = yield* connectionsOver(ByteSocket.makePair({ capacity: 16 * 1024 }), Encoding.bytes, {
          incomingQueueSize: queueSize,
          outgoingQueueSize: 1 << 30
        })
        // Small messages fill the receiver's queue, then a large one starts arriving.
        for (let i = 0; i < 80; i++) yield* left.write(new Uint8Array(1000))
        const large = new Uint8Array(1 << 20).fill(7)
        yield* left.write(large)
        let usage = yield* right.queued
        for (let i = 0; i < 200; i++) {
          yield* Effect.sleep(1)
          usage = yield* right.queued
        }
        // The reassembly is charged on top of the queued messages, and stays near the bound (one
        // chunk of overshoot at most) because the reader stopped.
        assert.isAbove(usage.incomingMessages, 0)
        assert.isAtMost(usage.incomingBytes, queueSize + 2 * Chunk.maxChunkSize)
        for (let i = 0; i < 80; i++) yield* right.read
        assert.deepStrictEqual((yield* right.read)[1], large)
      }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
})

describe("the host's memory budget (IoScheduler)", () => {
  it.effect(
    "two queues of one connection stay under perConnectionBytes together; a queue holding nothing takes one message of any size",
    () =>
      Effect.gen(function* () {
        const scheduler = yield* IoScheduler.make({ perConnectionBytes: 1000, totalBytes: 1_000_000 })
        const conn = yield* scheduler.register
        assert.isTrue(conn.memory.fits(600, false))
        conn.memory.charge(600)
        assert.isFalse(conn.memory.fits(500, false))
        assert.isTrue(conn.memory.fits(400, false))
        // Alone (its queue holds nothing): any size, within the host budget.
        assert.isTrue(conn.memory.fits(50_000, true))
        assert.isFalse(conn.memory.fits(2_000_000, true))
        conn.memory.release(600)
        assert.strictEqual(scheduler.queuedBytes(), 0)
        assert.deepStrictEqual(scheduler.limits, { perConnectionBytes: 1000, totalBytes: 1_000_000 })
      })
  )

  it.effect("past half the host budget, a connection over its fair share waits and one under it does not", () =>
    Effect.gen(function* () {
      const scheduler = yield* IoScheduler.make({ perConnectionBytes: 12_000, totalBytes: 12_000 })
      const hog = yield* scheduler.register
      const modest = yield* scheduler.register
      // Fair share: 12,000 / (2 + 1) = 4,000, one share being kept for a newcomer. Under half the
      // budget, the hog may go past its share.
      assert.isTrue(hog.memory.fits(5_000, false))
      hog.memory.charge(5_000)
      assert.isTrue(hog.memory.fits(1_000, false))
      hog.memory.charge(1_000)
      // Now at half: the hog (past its share) waits, alone or not; the other still has its share.
      assert.isFalse(hog.memory.fits(1, false))
      assert.isFalse(hog.memory.fits(1, true))
      assert.isTrue(modest.memory.fits(4_000, false))
      modest.memory.charge(4_000)
      assert.isFalse(modest.memory.fits(1, false))
      // The share kept back: a third connection, holding nothing, still gets room.
      const newcomer = yield* scheduler.register
      assert.isTrue(newcomer.memory.fits(2_000, true))
      newcomer.memory.charge(2_000)
      // The host is full: nobody takes more, not even alone.
      assert.isFalse(newcomer.memory.fits(1, true))
      assert.strictEqual(scheduler.queuedBytes(), 12_000)
      assert.strictEqual(scheduler.peakQueuedBytes(), 12_000)
    })
  )

  it.effect(
    "a closed connection's holdings leave the host total, and what it still releases afterwards is not counted twice",
    () =>
      Effect.gen(function* () {
        const scheduler = yield* IoScheduler.make()
        const scope = yield* Effect.scope
        const closing = yield* Effect.gen(function* () {
          const conn = yield* scheduler.register
          conn.memory.charge(700)
          return conn
        }).pipe(Effect.scoped)
        assert.strictEqual(scheduler.queuedBytes(), 0)
        closing.memory.release(700)
        assert.strictEqual(scheduler.queuedBytes(), 0)
        assert.isDefined(scope)
      })
  )

  it.live("close({ wait: true }) does not wait for room in a full host", () =>
    Effect.gen(function* () {
      const [other] = yield* connectionsOver(ByteSocket.makePair(), Encoding.bytes)
      const scheduler = yield* IoScheduler.IoScheduler
      // Something else holds the whole budget: no write fits, not even alone.
      const hog = yield* scheduler.register
      hog.memory.charge(scheduler.limits.totalBytes)
      assert.isFalse(yield* other.writeNow(new Uint8Array(0)))
      yield* other.close({ wait: true })
      assert.strictEqual((yield* other.closed).reason._tag, "ClosedLocally")
      hog.memory.release(scheduler.limits.totalBytes)
    }).pipe(
      Effect.provide(IoScheduler.layer({ totalBytes: 64 * 1024, perConnectionBytes: 1 << 20 })),
      Effect.provide(CryptoBackend.layerNoble)
    )
  )

  it(
    "connections racing for one host budget never account for more than it together, for any mix of sizes",
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(sizesUpTo(48 * 1024, 40), { minLength: 4, maxLength: 6 }),
          fc.integer({ min: 0, max: 3 }),
          (perPair, slowEvery) =>
            Effect.runPromise(
              Effect.gen(function* () {
                const scheduler = yield* IoScheduler.IoScheduler
                const pairs = yield* Effect.forEach(perPair, () =>
                  connectionsOver(ByteSocket.makePair({ capacity: 16 * 1024 }), Encoding.bytes, {
                    incomingQueueSize: 1 << 20,
                    outgoingQueueSize: 1 << 20
                  })
                )
                // Every sender floods at once; some receivers read now and then, so room is freed and
                // taken again while messages of many chunks are being reassembled.
                const fibers = yield* Effect.forEach(pairs, ([sender, receiver], i) =>
                  Effect.forkChild(
                    Effect.all(
                      [
                        Effect.forEach(perPair[i]!, (n) => sender.write(new Uint8Array(n)), { discard: true }),
                        i % 4 < slowEvery ? Effect.forever(Effect.andThen(Effect.sleep(1), receiver.read)) : Effect.void
                      ],
                      { concurrency: "unbounded", discard: true }
                    )
                  )
                )
                let last = -1
                for (let still = 0; still < 20; ) {
                  const now = scheduler.queuedBytes()
                  still = now === last ? still + 1 : 0
                  last = now
                  yield* Effect.sleep(2)
                }
                yield* Effect.forEach(fibers, Fiber.interrupt)
                assert.isAtMost(scheduler.peakQueuedBytes(), scheduler.limits.totalBytes)
              }).pipe(
                Effect.scoped,
                Effect.provide(IoScheduler.layer({ totalBytes: 160 * 1024, perConnectionBytes: 1 << 20 })),
                Effect.provide(CryptoBackend.layerNoble)
              )
            )
        ),
        { numRuns: 15 }
      ),
    120_000
  )

  it.live("connections under one scheduler share the budget: a full host stops every reader until someone reads", () =>
    Effect.gen(function* () {
      const totalBytes = 200 * 1024
      const pairs = yield* Effect.forEach([1, 2], () =>
        connectionsOver(ByteSocket.makePair({ capacity: 16 * 1024 }), Encoding.bytes, {
          incomingQueueSize: 1 << 20,
          outgoingQueueSize: 1 << 20
        })
      )
      const scheduler = yield* IoScheduler.IoScheduler
      const floods = yield* Effect.forEach(pairs, ([sender]) =>
        Effect.forkChild(Effect.forever(sender.write(new Uint8Array(1000))))
      )
      let last = -1
      for (let still = 0; still < 30; ) {
        const now = scheduler.queuedBytes()
        assert.isAtMost(now, totalBytes)
        still = now === last ? still + 1 : 0
        last = now
        yield* Effect.sleep(2)
      }
      // Reading frees room and the readers go on.
      const [, receiver] = pairs[0]!
      yield* receiver.read
      yield* receiver.read
      assert.isAtMost(scheduler.queuedBytes(), totalBytes)
      yield* Effect.forEach(floods, Fiber.interrupt)
    }).pipe(
      Effect.provide(IoScheduler.layer({ totalBytes: 200 * 1024, perConnectionBytes: 1 << 20 })),
      Effect.provide(CryptoBackend.layerNoble)
    )
  )
})
