/**
 * The connection's lifecycle seen from outside: encodings refused at `make`, defects in the
 * reader or writer delivered to every read and write (never a silent hang), the tagged close
 * reasons, `stream` / `sink`, and the declared types of the API.
 */
import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import type { DecodeError, EncodeError } from "@effect-p2p/codec/CodecError"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type { DecipherError } from "@effect-p2p/crypto/CryptoError"
import { Cause, Effect, Exit, Fiber, type Layer, Result, type Scope, type Sink, Stream } from "effect"
import * as ByteReader from "../src/ByteReader.ts"
import * as ByteSocket from "../src/ByteSocket.ts"
import * as Chunk from "../src/Chunk.ts"
import * as Connection from "../src/Connection.ts"
import type { ConnectionClosed, InvalidIncomingCiphertextSize } from "../src/ConnectionError.ts"
import * as IoScheduler from "../src/IoScheduler.ts"
import * as WebSocketByteSocket from "../src/WebSocketByteSocket.ts"
import { channelKey, connectionsOver, inMemory, nonceA, nonceB } from "./helpers.ts"

const live = <A, E>(name: string, body: () => Effect.Effect<A, E, Scope.Scope | CryptoBackend.CryptoBackend>) =>
  it.live(name, () => body().pipe(Effect.provide(CryptoBackend.layerNoble)))

const makeOver = <Msg>(socket: ByteSocket.ByteSocket, encoding: Encoding.Encoding<Msg>) =>
  Connection.make({ reader: ByteReader.make(socket), channelKey, localNonce: nonceA, remoteNonce: nonceB, encoding })

/** `uint8`, except that decoding its `n`th value throws a plain `Error` (a bug, not a `DecodeError`). */
const throwingOn = (n: number, defect: Error) => {
  let decoded = 0
  return Encoding.make<number>({
    size: Encoding.uint8.size,
    sizeOf: (value) => Encoding.uint8.sizeOf(value),
    write: (writer, value) => Encoding.uint8.write(writer, value),
    read: (reader) => {
      decoded += 1
      if (decoded === n) throw defect
      return Encoding.uint8.read(reader)
    }
  })
}

/** The defect an exit died with, if it died. */
const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) && Cause.hasDies(exit.cause) ? Cause.squash(exit.cause) : undefined

describe("Connection.make refuses encodings that cannot delimit messages", () => {
  live("an encoding of variable size (Encoding.Variable.string) fails with UnframedEncoding", () =>
    Effect.gen(function* () {
      const [a] = ByteSocket.makePair()
      const error = yield* Effect.flip(makeOver(a, Encoding.Variable.string))
      assert.strictEqual(error._tag, "UnframedEncoding")
      assert.strictEqual(error._tag === "UnframedEncoding" && error.size, "Variable")
      // Nothing was started: the socket is still usable by its owner.
      const [c, d] = ByteSocket.makePair()
      yield* c.write(Uint8Array.of(1))
      assert.deepStrictEqual(yield* d.read, Uint8Array.of(1))
    })
  )

  live("an encoding of fixed size 0 fails with UnframedEncoding (Empty)", () =>
    Effect.gen(function* () {
      const [a] = ByteSocket.makePair()
      const error = yield* Effect.flip(makeOver(a, Encoding.unit))
      assert.strictEqual(error._tag === "UnframedEncoding" && error.size, "Empty")
    })
  )

  it("checkEncoding accepts what delimits itself", () => {
    assert.isTrue(Result.isSuccess(Connection.checkEncoding(Encoding.string)))
    assert.isTrue(Result.isSuccess(Connection.checkEncoding(Encoding.uint8)))
    assert.isTrue(Result.isFailure(Connection.checkEncoding(Encoding.Variable.bytes)))
  })
})

