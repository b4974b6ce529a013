/**
 * The decoder's fast paths against their slow equivalents: the hand-built ASCII strings and Node's
 * Buffer slicers against TextDecoder (and the fallback where there is no Buffer), `list(Fixed.bytes(n))` against a list of the same bytes behind `conv`, the generated
 * struct code and the generic struct loops (each forced, and against each other), and the independence of decoded byte fields from the input, from each
 * other and from a stream decoder's reused buffer.
 */
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it, vi } from "vitest"
import { Binary, Encoding, StreamDecoder } from "../src/index.ts"
import type { DecodeFailure } from "../src/internal/cursor.ts"
import { readUtf8, readUtf8Node, readUtf8Portable } from "../src/internal/utf8.ts"
import { withStructCodegen } from "../src/testing.ts"

const runs = { numRuns: 500 }
const utf8 = new TextEncoder()
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const be32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]

describe("UTF-8 fast path", () => {
  it("agrees with TextDecoder on valid strings (ASCII, non-ASCII, astral), short and long", () => {
    const text = fc.oneof(
      fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
      fc.string({ unit: "grapheme", maxLength: 60 }),
      // well-formed only: the codec refuses lone surrogates (TextEncoder would replace them)
      fc.string({ unit: "binary", maxLength: 60 }).filter((s) => fatal.decode(utf8.encode(s)) === s)
    )
    fc.assert(
      fc.property(text, (s) => {
        const raw = utf8.encode(s)
        const framed = Uint8Array.from([...be32(raw.length), ...raw])
        expect(Result.getOrThrow(Binary.decode(Encoding.string, framed))).toBe(fatal.decode(raw))
        expect(Result.getOrThrow(Binary.decode(Encoding.Variable.string, raw))).toBe(s)
        expect(Result.getOrThrow(Binary.encode(Encoding.string, s))).toEqual(framed)
      }),
      runs
    )
  })

  it("accepts and refuses exactly what a fatal TextDecoder does, on arbitrary bytes", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      // mostly ASCII with one arbitrary byte somewhere, so the fast path bails out at any position
      fc
        .tuple(fc.string({ unit: "grapheme-ascii", maxLength: 50 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([s, i, b]) => {
          const a = utf8.encode(s)
          const out = new Uint8Array(a.length + 1)
          const at = i % (a.length + 1)
          out.set(a.subarray(0, at))
          out[at] = b
          out.set(a.subarray(at), at + 1)
          return out
        })
    )
    fc.assert(
      fc.property(bytes, (raw) => {
        let expected: string | undefined
        try {
          expected = fatal.decode(raw)
        } catch {
          expected = undefined
        }
        const got = Binary.decode(Encoding.Variable.string, raw)
        if (expected === undefined) {
          expect(Result.isFailure(got)).toBe(true)
          if (Result.isFailure(got)) {
            expect(got.failure.reason).toBe("InvalidValue")
            expect(got.failure.offset).toBe(0)
          }
        } else expect(Result.getOrThrow(got)).toBe(expected)
      }),
      runs
    )
  })
})

