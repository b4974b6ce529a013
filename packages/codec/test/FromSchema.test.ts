import { Option, Result, Schema, SchemaIssue } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { hex, p2pVectors, toHex } from "../../../test/support/vectors.ts"
import { Binary, CodecError, Encoding, P2pMessage, Point, StreamDecoder } from "../src/index.ts"
import { concat, split } from "./bytes.ts"
import { leaves, Person, schemaShape, schemaWithValue } from "./schemaArbitraries.ts"

const runs = { numRuns: 200 }

const encodeHex = <A>(e: Encoding.Encoding<A>, v: A): string => toHex(Result.getOrThrow(Binary.encode(e, v)))

describe("fromSchema over generated schema shapes", () => {
  it("round-trips every value byte for byte, with the hand-written encoding's bytes", () => {
    fc.assert(
      fc.property(schemaWithValue(schemaShape(3)), ({ g, value }) => {
        const derived = Encoding.fromSchema(g.schema)
        const bytes = Result.getOrThrow(Binary.encode(derived, value))
        expect(toHex(bytes)).toBe(encodeHex(g.hand, value))
        const decoded = Result.getOrThrow(Binary.decode(derived, bytes))
        expect(decoded).toEqual(value)
        expect(toHex(Result.getOrThrow(Binary.encode(derived, decoded)))).toBe(toHex(bytes))
      }),
      runs
    )
  })

  it("the stream decoder cuts concatenated values at random points as one-shot decoding does", () => {
    fc.assert(
      fc.property(
        schemaShape(2).chain((g) => fc.tuple(fc.constant(g), fc.array(g.arb, { minLength: 1, maxLength: 4 }))),
        fc.array(fc.nat(), { maxLength: 12 }),
        ([g, values], points) => {
          const derived = Encoding.fromSchema(g.schema)
          // a value of zero bytes cannot be cut out of a stream: frame those
          const framed =
            derived.size._tag === "Fixed" && derived.size.bytes === 0 ? Encoding.dynamicSize(derived) : derived
          const encoded = values.map((v) => Result.getOrThrow(Binary.encode(framed, v)))
          const decoder = StreamDecoder.make(framed)
          const got: Array<readonly [number, unknown]> = []
          for (const piece of split(concat(encoded), points)) got.push(...Result.getOrThrow(decoder.feed(piece)))
          expect(got.map(([size]) => size)).toEqual(encoded.map((b) => b.length))
          expect(got.map(([, v]) => v)).toEqual(values)
          expect(decoder.buffered).toBe(0)
        }
      ),
      runs
    )
  })

  it("random bytes decode to a value or a DecodeError, never a throw", () => {
    fc.assert(
      fc.property(schemaShape(3), fc.uint8Array({ maxLength: 64 }), (g, bytes) => {
        const result = Binary.decode(Encoding.fromSchema(g.schema), bytes)
        if (Result.isFailure(result)) expect(CodecError.isDecodeError(result.failure)).toBe(true)
        const decoder = StreamDecoder.make(Encoding.dynamicSize(Encoding.fromSchema(g.schema)))
        const fed = decoder.feed(bytes)
        if (Result.isFailure(fed)) expect(CodecError.isDecodeError(fed.failure)).toBe(true)
      }),
      runs
    )
  })
})

