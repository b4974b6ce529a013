import { describe, expect, it } from "@effect/vitest"
import { Nonce } from "@effect-p2p/crypto"
import { Result } from "effect"
import * as fc from "fast-check"
import { hex, p2pVectors, toHex } from "../../../test/support/vectors.ts"

const toBig = (b: Uint8Array): bigint => BigInt(`0x${toHex(b) || "0"}`)
const nonceArb = fc.uint8Array({ minLength: 24, maxLength: 24 }).map((b) => b as Nonce.Nonce)

describe("Nonce", () => {
  it("increment vectors (carry and wrap-around)", () => {
    const vectors = p2pVectors().nonce_increment as ReadonlyArray<{ nonce: string; next: string }>
    for (const v of vectors) expect(toHex(Nonce.increment(hex(v.nonce) as Nonce.Nonce))).toBe(v.next)
  })

  it("increment is +1 modulo 2^192 and returns a new value", () => {
    fc.assert(
      fc.property(nonceArb, (n) => {
        const before = toHex(n)
        const next = Nonce.increment(n)
        expect(toHex(n)).toBe(before)
        expect(toBig(next)).toBe((toBig(n) + 1n) % (1n << 192n))
      })
    )
  })

  it("carries across any run of ff bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 254 }), (run, low) => {
        const n = new Uint8Array(24) as Nonce.Nonce
        n.fill(0xff, 24 - run)
        if (run < 24) n[23 - run] = low
        const next = Nonce.increment(n)
        expect(next.subarray(24 - run).every((b) => b === 0)).toBe(true)
        if (run < 24) expect(next[23 - run]).toBe(low + 1)
      })
    )
  })

  it("never repeats within a long random walk (in place)", () => {
    fc.assert(
      fc.property(nonceArb, (start) => {
        const n = Uint8Array.from(start) as Nonce.Nonce
        const seen = new Set<string>()
        for (let i = 0; i < 2000; i++) {
          const h = toHex(n)
          expect(seen.has(h)).toBe(false)
          seen.add(h)
          Nonce.incrementInPlace(n)
        }
        expect(toBig(n)).toBe((toBig(start) + 2000n) % (1n << 192n))
      }),
      { numRuns: 20 }
    )
  })

  it("zero, and fromBytes checks the length", () => {
    expect(toHex(Nonce.zero())).toBe("00".repeat(24))
    for (const length of [0, 23, 25, 32]) {
      const r = Nonce.fromBytes(new Uint8Array(length))
      expect(Result.isFailure(r) && r.failure._tag).toBe("InvalidLength")
    }
    expect(Result.isSuccess(Nonce.fromBytes(new Uint8Array(24)))).toBe(true)
  })
})
