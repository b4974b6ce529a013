import { assert, describe, it } from "@effect/vitest"
import type * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
import * as WebSocket from "@effect-p2p/node/WebSocket"
import { Effect, Fiber, Queue } from "effect"
import * as fc from "fast-check"
import * as WS from "ws"

const host = "127.0.0.1"

const concat = (parts: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Reads until `n` bytes arrived and returns them. */
const readBytes = (socket: ByteSocket.ByteSocket, n: number) =>
  Effect.gen(function* () {
    const parts: Array<Uint8Array> = []
    let got = 0
    while (got < n) {
      const piece = yield* socket.read
      parts.push(piece)
      got += piece.length
    }
    return concat(parts)
  })

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff)

/** A WebSocket server whose connections arrive on a queue and stay open until the scope closes. */
const server = (options: Partial<WebSocket.ListenOptions> = {}) =>
  Effect.gen(function* () {
    const listening = yield* WebSocket.listen({ port: 0, host, ...options })
    const accepted = yield* Queue.unbounded<WebSocket.Connection>()
    yield* Effect.forkScoped(listening.run((c) => Effect.andThen(Queue.offer(accepted, c), Effect.never)))
    return { url: `ws://${host}:${listening.address.port}`, accepted }
  })

/** A raw `ws` client, open, closed with the scope. */
const rawClient = (url: string) =>
  Effect.acquireRelease(
    Effect.callback<WS.WebSocket>((resume) => {
      const ws = new WS.WebSocket(url)
      ws.once("open", () => resume(Effect.succeed(ws)))
      ws.once("error", (error) => resume(Effect.die(error)))
    }),
    (ws) => Effect.sync(() => ws.terminate())
  )

/** A `ws` socket without `pause`/`resume`: what a browser's WebSocket can do. */
const browserLike = (ws: WS.WebSocket): WebSocketByteSocket.WebSocketLike =>
  new Proxy(ws, {
    get: (target, key) => {
      if (key === "pause" || key === "resume") return undefined
      const value = Reflect.get(target, key, target)
      return typeof value === "function" ? value.bind(target) : value
    },
    set: (target, key, value) => Reflect.set(target, key, value, target)
  }) as unknown as WebSocketByteSocket.WebSocketLike

