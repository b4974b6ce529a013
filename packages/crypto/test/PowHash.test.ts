import { describe, expect, it } from "@effect/vitest"
import { CryptoBackend, PowHash } from "@effect-p2p/crypto"
import * as fc from "fast-check"
import { toHex } from "../../../test/support/vectors.ts"
import * as Generator from "../../../tools/gen-powhash.ts"

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })

describe("PowHash (specialised blake2b-32 of 56 bytes)", () => {
  it("its unrolled compression is what tools/gen-powhash.ts generates", () => {
    const region = Generator.committed()
    expect(region, "PowHash.ts lost its generated-region markers").toBeDefined()
    expect(region).toBe(Generator.generate())
  })

  it("equals the generic blake2b on random inputs", () => {
    fc.assert(
      fc.property(bytes(56), (input) => {
        expect(toHex(PowHash.blake2b32(input))).toBe(toHex(CryptoBackend.noble.blake2b(input, 32)))
      }),
      { numRuns: 1000 }
    )
  })

  it("a hasher reused across stamps gives the same digests as fresh ones", () => {
    fc.assert(
      fc.property(bytes(32), fc.array(bytes(24), { minLength: 1, maxLength: 20 }), (pk, stamps) => {
        const hasher = PowHash.make(pk)
        for (const s of stamps) {
          const input = new Uint8Array(56)
          input.set(pk)
          input.set(s, 32)
          expect(toHex(hasher.hash(s))).toBe(toHex(CryptoBackend.noble.blake2b(input, 32)))
        }
      })
    )
  })

  it("meets compares the little-endian value with the target", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        (h, t) => {
          expect(PowHash.meets(PowHash.targetLimbs(h), PowHash.targetLimbs(t))).toBe(h <= t)
        }
      )
    )
  })

  it("search advances the stamp big-endian and stops on the first hit", () => {
    const hasher = PowHash.make(new Uint8Array(32))
    const stamp = new Uint8Array(24).fill(0xff)
    stamp[0] = 0
    expect(PowHash.search(hasher, stamp, PowHash.targetLimbs(0n), 3)).toBe(-1)
    expect(toHex(stamp)).toBe(`01${"00".repeat(22)}02`)
    const all = PowHash.targetLimbs((1n << 256n) - 1n)
    expect(PowHash.search(hasher, stamp, all, 3)).toBe(1)
    expect(() => PowHash.blake2b32(new Uint8Array(55))).toThrow(RangeError)
  })
})
