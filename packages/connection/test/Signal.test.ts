import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Signal from "../src/internal/Signal.ts"

describe("Signal (the queues' wake-up)", () => {
  it.effect("a waiter whose condition already holds when it registers goes on without a notification", () =>
    Effect.gen(function* () {
      // The notification came before the waiter registered (the fiber yielded between its own check
      // and the wait): it must not wait for another one, which may never come.
      const signal = Signal.make()
      let room = false
      room = true
      signal.notifyAll()
      yield* signal.waitFor(() => room)
    })
  )

  it.effect("a waiter wakes at the first notification at which its condition holds, not before", () =>
    Effect.gen(function* () {
      const signal = Signal.make()
      let items = 0
      const waiter = yield* Effect.forkChild(
        signal.waitFor(() => items >= 2),
        { startImmediately: true }
      )
      items = 1
      signal.notifyAll()
      yield* Effect.yieldNow
      assert.isUndefined(waiter.pollUnsafe())
      items = 2
      signal.notifyAll()
      yield* Fiber.join(waiter)
    })
  )

  it.effect("an interrupted waiter leaves the set", () =>
    Effect.gen(function* () {
      const signal = Signal.make()
      let woken = 0
      const waiter = yield* Effect.forkChild(
        signal.waitFor(() => {
          woken++
          return false
        }),
        { startImmediately: true }
      )
      yield* Fiber.interrupt(waiter)
      const before = woken
      signal.notifyAll()
      assert.strictEqual(woken, before)
    })
  )

  // `it.live`: the default scheduler (`it.effect`'s TestClock scheduler takes the other path, that
  // of any scheduler but the default one: the pool's TestClock tests hang without it).
  it.live("under the default scheduler a notified waiter runs in a microtask, before the next turn", () =>
    Effect.gen(function* () {
      const signal = Signal.make()
      let ready = false
      const order: Array<string> = []
      const waiter = yield* Effect.forkChild(
        Effect.andThen(
          signal.waitFor(() => ready),
          Effect.sync(() => order.push("waiter"))
        ),
        { startImmediately: true }
      )
      const turn = yield* Effect.sync(
        () =>
          new Promise<void>((resolve) => {
            // Registered before the notification: a wake-up through the scheduler (a `setImmediate`)
            // would come after it.
            setImmediate(() => {
              order.push("next turn")
              resolve()
            })
            ready = true
            signal.notifyAll()
          })
      )
      yield* Effect.promise(() => turn)
      yield* Fiber.join(waiter)
      assert.deepStrictEqual(order, ["waiter", "next turn"])
    })
  )

  it.live("notifyAllNow runs the waiter before it returns", () =>
    Effect.gen(function* () {
      const signal = Signal.make()
      let ready = false
      let ran = false
      const waiter = yield* Effect.forkChild(
        Effect.andThen(
          signal.waitFor(() => ready),
          Effect.sync(() => {
            ran = true
          })
        ),
        { startImmediately: true }
      )
      const before = ran
      ready = true
      signal.notifyAllNow()
      assert.isFalse(before)
      assert.isTrue(ran)
      yield* Fiber.join(waiter)
    })
  )

  it.live("two fibers waking each other for ever still let the event loop run", () =>
    Effect.gen(function* () {
      // Microtasks run before any I/O or timer: without a wake-up through the scheduler now and
      // then, this ping-pong would never let the `setImmediate` below run, and the test would hang.
      const a = Signal.make()
      const b = Signal.make()
      let turn: "a" | "b" = "a"
      let wakeUps = 0
      // A plain loop: `Effect.forever` would yield to the scheduler at every iteration by itself.
      const player = (me: "a" | "b", mine: Signal.Signal, other: Signal.Signal) =>
        Effect.gen(function* () {
          while (true) {
            yield* mine.waitFor(() => turn === me)
            wakeUps++
            turn = me === "a" ? "b" : "a"
            other.notifyAll()
          }
        })
      const fibers = [
        yield* Effect.forkChild(player("a", a, b), { startImmediately: true }),
        yield* Effect.forkChild(player("b", b, a), { startImmediately: true })
      ]
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      yield* Fiber.interruptAll(fibers)
      assert.isAbove(wakeUps, 1)
    })
  )
})
