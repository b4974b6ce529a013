import * as Net from "node:net"
import { Worker } from "node:worker_threads"
import { assert, describe, it } from "@effect/vitest"
import type * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import * as Tcp from "@effect-p2p/node/Tcp"
import { Deferred, Effect, Fiber, Queue } from "effect"
import { fromNetSocket } from "../src/internal/netSocket.ts"

const host = "127.0.0.1"

/** Reads until `n` bytes arrived (or the stream ends) and returns them. */
const readBytes = (socket: ByteSocket.ByteSocket, n: number) =>
  Effect.gen(function* () {
    const parts: Array<Uint8Array> = []
    let got = 0
    while (got < n) {
      const piece = yield* socket.read
      parts.push(piece)
      got += piece.length
    }
    return Buffer.concat(parts)
  })

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff)

/** A Tcp server whose accepted sockets arrive on a queue and stay open until the test's scope closes. */
const server = Effect.gen(function* () {
  const listening = yield* Tcp.listen({ port: 0, host })
  const accepted = yield* Queue.unbounded<Tcp.TcpSocket>()
  yield* Effect.forkScoped(listening.run((socket) => Effect.andThen(Queue.offer(accepted, socket), Effect.never)))
  return { port: listening.address.port, accepted }
})

/** A dialled socket and its accepted end, both open until the test's scope closes. */
const connectedPair = Effect.gen(function* () {
  const { port, accepted } = yield* server
  const dialled = yield* Tcp.connect({ host, port })
  const incoming = yield* Queue.take(accepted)
  return { port, dialled, incoming }
})