describe("a defect in the reader or writer closes the connection and reaches every read and write", () => {
  live("a decoder that throws on its tenth message: pending and later reads fail with it, writes too", () =>
    Effect.gen(function* () {
      const boom = new Error("boom")
      const [a, b] = ByteSocket.makePair()
      const left = yield* makeOver(a, Encoding.uint8)
      const right = yield* Connection.make({
        reader: ByteReader.make(b),
        channelKey,
        localNonce: nonceB,
        remoteNonce: nonceA,
        encoding: throwingOn(10, boom)
      })
      for (let i = 1; i <= 9; i++) yield* left.writeSync(i)
      for (let i = 1; i <= 9; i++) assert.deepStrictEqual(yield* right.read, [1, i])
      const pending = yield* Effect.forkChild(Effect.flip(right.read))
      yield* Effect.yieldNow
      yield* left.writeSync(10)
      // The stream decoder turns what a value's reader throws into a DecodeError (it never throws).
      const error = yield* Fiber.join(pending)
      assert.strictEqual(error._tag, "DecodeError")
      assert.include(error.message, "boom")
      assert.strictEqual(yield* Effect.flip(right.read), error)
      const closed = yield* right.closed
      assert.deepStrictEqual(closed.reason, { _tag: "ReadFailed", error: "DecodeError", detail: error.message })
      assert.strictEqual(yield* Effect.flip(right.write(1)), closed)
      assert.strictEqual(yield* Effect.flip(right.writeSync(1)), closed)
      // The socket was closed: the peer sees the end.
      assert.strictEqual((yield* Effect.flip(left.read))._tag, "ConnectionClosed")
    })
  )

  it.live("a backend that throws on its tenth chunk (a defect): pending and later reads and writes die with it", () =>
    Effect.gen(function* () {
      const boom = new Error("boom")
      let opened = 0
      const { openInPlace: _inPlace, ...noble } = CryptoBackend.noble
      const throwing: CryptoBackend.CryptoBackendShape = {
        ...noble,
        open: (key, nonce, boxed) => {
          opened += 1
          if (opened === 10) throw boom
          return CryptoBackend.noble.open(key, nonce, boxed)
        }
      }
      const [a, b] = ByteSocket.makePair()
      const left = yield* makeOver(a, Encoding.uint8).pipe(Effect.provide(CryptoBackend.layerNoble))
      const right = yield* Connection.make({
        reader: ByteReader.make(b),
        channelKey,
        localNonce: nonceB,
        remoteNonce: nonceA,
        encoding: Encoding.uint8
      }).pipe(Effect.provideService(CryptoBackend.CryptoBackend, throwing))
      for (let i = 1; i <= 9; i++) yield* left.writeSync(i)
      for (let i = 1; i <= 9; i++) assert.deepStrictEqual(yield* right.read, [1, i])
      const pending = yield* Effect.forkChild(right.read)
      const pendingWrite = yield* Effect.forkChild(right.writeSync(1))
      yield* Effect.yieldNow
      yield* left.writeSync(10)
      assert.strictEqual(defectOf(yield* Fiber.await(pending)), boom)
      // A later read, readNow, write, writeNow and writeSync all die with the same defect.
      assert.strictEqual(defectOf(yield* Effect.exit(right.read)), boom)
      assert.strictEqual(defectOf(yield* Effect.exit(right.readNow)), boom)
      assert.strictEqual(defectOf(yield* Effect.exit(right.write(1))), boom)
      assert.strictEqual(defectOf(yield* Effect.exit(right.writeNow(1))), boom)
      assert.strictEqual(defectOf(yield* Effect.exit(right.writeSync(1))), boom)
      // The pending writeSync either went out before the defect or dies with it; it never hangs.
      const written = yield* Fiber.await(pendingWrite)
      assert.isTrue(Exit.isSuccess(written) || defectOf(written) === boom)
      const closed = yield* right.closed
      assert.deepStrictEqual(closed.reason, { _tag: "ReadFailed", error: "Defect", detail: "Error: boom" })
      // The socket was closed: the peer sees the end (after the pending write, if it went out).
      assert.strictEqual((yield* Effect.flip(Effect.forever(left.read)))._tag, "ConnectionClosed")
    })
  )

  live("a socket whose write throws: the writer's defect fails reads and writes alike", () =>
    Effect.gen(function* () {
      const bug = new Error("socket bug")
      const [a] = ByteSocket.makePair()
      const buggy: ByteSocket.ByteSocket = {
        read: a.read,
        close: a.close,
        write: () =>
          Effect.sync(() => {
            throw bug
          })
      }
      const conn = yield* makeOver(buggy, Encoding.uint8)
      const pending = yield* Effect.forkChild(conn.read)
      yield* Effect.yieldNow
      assert.strictEqual(defectOf(yield* Effect.exit(conn.writeSync(1))), bug)
      assert.strictEqual(defectOf(yield* Fiber.await(pending)), bug)
      assert.strictEqual(defectOf(yield* Effect.exit(conn.write(2))), bug)
      assert.deepStrictEqual((yield* conn.closed).reason, {
        _tag: "WriteFailed",
        error: "Defect",
        detail: "Error: socket bug"
      })
      yield* conn.close()
    })
  )
})

