/**
 * A slow, obviously correct reference encoder written from the Data_encoding rules (arrays of
 * numbers, arithmetic instead of DataView), and parity of the fast encoder with it.
 */
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Binary, Encoding, NetworkVersion, P2pMessage } from "../src/index.ts"

const be = (value: number, bytes: number): Array<number> => {
  let v = value < 0 ? value + 2 ** (8 * bytes) : value
  const out: Array<number> = []
  for (let i = 0; i < bytes; i++) {
    out.unshift(v % 256)
    v = Math.floor(v / 256)
  }
  return out
}
const utf8 = (s: string): Array<number> => Array.from(new TextEncoder().encode(s))
const str = (s: string): Array<number> => [...be(utf8(s).length, 4), ...utf8(s)]

const refNetworkVersion = (v: NetworkVersion.NetworkVersion) => [
  ...str(v.chainName),
  ...be(v.distributedDbVersion, 2),
  ...be(v.p2pVersion, 2)
]
const refEnvelope = (e: P2pMessage.Envelope) => [...be(2 + e.body.length, 4), ...be(e.tag, 2), ...e.body]
const refN = (v: bigint): Array<number> => {
  const out: Array<number> = []
  do {
    const group = Number(v % 128n)
    v /= 128n
    out.push(v > 0n ? group + 128 : group)
  } while (v > 0n)
  return out
}
const refZ = (v: bigint): Array<number> => {
  const m = v < 0n ? -v : v
  const first = Number(m % 64n) + (v < 0n ? 64 : 0)
  const rest = m / 64n
  return rest === 0n ? [first] : [first + 128, ...refN(rest)]
}

const parity = <A>(name: string, encoding: Encoding.Encoding<A>, ref: (a: A) => Array<number>, arb: fc.Arbitrary<A>) =>
  it(name, () => {
    fc.assert(
      fc.property(arb, (value) => {
        const fast = Result.getOrThrow(Binary.encode(encoding, value))
        expect(Array.from(fast)).toEqual(ref(value))
        expect(Result.getOrThrow(Binary.decode(encoding, Uint8Array.from(ref(value))))).toEqual(value)
      }),
      { numRuns: 300 }
    )
  })

describe("parity with the reference encoder", () => {
  parity(
    "network version",
    NetworkVersion.encoding,
    refNetworkVersion,
    fc.record({
      chainName: fc.string({ unit: "binary", maxLength: 40 }),
      distributedDbVersion: fc.integer({ min: 0, max: 0xffff }),
      p2pVersion: fc.integer({ min: 0, max: 0xffff })
    })
  )
  parity(
    "P2p envelope",
    P2pMessage.envelope,
    refEnvelope,
    fc.record({ tag: fc.integer({ min: 0, max: 0xffff }), body: fc.uint8Array({ maxLength: 300 }) })
  )
  parity("n", Encoding.n, refN, fc.bigInt({ min: 0n, max: 2n ** 500n }))
  parity("z", Encoding.z, refZ, fc.bigInt({ min: -(2n ** 500n), max: 2n ** 500n }))
})