/** A plain `net` server (the peer as Node sees it), handing each connection to `onSocket`. */
const netServer = (onSocket: (socket: Net.Socket) => void) =>
  Effect.acquireRelease(
    Effect.callback<Net.Server>((resume) => {
      const s = Net.createServer(onSocket)
      s.listen(0, host, () => resume(Effect.succeed(s)))
    }),
    (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
  ).pipe(Effect.map((s) => (s.address() as Net.AddressInfo).port))

/**
 * A listener (backlog 1) in a worker thread whose event loop is blocked, so it accepts nothing: the
 * kernel completes the first connections' handshakes and then drops SYNs. Unblocked and stopped when
 * the scope closes.
 */
const stuckListener = Effect.acquireRelease(
  Effect.callback<{ readonly port: number; readonly worker: Worker; readonly flag: Int32Array }>((resume) => {
    const flag = new Int32Array(new SharedArrayBuffer(4))
    const worker = new Worker(
      `const net = require("node:net")
      const { parentPort, workerData } = require("node:worker_threads")
      const server = net.createServer()
      server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
        parentPort.postMessage(server.address().port)
        Atomics.wait(workerData, 0, 0)
      })`,
      { eval: true, workerData: flag }
    )
    worker.once("message", (port: number) => resume(Effect.succeed({ port, worker, flag })))
    worker.once("error", (error) => resume(Effect.die(error)))
  }),
  ({ worker, flag }) =>
    Effect.promise(() => {
      Atomics.store(flag, 0, 1)
      Atomics.notify(flag, 0)
      return worker.terminate()
    })
)

describe("Tcp", () => {
  it.live("carries bytes both ways in order, with both endpoints", () =>
    Effect.gen(function* () {
      const { port, dialled, incoming } = yield* connectedPair
      assert.strictEqual(dialled.remote.port, port)
      assert.strictEqual(incoming.local.port, port)
      assert.strictEqual(incoming.remote.port, dialled.local.port)
      const bytes = pattern(100_000)
      yield* dialled.socket.write(bytes)
      assert.deepStrictEqual(new Uint8Array(yield* readBytes(incoming.socket, bytes.length)), bytes)
      yield* incoming.socket.write(new Uint8Array([1, 2, 3]))
      assert.deepStrictEqual([...(yield* readBytes(dialled.socket, 3))], [1, 2, 3])
    }).pipe(Effect.scoped)
  )

  it.live("writes to a peer that does not read stop at a bound, then every byte arrives in order", () =>
    Effect.gen(function* () {
      const { dialled, incoming } = yield* connectedPair
      // 32 MiB is far beyond what the kernel buffers plus the socket's unflushed allowance hold.
      const pieces = Array.from({ length: 32 }, (_, i) => pattern(1024 * 1024).map((b) => b ^ i))
      let completed = 0
      const writer = yield* Effect.forkChild(
        Effect.forEach(pieces, (piece) => Effect.map(dialled.socket.write(piece), () => void completed++))
      )
      yield* Effect.sleep("300 millis")
      assert.isBelow(completed, pieces.length, "a write waits while the peer reads nothing")
      const received = yield* readBytes(incoming.socket, 32 * 1024 * 1024)
      yield* Fiber.join(writer)
      assert.isTrue(Buffer.compare(received, Buffer.concat(pieces)) === 0)
    }).pipe(Effect.scoped)
  )

  it.live("writeReusable releases a buffer only once Node is done with it", () =>
    Effect.gen(function* () {
      const { dialled, incoming } = yield* connectedPair
      const writeReusable = dialled.socket.writeReusable
      assert.isDefined(writeReusable)
      const pieces = Array.from({ length: 16 }, (_, i) => pattern(1024 * 1024).map((b) => b ^ i))
      const expected = Buffer.concat(pieces)
      let released = 0
      // A released buffer is the caller's again: scribbling over it at once must not change what
      // the peer receives.
      const writer = yield* Effect.forkChild(
        Effect.forEach(pieces, (piece) =>
          writeReusable!(piece, () => {
            piece.fill(0)
            released++
          })
        )
      )
      yield* Effect.sleep("200 millis")
      assert.isBelow(released, pieces.length, "a peer that reads nothing leaves writes pending")
      const received = yield* readBytes(incoming.socket, expected.length)
      yield* Fiber.join(writer)
      assert.isTrue(Buffer.compare(received, expected) === 0)
      // Node calls back once each write reached the kernel, which the reads above waited for.
      for (let i = 0; i < 400 && released < pieces.length; i++) yield* Effect.sleep("5 millis")
      assert.strictEqual(released, pieces.length, "every buffer is released once written")
    }).pipe(Effect.scoped)
  )

  it.live("a socket with a high-water mark above the unflushed allowance still completes every write", () =>
    Effect.gen(function* () {
      // Node emits `drain` only once a write returned false: with a 16 MiB mark no write here does,
      // so a writer that waited for `drain` after 512 KiB of unflushed bytes would wait forever.
      const accepted = yield* Deferred.make<Net.Socket>()
      const server = yield* Effect.acquireRelease(
        Effect.callback<Net.Server>((resume) => {
          const s = Net.createServer({ highWaterMark: 16 * 1024 * 1024 }, (c) =>
            Deferred.doneUnsafe(accepted, Effect.succeed(c))
          )
          s.listen(0, host, () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
      )
      const dialled = yield* Tcp.connect({ host, port: (server.address() as Net.AddressInfo).port })
      const conn = yield* Deferred.await(accepted)
      yield* Effect.addFinalizer(() => Effect.sync(() => conn.destroy()))
      const socket = yield* fromNetSocket(conn)
      // 32 MiB: more than the kernel's buffers plus the allowance, less than the mark.
      const pieces = Array.from({ length: 32 }, (_, i) => pattern(1024 * 1024).map((b) => b ^ i))
      const writer = yield* Effect.forkChild(Effect.forEach(pieces, (piece) => socket.write(piece)))
      yield* Effect.sleep("100 millis")
      const received = yield* readBytes(dialled.socket, 32 * 1024 * 1024)
      yield* Fiber.join(writer)
      assert.isTrue(Buffer.compare(received, Buffer.concat(pieces)) === 0)
    }).pipe(Effect.scoped)
  )

  it.live("close right after a large write still delivers every byte it handed over, then the end", () =>
    Effect.gen(function* () {
      const { dialled, incoming } = yield* connectedPair
      const bytes = pattern(4 * 1024 * 1024)
      // Returns at once (under the unflushed allowance), long before the kernel took 4 MiB.
      yield* dialled.socket.write(bytes)
      yield* dialled.socket.close
      const received = yield* readBytes(incoming.socket, bytes.length)
      assert.isTrue(Buffer.compare(received, bytes) === 0)
      const end = yield* Effect.flip(incoming.socket.read)
      assert.strictEqual(end.description, "closed by peer")
    }).pipe(Effect.scoped)
  )

  it.live("bytes sent before the peer's FIN are read, then the end of the stream is 'closed by peer'", () =>
    Effect.gen(function* () {
      const port = yield* netServer((s) => s.end(Buffer.from([9, 8, 7])))
      const { socket } = yield* Tcp.connect({ host, port })
      assert.deepStrictEqual([...(yield* readBytes(socket, 3))], [9, 8, 7])
      assert.strictEqual((yield* Effect.flip(socket.read)).description, "closed by peer")
      // The end stays the end.
      assert.strictEqual((yield* Effect.flip(socket.read)).description, "closed by peer")
    }).pipe(Effect.scoped)
  )

  it.live("a peer's reset reads as 'reset by peer'", () =>
    Effect.gen(function* () {
      // Reset once our byte arrives, so the connection is surely open by then.
      const port = yield* netServer((s) => s.once("data", () => s.resetAndDestroy()))
      const { socket } = yield* Tcp.connect({ host, port })
      yield* socket.write(new Uint8Array([1]))
      assert.strictEqual((yield* Effect.flip(socket.read)).description, "reset by peer")
    }).pipe(Effect.scoped)
  )

  it.live(
    "after close, reads and writes fail with 'closed locally', a parked read ends, and the peer sees the end",
    () =>
      Effect.gen(function* () {
        const { port, accepted } = yield* server
        const dialled = yield* Tcp.connect({ host, port })
        const incoming = yield* Queue.take(accepted)
        const parked = yield* Effect.forkChild(Effect.flip(dialled.socket.read))
        yield* Effect.yieldNow
        yield* dialled.socket.close
        yield* dialled.socket.close // idempotent
        assert.strictEqual((yield* Fiber.join(parked))._tag, "ConnectionClosed")
        assert.strictEqual((yield* Effect.flip(dialled.socket.read)).description, "closed locally")
        assert.strictEqual(
          (yield* Effect.flip(dialled.socket.write(new Uint8Array([1])))).description,
          "closed locally"
        )
        assert.strictEqual((yield* Effect.flip(incoming.socket.read))._tag, "ConnectionClosed")
      }).pipe(Effect.scoped)
  )

  it.live("closing the dialler's scope ends the connection after what was written", () =>
    Effect.gen(function* () {
      const received = yield* Deferred.make<Buffer>()
      const port = yield* netServer((s) => {
        const parts: Array<Buffer> = []
        s.on("data", (d: Buffer) => parts.push(d))
        s.on("end", () => Deferred.doneUnsafe(received, Effect.succeed(Buffer.concat(parts))))
        s.on("error", () => {})
      })
      yield* Effect.scoped(Effect.flatMap(Tcp.connect({ host, port }), ({ socket }) => socket.write(pattern(1000))))
      assert.isTrue(Buffer.compare(yield* Deferred.await(received), pattern(1000)) === 0)
    }).pipe(Effect.scoped)
  )

  it.live("connect to a listener that never accepts fails with ETIMEDOUT after the timeout", () =>
    Effect.gen(function* () {
      const { port } = yield* stuckListener
      // Linux queues backlog + 1 connections a listener has not accepted and drops further SYNs, so
      // a dial past those hangs until its own deadline.
      const fillers = yield* Effect.acquireRelease(
        Effect.sync(() => Array.from({ length: 3 }, () => Net.connect({ host, port }).on("error", () => {}))),
        (sockets) =>
          Effect.sync(() => {
            for (const s of sockets) s.destroy()
          })
      )
      yield* Effect.forEach(fillers.slice(0, 2), (s) =>
        Effect.callback<void>((resume) => void s.once("connect", () => resume(Effect.void)))
      )
      const error = yield* Effect.flip(Tcp.connect({ host, port, timeout: "300 millis" }))
      assert.strictEqual(error.code, "ETIMEDOUT")
      assert.strictEqual(error.operation, "connect")
    }).pipe(Effect.scoped)
  )

  it.live("connect to a closed port fails with ECONNREFUSED", () =>
    Effect.gen(function* () {
      const port = yield* Effect.scoped(netServer(() => {}))
      const error = yield* Effect.flip(Effect.scoped(Tcp.connect({ host, port })))
      assert.strictEqual(error.code, "ECONNREFUSED")
    })
  )
})
