/**
 * fast-check generators of encodings paired with generators of their values, so properties range
 * over encodings as well as values.
 */
import { Option } from "effect"
import * as fc from "fast-check"
import { Encoding } from "../src/index.ts"

export interface Gen {
  readonly name: string
  readonly enc: Encoding.Encoding<unknown>
  readonly arb: fc.Arbitrary<unknown>
}

const gen = <A>(name: string, enc: Encoding.Encoding<A>, arb: fc.Arbitrary<A>): Gen => ({
  name,
  enc: enc as Encoding.Encoding<unknown>,
  arb
})

const ascii = (length: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: length,
    maxLength: length
  })

const fixedLeaves: ReadonlyArray<Gen> = [
  gen("uint8", Encoding.uint8, fc.integer({ min: 0, max: 0xff })),
  gen("int8", Encoding.int8, fc.integer({ min: -0x80, max: 0x7f })),
  gen("uint16", Encoding.uint16, fc.integer({ min: 0, max: 0xffff })),
  gen("int16", Encoding.int16, fc.integer({ min: -0x8000, max: 0x7fff })),
  gen("int31", Encoding.int31, fc.integer({ min: -0x40000000, max: 0x3fffffff })),
  gen("int32", Encoding.int32, fc.integer()),
  gen("int64", Encoding.int64, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
  gen("float", Encoding.float, fc.double()),
  gen("bool", Encoding.bool, fc.boolean()),
  gen("Fixed.bytes(3)", Encoding.Fixed.bytes(3), fc.uint8Array({ minLength: 3, maxLength: 3 })),
  gen("Fixed.string(2)", Encoding.Fixed.string(2), ascii(2))
]

const dynamicLeaves: ReadonlyArray<Gen> = [
  gen("n", Encoding.n, fc.bigInt({ min: 0n, max: 2n ** 300n })),
  gen("z", Encoding.z, fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n })),
  gen("bytes", Encoding.bytes, fc.uint8Array({ maxLength: 40 })),
  gen("string", Encoding.string, fc.string({ unit: "binary", maxLength: 20 }))
]

const variableLeaves: ReadonlyArray<Gen> = [
  gen("Variable.bytes", Encoding.Variable.bytes, fc.uint8Array({ maxLength: 40 })),
  gen("Variable.string", Encoding.Variable.string, fc.string({ unit: "binary", maxLength: 20 }))
]

/** Encodings that delimit themselves (Fixed of at least one byte, or Dynamic). */
export const sized = (depth: number): fc.Arbitrary<Gen> => {
  const leaves = fc.constantFrom(...fixedLeaves, ...dynamicLeaves)
  if (depth <= 0) return leaves
  const sub = sized(depth - 1)
  return fc.oneof(
    { arbitrary: leaves, weight: 3 },
    sub.map((g) => gen(`list(${g.name})`, Encoding.list(g.enc, { maxLength: 4 }), fc.array(g.arb, { maxLength: 4 }))),
    sub.map((g) =>
      gen(`option(${g.name})`, Encoding.option(g.enc), fc.option(g.arb, { nil: undefined }).map(Option.fromUndefinedOr))
    ),
    fc
      .tuple(sub, fc.constantFrom("uint30", "uint16") as fc.Arbitrary<Encoding.PrefixKind>)
      .map(([g, kind]) => gen(`dynamicSize(${g.name},${kind})`, Encoding.dynamicSize(g.enc, { kind }), g.arb)),
    fc.array(sub, { minLength: 1, maxLength: 4 }).map((gs) => structOf(gs)),
    fc
      .array(sub, { minLength: 1, maxLength: 3 })
      .map((gs) =>
        gen(
          `tuple(${gs.map((g) => g.name)})`,
          Encoding.tuple(...gs.map((g) => g.enc)),
          fc.tuple(...gs.map((g) => g.arb))
        )
      ),
    fc.tuple(fc.array(sub, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([gs, wide]) => unionOf(gs, wide)),
    sub.map((g) => gen(`checkSize(${g.name})`, Encoding.checkSize(1 << 20, g.enc), g.arb)),
    sub.map((g) =>
      gen(
        `conv(${g.name})`,
        Encoding.conv(g.enc, { decode: (value) => ({ value }), encode: (w: { readonly value: unknown }) => w.value }),
        g.arb.map((value) => ({ value }))
      )
    )
  )
}

const structOf = (gs: ReadonlyArray<Gen>): Gen => {
  const fields: Record<string, Encoding.Encoding<unknown>> = {}
  const arbs: Record<string, fc.Arbitrary<unknown>> = {}
  gs.forEach((g, i) => {
    fields[`f${i}`] = g.enc
    arbs[`f${i}`] = g.arb
  })
  return gen(`struct(${gs.map((g) => g.name)})`, Encoding.struct(fields), fc.record(arbs))
}

const unionOf = (gs: ReadonlyArray<Gen>, wide: boolean): Gen => {
  const cases: Record<string, { tag: number; encoding: Encoding.Encoding<unknown> }> = {}
  const arbs = gs.map((g, i) => {
    cases[`C${i}`] = { tag: wide ? 0x1000 + i * 7 : i * 3, encoding: Encoding.struct({ v: g.enc }) }
    return g.arb.map((v) => ({ _tag: `C${i}`, v }))
  })
  return gen(
    `union${wide ? "16" : "8"}(${gs.map((g) => g.name)})`,
    Encoding.taggedUnion(cases, { tagSize: wide ? "uint16" : "uint8" }) as Encoding.Encoding<unknown>,
    fc.oneof(...arbs)
  )
}

/** Any encoding: sized ones, variable leaves, and structs whose variable part is followed by fixed fields. */
export const anyEncoding = (depth: number): fc.Arbitrary<Gen> =>
  fc.oneof(
    { arbitrary: sized(depth), weight: 4 },
    fc.constantFrom(...variableLeaves),
    sized(depth - 1).map((g) =>
      gen(
        `Variable.list(${g.name})`,
        Encoding.Variable.list(g.enc, { maxLength: 5 }),
        fc.array(g.arb, { maxLength: 5 })
      )
    ),
    fc
      .tuple(
        sized(depth - 1),
        fc.constantFrom(...variableLeaves),
        fc.array(fc.constantFrom(...fixedLeaves), { maxLength: 2 })
      )
      .map(([head, variable, tail]) => structOf([head, variable, ...tail]))
  )

/** An encoding with a value of it. */
export const withValue = (encodings: fc.Arbitrary<Gen>) => encodings.chain((g) => g.arb.map((value) => ({ g, value })))