describe("fromSchema defaults, each against the hand-written encoding", () => {
  for (const leaf of leaves) {
    it(leaf.name, () => {
      fc.assert(
        fc.property(leaf.arb, (v) => {
          expect(encodeHex(Encoding.fromSchema(leaf.schema), v)).toBe(encodeHex(leaf.hand, v))
        }),
        { numRuns: 50 }
      )
    })
  }

  it("Struct: fields in declaration order", () => {
    const S = Schema.Struct({ b: Schema.String, a: Schema.Boolean, n: Schema.Int })
    const H = Encoding.struct({ b: Encoding.string, a: Encoding.bool, n: Encoding.int32 })
    const v = { b: "x", a: true, n: -4 }
    expect(encodeHex(Encoding.fromSchema(S), v)).toBe(encodeHex(H, v))
    expect(encodeHex(Encoding.fromSchema(S), v)).toBe("0000000178" + "ff" + "fffffffc")
  })

  it("Struct: an optional key is Data_encoding's opt field (0x00 absent, 0xff then the value), not an option", () => {
    const e = Encoding.fromSchema(Schema.Struct({ a: Schema.optionalKey(Schema.Int), b: Schema.Boolean }))
    expect(encodeHex(e, { b: false })).toBe("0000")
    expect(encodeHex(e, { a: 3, b: false })).toBe("ff0000000300")
    // as Data_encoding's reader, any non-zero presence byte means present
    expect(Result.getOrThrow(Binary.decode(e, hex("010000000300")))).toStrictEqual({ a: 3, b: false })
    // a NullOr value (Data_encoding's option) keeps the 0x01 tag
    const n = Encoding.fromSchema(Schema.Struct({ a: Schema.NullOr(Schema.Int) }))
    expect(encodeHex(n, { a: 3 })).toBe("0100000003")
    expect(Result.getOrThrow(Binary.decode(e, hex("0000")))).toStrictEqual({ b: false })
  })

  it("Tuple is tup, Array is a list with a uint30 byte length", () => {
    expect(encodeHex(Encoding.fromSchema(Schema.Tuple([Schema.Boolean, Schema.Int])), [true, 1])).toBe(
      encodeHex(Encoding.tuple(Encoding.bool, Encoding.int32), [true, 1])
    )
    expect(encodeHex(Encoding.fromSchema(Schema.Array(Schema.Int)), [1, 2])).toBe("00000008" + "00000001" + "00000002")
    const rest = Encoding.fromSchema(Schema.TupleWithRest(Schema.Tuple([Schema.String]), [Schema.Boolean]))
    expect(encodeHex(rest, ["a", true, false])).toBe("0000000161" + "00000002ff00")
    expect(Result.getOrThrow(Binary.decode(rest, hex("000000016100000001ff")))).toEqual(["a", true])
  })

  it("Array: isMaxLength bounds the decoder (ListTooLong before the elements are read)", () => {
    const e = Encoding.fromSchema(Schema.Array(Schema.Boolean).check(Schema.isMaxLength(2)))
    const r = Binary.decode(e, hex("00000003ffffff"))
    expect(Result.isFailure(r) && r.failure.reason).toBe("ListTooLong")
  })

  it("NullOr and Option are Data_encoding's option", () => {
    const nullOr = Encoding.fromSchema(Schema.NullOr(Schema.Int))
    expect(encodeHex(nullOr, null)).toBe("00")
    expect(encodeHex(nullOr, 5)).toBe(encodeHex(Encoding.option(Encoding.int32), Option.some(5)))
    const option = Encoding.fromSchema(Schema.Option(Schema.String))
    expect(encodeHex(option, Option.some("a"))).toBe(encodeHex(Encoding.option(Encoding.string), Option.some("a")))
    expect(encodeHex(option, Option.none())).toBe("00")
  })

  it("Literals: uint8 index in declaration order, uint16 past 256", () => {
    expect(encodeHex(Encoding.fromSchema(Schema.Literals(["x", "y", "z"])), "z")).toBe("02")
    const many = Array.from({ length: 300 }, (_, i) => `l${i}`)
    const wide = Encoding.fromSchema(Schema.Literals(many))
    expect(wide.size).toEqual({ _tag: "Fixed", bytes: 2 })
    expect(encodeHex(wide, "l299")).toBe("012b")
    expect(Result.getOrThrow(Binary.decode(wide, hex("012b")))).toBe("l299")
    const r = Binary.decode(wide, hex("012c"))
    expect(Result.isFailure(r) && r.failure.reason).toBe("UnknownTag")
  })

  it("Union of TaggedStructs: uint8 tag in declaration order, the _tag itself takes no bytes", () => {
    const U = Schema.Union([
      Schema.TaggedStruct("A", { x: Schema.Int }),
      Schema.TaggedStruct("B", { s: Schema.String }),
      Schema.TaggedStruct("C", {})
    ])
    const H = Encoding.taggedUnion({
      A: { tag: 0, encoding: Encoding.struct({ x: Encoding.int32 }) },
      B: { tag: 1, encoding: Encoding.struct({ s: Encoding.string }) },
      C: { tag: 2, encoding: Encoding.struct({}) }
    })
    const e = Encoding.fromSchema(U)
    for (const v of [{ _tag: "A", x: 1 }, { _tag: "B", s: "q" }, { _tag: "C" }] as const) {
      expect(encodeHex(e, v)).toBe(encodeHex(H, v))
      expect(Result.getOrThrow(Binary.decode(e, Result.getOrThrow(Binary.encode(e, v))))).toEqual(v)
    }
    expect(encodeHex(e, { _tag: "C" })).toBe("02")
  })

  it("Enum, a single Literal and UndefinedOr", () => {
    const e = Encoding.fromSchema(Schema.Enum({ A: "a", B: 2 }))
    expect(encodeHex(e, 2)).toBe("01")
    expect(encodeHex(Encoding.fromSchema(Schema.Literal("only")), "only")).toBe("00")
    const u = Encoding.fromSchema(Schema.UndefinedOr(Schema.Boolean))
    expect(encodeHex(u, undefined)).toBe("00")
    expect(encodeHex(u, false)).toBe("0100")
    expect(Result.getOrThrow(Binary.decode(u, hex("00")))).toBeUndefined()
  })

  it("a union of other members: the first member whose type accepts the value", () => {
    const e = Encoding.fromSchema(Schema.Union([Schema.Int, Schema.String]))
    expect(encodeHex(e, "a")).toBe("01" + "0000000161")
    expect(encodeHex(e, 7)).toBe("00" + "00000007")
  })

  it("Class and TaggedClass: as their fields, and decoding builds the class", () => {
    class Ping extends Schema.TaggedClass<Ping>()("Ping", { seq: Schema.Int }) {}
    class Chat extends Schema.TaggedClass<Chat>()("Chat", { text: Schema.String }) {}
    const e = Encoding.fromSchema(Schema.Union([Ping, Chat]))
    expect(encodeHex(e, new Chat({ text: "hi" }))).toBe("01" + "000000026869")
    const decoded = Result.getOrThrow(Binary.decode(e, hex("00" + "00000009")))
    expect(decoded).toBeInstanceOf(Ping)
    expect(decoded).toEqual(new Ping({ seq: 9 }))
    const p = Encoding.fromSchema(Person)
    expect(
      Result.getOrThrow(Binary.decode(p, Result.getOrThrow(Binary.encode(p, new Person({ name: "a", age: 1 })))))
    ).toBeInstanceOf(Person)
  })

  it("a transformation is written as its encoded side", () => {
    const e = Encoding.fromSchema(Schema.NumberFromString)
    expect(encodeHex(e, 12)).toBe(encodeHex(Encoding.string, "12"))
    const d = Encoding.fromSchema(Schema.Date)
    expect(encodeHex(d, new Date(0))).toBe(encodeHex(Encoding.string, "1970-01-01T00:00:00.000Z"))
    const r = Binary.decode(d, Result.getOrThrow(Binary.encode(Encoding.string, "not a date")))
    expect(Result.isFailure(r) && r.failure.reason).toBe("InvalidValue")
  })
})

