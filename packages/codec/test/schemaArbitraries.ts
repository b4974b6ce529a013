/**
 * fast-check generators of Effect Schema shapes, each with a generator of its values and the
 * hand-written `Encoding` of the same shape (the layout `Encoding.fromSchema` must reproduce byte for
 * byte), so properties range over schemas as well as values.
 */
import { Option, Schema } from "effect"
import * as fc from "fast-check"
import { Encoding } from "../src/index.ts"

export interface SchemaGen {
  readonly name: string
  readonly schema: Schema.Codec<unknown, unknown>
  readonly arb: fc.Arbitrary<unknown>
  /** the same layout written with the combinators */
  readonly hand: Encoding.Encoding<unknown>
}

const gen = <A, I>(
  name: string,
  schema: Schema.Codec<A, I>,
  arb: fc.Arbitrary<A>,
  hand: Encoding.Encoding<A>
): SchemaGen => ({
  name,
  schema: schema as unknown as Schema.Codec<unknown, unknown>,
  arb: arb as fc.Arbitrary<unknown>,
  hand: hand as Encoding.Encoding<unknown>
})

/** A class, as a user would declare one, to put `Schema.Class` in the generated shapes. */
export class Person extends Schema.Class<Person>("Person")({ name: Schema.String, age: Schema.Int }) {}

const dates = fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 0)), noInvalidDate: true })

export const leaves: ReadonlyArray<SchemaGen> = [
  gen("String", Schema.String, fc.string({ unit: "grapheme", maxLength: 12 }), Encoding.string),
  gen("Uint8Array", Schema.Uint8Array, fc.uint8Array({ maxLength: 24 }), Encoding.bytes),
  gen("Boolean", Schema.Boolean, fc.boolean(), Encoding.bool),
  gen("Number", Schema.Number, fc.double(), Encoding.float),
  gen("Int", Schema.Int, fc.integer(), Encoding.int32),
  gen("BigInt", Schema.BigInt, fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }), Encoding.z),
  gen(
    "Literals",
    Schema.Literals(["a", "b", 7]),
    fc.constantFrom("a" as const, "b" as const, 7 as const),
    Encoding.conv(Encoding.uint8, {
      decode: (i) => (["a", "b", 7] as const)[i]!,
      encode: (v: "a" | "b" | 7) => ["a", "b", 7].indexOf(v)
    })
  ),
  gen(
    "Number as int16",
    Schema.Number.annotate(Encoding.binary(Encoding.int16)),
    fc.integer({ min: -0x8000, max: 0x7fff }),
    Encoding.int16
  ),
  gen(
    "Uint8Array as Fixed.bytes(4)",
    Schema.Uint8Array.annotate(Encoding.binary(Encoding.Fixed.bytes(4))),
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
    Encoding.Fixed.bytes(4)
  ),
  gen(
    "NumberFromString",
    Schema.NumberFromString,
    fc.integer(),
    Encoding.conv(Encoding.string, { decode: Number, encode: (n: number) => String(n) })
  ),
  gen(
    "Date",
    Schema.Date,
    dates,
    Encoding.conv(Encoding.string, { decode: (s) => new Date(s), encode: (d: Date) => d.toISOString() })
  ),
  gen(
    "Class",
    Person,
    fc.record({ name: fc.string({ maxLength: 8 }), age: fc.integer() }).map((f) => new Person(f)),
    Encoding.conv(Encoding.struct({ name: Encoding.string, age: Encoding.int32 }), {
      decode: (f) => new Person(f),
      encode: (p: Person) => p
    })
  )
]