describe("UTF-8 with Node's Buffer slicers", () => {
  const text = fc.oneof(
    fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
    fc.string({ unit: "grapheme", maxLength: 60 }),
    fc.string({ unit: "binary", maxLength: 60 }).filter((s) => fatal.decode(utf8.encode(s)) === s),
    // a genuine U+FFFD or BOM among other characters (the Node path re-checks strings with U+FFFD)
    fc
      .array(fc.constantFrom("a", "\ufffd", "\ufeff", "é", "€", "😀", ":"), { maxLength: 20 })
      .map((parts) => parts.join(""))
  )
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 70 }),
    text.map((s) => utf8.encode(s)),
    // well-formed text with one arbitrary byte inserted or overwritten somewhere
    fc.tuple(text, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([s, i, b, insert]) => {
      const a = utf8.encode(s)
      const at = i % (a.length + 1)
      const out = Uint8Array.from([...a.subarray(0, at), b, ...a.subarray(insert ? at : at + 1)])
      return out
    })
  )
  // the bytes inside a larger buffer, at a non-zero byte offset, so that positions are relative to the view
  const placed = fc
    .tuple(bytes, fc.nat({ max: 9 }), fc.nat({ max: 9 }), fc.nat({ max: 5 }))
    .map(([raw, before, after, viewAt]) => {
      const backing = new Uint8Array(viewAt + before + raw.length + after).fill(0xc3)
      backing.set(raw, viewAt + before)
      return { view: backing.subarray(viewAt), start: before, end: before + raw.length, raw }
    })
  const outcome = (f: () => string): string | { failure: string; offset: number } => {
    try {
      return f()
    } catch (e) {
      return { failure: (e as DecodeFailure).reason, offset: (e as DecodeFailure).offset }
    }
  }

  it("exists under Node (the benchmarks and the rest of this suite use it)", () => {
    expect(readUtf8Node).toBeDefined()
    expect(readUtf8).toBe(readUtf8Node)
  })

  it("gives the same strings and failures as the portable path and a fatal TextDecoder", () => {
    const node = readUtf8Node!
    fc.assert(
      fc.property(placed, ({ view, start, end, raw }) => {
        let expected: string | { failure: string; offset: number }
        try {
          expected = fatal.decode(raw)
        } catch {
          expected = { failure: "InvalidValue", offset: start }
        }
        expect(outcome(() => node(view, start, end))).toEqual(expected)
        expect(outcome(() => readUtf8Portable(view, start, end))).toEqual(expected)
      }),
      { numRuns: 2000 }
    )
  })

  it("refuses the classic ill-formed sequences, short and long", () => {
    const node = readUtf8Node!
    const cases = [
      [0x80], // lone continuation byte
      [0xc3], // truncated 2-byte sequence
      [0xc0, 0xaf], // overlong "/"
      [0xe0, 0x80, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // UTF-16 surrogate D800 encoded
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
      [0xff]
    ]
    for (const bad of cases) {
      for (const pad of [0, 3, 60]) {
        const raw = Uint8Array.from([...new Array<number>(pad).fill(0x61), ...bad])
        expect(outcome(() => node(raw, 0, raw.length))).toEqual({ failure: "InvalidValue", offset: 0 })
        expect(outcome(() => readUtf8Portable(raw, 0, raw.length))).toEqual({ failure: "InvalidValue", offset: 0 })
      }
    }
    // a genuine U+FFFD is accepted
    const replacement = utf8.encode("ab\ufffdc")
    expect(node(replacement, 0, replacement.length)).toBe("ab\ufffdc")
  })

  it("falls back to the portable path where there is no Buffer", async () => {
    vi.resetModules()
    vi.stubGlobal("Buffer", undefined)
    try {
      const utf8Module = await import("../src/internal/utf8.ts")
      expect(utf8Module.readUtf8Node).toBeUndefined()
      expect(utf8Module.readUtf8).toBe(utf8Module.readUtf8Portable)
      const codec = await import("../src/index.ts")
      const e = codec.Encoding.struct({
        name: codec.Encoding.string,
        peers: codec.Encoding.list(codec.Encoding.string)
      })
      const value = { name: "TEZOS_MAINNET", peers: ["127.0.0.1:9732", "é😀\ufffd", "x".repeat(100)] }
      const encoded = Result.getOrThrow(codec.Binary.encode(e, value))
      expect(Result.getOrThrow(codec.Binary.decode(e, encoded))).toEqual(value)
      const bad = Uint8Array.from([0, 0, 0, 2, 0x61, 0xff, 0, 0, 0, 0])
      const failed = codec.Binary.decode(e, bad)
      expect(Result.isFailure(failed) && failed.failure.reason).toBe("InvalidValue")
    } finally {
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })
})

