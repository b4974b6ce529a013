import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option } from "effect"
import * as fc from "fast-check"
import * as BoundedQueue from "../src/BoundedQueue.ts"

const overhead = BoundedQueue.elementOverhead

describe("BoundedQueue", () => {
  it.effect("accepts an element when it fits or when the queue is empty (Octez's rule)", () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<string, string>(100)
      // Larger than the whole limit, but the queue is empty: accepted.
      assert.isTrue(yield* queue.offerNow("huge", 1000))
      // Not empty and does not fit: dropped.
      assert.isFalse(yield* queue.offerNow("small", 1))
      assert.strictEqual(yield* queue.take, "huge")
      assert.isTrue(yield* queue.offerNow("a", 100 - overhead))
      assert.isFalse(yield* queue.offerNow("b", 0))
      assert.strictEqual(queue.length(), 1)
    })
  )

  it.effect("offer waits for room and resumes in order once a taker makes some", () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<number, string>(2 * (10 + overhead))
      yield* queue.offer(1, 10)
      yield* queue.offer(2, 10)
      const blocked = yield* Effect.forkChild(queue.offer(3, 10))
      yield* Effect.yieldNow
      assert.strictEqual(queue.length(), 2)
      assert.strictEqual(yield* queue.take, 1)
      yield* Fiber.join(blocked)
      assert.deepStrictEqual([yield* queue.take, yield* queue.take], [2, 3])
    })
  )

  it.effect("an interrupted offer enqueues nothing", () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<number, string>(10 + overhead)
      yield* queue.offer(1, 10)
      const blocked = yield* Effect.forkChild(queue.offer(2, 10))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(blocked)
      assert.strictEqual(yield* queue.take, 1)
      assert.isTrue(Option.isNone(yield* queue.poll))
    })
  )

  it.effect("close lets takers drain, then fails them; offers fail at once", () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<number, string>(1000)
      yield* queue.offer(1, 1)
      queue.close("closed")
      queue.close("second close is ignored")
      assert.strictEqual(yield* queue.take, 1)
      assert.deepStrictEqual(yield* Effect.exit(queue.take), Exit.fail("closed"))
      assert.deepStrictEqual(yield* Effect.exit(queue.offer(2, 1)), Exit.fail("closed"))
      assert.deepStrictEqual(yield* Effect.exit(queue.offerNow(2, 1)), Exit.fail("closed"))
    })
  )

  it.effect("a waiting taker is woken by close", () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<number, string>(1000)
      const taker = yield* Effect.forkChild(queue.take)
      yield* Effect.yieldNow
      queue.close("bye")
      assert.deepStrictEqual(yield* Fiber.await(taker), Exit.fail("bye"))
    })
  )

  it("keeps FIFO order and never holds more than the limit plus one element", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 500 }), fc.constant(-1)), { maxLength: 300 }),
        (limit, ops) => {
          const queue = BoundedQueue.make<number, string>(limit)
          const model: Array<number> = []
          let next = 0
          let largest = 0
          for (const op of ops) {
            if (op < 0) {
              const got = Effect.runSync(queue.poll)
              const want = model.shift()
              if (Option.getOrUndefined(got) !== want) return false
            } else {
              const id = next++
              const accepted = Effect.runSync(queue.offerNow(id, op))
              if (accepted) {
                model.push(id)
                largest = Math.max(largest, op)
              }
            }
            if (queue.bytes() > limit + largest + overhead) return false
            if (queue.length() !== model.length) return false
          }
          return true
        }
      )
    ))

  it.effect("reserveNow checks and charges in one step; putReserved turns a reservation into an element's charge", () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<string, string>(1000)
      yield* queue.offer("a", 100)
      // Not alone (an element is queued): a reservation must fit under the bound.
      assert.isTrue(queue.reserveNow(500))
      assert.isFalse(queue.reserveNow(500))
      assert.strictEqual(queue.bytes(), 100 + overhead + 500)
      // The element completed from the reservation: the total does not change.
      assert.isTrue(queue.putReserved("b", 500 - overhead))
      assert.strictEqual(queue.bytes(), 100 + overhead + 500)
      assert.deepStrictEqual([yield* queue.take, yield* queue.take], ["a", "b"])
      assert.strictEqual(queue.bytes(), 0)
      // Alone (nothing but reservations): one reservation of any size, and it may grow alone.
      assert.isTrue(queue.reserveNow(5000))
      assert.isTrue(queue.reserveNow(5000))
      queue.unreserve(10_000)
      assert.strictEqual(queue.bytes(), 0)
    })
  )

  it.effect('holdTaken "untilNextTake": what the consumer took stays charged until it asks for the next', () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<number, string>(2 * (10 + overhead), { holdTaken: "untilNextTake" })
      yield* queue.offer(1, 10)
      yield* queue.offer(2, 10)
      assert.strictEqual(yield* queue.take, 1)
      // Still charged: the consumer holds it, so a third element does not fit yet.
      assert.strictEqual(queue.bytes(), 2 * (10 + overhead))
      assert.isFalse(yield* queue.offerNow(3, 10))
      assert.strictEqual(yield* queue.take, 2)
      assert.isTrue(yield* queue.offerNow(3, 10))
      // Asking for the next (even when there is none) releases the last one taken.
      assert.strictEqual(yield* queue.take, 3)
      assert.isTrue(Option.isNone(yield* queue.poll))
      assert.strictEqual(queue.bytes(), 0)
    })
  )

  it.effect("offerAlways queues a marker at once and charges nothing", () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<string, string>(10 + overhead)
      yield* queue.offer("full", 10)
      yield* queue.offerAlways("marker", 0)
      assert.strictEqual(queue.bytes(), 10 + overhead)
      assert.deepStrictEqual([yield* queue.take, yield* queue.take], ["full", "marker"])
      assert.strictEqual(queue.bytes(), 0)
    })
  )

  it.live('with wakeTakers "producer", a taker waits for the producer\'s wakeTakers, which runs it at once', () =>
    Effect.gen(function* () {
      const queue = BoundedQueue.make<number, never>(1024, { wakeTakers: "producer" })
      const taken: Array<number> = []
      const taker = yield* Effect.forkChild(
        Effect.gen(function* () {
          while (true) taken.push(yield* queue.take)
        }),
        { startImmediately: true }
      )
      assert.isTrue(queue.offerUnsafe(1, 1))
      assert.isTrue(queue.offerUnsafe(2, 1))
      // A scheduler turn later the taker still waits: nothing woke it.
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      assert.deepStrictEqual(taken, [])
      queue.wakeTakers()
      // Both taken inside the call, in order, and the taker waits again.
      assert.deepStrictEqual(taken, [1, 2])
      assert.strictEqual(queue.length(), 0)
      yield* Fiber.interrupt(taker)
    })
  )
})
