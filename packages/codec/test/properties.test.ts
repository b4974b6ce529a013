import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Binary, CodecError, StreamDecoder } from "../src/index.ts"
import { anyEncoding, sized, withValue } from "./arbitraries.ts"
import { concat, split } from "./bytes.ts"

const runs = { numRuns: 300 }

describe("properties over generated encodings", () => {
  it("decode(encode(x)) = x, and the encoded length is the predicted size", () => {
    fc.assert(
      fc.property(withValue(anyEncoding(3)), ({ g, value }) => {
        const bytes = Result.getOrThrow(Binary.encode(g.enc, value))
        expect(bytes.length).toBe(Binary.length(g.enc, value))
        if (g.enc.size._tag === "Fixed") expect(bytes.length).toBe(g.enc.size.bytes)
        expect(Result.getOrThrow(Binary.decode(g.enc, bytes))).toEqual(value)
      }),
      runs
    )
  })

  it("streaming decode of the bytes split at random points equals one-shot decode", () => {
    fc.assert(
      fc.property(
        sized(3).chain((g) => fc.tuple(fc.constant(g), fc.array(g.arb, { minLength: 1, maxLength: 4 }))),
        fc.array(fc.nat(), { maxLength: 12 }),
        // Small thresholds send most values through the own-buffer path that large messages take.
        fc.constantFrom(undefined, 1, 2, 5, 64),
        ([g, values], points, largeValue) => {
          const encoded = values.map((v) => Result.getOrThrow(Binary.encode(g.enc, v)))
          const decoder = StreamDecoder.make(g.enc, largeValue === undefined ? {} : { largeValue })
          const got: Array<readonly [number, unknown]> = []
          for (const piece of split(concat(encoded), points)) got.push(...Result.getOrThrow(decoder.feed(piece)))
          expect(got.map(([size]) => size)).toEqual(encoded.map((b) => b.length))
          expect(got.map(([, v]) => v)).toEqual(encoded.map((b) => Result.getOrThrow(Binary.decode(g.enc, b))))
          expect(decoder.buffered).toBe(0)
        }
      ),
      runs
    )
  })

  it("arbitrary bytes decode to a value or a DecodeError, never an exception", () => {
    fc.assert(
      fc.property(
        anyEncoding(3),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (g, bytes, points) => {
          const r = Binary.decode(g.enc, bytes)
          if (Result.isFailure(r)) expect(CodecError.isDecodeError(r.failure)).toBe(true)
          else expect(Result.isSuccess(Binary.encode(g.enc, r.success))).toBe(true)
          if (g.enc.size._tag !== "Variable" && !(g.enc.size._tag === "Fixed" && g.enc.size.bytes === 0)) {
            const decoder = StreamDecoder.make(g.enc)
            for (const piece of split(bytes, points)) {
              const s = decoder.feed(piece)
              if (Result.isFailure(s)) {
                expect(CodecError.isDecodeError(s.failure)).toBe(true)
                break
              }
            }
          }
        }
      ),
      { numRuns: 500 }
    )
  })

  it("truncation by any number of bytes fails with NotEnoughBytes within the input", () => {
    fc.assert(
      fc.property(withValue(sized(3)), fc.nat(), ({ g, value }, cut) => {
        const bytes = Result.getOrThrow(Binary.encode(g.enc, value))
        fc.pre(bytes.length > 0)
        const kept = cut % bytes.length
        const r = Binary.decode(g.enc, bytes.subarray(0, kept))
        expect(Result.isFailure(r)).toBe(true)
        if (Result.isFailure(r)) {
          expect(r.failure.reason).toBe("NotEnoughBytes")
          expect(r.failure.offset).toBeLessThanOrEqual(kept)
        }
        // a stream given the same prefix waits instead of failing
        const decoder = StreamDecoder.make(g.enc)
        expect(Result.getOrThrow(decoder.feed(bytes.subarray(0, kept)))).toEqual([])
        expect(decoder.buffered).toBe(kept)
      }),
      runs
    )
  })

  it("an extra byte after a value of a self-delimiting encoding is TrailingBytes at the value's end", () => {
    fc.assert(
      fc.property(withValue(sized(3)), fc.integer({ min: 0, max: 255 }), ({ g, value }, extra) => {
        const bytes = Result.getOrThrow(Binary.encode(g.enc, value))
        const r = Binary.decode(g.enc, concat([bytes, new Uint8Array([extra])]))
        expect(Result.isFailure(r) && r.failure.reason).toBe("TrailingBytes")
        expect(Result.isFailure(r) && r.failure.offset).toBe(bytes.length)
      }),
      runs
    )
  })
})