describe("lists of fixed-size bytes", () => {
  const identity = { decode: (b: Uint8Array) => b, encode: (b: Uint8Array) => b }
  const fast = Encoding.list(Encoding.Fixed.bytes(3), { maxLength: 4 })
  const slow = Encoding.list(Encoding.conv(Encoding.Fixed.bytes(3), identity), { maxLength: 4 })
  const inner = Encoding.Variable.list(Encoding.Fixed.bytes(3), { maxLength: 4 })
  const innerSlow = Encoding.Variable.list(Encoding.conv(Encoding.Fixed.bytes(3), identity), { maxLength: 4 })

  it("decode like the generic list on arbitrary input (values, reasons, paths, offsets)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.nat(20), (tail, len) => {
        const framed = Uint8Array.from([...be32(len), ...tail])
        for (const [a, b, bytes] of [
          [fast, slow, framed],
          [inner, innerSlow, tail]
        ] as const) {
          const x = Binary.decode(a, bytes)
          const y = Binary.decode(b, bytes)
          expect(Result.isSuccess(x)).toBe(Result.isSuccess(y))
          if (Result.isSuccess(x) && Result.isSuccess(y)) expect(x.success).toEqual(y.success)
          if (Result.isFailure(x) && Result.isFailure(y)) {
            expect([x.failure.reason, x.failure.path, x.failure.offset]).toEqual([
              y.failure.reason,
              y.failure.path,
              y.failure.offset
            ])
          }
        }
      }),
      runs
    )
  })

  it("report a truncated element with its index", () => {
    const r = Binary.decode(inner, new Uint8Array(7))
    expect(Result.isFailure(r) && [r.failure.reason, r.failure.path, r.failure.offset]).toEqual([
      "NotEnoughBytes",
      ["2"],
      6
    ])
  })
})

