import { assert, describe, it } from "@effect/vitest"
import * as Binary from "@effect-p2p/codec/Binary"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Effect, Exit, Fiber, Option, Result, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import * as ByteReader from "../src/ByteReader.ts"
import * as ByteSocket from "../src/ByteSocket.ts"
import * as Chunk from "../src/Chunk.ts"
import * as Connection from "../src/Connection.ts"
import * as IoScheduler from "../src/IoScheduler.ts"
import { channelKey, inMemory, nonceA, nonceB, randomBytes } from "./helpers.ts"

const live = <A, E>(name: string, body: () => Effect.Effect<A, E, Scope.Scope | CryptoBackend.CryptoBackend>) =>
  it.live(name, () => body().pipe(Effect.provide(CryptoBackend.layerNoble)))

const bytes = Encoding.bytes

const exchange = (size: number, count: number, options: Connection.Options) =>
  Effect.gen(function* () {
    const [left, right] = yield* inMemory(bytes, options)
    const messages = Array.from({ length: count }, (_, i) => randomBytes(size + i))
    yield* Effect.forEach(messages, (m) => left.writeSync(m))
    yield* Effect.forEach(messages, (m) => right.write(m))
    for (const m of messages) {
      const [n, got] = yield* right.read
      assert.deepStrictEqual(got, m)
      assert.strictEqual(n, m.length + 4)
      const [, back] = yield* left.read
      assert.deepStrictEqual(back, m)
    }
  })