describe("WebSocket transport", () => {
  it.live("FIFO and no loss: random writes arrive in order, whatever the frames", () =>
    Effect.gen(function* () {
      const { url, accepted } = yield* server()
      const client = yield* WebSocket.connect({ url })
      const incoming = yield* Queue.take(accepted)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 3000 }), { maxLength: 20 }), (writes) =>
            Effect.runPromise(
              Effect.gen(function* () {
                const total = writes.reduce((n, w) => n + w.length, 0)
                const reader = yield* Effect.forkChild(readBytes(incoming.socket, total))
                for (const w of writes) yield* client.write(w)
                const got = yield* Fiber.join(reader)
                assert.deepStrictEqual(got, concat(writes))
              })
            )
          ),
          { numRuns: 50 }
        )
      )
    })
  )

  it.live("frame boundaries mean nothing: a stream split at random points reads back whole", () =>
    Effect.gen(function* () {
      const { url, accepted } = yield* server()
      const raw = yield* rawClient(url)
      const incoming = yield* Queue.take(accepted)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.uint8Array({ minLength: 1, maxLength: 20_000 }),
            fc.array(fc.nat(), { maxLength: 30 }),
            (stream, cuts) =>
              Effect.runPromise(
                Effect.gen(function* () {
                  const points = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b)
                  let from = 0
                  for (const p of [...points, stream.length]) {
                    raw.send(stream.subarray(from, p))
                    from = p
                  }
                  assert.deepStrictEqual(yield* readBytes(incoming.socket, stream.length), stream)
                })
              )
          ),
          { numRuns: 50 }
        )
      )
    })
  )

  it.live("both directions, server to client, 1 MiB", () =>
    Effect.gen(function* () {
      const { url, accepted } = yield* server()
      const client = yield* WebSocket.connect({ url })
      const incoming = yield* Queue.take(accepted)
      const data = pattern(1024 * 1024)
      const reader = yield* Effect.forkChild(readBytes(client, data.length))
      for (let at = 0; at < data.length; at += 65536) yield* incoming.socket.write(data.slice(at, at + 65536))
      assert.deepStrictEqual(yield* Fiber.join(reader), data)
      assert.strictEqual(incoming.path, "/")
    })
  )

  it.live("writes wait on bufferedAmount: the socket never holds much more than the bound", () =>
    Effect.gen(function* () {
      const maxBufferedAmount = 256 * 1024
      const { url, accepted } = yield* server({ maxReadBuffer: 512 * 1024 })
      const raw = yield* rawClient(url)
      let highest = 0
      const watched = new Proxy(raw, {
        get: (target, key) => {
          if (key === "send") {
            return (data: Uint8Array) => {
              highest = Math.max(highest, target.bufferedAmount)
              target.send(data)
            }
          }
          const value = Reflect.get(target, key, target)
          return typeof value === "function" ? value.bind(target) : value
        },
        set: (target, key, value) => Reflect.set(target, key, value, target)
      }) as unknown as WebSocketByteSocket.WebSocketLike
      const client = yield* WebSocketByteSocket.make(watched, { maxBufferedAmount })
      const incoming = yield* Queue.take(accepted)
      // The server does not read yet: it pauses its socket, the kernel buffers fill, and the
      // client's bufferedAmount grows until its writes wait.
      const data = pattern(32 * 1024 * 1024)
      const writer = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (let at = 0; at < data.length; at += 65536) yield* client.write(data.subarray(at, at + 65536))
        })
      )
      while (raw.bufferedAmount <= maxBufferedAmount) yield* Effect.sleep("5 millis")
      assert.isTrue(highest <= maxBufferedAmount, `send with ${highest} bytes buffered`)
      // Reading now lets everything through, in order.
      assert.deepStrictEqual(yield* readBytes(incoming.socket, data.length), data)
      yield* Fiber.join(writer)
      assert.isTrue(highest <= maxBufferedAmount, `send with ${highest} bytes buffered`)
    })
  )

  it.live("a flood past the read bound fails the socket when it cannot pause (as in a browser)", () =>
    Effect.gen(function* () {
      const { url, accepted } = yield* server()
      const raw = yield* rawClient(url)
      const peerClose = yield* Effect.forkChild(
        Effect.callback<number>((resume) => {
          raw.once("close", (code) => resume(Effect.succeed(code)))
        })
      )
      const client = yield* WebSocketByteSocket.make(browserLike(raw), { maxReadBuffer: 256 * 1024 })
      const incoming = yield* Queue.take(accepted)
      // The server floods; nobody reads the client.
      const data = pattern(65536)
      const flood = yield* Effect.forkChild(Effect.forever(incoming.socket.write(data)).pipe(Effect.flip))
      const stopped = yield* Fiber.join(flood)
      assert.strictEqual(stopped._tag, "ConnectionClosed")
      const why = yield* Effect.flip(incoming.socket.read)
      assert.strictEqual(why.description, "closed by peer (code 4002: read buffer overflow)")
      assert.strictEqual(yield* Fiber.join(peerClose), WebSocketByteSocket.protocolViolation)
      // What was buffered is dropped: the reader gets the error, not the bytes.
      const error = yield* Effect.flip(client.read)
      assert.strictEqual(error.description, "read buffer overflow")
    })
  )

  it.live("a text frame fails the socket", () =>
    Effect.gen(function* () {
      const { url, accepted } = yield* server()
      const raw = yield* rawClient(url)
      const incoming = yield* Queue.take(accepted)
      const peerClose = yield* Effect.forkChild(
        Effect.callback<number>((resume) => {
          raw.once("close", (code) => resume(Effect.succeed(code)))
        })
      )
      raw.send("hello")
      const error = yield* Effect.flip(incoming.socket.read)
      assert.strictEqual(error.description, "unexpected text frame")
      assert.strictEqual(yield* Fiber.join(peerClose), WebSocketByteSocket.protocolViolation)
    })
  )

  it.live("the peer closing ends the stream after what it sent", () =>
    Effect.gen(function* () {
      const { url, accepted } = yield* server()
      const client = yield* WebSocket.connect({ url })
      const incoming = yield* Queue.take(accepted)
      yield* client.write(pattern(1000))
      yield* client.close
      assert.deepStrictEqual(yield* readBytes(incoming.socket, 1000), pattern(1000))
      const error = yield* Effect.flip(incoming.socket.read)
      assert.strictEqual(error.description, "closed by peer")
      assert.strictEqual((yield* Effect.flip(client.read)).description, "closed locally")
    })
  )

  it.live("opening a closed port fails with WebSocketError", () =>
    Effect.gen(function* () {
      const { url } = yield* Effect.scoped(server())
      const error = yield* Effect.flip(WebSocket.connect({ url, openTimeout: "5 seconds" }))
      assert.strictEqual(error._tag, "WebSocketError")
      assert.include(error.message, url)
    })
  )
})