// Both implementations of `struct` (generated code, and the generic loops that run where `new Function`
// is not allowed), each forced by the testing hook, behave the same.
describe.each([
  ["generated struct code", true],
  ["generic struct loops", false]
])("%s", (_, codegen) => {
  const hash = Encoding.Fixed.bytes(4)
  const { Inner, Outer } = withStructCodegen(codegen, () => {
    const Inner = Encoding.struct({ id: Encoding.uint16, hashes: Encoding.list(hash, { maxLength: 3 }) })
    const Outer = Encoding.struct({ level: Encoding.int32, inner: Inner, name: Encoding.string, tail: Encoding.bytes })
    return { Inner, Outer }
  })

  it("is the path that was asked for", () => {
    // the generated read names each part's call site (p0.read, ...); the generic loop does not
    expect(Outer.read.toString().includes("p0.read(r)")).toBe(codegen)
    expect(Inner.read.toString().includes("p0.read(r)")).toBe(codegen)
  })
  const value = {
    level: -7,
    inner: { id: 9, hashes: [new Uint8Array([1, 2, 3, 4]), new Uint8Array([5, 6, 7, 8])] },
    name: "héllo",
    tail: new Uint8Array([9, 9])
  }
  const bytes = Result.getOrThrow(Binary.encode(Outer, value))

  it("round trips, with the fields in declaration order", () => {
    const decoded = Result.getOrThrow(Binary.decode(Outer, bytes))
    expect(decoded).toEqual(value)
    expect(Object.keys(decoded)).toEqual(["level", "inner", "name", "tail"])
    expect(Object.keys(decoded.inner)).toEqual(["id", "hashes"])
  })

  it("keeps failure paths and offsets on decode", () => {
    // cut inside the list: its length prefix (at 6) announces more than there is
    const cut = Binary.decode(Outer, bytes.subarray(0, 16))
    expect(Result.isFailure(cut) && [cut.failure.reason, cut.failure.path, cut.failure.offset]).toEqual([
      "NotEnoughBytes",
      ["inner", "hashes"],
      10
    ])
    // a list block of 6 bytes: the second hash is cut by the block's end
    const short = bytes.slice()
    short.set(be32(6), 6)
    const r = Binary.decode(Outer, short)
    expect(Result.isFailure(r) && [r.failure.reason, r.failure.path, r.failure.offset]).toEqual([
      "NotEnoughBytes",
      ["inner", "hashes", "1"],
      14
    ])
    const bad = bytes.slice()
    bad.fill(0xff, 18, 22) // the string's length prefix
    const s = Binary.decode(Outer, bad)
    expect(Result.isFailure(s) && [s.failure.reason, s.failure.path]).toEqual(["InvalidValue", ["name"]])
  })

  it("keeps failure paths on encode and size", () => {
    const wrong = { ...value, inner: { id: 9, hashes: [new Uint8Array(4), new Uint8Array(3)] } }
    const r = Binary.encode(Outer, wrong)
    expect(Result.isFailure(r) && [r.failure.reason, r.failure.path]).toEqual([
      "InvalidValue",
      ["inner", "hashes", "1"]
    ])
    const s = Binary.encode(Outer, { ...value, name: 5 as unknown as string })
    expect(Result.isFailure(s) && [s.failure.reason, s.failure.path]).toEqual(["InvalidValue", ["name"]])
    const t = Binary.encode(Outer, { ...value, level: 2 ** 40 })
    expect(Result.isFailure(t) && [t.failure.reason, t.failure.path]).toEqual(["InvalidValue", ["level"]])
  })

  it("agrees with the other path on generated structs, values and arbitrary bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...leafParts), { minLength: 0, maxLength: 5 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 40 }),
        (parts, variableTail, junk) => {
          const fields = (): Record<string, Encoding.Encoding<unknown>> => {
            const f: Record<string, Encoding.Encoding<unknown>> = {}
            parts.forEach((p, i) => {
              f[`k${i}`] = p.enc
            })
            // a variable part followed by a fixed one exercises the suffix logic
            if (variableTail) {
              f.rest = Encoding.Variable.bytes as Encoding.Encoding<unknown>
              f.last = Encoding.uint16 as Encoding.Encoding<unknown>
            }
            return f
          }
          const mine = withStructCodegen(codegen, () => Encoding.struct(fields()))
          const other = withStructCodegen(!codegen, () => Encoding.struct(fields()))
          const value: Record<string, unknown> = {}
          parts.forEach((p, i) => {
            value[`k${i}`] = p.sample
          })
          if (variableTail) Object.assign(value, { rest: junk, last: 7 })
          const a = Binary.encode(mine, value)
          expect(a).toEqual(Binary.encode(other, value))
          const bytes = Result.getOrThrow(a)
          expect(Binary.decode(mine, bytes)).toEqual(Binary.decode(other, bytes))
          expect(Binary.decode(mine, junk)).toEqual(Binary.decode(other, junk))
          const broken = { ...value, k0: "not what it should be" }
          expect(Binary.encode(mine, broken)).toEqual(Binary.encode(other, broken))
        }
      ),
      { numRuns: 200 }
    )
  })
})

const leafParts: ReadonlyArray<{ readonly enc: Encoding.Encoding<unknown>; readonly sample: unknown }> = [
  { enc: Encoding.uint8 as Encoding.Encoding<unknown>, sample: 7 },
  { enc: Encoding.int32 as Encoding.Encoding<unknown>, sample: -5 },
  { enc: Encoding.string as Encoding.Encoding<unknown>, sample: "hé" },
  { enc: Encoding.bytes as Encoding.Encoding<unknown>, sample: new Uint8Array([1, 2]) },
  { enc: Encoding.Fixed.bytes(3) as Encoding.Encoding<unknown>, sample: new Uint8Array([3, 4, 5]) },
  { enc: Encoding.list(Encoding.uint16) as Encoding.Encoding<unknown>, sample: [1, 2, 3] }
]

