import { describe, expect, it } from "@effect/vitest"
import { x25519 as nobleCurve } from "@noble/curves/ed25519.js"
import * as fc from "fast-check"
import { hex, toHex } from "../../../test/support/vectors.ts"
import * as X25519 from "../src/internal/x25519.ts"

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })

/** `@noble/curves`' answer, or `undefined` where it refuses (an all-zero result). */
const reference = (scalar: Uint8Array, u: Uint8Array): string | undefined => {
  try {
    return toHex(nobleCurve.getSharedSecret(scalar, u))
  } catch {
    return undefined
  }
}

describe("X25519 of our own (pure-JavaScript backend)", () => {
  // RFC 7748, section 5.2: scalars and u-coordinates as given, including a u with its top bit set.
  it("gives RFC 7748's test vectors", () => {
    expect(
      toHex(
        X25519.scalarMult(
          hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
          hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
        )
      )
    ).toBe("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    expect(
      toHex(
        X25519.scalarMult(
          hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
          hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")
        )
      )
    ).toBe("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")
  })

  it("gives RFC 7748's iterated vector after 1 and 1,000 iterations", () => {
    let k = hex(`09${"00".repeat(31)}`)
    let u = k
    for (let i = 1; i <= 1000; i++) {
      const next = X25519.scalarMult(k, u)
      u = k
      k = next
      if (i === 1) expect(toHex(k)).toBe("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
    }
    expect(toHex(k)).toBe("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
  })

  it("gives RFC 7748's Diffie-Hellman example (section 6.1)", () => {
    const alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    const bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    expect(toHex(X25519.publicKeyOf(alice))).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    expect(toHex(X25519.publicKeyOf(bob))).toBe("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    expect(toHex(X25519.scalarMult(alice, X25519.publicKeyOf(bob)))).toBe(shared)
    expect(toHex(X25519.scalarMult(bob, X25519.publicKeyOf(alice)))).toBe(shared)
  })

  it("agrees with @noble/curves on random scalars and public keys", () => {
    fc.assert(
      fc.property(bytes32, bytes32, (scalar, other) => {
        const peer = nobleCurve.getPublicKey(other)
        expect(toHex(X25519.publicKeyOf(scalar))).toBe(toHex(nobleCurve.getPublicKey(scalar)))
        expect(toHex(X25519.scalarMult(scalar, peer))).toBe(reference(scalar, peer))
      }),
      { numRuns: 50 }
    )
  })

  it("agrees with @noble/curves on arbitrary u-coordinates (non-canonical, top bit set, off the curve)", () => {
    fc.assert(
      fc.property(bytes32, bytes32, (scalar, u) => {
        const ours = toHex(X25519.scalarMult(scalar, u))
        const theirs = reference(scalar, u)
        expect(ours).toBe(theirs ?? "00".repeat(32))
      }),
      { numRuns: 50 }
    )
  })

  it("gives all zeros for low-order points, which the backend refuses", () => {
    const scalar = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    for (const low of [
      "00".repeat(32),
      `01${"00".repeat(31)}`,
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
    ]) {
      expect(toHex(X25519.scalarMult(scalar, hex(low)))).toBe("00".repeat(32))
    }
  })

  it("does not modify its inputs", () => {
    fc.assert(
      fc.property(bytes32, bytes32, (scalar, u) => {
        const [s, p] = [toHex(scalar), toHex(u)]
        X25519.scalarMult(scalar, u)
        expect([toHex(scalar), toHex(u)]).toEqual([s, p])
      }),
      { numRuns: 10 }
    )
  })
})
