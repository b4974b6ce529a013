/**
 * The two write paths: a write finding the writer idle is sealed and handed to the socket from the
 * caller's fiber (`ByteSocket.writeReusableNow`); otherwise it goes through the queue and the
 * writer fiber. Both must give the peer the same messages in the same order, and keep a message
 * charged until the socket is done with its bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Deferred, Effect, Exit, Fiber, Option, type Scope } from "effect"
import * as fc from "fast-check"
import * as ByteSocket from "../src/ByteSocket.ts"
import * as Connection from "../src/Connection.ts"
import * as IoScheduler from "../src/IoScheduler.ts"
import { connectionsOver, randomBytes } from "./helpers.ts"

const bytes = Encoding.bytes

const live = <A, E>(name: string, body: () => Effect.Effect<A, E, Scope.Scope | CryptoBackend.CryptoBackend>) =>
  it.live(name, () => body().pipe(Effect.provide(CryptoBackend.layerNoble)))

/**
 * An in-memory socket with the reusable writes of a TCP socket, counting which path each write
 * took. `writable` says whether a synchronous write is taken now; `gate`, when set, holds the
 * writer fiber's writes (a busy writer); `holdReleases` keeps the "socket done" callbacks until
 * `releaseAll`.
 */
const instrumented = (inner: ByteSocket.ByteSocket) => {
  const control = {
    direct: 0,
    queued: 0,
    writable: true,
    gate: undefined as Deferred.Deferred<void> | undefined,
    holdReleases: false,
    releases: [] as Array<() => void>
  }
  const done = (release: () => void) => (control.holdReleases ? control.releases.push(release) : release())
  const socket: ByteSocket.ByteSocket = {
    read: inner.read,
    write: inner.write,
    writeReusable: (wire, release) =>
      Effect.gen(function* () {
        control.queued++
        if (control.gate !== undefined) yield* Deferred.await(control.gate)
        yield* inner.write(wire)
        done(release)
      }),
    writeReusableNow: (prepare) => {
      if (!control.writable) return false
      const [wire, release] = prepare()
      control.direct++
      // The pair's write never waits (unbounded), so this is synchronous, as a TCP socket's.
      Effect.runSync(Effect.ignore(inner.write(wire)))
      done(release)
      return true
    },
    close: inner.close
  }
  return { socket, control }
}

const pairOf = (options: Connection.Options = {}) =>
  Effect.gen(function* () {
    const [a, b] = ByteSocket.makePair()
    const left = instrumented(a)
    const [sender, receiver] = yield* connectionsOver([left.socket, b], bytes, options)
    return { sender, receiver, control: left.control }
  })

describe("Connection's direct write (writer idle)", () => {
  live("a write finding the writer idle goes straight to the socket, in order, with its content", () =>
    Effect.gen(function* () {
      const { sender, receiver, control } = yield* pairOf()
      for (let i = 0; i < 20; i++) {
        const m = randomBytes(1 + i * 37).map((b) => b ^ i)
        if (i % 2 === 0) yield* sender.write(m)
        else assert.isTrue(yield* sender.writeNow(m))
        const [size, got] = yield* receiver.read
        assert.deepStrictEqual(got, m)
        assert.strictEqual(size, m.length + 4)
      }
      assert.strictEqual(control.direct, 20)
      assert.strictEqual(control.queued, 0)
    })
  )

  live("a direct write stays charged until the socket is done with its bytes", () =>
    Effect.gen(function* () {
      const { sender, control } = yield* pairOf()
      control.holdReleases = true
      yield* sender.write(randomBytes(1000))
      assert.strictEqual(control.direct, 1)
      const held = yield* sender.queued
      assert.strictEqual(held.outgoingBytes, 1004 + Connection.outgoingMessageOverhead)
      for (const release of control.releases.splice(0)) release()
      assert.strictEqual((yield* sender.queued).outgoingBytes, 0)
    })
  )

  live("a write that does not fit the outgoing queue's bound is not sent directly either", () =>
    Effect.gen(function* () {
      const { sender, control } = yield* pairOf({ outgoingQueueSize: 2000 })
      control.holdReleases = true
      yield* sender.write(randomBytes(1000))
      // Still charged (the socket holds it): the next does not fit, so writeNow drops it.
      assert.isFalse(yield* sender.writeNow(randomBytes(1000)))
      assert.strictEqual(control.direct, 1)
      for (const release of control.releases.splice(0)) release()
      yield* Effect.yieldNow
      assert.isTrue(yield* sender.writeNow(randomBytes(1000)))
      assert.strictEqual(control.direct, 2)
    })
  )
})

