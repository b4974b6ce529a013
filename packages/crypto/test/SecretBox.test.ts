import { describe, expect, it } from "@effect/vitest"
import { poly1305 } from "@noble/ciphers/_poly1305.js"
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js"
import * as fc from "fast-check"
import { toHex } from "../../../test/support/vectors.ts"
import * as SecretBox from "../src/internal/secretbox.ts"

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
/** Lengths around every Poly1305 block and Salsa20 block boundary, and longer ones. */
const textLength = fc.oneof(
  fc.constantFrom(0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129),
  fc.integer({ min: 0, max: 3000 })
)

/** A box (tag || ciphertext) made by `@noble/ciphers`, as the reference. */
const nobleSeal = (key: Uint8Array, nonce: Uint8Array, text: Uint8Array) => xsalsa20poly1305(key, nonce).encrypt(text)

describe("XSalsa20-Poly1305 of our own (pure-JavaScript backend)", () => {
  it("seals in place to the bytes @noble/ciphers gives, and opens them back", () =>
    fc.assert(
      fc.property(bytes(32), bytes(24), textLength, fc.integer({ min: 0, max: 255 }), (key, nonce, n, seed) => {
        const text = Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)
        const box = new Uint8Array(16 + n)
        box.set(text, 16)
        SecretBox.sealInPlace(key, nonce, box)
        expect(toHex(box)).toBe(toHex(nobleSeal(key, nonce, text)))
        expect(SecretBox.openInPlace(key, nonce, box)).toBe(true)
        expect(toHex(box.subarray(16))).toBe(toHex(text))
      }),
      { numRuns: 300 }
    ))

  it("gives the same tags on extreme inputs (all-ones keys and texts: the widest limb sums)", () => {
    for (const fill of [0x00, 0xff]) {
      for (const n of [0, 16, 17, 64, 1000, 4096]) {
        const key = new Uint8Array(32).fill(fill)
        const nonce = new Uint8Array(24).fill(fill)
        const text = new Uint8Array(n).fill(0xff)
        const box = new Uint8Array(16 + n).fill(0xff)
        SecretBox.sealInPlace(key, nonce, box)
        expect(toHex(box)).toBe(toHex(nobleSeal(key, nonce, text)))
      }
    }
  })

  it("Poly1305 alone matches @noble/ciphers, including the largest clamped r and all-ones blocks", () => {
    // NaCl derives the one-time key from the keystream, so the extremes of r and of the limb sums are
    // only reachable by calling Poly1305 directly.
    const keys = [
      new Uint8Array(32).fill(0xff),
      new Uint8Array(32),
      Uint8Array.from({ length: 32 }, (_, i) => 0xff - i)
    ]
    for (const key of keys) {
      for (const n of [0, 1, 15, 16, 17, 32, 100, 1024, 65536]) {
        for (const fill of [0xff, 0x00, 0x80]) {
          const message = new Uint8Array(n).fill(fill)
          expect(toHex(SecretBox.poly1305Tag(key, message))).toBe(toHex(poly1305(message, key)))
        }
      }
    }
    fc.assert(
      fc.property(bytes(32), fc.uint8Array({ maxLength: 2000 }), (key, message) => {
        expect(toHex(SecretBox.poly1305Tag(key, message))).toBe(toHex(poly1305(message, key)))
      }),
      { numRuns: 500 }
    )
  })

  it("refuses any flipped bit and then leaves the box as it was", () =>
    fc.assert(
      fc.property(bytes(32), bytes(24), fc.uint8Array({ maxLength: 300 }), fc.nat(), (key, nonce, text, where) => {
        const box = nobleSeal(key, nonce, text)
        const bit = where % (box.length * 8)
        box[bit >>> 3]! ^= 1 << (bit & 7)
        const before = toHex(box)
        expect(SecretBox.openInPlace(key, nonce, box)).toBe(false)
        expect(toHex(box)).toBe(before)
      }),
      { numRuns: 300 }
    ))

  it("refuses a wrong key or nonce, and a box shorter than the tag", () => {
    const key = new Uint8Array(32).fill(1)
    const nonce = new Uint8Array(24).fill(2)
    const box = nobleSeal(key, nonce, new Uint8Array([1, 2, 3]))
    expect(SecretBox.openInPlace(new Uint8Array(32).fill(3), nonce, box.slice())).toBe(false)
    expect(SecretBox.openInPlace(key, new Uint8Array(24), box.slice())).toBe(false)
    expect(SecretBox.openInPlace(key, nonce, new Uint8Array(15))).toBe(false)
  })

  it("refuses a key or nonce of the wrong length: seal throws, open says no", () => {
    const box = new Uint8Array(20)
    for (const [key, nonce] of [
      [new Uint8Array(31), new Uint8Array(24)],
      [new Uint8Array(33), new Uint8Array(24)],
      [new Uint8Array(32), new Uint8Array(23)],
      [new Uint8Array(32), new Uint8Array(25)]
    ] as const) {
      expect(() => SecretBox.sealInPlace(key, nonce, box)).toThrow(RangeError)
      expect(SecretBox.openInPlace(key, nonce, box)).toBe(false)
    }
    expect(() => SecretBox.sealInPlace(new Uint8Array(32), new Uint8Array(24), new Uint8Array(15))).toThrow(RangeError)
  })

  it("opens boxes sealed by @noble/ciphers, at any offset in a larger buffer", () =>
    fc.assert(
      fc.property(bytes(32), bytes(24), fc.uint8Array({ maxLength: 2000 }), fc.nat(7), (key, nonce, text, offset) => {
        const box = nobleSeal(key, nonce, text)
        const outer = new Uint8Array(offset + box.length + 3).fill(0xa5)
        outer.set(box, offset)
        expect(SecretBox.openInPlace(key, nonce, outer.subarray(offset, offset + box.length))).toBe(true)
        expect(toHex(outer.subarray(offset + 16, offset + box.length))).toBe(toHex(text))
        expect([...outer.subarray(0, offset), ...outer.subarray(offset + box.length)]).toEqual(
          Array(offset + 3).fill(0xa5)
        )
      }),
      { numRuns: 200 }
    ))

  it("HSalsa20 with 16 zero input bytes is @noble/ciphers' hsalsa", () =>
    fc.assert(
      fc.property(bytes(32), (key) => {
        const sigma = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
        const k = new Uint32Array(8)
        new Uint8Array(k.buffer).set(key)
        const out = new Uint32Array(8)
        hsalsa(sigma, k, new Uint32Array(4), out)
        expect(toHex(SecretBox.hsalsa20(key))).toBe(toHex(new Uint8Array(out.buffer)))
      })
    ))
})
