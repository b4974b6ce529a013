import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import * as GaugeWriter from "../src/GaugeWriter.ts"

describe("GaugeWriter", () => {
  it.effect("writes each gauge when its value changed, and only then", () =>
    Effect.gen(function* () {
      const a = Metric.gauge("gauge_writer_test_a")
      const b = Metric.gauge("gauge_writer_test_b")
      const write = GaugeWriter.make([a, b])
      yield* write([1, 2])
      assert.strictEqual((yield* Metric.value(a)).value, 1)
      assert.strictEqual((yield* Metric.value(b)).value, 2)
      // Someone else writes `a`: an unchanged value is not written again, a changed one is.
      yield* Metric.update(a, 9)
      yield* write([1, 3])
      assert.strictEqual((yield* Metric.value(a)).value, 9)
      assert.strictEqual((yield* Metric.value(b)).value, 3)
      yield* write([4, 3])
      assert.strictEqual((yield* Metric.value(a)).value, 4)
    })
  )
})