describe("Connection over an in-memory pair", () => {
  live("simple-message: 16-byte messages both ways", () => exchange(16, 3, {}))
  live("chunked-message: binaryChunksSize 21 and 256-byte messages", () => exchange(256, 3, { binaryChunksSize: 21 }))
  live("oversized-message: 128 KiB messages span several chunks", () => exchange(128 * 1024, 2, {}))

  live("rejects an invalid binaryChunksSize with InvalidChunksSize", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(inMemory(bytes, { binaryChunksSize: 18 }))
      assert.strictEqual(error._tag, "InvalidChunksSize")
    })
  )

  it("keeps FIFO order with no loss or duplication for random write sequences", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 19, max: 2000 }),
        fc.constantFrom<"write" | "writeSync" | "writeNow">("write", "writeSync", "writeNow"),
        fc.boolean(),
        (sizes, binaryChunksSize, how, packMessages) =>
          Effect.runPromise(
            Effect.scoped(
              Effect.gen(function* () {
                const [left, right] = yield* inMemory(bytes, {
                  binaryChunksSize,
                  outgoingQueueSize: 1 << 30,
                  packMessages
                })
                const messages = sizes.map((n, i) => randomBytes(n).map((b) => b ^ i))
                const writer = yield* Effect.forkChild(
                  Effect.forEach(messages, (m) =>
                    how === "writeNow"
                      ? Effect.flatMap(left.writeNow(m), (ok) => (ok ? Effect.void : Effect.die("dropped")))
                      : left[how](m)
                  )
                )
                for (const m of messages) {
                  const [, got] = yield* right.read
                  assert.deepStrictEqual(got, m)
                }
                yield* Fiber.join(writer)
                assert.isTrue(Option.isNone(yield* right.readNow))
              })
            ).pipe(Effect.provide(CryptoBackend.layerNoble))
          )
      ),
      { numRuns: 30 }
    ))

  /** A socket that records what is written and never delivers anything. */
  const recordingSocket = () => {
    const written: Array<Uint8Array> = []
    const socket: ByteSocket.ByteSocket = {
      read: Effect.never,
      write: (chunk) => Effect.sync(() => void written.push(chunk.slice())),
      close: Effect.void
    }
    return { socket, written: () => Buffer.concat(written) }
  }

  const writeQueued = (packMessages: boolean, messages: ReadonlyArray<Uint8Array>) =>
    Effect.gen(function* () {
      const { socket, written } = recordingSocket()
      const conn = yield* Connection.make({
        reader: ByteReader.make(socket),
        channelKey,
        localNonce: nonceA,
        remoteNonce: nonceB,
        encoding: bytes,
        binaryChunksSize: 100,
        packMessages
      })
      // Queued together, so the writer takes them in one batch.
      for (const m of messages.slice(0, -1)) assert.isTrue(yield* conn.writeNow(m))
      yield* conn.writeSync(messages.at(-1)!)
      return written()
    })

  live("packMessages: false chunks every message on its own, exactly as Octez's writer", () =>
    Effect.gen(function* () {
      const messages = [randomBytes(10), randomBytes(150), randomBytes(3)]
      const wire = yield* writeQueued(false, messages)
      const nonce = { current: nonceA }
      const expected = Buffer.concat(
        messages.map((m) =>
          Chunk.sealMessage(CryptoBackend.noble, channelKey, nonce, Result.getOrThrow(Binary.encode(bytes, m)), 82)
        )
      )
      assert.deepStrictEqual(wire, expected)
    })
  )

  live("packMessages (the default) lets queued messages share chunks, and the peer reads them all", () =>
    Effect.gen(function* () {
      const messages = [randomBytes(10), randomBytes(150), randomBytes(3)]
      const packed = yield* writeQueued(true, messages)
      const separate = yield* writeQueued(false, messages)
      // 14 + 154 + 7 = 175 plaintext bytes: 3 chunks of at most 82 packed, 1 + 2 + 1 otherwise.
      assert.strictEqual(packed.length, 175 + 3 * Chunk.extraBytes)
      assert.strictEqual(separate.length, 175 + 4 * Chunk.extraBytes)
      const reader = yield* Connection.make({
        reader: ByteReader.make(ByteSocket.fromBytes([packed]).socket),
        channelKey,
        localNonce: nonceB,
        remoteNonce: nonceA,
        encoding: bytes
      })
      for (const m of messages) assert.deepStrictEqual((yield* reader.read)[1], m)
    })
  )

  live("backpressure: a peer that stops reading makes write wait and writeNow drop, within the bounds", () =>
    Effect.gen(function* () {
      const queueSize = 64 * 1024
      const [left, right] = yield* inMemory(
        bytes,
        { outgoingQueueSize: queueSize, incomingQueueSize: queueSize },
        {
          capacity: 16 * 1024
        }
      )
      const message = randomBytes(1000)
      let accepted = 0
      while (yield* left.writeNow(message)) {
        accepted++
        yield* Effect.yieldNow
        if (accepted > 10_000) break
      }
      // Everything accepted sits in: the right side's incoming queue, the pair's buffer, our
      // outgoing queue, and at most one message in flight in each fiber.
      const bound = (2 * queueSize + 16 * 1024) / message.length + 4
      assert.isAtMost(accepted, bound)
      assert.isAtLeast(accepted, queueSize / (message.length + 32))
      const waiting = yield* Effect.forkChild(left.write(message))
      yield* Effect.sleep("20 millis")
      assert.isUndefined(waiting.pollUnsafe(), "write must wait while the queue is full")
      for (let i = 0; i <= accepted; i++) yield* right.read
      yield* Fiber.join(waiting)
    })
  )

  live("close-on-read: the peer closes, a pending read fails with ConnectionClosed", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(bytes)
      const reading = yield* Effect.forkChild(left.read)
      yield* right.close()
      const exit = yield* Fiber.await(reading)
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(left.read)
      assert.strictEqual(error._tag, "ConnectionClosed")
    })
  )

  live("close-on-write: the peer closes, writeSync fails with ConnectionClosed", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(bytes)
      yield* right.close()
      yield* left.closed
      const error = yield* Effect.flip(left.writeSync(randomBytes(16)))
      assert.strictEqual(error._tag, "ConnectionClosed")
    })
  )

  live("messages written before the peer closed are still read", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(bytes)
      yield* left.writeSync(randomBytes(10))
      yield* left.writeSync(randomBytes(11))
      yield* left.close()
      assert.deepStrictEqual((yield* right.read)[1], randomBytes(10))
      assert.deepStrictEqual((yield* right.read)[1], randomBytes(11))
      assert.strictEqual((yield* Effect.flip(right.read))._tag, "ConnectionClosed")
    })
  )

  live("close({ wait: true }) sends everything queued first; close is idempotent", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(bytes)
      const messages = Array.from({ length: 50 }, (_, i) => randomBytes(100 + i))
      yield* Effect.forEach(messages, (m) => left.write(m))
      yield* left.close({ wait: true })
      yield* left.close({ wait: true })
      for (const m of messages) assert.deepStrictEqual((yield* right.read)[1], m)
      assert.strictEqual((yield* Effect.flip(left.write(messages[0]!)))._tag, "ConnectionClosed")
    })
  )

  live("closing the scope fails pending reads and writes and closes the socket exactly once", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      let closes = 0
      const counted: ByteSocket.ByteSocket = {
        ...a,
        close: Effect.suspend(() => {
          closes += 1
          return a.close
        })
      }
      const scope = yield* Scope.make()
      const conn = yield* Connection.make({
        reader: ByteReader.make(counted),
        channelKey,
        localNonce: nonceA,
        remoteNonce: nonceB,
        encoding: bytes
      }).pipe(Scope.provide(scope))
      const reading = yield* Effect.forkChild(conn.read)
      yield* Effect.yieldNow
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Fiber.await(reading)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* Effect.flip(conn.write(randomBytes(1))))._tag, "ConnectionClosed")
      yield* conn.close()
      assert.strictEqual(closes, 1)
      assert.strictEqual((yield* Effect.flip(b.read))._tag, "ConnectionClosed")
    })
  )

  live("an interrupted read loses no message", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(bytes)
      const first = yield* Effect.forkChild(right.read)
      yield* Effect.yieldNow
      yield* Fiber.interrupt(first)
      yield* left.writeSync(randomBytes(5))
      assert.deepStrictEqual((yield* right.read)[1], randomBytes(5))
    })
  )

  live("stat counts wire bytes, headers and tags included", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(bytes)
      yield* left.writeSync(randomBytes(100))
      yield* right.read
      const sent = yield* left.stat
      const received = yield* right.stat
      assert.strictEqual(sent.totalSent, 2 + 16 + 4 + 100)
      assert.strictEqual(received.totalRecv, 2 + 16 + 4 + 100)
    })
  )
})

