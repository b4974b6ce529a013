import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ByteReader from "../src/ByteReader.ts"
import * as ByteSocket from "../src/ByteSocket.ts"

describe("ByteSocket.makePair", () => {
  it.effect("delivers bytes in order, then the end of the stream after the writer closes", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      yield* a.write(new Uint8Array([1, 2]))
      yield* a.write(new Uint8Array([3]))
      yield* a.close
      assert.deepStrictEqual(yield* ByteReader.make(b).readExactly(3), new Uint8Array([1, 2, 3]))
      assert.deepStrictEqual((yield* Effect.flip(b.read)).reason, { _tag: "ClosedByPeer" })
    })
  )

  it.effect("like TCP, writes to a closed peer succeed locally; the closed end refuses both", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      yield* a.close
      yield* a.close
      yield* b.write(new Uint8Array([9]))
      assert.deepStrictEqual((yield* Effect.flip(a.read)).reason, { _tag: "ClosedLocally" })
      assert.deepStrictEqual((yield* Effect.flip(a.write(new Uint8Array([1])))).reason, { _tag: "ClosedLocally" })
    })
  )

  it.effect("a bounded pair makes the writer wait until the reader catches up", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair({ capacity: 100 })
      yield* a.write(new Uint8Array(60))
      const blocked = yield* Effect.forkChild(a.write(new Uint8Array(60)))
      yield* Effect.yieldNow
      assert.isUndefined(blocked.pollUnsafe())
      yield* b.read
      yield* Effect.yieldNow
      assert.isDefined(blocked.pollUnsafe())
    })
  )
})

describe("ByteReader", () => {
  it.effect("reads exact lengths across and within pieces, keeping the rest", () =>
    Effect.gen(function* () {
      const { socket } = ByteSocket.fromBytes([new Uint8Array([1, 2, 3]), new Uint8Array([4]), new Uint8Array([5, 6])])
      const reader = ByteReader.make(socket)
      assert.deepStrictEqual(yield* reader.readExactly(2), new Uint8Array([1, 2]))
      assert.deepStrictEqual(yield* reader.readExactly(3), new Uint8Array([3, 4, 5]))
      assert.strictEqual(reader.buffered(), 1)
      assert.deepStrictEqual(yield* reader.readExactly(0), new Uint8Array(0))
      assert.deepStrictEqual(yield* reader.readExactly(1), new Uint8Array([6]))
      assert.strictEqual((yield* Effect.flip(reader.readExactly(1)))._tag, "ConnectionClosed")
    })
  )

  it.effect("a transient read reuses one buffer for bytes that span pieces; a plain read gets its own", () =>
    Effect.gen(function* () {
      const piece = (n: number, first: number) => Uint8Array.from({ length: n }, (_, i) => (first + i) & 0xff)
      const { socket } = ByteSocket.fromBytes([piece(5000, 0), piece(5000, 136), piece(5000, 16), piece(5000, 152)])
      const reader = ByteReader.make(socket)
      yield* reader.readExactly(10)
      const a = yield* reader.readExactly(6000, { transient: true })
      assert.deepStrictEqual(a, piece(6000, 10))
      const b = yield* reader.readExactly(6000, { transient: true })
      assert.deepStrictEqual(b, piece(6000, 6010))
      assert.strictEqual(a.buffer, b.buffer, "the scratch buffer is reused")
      const c = yield* reader.readExactly(6000)
      assert.notStrictEqual(c.buffer, b.buffer)
      assert.deepStrictEqual(c, piece(6000, 12010))
      assert.strictEqual(Object.getPrototypeOf(c), Uint8Array.prototype)
    })
  )

  it.effect("fromBytes hands out copies: changing what was read leaves the input intact", () =>
    Effect.gen(function* () {
      const input = new Uint8Array([1, 2, 3])
      const { socket } = ByteSocket.fromBytes([input])
      const bytes = yield* socket.read
      bytes.fill(0)
      assert.deepStrictEqual(input, new Uint8Array([1, 2, 3]))
    })
  )
})
