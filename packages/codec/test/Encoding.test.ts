import { Option, Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { hex, toHex } from "../../../test/support/vectors.ts"
import { Binary, type CodecError, Encoding, P2pMessage, Point } from "../src/index.ts"

/** A tagged union shaped like the handshake's Ack (whose own tests are in @effect-p2p/session). */
const AckLike = Encoding.taggedUnion({
  Ack: { tag: 0x00, encoding: Encoding.struct({}) },
  Nack: {
    tag: 0x01,
    encoding: Encoding.struct({
      motive: Encoding.int16,
      alternativePoints: Encoding.list(Point.encoding, { maxLength: 100 })
    })
  },
  NackV0: { tag: 0xff, encoding: Encoding.struct({}) }
})

const enc = <A>(e: Encoding.Encoding<A>, v: A): string => toHex(Result.getOrThrow(Binary.encode(e, v)))
const decodeFailure = <A>(e: Encoding.Encoding<A>, bytes: Uint8Array): CodecError.DecodeError => {
  const r = Binary.decode(e, bytes)
  if (Result.isSuccess(r)) throw new Error(`expected a failure, decoded ${String(r.success)}`)
  return r.failure
}
const encodeFailure = <A>(e: Encoding.Encoding<A>, v: A): CodecError.EncodeError => {
  const r = Binary.encode(e, v)
  if (Result.isSuccess(r)) throw new Error(`expected a failure, encoded ${toHex(r.success)}`)
  return r.failure
}

describe("primitive layouts (Data_encoding binary format)", () => {
  it.each([
    ["bool true", Encoding.bool as Encoding.Encoding<unknown>, true, "ff"],
    ["bool false", Encoding.bool, false, "00"],
    ["int8 -1", Encoding.int8, -1, "ff"],
    ["uint16", Encoding.uint16, 0x0102, "0102"],
    ["int16 -2", Encoding.int16, -2, "fffe"],
    ["int31 min", Encoding.int31, -0x40000000, "c0000000"],
    ["int32 -1", Encoding.int32, -1, "ffffffff"],
    ["int64", Encoding.int64, -2n, "fffffffffffffffe"],
    ["float 1.5", Encoding.float, 1.5, "3ff8000000000000"],
    ["n 0", Encoding.n, 0n, "00"],
    ["n 300", Encoding.n, 300n, "ac02"],
    ["z 0", Encoding.z, 0n, "00"],
    ["z -1", Encoding.z, -1n, "41"],
    ["z 64", Encoding.z, 64n, "8001"],
    ["z -300", Encoding.z, -300n, "ec04"],
    ["string", Encoding.string, "main", "000000046d61696e"],
    ["string utf-8", Encoding.string, "é😀", "00000006c3a9f09f9880"],
    ["bytes", Encoding.bytes, new Uint8Array([1, 2]), "000000020102"],
    ["option none", Encoding.option(Encoding.uint8), Option.none(), "00"],
    ["option some", Encoding.option(Encoding.uint8), Option.some(7), "0107"],
    ["list", Encoding.list(Encoding.uint16), [1, 2], "0000000400010002"],
    ["dynamicSize uint8", Encoding.dynamicSize(Encoding.Variable.string, { kind: "uint8" }), "hi", "026869"],
    [
      "dynamicSize uint16",
      Encoding.dynamicSize(Encoding.Variable.bytes, { kind: "uint16" }),
      new Uint8Array([9]),
      "000109"
    ],
    ["tuple", Encoding.tuple(Encoding.uint8, Encoding.bool), [1, true], "01ff"],
    ["unit", Encoding.unit, undefined, ""]
  ] as const)("%s", (_name, e, value, bytes) => {
    const encoding = e as Encoding.Encoding<unknown>
    expect(enc(encoding, value)).toBe(bytes)
    expect(Result.getOrThrow(Binary.decode(encoding, hex(bytes)))).toEqual(value)
  })

  it("bool reads any non-zero byte as true", () => {
    expect(Result.getOrThrow(Binary.decode(Encoding.bool, hex("01")))).toBe(true)
    expect(Result.getOrThrow(Binary.decode(Encoding.bool, hex("80")))).toBe(true)
  })

  it("a struct with a variable part before fixed fields finds the fixed fields at the end", () => {
    const e = Encoding.struct({ head: Encoding.uint8, body: Encoding.Variable.bytes, tail: Encoding.uint16 })
    expect(e.size._tag).toBe("Variable")
    const value = { head: 1, body: new Uint8Array([7, 7, 7]), tail: 0xabcd }
    expect(enc(e, value)).toBe("01070707abcd")
    expect(Result.getOrThrow(Binary.decode(e, hex("01070707abcd")))).toEqual(value)
    expect(decodeFailure(e, hex("0100")).reason).toBe("NotEnoughBytes")
  })

  it("sizes compose like Data_encoding's", () => {
    expect(Encoding.struct({ a: Encoding.uint8, b: Encoding.int64 }).size).toEqual({ _tag: "Fixed", bytes: 9 })
    expect(Encoding.struct({ a: Encoding.uint8, b: Encoding.string }).size).toEqual({ _tag: "Dynamic" })
    expect(Encoding.struct({ a: Encoding.string, b: Encoding.Variable.bytes }).size).toEqual({ _tag: "Variable" })
    expect(Encoding.option(Encoding.uint8).size).toEqual({ _tag: "Dynamic" })
    expect(AckLike.size).toEqual({ _tag: "Dynamic" })
    expect(
      Encoding.taggedUnion({
        A: { tag: 0, encoding: Encoding.struct({ x: Encoding.uint16 }) },
        B: { tag: 1, encoding: Encoding.struct({ y: Encoding.int16 }) }
      }).size
    ).toEqual({ _tag: "Fixed", bytes: 3 })
  })
})

describe("encodings that cannot be built", () => {
  it.each([
    ["two variable parts in a row", () => Encoding.struct({ a: Encoding.Variable.bytes, b: Encoding.Variable.string })],
    ["a dynamic part after a variable one", () => Encoding.tuple(Encoding.Variable.bytes, Encoding.string)],
    ["a list of variable-size elements", () => Encoding.list(Encoding.Variable.bytes)],
    ["a list of zero-size elements", () => Encoding.Variable.list(Encoding.unit)],
    [
      "a duplicate union tag",
      () => Encoding.taggedUnion({ A: { tag: 1, encoding: Encoding.unit }, B: { tag: 1, encoding: Encoding.unit } })
    ],
    ["a tag that does not fit uint8", () => Encoding.taggedUnion({ A: { tag: 256, encoding: Encoding.unit } })],
    ["a negative fixed size", () => Encoding.Fixed.bytes(-1)]
  ])("%s", (_name, build) => {
    expect(build).toThrow(Error)
  })
})

describe("wrong inputs are rejected with the right reason", () => {
  const nack = Encoding.struct({ motive: Encoding.int16, points: Encoding.list(Point.encoding, { maxLength: 2 }) })
  it.each([
    ["empty input for uint16", Encoding.uint16 as Encoding.Encoding<unknown>, "01", "NotEnoughBytes", 0, []],
    ["trailing byte", Encoding.uint8, "0102", "TrailingBytes", 1, []],
    ["string prefix past the input", Encoding.string, "0000000561", "NotEnoughBytes", 4, []],
    ["string prefix 0xffffffff", Encoding.string, "ffffffff", "InvalidValue", 0, []],
    ["invalid UTF-8", Encoding.string, "00000001ff", "InvalidValue", 4, []],
    ["int31 out of range", Encoding.int31, "7fffffff", "InvalidValue", 0, []],
    ["n with a trailing zero byte", Encoding.n, "8000", "InvalidValue", 1, []],
    ["z negative zero", Encoding.z, "40", "InvalidValue", 0, []],
    ["option tag 2", Encoding.option(Encoding.uint8), "0207", "UnknownTag", 0, []],
    ["unknown Ack tag", AckLike, "02", "UnknownTag", 0, []],
    ["Ack with a trailing byte", AckLike, "0000", "TrailingBytes", 1, []],
    [
      "list element cut by the end of the list's block",
      nack,
      "0001" + "00000006" + "0000000161" + "00",
      "NotEnoughBytes",
      11,
      ["points", "1"]
    ],
    ["list too long", nack, `00010000000f${"0000000161".repeat(3)}`, "ListTooLong", 16, ["points"]],
    ["block with bytes left over", Encoding.dynamicSize(Encoding.uint8), "000000020101", "TrailingBytes", 5, []],
    ["point over 51 bytes", Point.encoding, `00000030${"61".repeat(48)}`, "SizeLimitExceeded", 4, []],
    ["P2p message tag below 0x10", P2pMessage.encoding, "000000020009", "UnknownTag", 4, []],
    [
      "swap request with a short peer id",
      P2pMessage.encoding,
      "000000090004" + "0000000161" + "0102",
      "NotEnoughBytes",
      11,
      ["SwapRequest", "peerId"]
    ]
  ] as const)("%s", (_name, e, bytes, reason, offset, path) => {
    const f = decodeFailure(e as Encoding.Encoding<unknown>, hex(bytes))
    expect(f._tag).toBe("DecodeError")
    expect(f.reason).toBe(reason)
    expect(f.offset).toBe(offset)
    expect(f.path).toEqual(path)
    expect(f.message).toContain(reason)
  })

  it("the P2p envelope refuses a length over 100 MiB before looking for the bytes", () => {
    const f = decodeFailure(P2pMessage.envelope, hex("06400001" + "0001"))
    expect(f.reason).toBe("SizeLimitExceeded")
    expect(f.offset).toBe(4)
  })

  it.each([
    ["uint8 300", Encoding.uint8 as Encoding.Encoding<unknown>, 300, "InvalidValue", []],
    ["uint16 1.5", Encoding.uint16, 1.5, "InvalidValue", []],
    ["int64 2^63", Encoding.int64, 2n ** 63n, "InvalidValue", []],
    ["n negative", Encoding.n, -1n, "InvalidValue", []],
    ["lone surrogate", Encoding.string, "\ud800", "InvalidValue", []],
    ["Fixed.bytes wrong length", Encoding.Fixed.bytes(2), new Uint8Array(3), "InvalidValue", []],
    [
      "uint8 prefix overflow",
      Encoding.dynamicSize(Encoding.Variable.bytes, { kind: "uint8" }),
      new Uint8Array(256),
      "SizeLimitExceeded",
      []
    ],
    [
      "Nack with 101 points",
      AckLike,
      { _tag: "Nack", motive: 1, alternativePoints: Array.from({ length: 101 }, () => "1.2.3.4:5") },
      "ListTooLong",
      ["Nack", "alternativePoints"]
    ],
    [
      "point too long",
      AckLike,
      { _tag: "Nack", motive: 1, alternativePoints: ["x".repeat(48)] },
      "SizeLimitExceeded",
      ["Nack", "alternativePoints", "0"]
    ],
    ["unknown case", AckLike, { _tag: "Maybe" }, "NoMatchingCase", []],
    [
      "application tag in the p2p range",
      P2pMessage.encoding,
      { _tag: "Application", tag: 3, body: new Uint8Array() },
      "InvalidValue",
      []
    ]
  ] as const)("encode: %s", (_name, e, value, reason, path) => {
    const f = encodeFailure(e as Encoding.Encoding<unknown>, value)
    expect(f._tag).toBe("EncodeError")
    expect(f.reason).toBe(reason)
    expect(f.path).toEqual(path)
  })
})

describe("union, conv and json", () => {
  type Shape = { readonly kind: "dot" } | { readonly kind: "line"; readonly length: number }
  const shape = Encoding.union<Shape>(
    [
      Encoding.makeCase({
        name: "dot",
        tag: 0,
        encoding: Encoding.unit,
        match: (s: Shape) => s.kind === "dot",
        project: () => undefined,
        inject: (): Shape => ({ kind: "dot" })
      }),
      Encoding.makeCase({
        name: "line",
        tag: 0x0100,
        encoding: Encoding.uint16,
        match: (s: Shape) => s.kind === "line",
        project: (s: Shape) => (s.kind === "line" ? s.length : 0),
        inject: (length: number): Shape => ({ kind: "line", length })
      })
    ],
    { tagSize: "uint16" }
  )

  it("union with uint16 tags", () => {
    expect(enc(shape, { kind: "line", length: 5 })).toBe("01000005")
    expect(Result.getOrThrow(Binary.decode(shape, hex("0000")))).toEqual({ kind: "dot" })
    expect(decodeFailure(shape, hex("0001")).reason).toBe("UnknownTag")
  })

  it("conv refusing a value reports InvalidValue at the value's offset", () => {
    const even = Encoding.conv(Encoding.uint8, {
      decode: (n) => {
        if (n % 2 !== 0) throw new Error(`${n} is odd`)
        return n
      },
      encode: (n: number) => n
    })
    const f = decodeFailure(Encoding.tuple(Encoding.uint8, even), hex("0003"))
    expect([f.reason, f.offset, f.path, f.detail]).toEqual(["InvalidValue", 1, ["1"], "3 is odd"])
    const odd = Encoding.convOrFail(Encoding.uint8, {
      decode: (n) => (n % 2 === 1 ? Result.succeed(n) : Result.fail("even")),
      encode: (n: number) => n
    })
    expect(decodeFailure(odd, hex("02")).detail).toBe("even")
  })

  it("json is a uint30-prefixed JSON text checked by the schema", () => {
    const meta = Encoding.json(Schema.Struct({ name: Schema.String, port: Schema.Number }))
    const bytes = Result.getOrThrow(Binary.encode(meta, { name: "a", port: 1 }))
    expect(new TextDecoder().decode(bytes.subarray(4))).toBe('{"name":"a","port":1}')
    expect(Result.getOrThrow(Binary.decode(meta, bytes))).toEqual({ name: "a", port: 1 })
    const wrong = Result.getOrThrow(Binary.encode(Encoding.string, '{"name":1}'))
    expect(decodeFailure(meta, wrong).reason).toBe("InvalidValue")
    expect(decodeFailure(meta, Result.getOrThrow(Binary.encode(Encoding.string, "{"))).reason).toBe("InvalidValue")
  })
})

describe("Binary.schema", () => {
  const S = Binary.schema(AckLike)
  it("decodes and encodes through Effect Schema", () => {
    expect(Schema.decodeUnknownSync(S)(hex("00"))).toEqual({ _tag: "Ack" })
    expect(toHex(Schema.encodeSync(S)({ _tag: "NackV0" }))).toBe("ff")
  })
  it("reports decoding failures as Schema issues carrying the DecodeError message", () => {
    const r = Schema.decodeUnknownResult(S)(hex("0000"))
    expect(Result.isFailure(r)).toBe(true)
    if (Result.isFailure(r)) expect(r.failure.message).toContain("TrailingBytes at byte 1")
    expect(Result.isFailure(Schema.decodeUnknownResult(S)("not bytes"))).toBe(true)
  })
  it("reports encoding failures as Schema issues", () => {
    const r = Schema.encodeResult(Binary.schema(Encoding.uint8))(256)
    expect(Result.isFailure(r) && r.failure.message).toContain("uint8 out of range")
  })
})

describe("Point helpers", () => {
  it.each([
    ["127.0.0.1:9732", "127.0.0.1", 9732],
    ["[::1]:80", "::1", 80]
  ] as const)("%s", (text, host, port) => {
    expect(Result.getOrThrow(Point.parse(text))).toEqual({ host, port })
    expect(Point.format(host, port)).toBe(text)
  })
  it.each(["nohost", "1.2.3.4:", "1.2.3.4:70000", "::1:80", ":80"])("rejects %s", (text) => {
    expect(Result.isFailure(Point.parse(text))).toBe(true)
  })
})