describe("fromSchema annotations", () => {
  it("an Encoding replaces the default; explicit union tags and a uint16 tag size", () => {
    const U = Schema.Union([
      Schema.TaggedStruct("Ping", { seq: Schema.Number.annotate(Encoding.binary(Encoding.uint16)) }).annotate(
        Encoding.binary({ tag: 0x10 })
      ),
      Schema.TaggedStruct("Hash", {
        h: Schema.Uint8Array.annotate(Encoding.binary(Encoding.Fixed.bytes(32)))
      }).annotate(Encoding.binary({ tag: 0x2000 }))
    ]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))
    const e = Encoding.fromSchema(U)
    expect(encodeHex(e, { _tag: "Ping", seq: 258 })).toBe("00000004" + "0010" + "0102")
    const h = new Uint8Array(32).fill(7)
    expect(encodeHex(e, { _tag: "Hash", h })).toBe(`00000022${"2000"}${"07".repeat(32)}`)
    const short = Binary.encode(e, { _tag: "Hash", h: new Uint8Array(31) })
    expect(Result.isFailure(short) && short.failure.path).toEqual(["Hash", "h"])
  })

  it("annotations on a schema with checks are found (they sit on the last check)", () => {
    const e = Encoding.fromSchema(
      Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10 })).annotate(Encoding.binary(Encoding.uint8))
    )
    expect(encodeHex(e, 10)).toBe("0a")
    const r = Binary.encode(e, 11)
    expect(Result.isFailure(r) && r.failure.reason).toBe("InvalidValue")
  })

  it("variable, maxLength and checkSize", () => {
    const e = Encoding.fromSchema(
      Schema.Struct({
        n: Schema.Number.annotate(Encoding.binary(Encoding.uint8)),
        rest: Schema.Array(Schema.String).annotate(Encoding.binary({ variable: true, maxLength: 2 }))
      }).annotate(Encoding.binary({ checkSize: 16 }))
    )
    expect(encodeHex(e, { n: 1, rest: ["a"] })).toBe("01" + "0000000161")
    expect(Result.getOrThrow(Binary.decode(e, hex("01" + "0000000161" + "0000000162")))).toEqual({
      n: 1,
      rest: ["a", "b"]
    })
    const tooMany = Binary.encode(e, { n: 1, rest: ["a", "b", "c"] })
    expect(Result.isFailure(tooMany) && tooMany.failure.reason).toBe("ListTooLong")
    const tooBig = Binary.encode(e, { n: 1, rest: ["abcdefghij", "k"] })
    expect(Result.isFailure(tooBig) && tooBig.failure.reason).toBe("SizeLimitExceeded")
  })
})

