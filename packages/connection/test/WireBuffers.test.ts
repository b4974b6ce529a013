import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect } from "effect"
import * as fc from "fast-check"
import * as ByteSocket from "../src/ByteSocket.ts"
import * as WireBuffers from "../src/internal/wireBuffers.ts"
import { connectionsOver, randomBytes } from "./helpers.ts"

/**
 * An in-memory socket whose writes reach the peer only a little later, as a kernel takes them when
 * it gets to them: `writeReusable` keeps a reference to the caller's bytes until then and releases
 * them only once they are copied. A writer that reused a buffer before its release would send
 * whatever it sealed into it next, and the peer could not open those chunks.
 */
const deferredWrites = (socket: ByteSocket.ByteSocket): ByteSocket.ByteSocket => {
  const later: Array<readonly [Uint8Array, (() => void) | undefined]> = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    for (const [bytes, release] of later.splice(0)) {
      Effect.runSyncExit(socket.write(bytes)) // the pair copies the bytes here
      release?.()
    }
  }
  const defer = (bytes: Uint8Array, release?: () => void) =>
    Effect.sync(() => {
      later.push([bytes, release])
      if (!scheduled) {
        scheduled = true
        setTimeout(flush, 1)
      }
    })
  return { read: socket.read, close: socket.close, write: (bytes) => defer(bytes), writeReusable: defer }
}

describe("wire buffers", () => {
  it("pools only batches between minPooled and bufferSize, in buffers of bufferSize", () => {
    assert.isUndefined(WireBuffers.borrow(WireBuffers.minPooled - 1))
    assert.isUndefined(WireBuffers.borrow(WireBuffers.bufferSize + 1))
    assert.strictEqual(WireBuffers.borrow(WireBuffers.minPooled)?.length, WireBuffers.bufferSize)
    assert.strictEqual(WireBuffers.borrow(WireBuffers.bufferSize)?.length, WireBuffers.bufferSize)
  })

  it("hands a released buffer out again, and keeps a bounded number of them", () => {
    const first = WireBuffers.borrow(WireBuffers.minPooled)!
    WireBuffers.release(first)
    const before = WireBuffers.stats().reuses
    assert.strictEqual(WireBuffers.borrow(WireBuffers.bufferSize), first)
    assert.strictEqual(WireBuffers.stats().reuses, before + 1)
    const many = Array.from({ length: WireBuffers.maxFree + 8 }, () => WireBuffers.borrow(WireBuffers.minPooled)!)
    for (const buffer of many) WireBuffers.release(buffer)
    assert.strictEqual(WireBuffers.stats().free, WireBuffers.maxFree)
  })

  it("a connection reuses a batch buffer only after the socket released it: every message arrives intact, in order", async () => {
    const reusesBefore = WireBuffers.stats().reuses
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 80 * 1024 }), { minLength: 1, maxLength: 30 }), (sizes) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const [a, b] = ByteSocket.makePair()
              const [left, right] = yield* connectionsOver([deferredWrites(a), b], Encoding.bytes)
              const messages = sizes.map((size, i) => randomBytes(size).map((x) => x ^ i))
              // `write` returns once a message is queued, so the writer seals the next batches while
              // the earlier ones still wait in the socket.
              for (const message of messages) yield* left.write(message)
              for (const message of messages) assert.deepStrictEqual((yield* right.read)[1], message)
            })
          ).pipe(Effect.provide(CryptoBackend.layerNoble))
        )
      ),
      { numRuns: 25 }
    )
    // The property is only worth something if buffers were in fact reused.
    assert.isAbove(WireBuffers.stats().reuses, reusesBefore)
  })

  it("a writer's burst of a whole outgoing queue, released all at once, is sealed into reused buffers the next time", async () => {
    // 8 MiB of 64 KiB messages: the writer seals them into 32 batches while the socket holds every
    // one of them, then gets them all back together (as from Node after a turn of the event loop).
    const burst = Array.from({ length: 128 }, (_, i) => randomBytes(64 * 1024).map((x) => x ^ i))
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const [a, b] = ByteSocket.makePair()
          const [left, right] = yield* connectionsOver([deferredWrites(a), b], Encoding.bytes)
          const send = Effect.gen(function* () {
            for (const message of burst) yield* left.write(message)
            for (const message of burst) assert.deepStrictEqual((yield* right.read)[1], message)
          })
          yield* send
          const before = WireBuffers.stats()
          yield* send
          const after = WireBuffers.stats()
          assert.isAbove(after.borrows - before.borrows, 8)
          assert.strictEqual(after.reuses - before.reuses, after.borrows - before.borrows, "no batch in fresh memory")
        })
      ).pipe(Effect.provide(CryptoBackend.layerNoble))
    )
  })
})