describe("close reasons", () => {
  live("the peer's clean close, a local close with a note, and writes while closing", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(Encoding.uint8)
      yield* left.writeSync(7)
      yield* left.close({ wait: true, reason: "done" })
      assert.deepStrictEqual((yield* left.closed).reason, { _tag: "ClosedLocally", detail: "done" })
      const refused = yield* Effect.flip(left.write(1))
      assert.deepStrictEqual(refused._tag === "ConnectionClosed" && refused.reason, {
        _tag: "ClosedLocally",
        detail: "done"
      })
      assert.deepStrictEqual(yield* right.read, [1, 7])
      const end = yield* Effect.flip(right.read)
      assert.deepStrictEqual(end._tag === "ConnectionClosed" && end.reason, { _tag: "ClosedByPeer" })
      assert.deepStrictEqual((yield* right.closed).reason, { _tag: "ClosedByPeer" })
    })
  )

  live("a bad chunk: reads get the DecipherError, writes and closed say ReadFailed", () =>
    Effect.gen(function* () {
      const [raw, ours] = ByteSocket.makePair()
      const conn = yield* makeOver(ours, Encoding.uint8)
      const chunk = Chunk.sealMessage(CryptoBackend.noble, channelKey, { current: nonceB }, Uint8Array.of(1), 100)
      chunk[chunk.length - 1]! ^= 1
      yield* raw.write(chunk)
      assert.strictEqual((yield* Effect.flip(conn.read))._tag, "DecipherError")
      const closed = yield* conn.closed
      assert.strictEqual(closed.reason._tag === "ReadFailed" && closed.reason.error, "DecipherError")
      const refused = yield* Effect.flip(conn.write(1))
      assert.deepStrictEqual(refused._tag === "ConnectionClosed" && refused.reason, closed.reason)
    })
  )
})

