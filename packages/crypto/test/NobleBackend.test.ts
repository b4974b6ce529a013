import { describe, expect, it } from "@effect/vitest"
import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
import { toHex } from "../../../test/support/vectors.ts"
import { backendSuite } from "./backendSuite.ts"
import * as Oracles from "./oracles.ts"

backendSuite("noble", CryptoBackend.layerNoble, Oracles.libsodium)

describe("noble backend in place", () => {
  const b = CryptoBackend.noble
  const key = new Uint8Array(32).fill(3)

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

  it("hsalsa20 is the second half of precompute", () => {
    const a = b.publicKeyOf(new Uint8Array(32).fill(1))
    const secret = new Uint8Array(32).fill(2)
    expect(toHex(CryptoBackend.hsalsa20(b.x25519(secret, a)!))).toBe(toHex(b.precompute(secret, a)!))
  })
})