describe("fromSchema checks", () => {
  const Name = Schema.String.check(Schema.isMaxLength(3))
  const Msg = Schema.Struct({ name: Name, n: Schema.Int })
  const e = Encoding.fromSchema(Msg)

  it("a value failing the schema's checks gives EncodeError with the schema's issue, and no bytes", () => {
    const r = Binary.encode(e, { name: "abcd", n: 1 })
    expect(Result.isFailure(r)).toBe(true)
    if (Result.isFailure(r)) {
      expect(r.failure.reason).toBe("InvalidValue")
      expect(r.failure.path).toEqual(["name"])
      expect(SchemaIssue.isIssue(r.failure.issue)).toBe(true)
      expect(r.failure.message).toContain("at most 3")
    }
    const notInt = Binary.encode(e, { name: "a", n: 1.5 })
    expect(Result.isFailure(notInt) && notInt.failure.path).toEqual(["n"])
  })

  it("bytes that decode but fail the checks give DecodeError with the schema's issue", () => {
    const bytes = Result.getOrThrow(
      Binary.encode(Encoding.struct({ name: Encoding.string, n: Encoding.int32 }), { name: "abcd", n: 1 })
    )
    const r = Binary.decode(e, bytes)
    expect(Result.isFailure(r)).toBe(true)
    if (Result.isFailure(r)) {
      expect(r.failure.reason).toBe("InvalidValue")
      expect(r.failure.path).toEqual(["name"])
      expect(r.failure.offset).toBe(0)
      expect(SchemaIssue.isIssue(r.failure.issue)).toBe(true)
    }
  })

  it("parseOptions reach the checks: errors all reports every failing check", () => {
    const Word = Schema.String.check(Schema.isMaxLength(3), Schema.isPattern(/^[a-z]*$/))
    const first = Binary.encode(Encoding.fromSchema(Word), "ABCD")
    const all = Binary.encode(Encoding.fromSchema(Word, { parseOptions: { errors: "all" } }), "ABCD")
    expect(Result.isFailure(first) && first.failure.detail.split("\n").length).toBe(1)
    expect(Result.isFailure(all) && all.failure.detail.split("\n").length).toBeGreaterThan(1)
  })

  it("a transformation's refusal on encode is an EncodeError with the issue", () => {
    const Positive = Schema.NumberFromString.check(Schema.isGreaterThan(0))
    const r = Binary.encode(Encoding.fromSchema(Schema.Struct({ p: Positive })), { p: -1 })
    expect(Result.isFailure(r) && r.failure.path).toEqual(["p"])
    expect(Result.isFailure(r) && SchemaIssue.isIssue(r.failure.issue)).toBe(true)
  })
})