describe("decoded byte fields", () => {
  const Msg = Encoding.struct({ a: Encoding.Fixed.bytes(32), b: Encoding.bytes, c: Encoding.list(Encoding.bytes) })
  const make = (seed: number) => ({
    a: new Uint8Array(32).fill(seed),
    b: new Uint8Array(5).fill(seed + 1),
    c: [new Uint8Array(3).fill(seed + 2), new Uint8Array(0)]
  })

  it("do not alias the input nor each other", () => {
    const input = Result.getOrThrow(Binary.encode(Msg, make(1)))
    const decoded = Result.getOrThrow(Binary.decode(Msg, input))
    input.fill(0xee)
    expect(decoded).toEqual(make(1))
    decoded.a.fill(0x77)
    decoded.c[0]!.fill(0x77)
    expect(decoded.b).toEqual(make(1).b)
    const again = Result.getOrThrow(Binary.decode(Msg, Result.getOrThrow(Binary.encode(Msg, make(1)))))
    expect(again).toEqual(make(1))
  })

  it("are right when a value's first byte field is inside a block and more follow it (one region for the whole input)", () => {
    const Nested = Encoding.struct({
      inner: Encoding.list(Encoding.Fixed.bytes(4)),
      after: Encoding.bytes,
      n: Encoding.uint8,
      last: Encoding.Fixed.bytes(3)
    })
    const value = {
      inner: [Uint8Array.of(1, 2, 3, 4)],
      after: Uint8Array.of(5, 6),
      n: 7,
      last: Uint8Array.of(8, 9, 10)
    }
    const encoded = Result.getOrThrow(Binary.encode(Nested, value))
    // inside a larger buffer, at an offset, with bytes around it that must not end up in the values
    const backing = new Uint8Array(encoded.length + 10).fill(0xee)
    backing.set(encoded, 4)
    const input = backing.subarray(4, 4 + encoded.length)
    const decoded = Result.getOrThrow(Binary.decode(Nested, input))
    backing.fill(0)
    expect(decoded).toEqual(value)
    const [prefixed] = Result.getOrThrow(Binary.decodePrefix(Nested, backing.subarray(0)))
    expect(prefixed.inner).toHaveLength(0)
  })

  it("survive a stream decoder reusing its buffer", () => {
    const framed = Encoding.dynamicSize(Msg)
    const decoder = StreamDecoder.make(framed)
    const kept: Array<unknown> = []
    for (let seed = 0; seed < 200; seed++) {
      const wire = Result.getOrThrow(Binary.encode(framed, make(seed)))
      // pieces of odd sizes, so that values complete in the middle of a piece and the buffer is compacted
      for (let at = 0; at < wire.length; at += 7) {
        for (const [, v] of Result.getOrThrow(decoder.feed(wire.subarray(at, at + 7)))) kept.push(v)
      }
    }
    expect(kept).toEqual(Array.from({ length: 200 }, (_, seed) => make(seed)))
  })

  it("keep decoding after a decoded field's buffer was transferred away", () => {
    const input = Result.getOrThrow(Binary.encode(Msg, make(3)))
    const first = Result.getOrThrow(Binary.decode(Msg, input))
    const pooled = first.a.buffer as ArrayBuffer
    structuredClone(pooled, { transfer: [pooled] })
    expect(first.a.byteLength).toBe(0)
    expect(Result.getOrThrow(Binary.decode(Msg, input))).toEqual(make(3))
  })
})

