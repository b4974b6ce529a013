import { assert, describe, it } from "@effect/vitest"
import * as Binary from "@effect-p2p/codec/Binary"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as StreamDecoder from "@effect-p2p/codec/StreamDecoder"
import { Result, Schema } from "effect"
import * as fc from "fast-check"
import { hex, p2pVectors, toHex } from "../../../test/support/vectors.ts"
import * as PoolMessage from "../src/PoolMessage.ts"

const App = Schema.Union([
  Schema.TaggedStruct("Ping", {}).annotate(Encoding.binary({ tag: 0x10 })),
  Schema.TaggedStruct("Chat", { text: Schema.String }).annotate(Encoding.binary({ tag: 0x12 }))
]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))
type App = typeof App.Type

const wire = PoolMessage.encoding(App)
const enc = (m: PoolMessage.PoolMessage<App>) => toHex(Result.getOrThrow(Binary.encode(wire, m)))
const peerId = Uint8Array.from({ length: 16 }, (_, i) => i)

describe("PoolMessage", () => {
  it("p2p.json's P2p message vectors", () => {
    const vectors = p2pVectors().p2p_message as ReadonlyArray<{ name: string; bytes: string; fails?: boolean }>
    assert.isAbove(vectors.length, 0)
    for (const v of vectors) {
      const r = Binary.decode(wire, hex(v.bytes))
      if (v.fails) assert.isTrue(Result.isFailure(r), v.name)
      else {
        assert.deepStrictEqual(Result.getOrThrow(r), { _tag: v.name } as PoolMessage.PoolMessage<App>, v.name)
        assert.strictEqual(enc(Result.getOrThrow(r)), v.bytes)
      }
    }
  })

  it("the exact wire of each P2P message (pool.md A.2): u32 length, u16 tag, body", () => {
    assert.strictEqual(enc({ _tag: "Disconnect" }), "000000020001")
    assert.strictEqual(enc({ _tag: "Bootstrap" }), "000000020002")
    // Advertise: no count prefix, each point a u32-length string
    assert.strictEqual(
      enc({ _tag: "Advertise", points: ["127.0.0.1:9732", "[::1]:1"] }),
      `0000001f0003` +
        `0000000e${toHex(new TextEncoder().encode("127.0.0.1:9732"))}` +
        `00000007${toHex(new TextEncoder().encode("[::1]:1"))}`
    )
    assert.strictEqual(
      enc({ _tag: "SwapRequest", point: "1.2.3.4:5", peerId }),
      `0000001f000400000009${toHex(new TextEncoder().encode("1.2.3.4:5"))}${toHex(peerId)}`
    )
    assert.strictEqual(enc({ _tag: "SwapAck", point: "1.2.3.4:5", peerId }).slice(8, 12), "0005")
    assert.strictEqual(enc(PoolMessage.message({ _tag: "Ping" })), "000000020010")
    assert.strictEqual(enc(PoolMessage.message({ _tag: "Chat", text: "hi" })), "000000080012000000026869")
  })

  it("Advertise of 100 points decodes, of 101 is a DecodeError; unknown low tags too", () => {
    const points = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i % 250}:${1000 + i}`)
    const ok = Binary.encode(wire, { _tag: "Advertise", points: points(100) })
    assert.isTrue(Result.isSuccess(ok))
    // Build 101 by hand: the encoder refuses it too.
    assert.isTrue(Result.isFailure(Binary.encode(wire, { _tag: "Advertise", points: points(101) })))
    const body = points(101)
      .map((p) => `${toHex(new Uint8Array([0, 0, 0, p.length]))}${toHex(new TextEncoder().encode(p))}`)
      .join("")
    const frame = hex(`${(body.length / 2 + 2).toString(16).padStart(8, "0")}0003${body}`)
    const r = Binary.decode(wire, frame)
    assert.isTrue(Result.isFailure(r) && r.failure._tag === "DecodeError")
    const unknown = Binary.decode(wire, hex("000000020009"))
    assert.isTrue(Result.isFailure(unknown))
  })

  it("round trips and stream cuts (property)", () => {
    const point = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([h, p]) => `${h}:${p}`)
    const msg: fc.Arbitrary<PoolMessage.PoolMessage<App>> = fc.oneof(
      fc.constant({ _tag: "Bootstrap" as const }),
      fc.constant({ _tag: "Disconnect" as const }),
      fc.array(point, { maxLength: 100 }).map((points) => ({ _tag: "Advertise" as const, points })),
      fc
        .tuple(point, fc.uint8Array({ minLength: 16, maxLength: 16 }))
        .map(([p, id]) => ({ _tag: "SwapAck" as const, point: p, peerId: id })),
      fc.string().map((text) => PoolMessage.message({ _tag: "Chat" as const, text }))
    )
    fc.assert(
      fc.property(fc.array(msg, { maxLength: 8 }), fc.integer({ min: 1, max: 50 }), (messages, cut) => {
        const bytes = messages.map((m) => Result.getOrThrow(Binary.encode(wire, m)))
        for (let i = 0; i < messages.length; i++)
          assert.deepStrictEqual(Result.getOrThrow(Binary.decode(wire, bytes[i]!)), messages[i])
        const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0))
        let at = 0
        for (const b of bytes) {
          all.set(b, at)
          at += b.length
        }
        const decoder = StreamDecoder.make(wire)
        const out: Array<unknown> = []
        for (let i = 0; i < all.length; i += cut)
          out.push(...Result.getOrThrow(decoder.feed(all.subarray(i, i + cut))).map(([, m]) => m))
        assert.deepStrictEqual(out, messages)
      })
    )
  })

  it("any bytes decode to a message or a DecodeError, never a throw (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = Binary.decode(wire, bytes)
        assert.isTrue(Result.isSuccess(r) || r.failure._tag === "DecodeError")
      })
    )
  })
})
