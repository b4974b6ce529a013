import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { CryptoBackend, Keys, ProofOfWork } from "@effect-p2p/crypto"
import { Effect, Fiber, Result } from "effect"
import * as fc from "fast-check"
import { p2pVectors } from "../../../test/support/vectors.ts"

const fractional = JSON.parse(
  readFileSync(new URL("./fixtures/pow-target-fractional.json", import.meta.url), "utf8")
) as {
  vectors: ReadonlyArray<{ difficulty: number; target: string }>
  glibc_differs: ReadonlyArray<{ difficulty: number; correctly_rounded: string; glibc_pow: string }>
}

const hex64 = (t: bigint) => t.toString(16).padStart(64, "0")

describe("ProofOfWork.target", () => {
  it("integer difficulty vectors", () => {
    const vectors = p2pVectors().pow_target as ReadonlyArray<{ difficulty: number; target: string }>
    for (const v of vectors) expect(hex64(ProofOfWork.target(v.difficulty)), String(v.difficulty)).toBe(v.target)
  })

  it("fractional difficulties use the correctly rounded 2^(54 - phi), where Math.pow is one ulp off", () => {
    expect(fractional.vectors.length).toBeGreaterThan(1500)
    for (const v of fractional.vectors) {
      expect(hex64(ProofOfWork.target(v.difficulty)), String(v.difficulty)).toBe(v.target)
    }
    // glibc's pow is not correctly rounded everywhere: one case in the fixture (26.296) differs.
    expect(fractional.glibc_differs.map((d) => d.difficulty)).toEqual([26.296])
    for (const d of fractional.glibc_differs) expect(hex64(ProofOfWork.target(d.difficulty))).toBe(d.correctly_rounded)
    // 2^53.5 is 12738103345051546 with C pow and 12738103345051544 with V8's Math.pow.
    expect(ProofOfWork.target(200.5) >> 2n).toBe(12738103345051546n)
  })

  it("is monotone (non-increasing) in the difficulty", () => {
    // Octez's quirk: when 54 - phi rounds to 54.0 (phi < 2^-48), m is 2^54 instead of 2^54 - 1 and
    // the target is slightly above the integer difficulty's. Kept for fidelity; excluded here.
    const difficulty = fc
      .double({ min: 0, max: 256, noNaN: true })
      .filter((d) => d === Math.trunc(d) || 54 - (d - Math.trunc(d)) < 54)
    fc.assert(
      fc.property(difficulty, difficulty, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a]
        expect(ProofOfWork.target(lo) >= ProofOfWork.target(hi)).toBe(true)
      }),
      { numRuns: 500 }
    )
  })

  it("keeps Octez's rounding quirk for tiny fractional parts", () => {
    expect(ProofOfWork.target(1 + 2 ** -52)).toBe((1n << 255n) + (1n << 201n) - 1n)
    expect(ProofOfWork.target(26)).toBe((1n << 230n) - 1n)
  })

  it("rejects difficulties outside [0, 256] with InvalidDifficulty", () => {
    for (const d of [-1, -0.0001, 256.0001, 300, Number.NaN, Number.POSITIVE_INFINITY]) {
      const r = ProofOfWork.fromDifficulty(d)
      expect(Result.isFailure(r) && r.failure._tag, String(d)).toBe("InvalidDifficulty")
      expect(() => ProofOfWork.target(d)).toThrow(/invalid proof-of-work difficulty/)
    }
  })

  it("expectedAttempts is 2^d for integer difficulties", () => {
    expect(ProofOfWork.expectedAttempts(ProofOfWork.target(26))).toBe(2 ** 26)
    expect(ProofOfWork.expectedAttempts(ProofOfWork.target(0))).toBe(1)
  })
})

describe("ProofOfWork.generate", () => {
  for (const difficulty of [8, 10, 12]) {
    it.effect(`finds stamps that check accepts at difficulty ${difficulty}, reporting progress`, () =>
      Effect.gen(function* () {
        const keys = yield* Keys.generate
        const target = ProofOfWork.target(difficulty)
        const reported: Array<number> = []
        const stamp = yield* ProofOfWork.generate(keys.publicKey, target, {
          batchSize: 500,
          onProgress: (p) => Effect.sync(() => reported.push(p.attempts))
        })
        expect(stamp.length).toBe(24)
        expect(yield* ProofOfWork.check(keys.publicKey, stamp, target)).toBe(true)
        expect(ProofOfWork.difficultyMet(keys.publicKey, stamp)).toBeGreaterThanOrEqual(difficulty)
        expect(reported.length).toBeGreaterThan(0)
        expect([...reported].sort((a, b) => a - b)).toEqual(reported)
      }).pipe(Effect.provide(CryptoBackend.layerNoble))
    )
  }

  it.live("is interruptible: an unreachable target stops when the fiber is interrupted", () =>
    Effect.gen(function* () {
      const keys = yield* Keys.generate
      let attempts = 0
      const fiber = yield* Effect.forkChild(
        ProofOfWork.generate(keys.publicKey, 0n, {
          batchSize: 1000,
          onProgress: (p) => Effect.sync(() => (attempts = p.attempts))
        })
      )
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(fiber)
      const stopped = attempts
      expect(stopped).toBeGreaterThan(0)
      yield* Effect.sleep("20 millis")
      expect(attempts).toBe(stopped)
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
})

describe("ProofOfWork.difficultyMet", () => {
  it("equals 256 minus the bit length of the hash value", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        (k, s) => {
          const pk = k as Keys.PublicKey
          const stamp = s as Keys.PowStamp
          const value = ProofOfWork.hashValueWith(CryptoBackend.noble, pk, stamp)
          expect(ProofOfWork.difficultyMet(pk, stamp)).toBe(256 - value.toString(2).length + (value === 0n ? 1 : 0))
        }
      )
    )
  })
})
