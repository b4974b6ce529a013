import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Metric } from "effect"
import { TestClock } from "effect/testing"
import * as IoScheduler from "../src/IoScheduler.ts"

/** A connection that uploads `bytes` at a time as fast as the scheduler lets it. */
const greedy = (conn: IoScheduler.ScheduledConnection, bytes: number) => Effect.forever(conn.upload(bytes))

describe("IoScheduler", () => {
  it.effect("without limits it only counts", () =>
    Effect.gen(function* () {
      const scheduler = yield* IoScheduler.make()
      const a = yield* scheduler.register
      yield* a.upload(100)
      yield* a.download(40)
      assert.deepStrictEqual(a.stat(), { totalSent: 100, totalRecv: 40, currentInflow: 0, currentOutflow: 0 })
      yield* TestClock.adjust("1 second")
      assert.strictEqual(a.stat().currentOutflow, 20) // 200 × 100 ÷ 1000
      assert.strictEqual(scheduler.globalStat().totalSent, 100)
    })
  )

  it.effect("shares a global upload limit about equally between four greedy connections", () =>
    Effect.gen(function* () {
      const limit = 40_000
      const scheduler = yield* IoScheduler.make({ maxUploadSpeed: limit })
      const conns = yield* Effect.forEach([1, 2, 3, 4], () => scheduler.register)
      const fibers = yield* Effect.forEach(conns, (c) => Effect.forkChild(greedy(c, 1000)))
      const seconds = 20
      for (let i = 0; i < seconds; i++) yield* TestClock.adjust("1 second")
      yield* Effect.forEach(fibers, Fiber.interrupt)
      const total = scheduler.globalStat().totalSent
      // Capped at the limit per second, plus at most one element of overdraft per window.
      assert.isAtMost(total, limit * (seconds + 1) + 4 * 1000)
      assert.isAtLeast(total, limit * (seconds - 1))
      for (const c of conns) {
        const share = c.stat().totalSent / total
        assert.isAbove(share, 0.2, `share ${share}`)
        assert.isBelow(share, 0.3, `share ${share}`)
      }
    })
  )

  it.effect("gives an idle connection's share to the others", () =>
    Effect.gen(function* () {
      const limit = 30_000
      const scheduler = yield* IoScheduler.make({ maxUploadSpeed: limit })
      const conns = yield* Effect.forEach([1, 2, 3, 4], () => scheduler.register)
      const busy = conns.slice(0, 3)
      const fibers = yield* Effect.forEach(busy, (c) => Effect.forkChild(greedy(c, 500)))
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("1 second")
      yield* Effect.forEach(fibers, Fiber.interrupt)
      const total = scheduler.globalStat().totalSent
      assert.isAtLeast(total, limit * 19)
      assert.strictEqual(conns[3]!.stat().totalSent, 0)
      for (const c of busy) {
        const share = c.stat().totalSent / total
        assert.isAbove(share, 0.28, `share ${share}`)
        assert.isBelow(share, 0.39, `share ${share}`)
      }
    })
  )

  it.effect("serves a light connection before heavy ones once quotas are set", () =>
    Effect.gen(function* () {
      const scheduler = yield* IoScheduler.make({ maxUploadSpeed: 10_000 })
      const heavy = yield* scheduler.register
      const light = yield* scheduler.register
      const heavyFiber = yield* Effect.forkChild(greedy(heavy, 5000))
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("1 second")
      // The light connection has used nothing, so its quota is positive and it goes first.
      const lightSent = yield* Effect.forkChild(light.upload(100))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(lightSent)
      yield* Fiber.interrupt(heavyFiber)
      assert.strictEqual(light.stat().totalSent, 100)
    })
  )

  it.effect("publishes the totals and flows as Effect metrics every second", () =>
    Effect.gen(function* () {
      const scheduler = yield* IoScheduler.make()
      const conn = yield* scheduler.register
      const before = (yield* Metric.value(IoScheduler.Metrics.sent)).count
      yield* conn.upload(1234)
      yield* conn.download(99)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Metric.value(IoScheduler.Metrics.sent)).count - before, 1234)
      assert.isAtLeast((yield* Metric.value(IoScheduler.Metrics.received)).count, 99)
      assert.strictEqual((yield* Metric.value(IoScheduler.Metrics.outflow)).value, 246)
      conn.memory.charge(5000)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Metric.value(IoScheduler.Metrics.queued)).value, 5000)
      conn.memory.release(5000)
    })
  )

  it.effect("forgets a connection when its scope closes", () =>
    Effect.gen(function* () {
      const scheduler = yield* IoScheduler.make()
      yield* Effect.scoped(scheduler.register)
      assert.strictEqual(scheduler.connections(), 0)
      yield* scheduler.register
      assert.strictEqual(scheduler.connections(), 1)
    })
  )
})
