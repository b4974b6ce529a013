/**
 * The Ack/Nack encoding against p2p.json's vectors and a slow reference encoder written from the
 * Data_encoding rules, its refusals, and the motive codes staying inside the package.
 */
import * as Binary from "@effect-p2p/codec/Binary"
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { hex, p2pVectors, toHex } from "../../../test/support/vectors.ts"
import * as Ack from "../src/Ack.ts"
import type * as Rejection from "../src/Rejection.ts"

type AckVectorValue =
  | "Ack"
  | "Nack_v_0"
  | { readonly Nack: { readonly motive: number; readonly points: ReadonlyArray<string> } }
interface AckVector {
  readonly value: AckVectorValue
  readonly bytes: string
}

const named: ReadonlyArray<Rejection.Motive> = [
  "NoMotive",
  "TooManyConnections",
  "UnknownChainName",
  "DeprecatedP2pVersion",
  "DeprecatedDistributedDbVersion",
  "AlreadyConnected"
]
/** protocol.md §6.3: codes 0–5 are named in this order, any other is Unknown_motive(code). */
const motiveOf = (code: number): Rejection.Received => named[code] ?? { _tag: "UnknownMotive", code }
const codeOf = (motive: Rejection.Received): number =>
  typeof motive === "string" ? named.indexOf(motive) : motive.code

const be = (value: number, bytes: number): Array<number> => {
  let v = value < 0 ? value + 2 ** (8 * bytes) : value
  const out: Array<number> = []
  for (let i = 0; i < bytes; i++) {
    out.unshift(v % 256)
    v = Math.floor(v / 256)
  }
  return out
}
const str = (s: string): Array<number> => {
  const utf8 = Array.from(new TextEncoder().encode(s))
  return [...be(utf8.length, 4), ...utf8]
}
const refAck = (m: Ack.AckMessage): Array<number> => {
  switch (m._tag) {
    case "Ack":
      return [0x00]
    case "NackV0":
      return [0xff]
    case "Nack": {
      const points = m.alternativePoints.flatMap(str)
      return [0x01, ...be(codeOf(m.motive), 2), ...be(points.length, 4), ...points]
    }
  }
}

describe("Ack.encoding", () => {
  const acks = p2pVectors().ack as ReadonlyArray<AckVector>
  const toAck = (v: AckVectorValue): Ack.AckMessage =>
    v === "Ack"
      ? { _tag: "Ack" }
      : v === "Nack_v_0"
        ? { _tag: "NackV0" }
        : { _tag: "Nack", motive: motiveOf(v.Nack.motive), alternativePoints: v.Nack.points }

  it("p2p.json has the four Ack vectors", () => expect(acks.length).toBe(4))

  it.each(acks)("vector $bytes", (v) => {
    const value = toAck(v.value)
    expect(toHex(Result.getOrThrow(Binary.encode(Ack.encoding, value)))).toBe(v.bytes)
    expect(Result.getOrThrow(Binary.decode(Ack.encoding, hex(v.bytes)))).toEqual(value)
  })

  it("matches the reference encoder on every int16 motive and up to 100 points", () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant<Ack.AckMessage>({ _tag: "Ack" }),
          fc.constant<Ack.AckMessage>({ _tag: "NackV0" }),
          fc
            .tuple(
              fc.integer({ min: -0x8000, max: 0x7fff }),
              fc.array(
                fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([host, port]) => `${host}:${port}`),
                { maxLength: 100 }
              )
            )
            .map(
              ([code, points]): Ack.AckMessage => ({ _tag: "Nack", motive: motiveOf(code), alternativePoints: points })
            )
        ),
        (value) => {
          const fast = Result.getOrThrow(Binary.encode(Ack.encoding, value))
          expect(Array.from(fast)).toEqual(refAck(value))
          expect(Result.getOrThrow(Binary.decode(Ack.encoding, Uint8Array.from(refAck(value))))).toEqual(value)
        }
      ),
      { numRuns: 300 }
    ))

  it("decodes the named codes to names and keeps any other code", () => {
    expect(Result.getOrThrow(Binary.decode(Ack.encoding, hex("01000500000000")))).toEqual({
      _tag: "Nack",
      motive: "AlreadyConnected",
      alternativePoints: []
    })
    expect(Result.getOrThrow(Binary.decode(Ack.encoding, hex("01ffff00000000")))).toEqual({
      _tag: "Nack",
      motive: { _tag: "UnknownMotive", code: -1 },
      alternativePoints: []
    })
  })

  const refusals: ReadonlyArray<readonly [string, string, string]> = [
    ["unknown tag", "02", "UnknownTag"],
    ["Ack with a trailing byte", "0000", "TrailingBytes"],
    ["Nack cut inside the motive", "0100", "NotEnoughBytes"],
    [
      "Nack with 101 points",
      `010001${(101 * 13).toString(16).padStart(8, "0")}${`00000009${toHex(new TextEncoder().encode("1.2.3.4:5"))}`.repeat(101)}`,
      "ListTooLong"
    ]
  ]
  it.each(refusals)("refuses %s", (_, bytes, reason) => {
    const result = Binary.decode(Ack.encoding, hex(bytes))
    expect(Result.isFailure(result) ? result.failure.reason : "decoded").toBe(reason)
  })

  it("refuses to encode 101 points or a point longer than 47 bytes", () => {
    const tooMany = Binary.encode(Ack.encoding, {
      _tag: "Nack",
      motive: "NoMotive",
      alternativePoints: Array.from({ length: 101 }, () => "1.2.3.4:5")
    })
    expect(Result.isFailure(tooMany) ? tooMany.failure._tag : "encoded").toBe("EncodeError")
    const tooLong = Binary.encode(Ack.encoding, {
      _tag: "Nack",
      motive: "NoMotive",
      alternativePoints: ["x".repeat(48)]
    })
    expect(Result.isFailure(tooLong) ? tooLong.failure._tag : "encoded").toBe("EncodeError")
  })
})
