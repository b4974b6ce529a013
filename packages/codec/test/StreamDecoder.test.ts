import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { hex } from "../../../test/support/vectors.ts"
import { Binary, Encoding, P2pMessage, StreamDecoder } from "../src/index.ts"

const envelopeBytes = (tag: number, body: Uint8Array) =>
  Result.getOrThrow(Binary.encode(P2pMessage.envelope, { tag, body }))

describe("StreamDecoder", () => {
  it("parses a 128 KiB message fed in 3-byte pieces a bounded number of times (linear, not quadratic)", () => {
    let reads = 0
    const counted = Encoding.make({
      size: P2pMessage.envelope.size,
      sizeOf: P2pMessage.envelope.sizeOf,
      write: P2pMessage.envelope.write,
      read: (r) => {
        reads++
        return P2pMessage.envelope.read(r)
      }
    })
    const body = new Uint8Array(128 * 1024).map((_, i) => i & 0xff)
    const bytes = envelopeBytes(0x10, body)
    const decoder = StreamDecoder.make(counted)
    const got: Array<readonly [number, P2pMessage.Envelope]> = []
    for (let i = 0; i < bytes.length; i += 3) got.push(...Result.getOrThrow(decoder.feed(bytes.subarray(i, i + 3))))
    expect(got).toEqual([[bytes.length, { tag: 0x10, body }]])
    expect(reads).toBeLessThanOrEqual(3)
    expect(decoder.buffered).toBe(0)
  })

  it("emits several messages from one piece and keeps the remainder", () => {
    const a = envelopeBytes(0x10, new Uint8Array([1]))
    const b = envelopeBytes(0x11, new Uint8Array([2, 3]))
    const decoder = StreamDecoder.make(P2pMessage.envelope)
    const joined = new Uint8Array([...a, ...b, ...b.subarray(0, 5)])
    const out = Result.getOrThrow(decoder.feed(joined))
    expect(out.map(([size, m]) => [size, m.tag])).toEqual([
      [7, 0x10],
      [8, 0x11]
    ])
    expect(decoder.buffered).toBe(5)
    expect(Result.getOrThrow(decoder.feed(b.subarray(5))).map(([, m]) => m.tag)).toEqual([0x11])
  })

  it("copies its input: decoded values do not change when the caller reuses its buffer", () => {
    const bytes = envelopeBytes(0x10, new Uint8Array([5, 6]))
    const decoder = StreamDecoder.make(P2pMessage.envelope)
    const out = Result.getOrThrow(decoder.feed(bytes))
    bytes.fill(0)
    expect(Array.from(out[0]![1].body)).toEqual([5, 6])
  })

  it.each([
    ["a length over the envelope's 100 MiB bound", "3fffffff", "SizeLimitExceeded"],
    ["a length prefix of 0xffffffff", "ffffffff", "InvalidValue"]
  ])("fails at once, without buffering, on %s", (_name, prefix, reason) => {
    const decoder = StreamDecoder.make(P2pMessage.envelope)
    const r = decoder.feed(hex(prefix))
    expect(Result.isFailure(r) && r.failure.reason).toBe(reason)
    // Nothing beyond the 4-byte prefix is ever held (a failure on fresh input holds nothing at all).
    expect(decoder.buffered).toBeLessThanOrEqual(4)
  })

  it("gathers a large value in a buffer of its own: big byte fields are views of it, never of the input", () => {
    const bodies = [new Uint8Array(70_000).fill(1), new Uint8Array(20_000).fill(2), new Uint8Array(3).fill(3)]
    const stream = Buffer.concat(bodies.map((b) => envelopeBytes(0x10, b)))
    const decoder = StreamDecoder.make(P2pMessage.envelope)
    const got: Array<readonly [number, P2pMessage.Envelope]> = []
    const piece = new Uint8Array(65_517)
    for (let at = 0; at < stream.length; at += piece.length) {
      // One reused input buffer, as a connection's scratch buffer: values must not change with it.
      const n = Math.min(piece.length, stream.length - at)
      piece.set(stream.subarray(at, at + n))
      got.push(...Result.getOrThrow(decoder.feed(piece.subarray(0, n))))
      piece.fill(0xee)
    }
    expect(got.map(([, m]) => m.body)).toEqual(bodies)
    expect(got[0]![1].body.buffer).not.toBe(piece.buffer)
    expect(decoder.buffered).toBe(0)
  })

  it("a length prefix claiming a huge value buffers only what arrived, and the value still completes", () => {
    const body = new Uint8Array(40_000).map((_, i) => i & 0xff)
    const bytes = envelopeBytes(0x10, body)
    const decoder = StreamDecoder.make(P2pMessage.envelope)
    expect(Result.getOrThrow(decoder.feed(bytes.subarray(0, 17_000)))).toEqual([])
    expect(decoder.buffered).toBe(17_000)
    expect(Result.getOrThrow(decoder.feed(bytes.subarray(17_000)))).toEqual([[bytes.length, { tag: 0x10, body }]])
  })

  it("enforces maxBuffered from the length prefix, before the bytes arrive", () => {
    const decoder = StreamDecoder.make(Encoding.bytes, { maxBuffered: 100 })
    const r = decoder.feed(hex("000003e8"))
    expect(Result.isFailure(r) && r.failure.reason).toBe("SizeLimitExceeded")
  })

  it("reports offsets from the start of the stream, and stays failed", () => {
    const decoder = StreamDecoder.make(P2pMessage.encoding)
    expect(Result.getOrThrow(decoder.feed(hex("000000020002")))).toEqual([[6, { _tag: "Bootstrap" }]])
    const r = decoder.feed(hex("000000020009"))
    expect(Result.isFailure(r) && [r.failure.reason, r.failure.offset]).toEqual(["UnknownTag", 10])
    const again = decoder.feed(hex("000000020002"))
    expect(Result.isFailure(again) && again.failure).toBe(Result.isFailure(r) && r.failure)
  })

  it("refuses encodings that cannot delimit values", () => {
    expect(() => StreamDecoder.make(Encoding.Variable.bytes)).toThrow(Error)
    expect(() => StreamDecoder.make(Encoding.unit)).toThrow(Error)
  })
})