describe("encoded outputs", () => {
  const Msg = Encoding.struct({ a: Encoding.Fixed.bytes(32), n: Encoding.int16, s: Encoding.string })
  const value = (seed: number) => ({ a: new Uint8Array(32).fill(seed), n: -seed, s: `peer-${seed}` })

  it("are plain Uint8Arrays, independent of each other", () => {
    const outs = Array.from({ length: 300 }, (_, seed) => Result.getOrThrow(Binary.encode(Msg, value(seed))))
    for (const out of outs) expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype)
    outs[0]!.fill(0xaa)
    for (let seed = 1; seed < outs.length; seed++) {
      expect(Result.getOrThrow(Binary.decode(Msg, outs[seed]!))).toEqual(value(seed))
    }
  })

  it("are zero-filled where an encoding skips bytes", () => {
    // fill Node's Buffer pool with garbage first, so that unfilled bytes would show
    for (let i = 0; i < 100; i++) globalThis.Buffer?.allocUnsafe(100).fill(0xee)
    const gappy = Encoding.make<number>({
      size: Encoding.fixedSize(6),
      sizeOf: () => 6,
      write: (w, v) => {
        w.pos += 5 // leaves 5 bytes unwritten
        w.bytes[w.pos++] = v
      },
      read: (r) => {
        r.pos += 5
        return r.u8()
      }
    })
    for (let i = 0; i < 100; i++) {
      expect(Array.from(Result.getOrThrow(Binary.encode(gappy, 9)))).toEqual([0, 0, 0, 0, 0, 9])
    }
  })

  it("stay intact when another output's buffer is transferred", () => {
    const first = Result.getOrThrow(Binary.encode(Msg, value(1)))
    const second = Result.getOrThrow(Binary.encode(Msg, value(2)))
    const moved = structuredClone(second, { transfer: [second.buffer as ArrayBuffer] })
    expect(Result.getOrThrow(Binary.decode(Msg, moved))).toEqual(value(2))
    expect(Result.getOrThrow(Binary.decode(Msg, first))).toEqual(value(1))
    expect(Result.getOrThrow(Binary.decode(Msg, Result.getOrThrow(Binary.encode(Msg, value(3)))))).toEqual(value(3))
  })

  it("have arrays of their own when large, or where there is no Buffer", async () => {
    const big = Result.getOrThrow(Binary.encode(Encoding.Variable.bytes, new Uint8Array(5000).fill(1)))
    expect(big.byteOffset).toBe(0)
    expect(big.buffer.byteLength).toBe(5000)
    const processObject = globalThis.process as { getBuiltinModule?: unknown }
    const getBuiltinModule = processObject.getBuiltinModule
    vi.resetModules()
    processObject.getBuiltinModule = undefined
    try {
      // Node without process.getBuiltinModule: small outputs come from Node's Buffer pool, zero-filled
      for (let i = 0; i < 100; i++) globalThis.Buffer?.allocUnsafe(100).fill(0xee)
      const pooled = await import("../src/index.ts")
      const gap = pooled.Encoding.make<number>({
        size: pooled.Encoding.fixedSize(4),
        sizeOf: () => 4,
        write: (w, v) => {
          w.pos += 3
          w.bytes[w.pos++] = v
        },
        read: (r) => {
          r.pos += 3
          return r.u8()
        }
      })
      const first = Result.getOrThrow(pooled.Binary.encode(gap, 7))
      const second = Result.getOrThrow(pooled.Binary.encode(gap, 8))
      expect(Array.from(first)).toEqual([0, 0, 0, 7])
      expect(first.buffer.byteLength).toBeGreaterThan(first.length)
      structuredClone(second, { transfer: [second.buffer as ArrayBuffer] })
      expect(Array.from(first)).toEqual([0, 0, 0, 7])
      // no Buffer either: an array of its own per output
      vi.resetModules()
      vi.stubGlobal("Buffer", undefined)
      const codec = await import("../src/index.ts")
      const e = codec.Encoding.struct({ n: codec.Encoding.int16, s: codec.Encoding.string })
      const out = Result.getOrThrow(codec.Binary.encode(e, { n: -2, s: "x" }))
      expect(out.byteOffset).toBe(0)
      expect(out.buffer.byteLength).toBe(out.length)
      expect(Array.from(out)).toEqual([0xff, 0xfe, 0, 0, 0, 1, 0x78])
    } finally {
      processObject.getBuiltinModule = getBuiltinModule
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })
})