describe("Connection.stream and Connection.sink", () => {
  live("the stream gives every message and ends when the peer closes cleanly", () =>
    Effect.gen(function* () {
      const [left, right] = yield* inMemory(Encoding.string)
      yield* Stream.make("a", "b", "c").pipe(Stream.run(Connection.sink(left)))
      yield* left.close({ wait: true })
      const got = yield* Stream.runCollect(Connection.stream(right))
      assert.deepStrictEqual([...got], ["a", "b", "c"])
    })
  )

  live("the stream fails with the read error otherwise (here a corrupted chunk)", () =>
    Effect.gen(function* () {
      const [raw, ours] = ByteSocket.makePair()
      const conn = yield* makeOver(ours, Encoding.uint8)
      const sender = { current: nonceB }
      yield* raw.write(Chunk.sealMessage(CryptoBackend.noble, channelKey, sender, Uint8Array.of(5), 100))
      const bad = Chunk.sealMessage(CryptoBackend.noble, channelKey, sender, Uint8Array.of(6), 100)
      bad[2]! ^= 1
      yield* raw.write(bad)
      const seen: Array<number> = []
      const error = yield* Effect.flip(
        Connection.stream(conn).pipe(Stream.runForEach((n) => Effect.sync(() => seen.push(n))))
      )
      assert.deepStrictEqual(seen, [5])
      assert.strictEqual(error._tag, "DecipherError")
    })
  )

  live("a local close fails the stream (only the peer's clean close ends it)", () =>
    Effect.gen(function* () {
      const [, right] = yield* inMemory(Encoding.uint8)
      const running = yield* Effect.forkChild(Stream.runDrain(Connection.stream(right)))
      yield* Effect.yieldNow
      yield* right.close()
      const exit = yield* Fiber.await(running)
      assert.isTrue(Exit.isFailure(exit))
    })
  )

  live("the sink fails with the write error once the connection is closed", () =>
    Effect.gen(function* () {
      const [left] = yield* connectionsOver(ByteSocket.makePair(), Encoding.uint8)
      yield* left.close()
      const error = yield* Effect.flip(Stream.make(1, 2).pipe(Stream.run(Connection.sink(left))))
      assert.strictEqual(error._tag, "ConnectionClosed")
    })
  )
})

describe("declared types", () => {
  it("make, read, write, stream and sink declare their errors and requirements", () => {
    expectTypeOf(Connection.make<string>).returns.toEqualTypeOf<
      Effect.Effect<Connection.Connection<string>, Connection.MakeError, Scope.Scope | CryptoBackend.CryptoBackend>
    >()
    expectTypeOf<Connection.ReadError>().toEqualTypeOf<
      ConnectionClosed | DecipherError | DecodeError | InvalidIncomingCiphertextSize
    >()
    expectTypeOf<Connection.WriteError>().toEqualTypeOf<ConnectionClosed | EncodeError>()
    expectTypeOf<Connection.Connection<string>["read"]>().toEqualTypeOf<
      Effect.Effect<readonly [size: number, message: string], Connection.ReadError>
    >()
    expectTypeOf<Connection.Connection<string>["write"]>().toEqualTypeOf<
      (message: string) => Effect.Effect<void, Connection.WriteError>
    >()
    expectTypeOf(Connection.stream<string>).returns.toEqualTypeOf<Stream.Stream<string, Connection.ReadError>>()
    expectTypeOf(Connection.sink<string>).returns.toEqualTypeOf<Sink.Sink<void, string, never, Connection.WriteError>>()
  })

  it("the transports and the scheduler declare theirs", () => {
    expectTypeOf(ByteSocket.fromSocket).returns.toEqualTypeOf<
      Effect.Effect<ByteSocket.ByteSocket, ConnectionClosed, Scope.Scope>
    >()
    expectTypeOf(WebSocketByteSocket.connect).returns.toEqualTypeOf<
      Effect.Effect<ByteSocket.ByteSocket, WebSocketByteSocket.WebSocketError, Scope.Scope>
    >()
    expectTypeOf(WebSocketByteSocket.make).returns.toEqualTypeOf<
      Effect.Effect<ByteSocket.ByteSocket, never, Scope.Scope>
    >()
    expectTypeOf(IoScheduler.make).returns.toEqualTypeOf<
      Effect.Effect<IoScheduler.IoSchedulerShape, never, Scope.Scope>
    >()
    expectTypeOf(IoScheduler.layer).returns.toEqualTypeOf<Layer.Layer<IoScheduler.IoScheduler>>()
    expectTypeOf<ByteSocket.ByteSocket["read"]>().toEqualTypeOf<Effect.Effect<Uint8Array, ConnectionClosed>>()
  })
})