describe("Connection's queue path (writer busy or socket not writable)", () => {
  live("writes while the writer holds a batch are queued behind it and arrive in order", () =>
    Effect.gen(function* () {
      const { sender, receiver, control } = yield* pairOf()
      control.gate = yield* Deferred.make<void>()
      // writeSync always goes through the writer, which then waits in the socket (busy).
      const first = randomBytes(100)
      const sync = yield* Effect.forkChild(sender.writeSync(first))
      while (control.queued === 0) yield* Effect.yieldNow
      const rest = Array.from({ length: 10 }, (_, i) => randomBytes(50 + i).map((b) => b ^ i))
      for (const [i, m] of rest.entries()) {
        if (i % 2 === 0) yield* sender.write(m)
        else assert.isTrue(yield* sender.writeNow(m))
      }
      assert.strictEqual(control.direct, 0)
      yield* Deferred.succeed(control.gate, undefined)
      yield* Fiber.join(sync)
      for (const m of [first, ...rest]) assert.deepStrictEqual((yield* receiver.read)[1], m)
      assert.isTrue(control.queued >= 2)
      assert.strictEqual(control.direct, 0)
      // Idle again: the next write is direct.
      control.gate = undefined
      yield* Effect.sleep("5 millis")
      yield* sender.write(randomBytes(7))
      assert.deepStrictEqual((yield* receiver.read)[1], randomBytes(7))
      assert.strictEqual(control.direct, 1)
    })
  )

  live("a socket that would wait takes no direct write: the queue path sends it", () =>
    Effect.gen(function* () {
      const { sender, receiver, control } = yield* pairOf()
      control.writable = false
      const messages = Array.from({ length: 5 }, (_, i) => randomBytes(30 * i))
      for (const m of messages) yield* sender.write(m)
      for (const m of messages) assert.deepStrictEqual((yield* receiver.read)[1], m)
      assert.strictEqual(control.direct, 0)
      assert.isTrue(control.queued >= 1)
    })
  )

  live("under an upload limit nothing is written directly", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const left = instrumented(a)
      const [sender, receiver] = yield* connectionsOver([left.socket, b], bytes).pipe(
        Effect.provide(IoScheduler.layer({ maxUploadSpeed: 1 << 30 }))
      )
      yield* sender.write(randomBytes(10))
      assert.deepStrictEqual((yield* receiver.read)[1], randomBytes(10))
      assert.strictEqual(left.control.direct, 0)
    })
  )
})

type Op =
  | { readonly _tag: "write" | "writeNow" | "writeSync"; readonly size: number }
  | { readonly _tag: "yield" }
  | { readonly _tag: "writable"; readonly value: boolean }
  | { readonly _tag: "gate"; readonly hold: boolean }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      _tag: fc.constantFrom("write" as const, "writeNow" as const, "writeSync" as const),
      size: fc.nat(3000)
    }),
    weight: 4
  },
  { arbitrary: fc.constant({ _tag: "yield" as const }), weight: 3 },
  { arbitrary: fc.record({ _tag: fc.constant("writable" as const), value: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ _tag: fc.constant("gate" as const), hold: fc.boolean() }), weight: 2 }
)

describe("Connection's two write paths together", () => {
  it("deliver exactly the accepted messages in send order, for random interleavings with a close", async () => {
    const runs = { direct: 0, queued: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), fc.nat(200), fc.boolean(), (ops, closeAfter, packMessages) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const { sender, receiver, control } = yield* pairOf({ packMessages })
              const accepted: Array<Uint8Array> = []
              let gate: Deferred.Deferred<void> | undefined
              // Once closing, the writer must not be held again: the flush on close needs it.
              let closing = false
              const openGate = Effect.suspend(() => {
                const held = gate
                gate = undefined
                control.gate = undefined
                return held === undefined ? Effect.void : Deferred.succeed(held, undefined)
              })
              const writes = Effect.gen(function* () {
                for (const [i, next] of ops.entries()) {
                  switch (next._tag) {
                    case "yield":
                      yield* Effect.yieldNow
                      break
                    case "writable":
                      control.writable = next.value
                      break
                    case "gate":
                      if (next.hold && gate === undefined && !closing) {
                        gate = yield* Deferred.make<void>()
                        control.gate = gate
                      } else if (!next.hold) yield* openGate
                      break
                    default: {
                      const m = randomBytes(next.size).map((b) => b ^ i)
                      // writeSync would wait for a held gate forever: open it first.
                      if (next._tag === "writeSync") yield* openGate
                      const sent = yield* Effect.exit(
                        next._tag === "writeNow" ? sender.writeNow(m) : Effect.as(sender[next._tag](m), true)
                      )
                      if (Exit.isSuccess(sent) && sent.value) accepted.push(m)
                      else if (Exit.isFailure(sent)) return
                    }
                  }
                }
              })
              const writer = yield* Effect.forkChild(writes)
              const closer = yield* Effect.forkChild(
                Effect.gen(function* () {
                  for (let i = 0; i < closeAfter; i++) yield* Effect.yieldNow
                  closing = true
                  yield* openGate
                  yield* sender.close({ wait: true })
                })
              )
              yield* Fiber.join(closer)
              yield* Fiber.join(writer)
              yield* openGate
              const received: Array<Uint8Array> = []
              while (true) {
                const next = yield* Effect.exit(receiver.read)
                if (Exit.isFailure(next)) break
                received.push(next.value[1])
              }
              assert.deepStrictEqual(received, accepted)
              runs.direct += control.direct
              runs.queued += control.queued
              assert.isTrue(Option.isNone(yield* Effect.orElseSucceed(receiver.readNow, () => Option.none())))
            })
          ).pipe(Effect.provide(CryptoBackend.layerNoble))
        )
      ),
      { numRuns: 300 }
    )
    // Both paths ran: the runs covered the interleavings that matter.
    assert.isTrue(runs.direct > 0 && runs.queued > 0)
  })
})
