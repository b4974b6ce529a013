/**
 * The public types of the codec: `Encoding<A>` is written in terms of the documented `Cursor.Reader` and
 * `Cursor.Writer` (nothing from `internal/`), and `fromSchema`/`toEncoding` infer the schema's `Type`.
 * Checked by `tsc -b` (the expectations are types); the runtime assertions keep vitest honest.
 */
import { Schema } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import { type Cursor, Encoding } from "../src/index.ts"

describe("public types", () => {
  it("Encoding's members take the documented cursors", () => {
    type E = Encoding.Encoding<number>
    expectTypeOf<Parameters<E["write"]>[0]>().toEqualTypeOf<Cursor.Writer>()
    expectTypeOf<Parameters<E["read"]>[0]>().toEqualTypeOf<Cursor.Reader>()
    expectTypeOf<Parameters<typeof Encoding.make<number>>[0]["read"]>().toEqualTypeOf<
      (reader: Cursor.Reader) => number
    >()
    expect(Encoding.isEncoding(Encoding.uint8)).toBe(true)
  })

  it("fromSchema and toEncoding infer the schema's Type; a TaggedStruct union narrows on _tag", () => {
    const Msg = Schema.Union([
      Schema.TaggedStruct("Ping", { seq: Schema.Int }),
      Schema.TaggedStruct("Chat", { text: Schema.String })
    ])
    const e = Encoding.fromSchema(Msg)
    expectTypeOf(e).toEqualTypeOf<Encoding.Encoding<typeof Msg.Type>>()
    expectTypeOf(Encoding.toEncoding(Msg)).toEqualTypeOf<Encoding.Encoding<typeof Msg.Type>>()
    expectTypeOf(Encoding.toEncoding(Encoding.uint16)).toEqualTypeOf<Encoding.Encoding<number>>()
    const read = (m: Encoding.Type<typeof e>) => (m._tag === "Chat" ? m.text : m.seq)
    expectTypeOf(read).returns.toEqualTypeOf<string | number>()
    expect(read({ _tag: "Chat", text: "hi" })).toBe("hi")
  })
})
