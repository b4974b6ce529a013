import { describe, expect, it } from "vitest"
import * as Stat from "../src/Stat.ts"

describe("Stat moving average (Octez formula, alpha 0.2)", () => {
  it("computes 200 × bytes ÷ ms + 800 × avg ÷ 1000 with integer divisions", () => {
    const counter = Stat.makeMovingAverage()
    Stat.add(counter, 10_000)
    Stat.refresh(counter, 1000)
    expect(counter.average).toBe(2000)
    Stat.add(counter, 10_000)
    Stat.refresh(counter, 1000)
    expect(counter.average).toBe(2000 + 1600)
    expect(counter.total).toBe(20_000)
    expect(counter.pending).toBe(0)
  })

  it("decays to exactly zero when idle", () => {
    const counter = Stat.makeMovingAverage()
    Stat.add(counter, 1_000_000)
    Stat.refresh(counter, 1000)
    for (let i = 0; i < 200; i++) Stat.refresh(counter, 1000)
    expect(counter.average).toBe(0)
  })

  it("converges to the steady rate", () => {
    const counter = Stat.makeMovingAverage()
    for (let i = 0; i < 100; i++) {
      Stat.add(counter, 5000)
      Stat.refresh(counter, 1000)
    }
    // Integer truncation keeps the fixed point a little under the rate.
    expect(counter.average).toBeGreaterThan(4990)
    expect(counter.average).toBeLessThanOrEqual(5000)
  })
})