describe("Connection under an upload limit", () => {
  it.effect("paces the writer at about maxUploadSpeed bytes per second, with no burst and nothing lost", () =>
    Effect.gen(function* () {
      const limit = 10_000
      const [left, right] = yield* inMemory(bytes)
      const messages = Array.from({ length: 40 }, (_, i) => randomBytes(1000).map((b) => b ^ i))
      yield* Effect.forEach(messages, (m) => left.write(m))
      const wire = 2 + 16 + 4 + 1000
      const received: Array<Uint8Array> = []
      const settle = Effect.gen(function* () {
        for (let i = 0; i < 50; i++) yield* Effect.yieldNow
        while (true) {
          const next = yield* right.readNow
          if (Option.isNone(next)) return
          received.push(next.value[1])
        }
      })
      yield* settle
      for (let second = 1; second <= 6; second++) {
        yield* TestClock.adjust("1 second")
        yield* settle
        // One second's quota plus at most one message of overdraft per window.
        assert.isAtMost(received.length * wire, limit * second + wire)
      }
      assert.deepStrictEqual(received, messages)
    }).pipe(Effect.provide(IoScheduler.layer({ maxUploadSpeed: 10_000 })), Effect.provide(CryptoBackend.layerNoble))
  )
})

describe("Connection reader on hostile input", () => {
  /**
   * A connection reading from a raw socket we write to by hand: `seal` makes valid chunks of
   * encoded messages, `sealPlain` of raw plaintext (what a lying peer would send).
   */
  const rawPeer = (options: Partial<Connection.MakeOptions<Uint8Array>> = {}) =>
    Effect.gen(function* () {
      const [raw, ours] = ByteSocket.makePair()
      const conn = yield* Connection.make({
        reader: ByteReader.make(ours),
        channelKey,
        localNonce: nonceA,
        remoteNonce: nonceB,
        encoding: bytes,
        ...options
      })
      const sender = { current: nonceB }
      const sealPlain = (plaintext: Uint8Array) =>
        Chunk.sealMessage(CryptoBackend.noble, channelKey, sender, plaintext, 65517)
      const seal = (message: Uint8Array) => sealPlain(Result.getOrThrow(Binary.encode(bytes, message)))
      return { raw, conn, seal, sealPlain }
    })

  it("any flipped bit in a chunk gives DecipherError, delivers no corrupted message, and closes", () =>
    fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (message, bitSeed) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const { raw, conn, seal } = yield* rawPeer()
              const good = seal(randomBytes(7))
              const bad = seal(message)
              // Flip a bit after the header (a flipped header is a different failure).
              const bit = 16 + (bitSeed % ((bad.length - 2) * 8))
              bad[bit >> 3]! ^= 1 << (bit & 7)
              yield* raw.write(good)
              yield* raw.write(bad)
              assert.deepStrictEqual((yield* conn.read)[1], randomBytes(7))
              const error = yield* Effect.flip(conn.read)
              assert.strictEqual(error._tag, "DecipherError")
              yield* conn.closed
            })
          ).pipe(Effect.provide(CryptoBackend.layerNoble))
        )
      ),
      { numRuns: 50 }
    ))

  live("a chunk length under 16 gives InvalidIncomingCiphertextSize", () =>
    Effect.gen(function* () {
      const { raw, conn } = yield* rawPeer()
      yield* raw.write(new Uint8Array([0, 15]))
      const error = yield* Effect.flip(conn.read)
      assert.strictEqual(error._tag, "InvalidIncomingCiphertextSize")
    })
  )

  live("a replayed chunk gives DecipherError", () =>
    Effect.gen(function* () {
      const { raw, conn, seal } = yield* rawPeer()
      const chunk = seal(randomBytes(3))
      yield* raw.write(chunk)
      yield* raw.write(chunk)
      yield* conn.read
      assert.strictEqual((yield* Effect.flip(conn.read))._tag, "DecipherError")
    })
  )

  live("a message that does not decode gives DecodeError", () =>
    Effect.gen(function* () {
      const { raw, conn, sealPlain } = yield* rawPeer({ encoding: Encoding.checkSize(10, bytes) })
      // A length prefix of 0xffffffff: over the declared bound, rejected before allocation.
      yield* raw.write(sealPlain(new Uint8Array([255, 255, 255, 255])))
      assert.strictEqual((yield* Effect.flip(conn.read))._tag, "DecodeError")
    })
  )

  live("a message announcing more than maxMessageSize fails with DecodeError before buffering it", () =>
    Effect.gen(function* () {
      const { raw, conn, sealPlain } = yield* rawPeer({ maxMessageSize: 1000 })
      yield* raw.write(sealPlain(new Uint8Array([0, 0, 0x10, 0])))
      assert.strictEqual((yield* Effect.flip(conn.read))._tag, "DecodeError")
    })
  )

  live("a different nonce on the other side fails at the first chunk", () =>
    Effect.gen(function* () {
      const { raw, conn, sealPlain } = yield* rawPeer({ remoteNonce: Nonce.zero() })
      yield* raw.write(sealPlain(new Uint8Array([0, 0, 0, 0])))
      assert.strictEqual((yield* Effect.flip(conn.read))._tag, "DecipherError")
    })
  )
})

describe("Connection closes its socket", () => {
  live("when the scope closes right after a read error, even if the reader was interrupted mid-shutdown", () =>
    Effect.gen(function* () {
      let closes = 0
      // A garbage chunk arrives, then the peer keeps the connection open.
      const garbage = new Uint8Array(2 + 32)
      garbage[1] = 32
      const input = [garbage]
      const socket: ByteSocket.ByteSocket = {
        read: Effect.suspend(() => {
          const next = input.shift()
          return next === undefined ? Effect.never : Effect.succeed(next)
        }),
        write: () => Effect.void,
        close: Effect.sync(() => {
          closes++
        })
      }
      const scope = yield* Scope.make()
      const conn = yield* Connection.make({
        reader: ByteReader.make(socket),
        channelKey,
        localNonce: nonceA,
        remoteNonce: nonceB,
        encoding: bytes
      }).pipe(Scope.provide(scope))
      // The owner closes the connection's scope as soon as the error reaches it.
      const error = yield* Effect.flip(conn.read).pipe(Effect.ensuring(Scope.close(scope, Exit.void)))
      assert.strictEqual(error._tag, "DecipherError")
      assert.isAtLeast(closes, 1, "the socket was never closed")
    })
  )
})
