import { describe, expect, it } from "@effect/vitest"
import { PeerId } from "@effect-p2p/crypto"
import { sha256 } from "@noble/hashes/sha2.js"
import { base58 } from "@scure/base"
import { Result } from "effect"
import * as fc from "fast-check"
import { toHex } from "../../../test/support/vectors.ts"

const idArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => b as PeerId.PeerId)
const encodeWith = (payload: Uint8Array): string => {
  const check = sha256(sha256(payload)).subarray(0, 4)
  const all = new Uint8Array(payload.length + 4)
  all.set(payload)
  all.set(check, payload.length)
  return base58.encode(all)
}

describe("PeerId", () => {
  it("base58check round trip: 30 characters starting with id", () => {
    fc.assert(
      fc.property(idArb, (id) => {
        const text = PeerId.toBase58(id)
        expect(text).toHaveLength(30)
        expect(text.startsWith("id")).toBe(true)
        const back = Result.getOrThrow(PeerId.fromBase58(text))
        expect(PeerId.equals(back, id)).toBe(true)
      })
    )
  })

  it("rejects a wrong checksum", () => {
    fc.assert(
      fc.property(idArb, fc.integer({ min: 2, max: 29 }), (id, at) => {
        const text = PeerId.toBase58(id)
        const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        const replacement = alphabet[(alphabet.indexOf(text[at]!) + 1) % alphabet.length]!
        const broken = text.slice(0, at) + replacement + text.slice(at + 1)
        const r = PeerId.fromBase58(broken)
        expect(Result.isFailure(r) && r.failure._tag).toBe("InvalidPeerId")
      })
    )
  })

  it("rejects a wrong prefix, a wrong length, and non-base58 text", () => {
    fc.assert(
      fc.property(idArb, fc.uint8Array({ minLength: 2, maxLength: 2 }), (id, prefix) => {
        fc.pre(!(prefix[0] === 0x99 && prefix[1] === 0x67))
        const payload = new Uint8Array(18)
        payload.set(prefix)
        payload.set(id, 2)
        const r = PeerId.fromBase58(encodeWith(payload))
        expect(Result.isFailure(r) && r.failure.reason).toBe("wrong prefix (not a peer id)")
      })
    )
    const cases = [
      encodeWith(new Uint8Array([0x99, 0x67, 1, 2, 3])),
      encodeWith(new Uint8Array(19).fill(0x99)),
      "",
      "id0OIl",
      "idsg2wkkDDv2cbEMK4zH49fjgyn7X"
    ]
    for (const text of cases) {
      const r = PeerId.fromBase58(text)
      expect(Result.isFailure(r) && r.failure._tag, text).toBe("InvalidPeerId")
      if (Result.isFailure(r)) expect(r.failure.message).toContain("invalid peer id")
    }
  })

  it("fromBytes checks the length and copies", () => {
    const bytes = new Uint8Array(16).fill(7)
    const id = Result.getOrThrow(PeerId.fromBytes(bytes))
    bytes[0] = 0
    expect(toHex(id)).toBe("07".repeat(16))
    const r = PeerId.fromBytes(new Uint8Array(32))
    expect(Result.isFailure(r) && r.failure.message).toBe("PeerId must be 16 bytes, got 32")
  })
})