describe("fromSchema refuses what it cannot derive, naming the path", () => {
  const refused = (schema: Schema.Codec<unknown, unknown>): CodecError.UnsupportedSchema => {
    try {
      Encoding.fromSchema(schema)
    } catch (e) {
      if (CodecError.isUnsupportedSchema(e)) return e
      throw e
    }
    throw new Error("fromSchema accepted the schema")
  }

  it("unknown, any, symbol", () => {
    expect(refused(Schema.Struct({ a: Schema.Struct({ b: Schema.Unknown }) }) as never).path).toEqual(["a", "b"])
    expect(refused(Schema.Tuple([Schema.String, Schema.Any]) as never).path).toEqual(["1"])
    expect(refused(Schema.Array(Schema.Symbol) as never).path).toEqual(["[]"])
  })

  it("a recursive schema without an annotation, accepted with one", () => {
    interface Tree {
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Codec<Tree> = Schema.Struct({ children: Schema.Array(Schema.suspend(() => Tree)) })
    const e = refused(Tree as never)
    expect(e.path).toEqual(["children", "[]", "children", "[]"])
    expect(e.message).toContain("recursive")
    // with an annotation naming the encoding of the recursive point
    const leafless = Encoding.struct({
      children: Encoding.list(Encoding.struct({ children: Encoding.list(Encoding.bool) }))
    })
    const Annotated = Schema.Struct({
      children: Schema.Array(Schema.suspend(() => Tree).annotate(Encoding.binary(leafless as never)))
    })
    expect(() => Encoding.fromSchema(Annotated)).not.toThrow()
  })

  it("a declaration without an encoding, and a record", () => {
    class Opaque {}
    const d = refused(Schema.Struct({ o: Schema.instanceOf(Opaque) }) as never)
    expect(d.path).toEqual(["o"])
    expect(d.message).toContain("declaration")
    expect(refused(Schema.Record(Schema.String, Schema.Number) as never).message).toContain("record")
  })

  it("two variable-size parts in a row, where the combinators refuse them", () => {
    const v = Encoding.binary({ variable: true })
    const e = refused(Schema.Struct({ a: Schema.String.annotate(v), b: Schema.String }) as never)
    expect(e.path).toEqual([])
    expect(e.message).toContain("follows the variable-size")
  })
})

describe("Octez messages written as annotated Schemas", () => {
  const vectors = p2pVectors()
  const uint16 = Schema.Number.annotate(Encoding.binary(Encoding.uint16))

  it("the network version gives the bytes of p2p.json", () => {
    const NetworkVersion = Schema.Struct({ chainName: Schema.String, distributedDbVersion: uint16, p2pVersion: uint16 })
    const e = Encoding.fromSchema(NetworkVersion)
    const list = vectors.network_version as ReadonlyArray<{
      chain_name: string
      distributed_db_version: number
      p2p_version: number
      bytes: string
    }>
    expect(list.length).toBeGreaterThan(0)
    for (const v of list) {
      const value = {
        chainName: v.chain_name,
        distributedDbVersion: v.distributed_db_version,
        p2pVersion: v.p2p_version
      }
      expect(encodeHex(e, value)).toBe(v.bytes)
      expect(Result.getOrThrow(Binary.decode(e, hex(v.bytes)))).toEqual(value)
    }
  })

  it("the Ack message gives the bytes of p2p.json", () => {
    const Ack = Schema.Union([
      Schema.TaggedStruct("Ack", {}).annotate(Encoding.binary({ tag: 0x00 })),
      Schema.TaggedStruct("Nack", { motive: uint16, points: Schema.Array(Schema.String) }).annotate(
        Encoding.binary({ tag: 0x01 })
      ),
      Schema.TaggedStruct("NackV0", {}).annotate(Encoding.binary({ tag: 0xff }))
    ])
    const e = Encoding.fromSchema(Ack)
    const list = vectors.ack as ReadonlyArray<{
      value: "Ack" | "Nack_v_0" | { Nack: { motive: number; points: ReadonlyArray<string> } }
      bytes: string
    }>
    expect(list.length).toBe(4)
    for (const v of list) {
      const value =
        v.value === "Ack"
          ? { _tag: "Ack" as const }
          : v.value === "Nack_v_0"
            ? { _tag: "NackV0" as const }
            : { _tag: "Nack" as const, motive: v.value.Nack.motive, points: v.value.Nack.points }
      expect(encodeHex(e, value)).toBe(v.bytes)
      expect(Result.getOrThrow(Binary.decode(e, hex(v.bytes)))).toEqual(value)
    }
    // and the bytes of TezEdge's Nack test (the hand-written encoding is session's Ack.encoding)
    expect(encodeHex(e, { _tag: "Nack", motive: 3, points: ["127.0.0.1:9832"] })).toBe(
      "010003000000120000000e3132372e302e302e313a39383332"
    )
  })

  it("the p2p messages (Bootstrap from p2p.json, Advertise as the hand-written envelope writes it)", () => {
    const PointSchema = Schema.String.annotate(Encoding.binary(Point.encoding))
    const P2p = Schema.Union([
      Schema.TaggedStruct("Disconnect", {}).annotate(Encoding.binary({ tag: 0x01 })),
      Schema.TaggedStruct("Bootstrap", {}).annotate(Encoding.binary({ tag: 0x02 })),
      Schema.TaggedStruct("Advertise", {
        points: Schema.Array(PointSchema).annotate(Encoding.binary({ variable: true, maxLength: 100 }))
      }).annotate(Encoding.binary({ tag: 0x03 }))
    ]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30", checkSize: P2pMessage.maxSize }))
    const e = Encoding.fromSchema(P2p)
    const bootstrap = (vectors.p2p_message as ReadonlyArray<{ name: string; bytes: string }>).find(
      (m) => m.name === "Bootstrap"
    )!
    expect(encodeHex(e, { _tag: "Bootstrap" })).toBe(bootstrap.bytes)
    const advertise = { _tag: "Advertise" as const, points: ["127.0.0.1:9732", "[::1]:19732"] }
    expect(encodeHex(e, advertise)).toBe(encodeHex(P2pMessage.encoding, advertise))
    expect(Result.getOrThrow(Binary.decode(e, hex(encodeHex(P2pMessage.encoding, advertise))))).toEqual(advertise)
  })
})

describe("toEncoding", () => {
  it("passes an Encoding through and derives a schema once", () => {
    expect(Encoding.toEncoding(Encoding.uint8)).toBe(Encoding.uint8)
    const S = Schema.Struct({ a: Schema.String })
    expect(Encoding.toEncoding(S)).toBe(Encoding.toEncoding(S))
    expect(encodeHex(Encoding.toEncoding(S), { a: "x" })).toBe("0000000178")
  })
})
