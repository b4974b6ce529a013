/**
 * All time and all choice in the pool come from Effect's `Clock` and `Random` (issue 21): a whole
 * network must replay under `TestClock` and a seeded `Random`. Two checks: no source file of the
 * package names the wall clock, timers or `Math.random`; and a maintenance scenario runs with
 * `Date.now`, `performance.now` and `Math.random` replaced by functions that throw.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect, Random, Result } from "effect"
import { TestClock } from "effect/testing"
import { vi } from "vitest"
import * as Limits from "../src/Limits.ts"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import { identities, point, startPool, until } from "./harness.ts"

const sourceDir = path.resolve(import.meta.dirname, "..", "src")

/** The code of a file without its comments (a doc comment may name what the code must not call). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1")

/** Wall clock, timers and unseeded randomness; `new Date(ms)` (formatting a Clock time) is fine. */
const forbidden = [
  /\bDate\.now\b/,
  /\bnew Date\(\s*\)/,
  /\bperformance\.now\b/,
  /\bprocess\.hrtime\b/,
  /\bMath\.random\b/,
  /\bset(Timeout|Interval|Immediate)\b/
]

describe("time and randomness come from Clock and Random", () => {
  it("no source file of the pool reads the wall clock, sets a timer or calls Math.random", () => {
    const files = fs.readdirSync(sourceDir).filter((f) => f.endsWith(".ts"))
    assert.isAtLeast(files.length, 10)
    const found: Array<string> = []
    for (const file of files) {
      const lines = code(fs.readFileSync(path.join(sourceDir, file), "utf8")).split("\n")
      lines.forEach((line, i) => {
        for (const pattern of forbidden) if (pattern.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`)
      })
    }
    assert.deepStrictEqual(found, [])
    // The check itself finds what it looks for.
    assert.isTrue(forbidden.some((p) => p.test(code("const t = Date.now() // now"))))
    assert.isFalse(forbidden.some((p) => p.test(code("/** Date.now */ const t = new Date(ms)"))))
  })

  it.effect("a maintenance scenario runs with Date.now, performance.now and Math.random throwing", () =>
    Effect.gen(function* () {
      const ids = identities(4)
      const calls: Array<string> = []
      const refuse = (name: string) => () => {
        calls.push(name)
        throw new Error(`${name} called under TestClock and a seeded Random`)
      }
      yield* Effect.acquireRelease(
        Effect.sync(() => [
          vi.spyOn(Date, "now").mockImplementation(refuse("Date.now")),
          vi.spyOn(performance, "now").mockImplementation(refuse("performance.now")),
          vi.spyOn(Math, "random").mockImplementation(refuse("Math.random"))
        ]),
        (spies) =>
          Effect.sync(() => {
            for (const spy of spies) spy.mockRestore()
          })
      )
      // --connections 4 (bounds 2/2/6/6): four pools that know only pool 0 find each other through
      // Bootstrap / Advertise, dial, propose swaps, and trim, all under the spies.
      const four = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 4))
      const network = yield* MemoryNetwork.make()
      const pools = yield* Effect.forEach(ids, (id, i) =>
        startPool(network, id, i, {
          limits: four,
          maintenance: true,
          trustedPoints: i === 0 ? [] : [{ point: point(0) }]
        })
      )
      for (let minute = 0; minute < 6; minute++) yield* TestClock.adjust("1 minute")
      yield* until(
        Effect.map(
          Effect.forEach(pools, (p) => p.connections),
          (all) => all.every((cs) => cs.length >= 2 && cs.length <= 6)
        )
      )
      assert.isAtLeast((yield* pools[1]!.knownPoints).length, 3)
      assert.deepStrictEqual(calls, [])
    }).pipe(Effect.scoped, Random.withSeed(21), Effect.provide(CryptoBackend.layerNoble))
  )
})
