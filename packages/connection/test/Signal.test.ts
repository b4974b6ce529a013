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
})