const structOf = (gs: ReadonlyArray<SchemaGen>, optionalAt: number): SchemaGen => {
  const fields: Record<string, Schema.Top> = {}
  const arbs: Record<string, fc.Arbitrary<unknown>> = {}
  const hands: Record<string, Encoding.Encoding<unknown>> = {}
  const required: Array<string> = []
  gs.forEach((g, i) => {
    const key = `f${i}`
    arbs[key] = g.arb
    if (i === optionalAt) {
      fields[key] = Schema.optionalKey(g.schema)
      hands[key] = Encoding.optionalField(g.hand) as Encoding.Encoding<unknown>
    } else {
      fields[key] = g.schema
      hands[key] = g.hand
      required.push(key)
    }
  })
  const optionalKey = optionalAt < gs.length ? `f${optionalAt}` : undefined
  const hand = Encoding.conv(Encoding.struct(hands), {
    decode: (w: Record<string, unknown>) => {
      const out: Record<string, unknown> = { ...w }
      if (optionalKey !== undefined) {
        const o = w[optionalKey] as Option.Option<unknown>
        if (Option.isSome(o)) out[optionalKey] = o.value
        else delete out[optionalKey]
      }
      return out
    },
    encode: (v: Record<string, unknown>) =>
      optionalKey === undefined
        ? v
        : { ...v, [optionalKey]: optionalKey in v ? Option.some(v[optionalKey]) : Option.none() }
  })
  return gen(
    `Struct(${gs.map((g, i) => (i === optionalAt ? `${g.name}?` : g.name))})`,
    Schema.Struct(fields) as unknown as Schema.Codec<Record<string, unknown>, unknown>,
    fc.record(arbs, { requiredKeys: required }),
    hand as Encoding.Encoding<Record<string, unknown>>
  )
}

const taggedUnionOf = (gs: ReadonlyArray<SchemaGen>): SchemaGen => {
  const members = gs.map((g, i) => Schema.TaggedStruct(`T${i}`, { v: g.schema }))
  const cases: Record<string, { tag: number; encoding: Encoding.Encoding<unknown> }> = {}
  gs.forEach((g, i) => {
    cases[`T${i}`] = { tag: i, encoding: Encoding.struct({ v: g.hand }) }
  })
  return gen(
    `Union(${gs.map((g) => g.name)})`,
    Schema.Union(members) as unknown as Schema.Codec<unknown, unknown>,
    fc.oneof(...gs.map((g, i) => g.arb.map((v) => ({ _tag: `T${i}`, v })))),
    Encoding.taggedUnion(cases) as Encoding.Encoding<unknown>
  )
}

/** Schema shapes up to `depth` levels of nesting. */
export const schemaShape = (depth: number): fc.Arbitrary<SchemaGen> => {
  const leaf = fc.constantFrom(...leaves)
  if (depth <= 0) return leaf
  const sub = schemaShape(depth - 1)
  return fc.oneof(
    { arbitrary: leaf, weight: 3 },
    fc
      .tuple(fc.array(sub, { minLength: 1, maxLength: 4 }), fc.nat(5))
      .map(([gs, optionalAt]) => structOf(gs, optionalAt)),
    fc
      .array(sub, { minLength: 1, maxLength: 3 })
      .map((gs) =>
        gen(
          `Tuple(${gs.map((g) => g.name)})`,
          Schema.Tuple(gs.map((g) => g.schema)) as unknown as Schema.Codec<ReadonlyArray<unknown>, unknown>,
          fc.tuple(...gs.map((g) => g.arb)),
          Encoding.tuple(...gs.map((g) => g.hand)) as Encoding.Encoding<ReadonlyArray<unknown>>
        )
      ),
    sub.map((g) =>
      gen(
        `Array(${g.name})`,
        Schema.Array(g.schema).check(Schema.isMaxLength(4)),
        fc.array(g.arb, { maxLength: 4 }),
        Encoding.list(g.hand, { maxLength: 4 })
      )
    ),
    sub.map((g) =>
      gen(
        `NullOr(${g.name})`,
        Schema.NullOr(g.schema),
        fc.option(g.arb, { nil: null }),
        Encoding.conv(Encoding.option(g.hand), {
          decode: (o) => (Option.isSome(o) ? o.value : null),
          encode: (v: unknown) => (v === null ? Option.none() : Option.some(v))
        })
      )
    ),
    sub.map((g) =>
      gen(
        `Option(${g.name})`,
        Schema.Option(g.schema),
        fc.option(g.arb, { nil: undefined }).map(Option.fromUndefinedOr),
        Encoding.option(g.hand)
      )
    ),
    fc.array(sub, { minLength: 1, maxLength: 3 }).map(taggedUnionOf)
  )
}

/** A schema shape with a value of it. */
export const schemaWithValue = (shapes: fc.Arbitrary<SchemaGen>) =>
  shapes.chain((g) => g.arb.map((value) => ({ g, value })))
