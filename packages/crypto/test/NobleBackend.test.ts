import { describe, expect, it } from "@effect/vitest"
import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
import * as fc from "fast-check"
import { toHex } from "../../../test/support/vectors.ts"
import { backendSuite } from "./backendSuite.ts"

backendSuite("noble", CryptoBackend.layerNoble)

describe("noble backend in place", () => {
  const b = CryptoBackend.noble
  const key = new Uint8Array(32).fill(3)

  // Its seal and open in place share one reused output up to a chunk's size and allocate above it;
  // sizes on both sides of that bound, in any order, must give what the allocating seal and open give.
  it("seals and opens boxes of any size, in any order, as seal and open do", () =>
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 255 }),
        (sizes, fill) => {
          const nonce = Nonce.zero()
          const boxes = sizes.map((size, i) => {
            const box = new Uint8Array(size + 16)
            box.fill((fill + i) & 0xff, 16)
            const plaintext = box.slice(16)
            CryptoBackend.sealInPlace(b, key, nonce, box)
            expect(toHex(box)).toBe(toHex(b.seal(key, nonce, plaintext)))
            return [box, plaintext] as const
          })
          for (const [box, plaintext] of boxes.reverse()) {
            expect(CryptoBackend.openInPlace(b, key, nonce, box)).toBe(true)
            expect(toHex(box.subarray(16))).toBe(toHex(plaintext))
          }
        }
      ),
      { numRuns: 20 }
    ))

  it("a refused box leaves the next open unaffected", () => {
    const nonce = Nonce.zero()
    const good = new Uint8Array(16 + 1000).fill(9, 16)
    CryptoBackend.sealInPlace(b, key, nonce, good)
    const bad = good.slice()
    bad[20]! ^= 1
    expect(CryptoBackend.openInPlace(b, key, nonce, bad)).toBe(false)
    expect(CryptoBackend.openInPlace(b, key, nonce, good)).toBe(true)
    expect(good.subarray(16).every((x) => x === 9)).toBe(true)
  })
})
