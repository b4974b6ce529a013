/**
 * `WebSocketByteSocket` against a scripted WebSocket: the pacing on `bufferedAmount`, the read
 * bound with and without `pause()`, and the close reasons, without a network and on the TestClock.
 * (The same module over real `ws` sockets and in Chromium: packages/node/test/WebSocket.test.ts,
 * test/browser/.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"

type Listener = (event: never) => void

/** A WebSocket whose buffered amount, incoming frames and close are set by the test. */
const scripted = (options: { readonly pausable?: boolean } = {}) => {
  const listeners = new Map<string, Set<Listener>>()
  const sent: Array<Uint8Array> = []
  const closes: Array<{ readonly code?: number | undefined; readonly reason?: string | undefined }> = []
  const pauses: Array<"pause" | "resume"> = []
  const ws: WebSocketByteSocket.WebSocketLike & { bufferedAmount: number } = {
    binaryType: "blob",
    readyState: 1,
    bufferedAmount: 0,
    send: (data) => {
      sent.push(data)
    },
    close: (code, reason) => {
      closes.push({ code, reason })
    },
    addEventListener: (type, listener) => {
      const set = listeners.get(type) ?? new Set()
      set.add(listener)
      listeners.set(type, set)
    },
    removeEventListener: (type, listener) => {
      listeners.get(type)?.delete(listener)
    },
    ...(options.pausable ? { pause: () => void pauses.push("pause"), resume: () => void pauses.push("resume") } : {})
  }
  const emit = (type: string, event: unknown) => {
    for (const listener of listeners.get(type) ?? []) (listener as (e: unknown) => void)(event)
  }
  return {
    ws,
    sent,
    closes,
    pauses,
    frame: (bytes: Uint8Array) => emit("message", { data: bytes.slice().buffer }),
    text: (text: string) => emit("message", { data: text }),
    open: () => emit("open", {}),
    peerClose: (code: number, reason = "") => emit("close", { code, reason })
  }
}

describe("WebSocketByteSocket", () => {
  it.effect("sets binaryType to arraybuffer and reads frames in order", () =>
    Effect.gen(function* () {
      const s = scripted()
      const socket = yield* WebSocketByteSocket.make(s.ws)
      assert.strictEqual(s.ws.binaryType, "arraybuffer")
      s.frame(Uint8Array.of(1, 2))
      s.frame(new Uint8Array(0)) // an empty frame is nothing
      s.frame(Uint8Array.of(3))
      assert.deepStrictEqual(yield* socket.read, Uint8Array.of(1, 2))
      assert.deepStrictEqual(yield* socket.read, Uint8Array.of(3))
    })
  )

  it.effect("a write waits while bufferedAmount is above maxBufferedAmount, then sends", () =>
    Effect.gen(function* () {
      const s = scripted()
      const socket = yield* WebSocketByteSocket.make(s.ws, { maxBufferedAmount: 1000, pollInterval: "10 millis" })
      s.ws.bufferedAmount = 1001
      const write = yield* Effect.forkChild(socket.write(Uint8Array.of(9)))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(s.sent.length, 0)
      assert.isUndefined(write.pollUnsafe())
      s.ws.bufferedAmount = 1000
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(write)
      assert.deepStrictEqual(s.sent, [Uint8Array.of(9)])
    })
  )

  it.effect("without pause, a flood past maxReadBuffer fails the socket and drops what was buffered", () =>
    Effect.gen(function* () {
      const s = scripted()
      const socket = yield* WebSocketByteSocket.make(s.ws, { maxReadBuffer: 100 })
      s.frame(new Uint8Array(60))
      s.frame(new Uint8Array(40)) // exactly the bound: still fine
      assert.deepStrictEqual(s.closes, [])
      s.frame(new Uint8Array(1))
      assert.deepStrictEqual(s.closes, [
        { code: WebSocketByteSocket.protocolViolation, reason: "read buffer overflow" }
      ])
      assert.deepStrictEqual((yield* Effect.flip(socket.read)).reason, {
        _tag: "ReadFailed",
        error: "ReadBufferOverflow",
        detail: "read buffer overflow"
      })
    })
  )

  it.effect("with pause, the socket pauses at half the bound and resumes at a quarter", () =>
    Effect.gen(function* () {
      const s = scripted({ pausable: true })
      const socket = yield* WebSocketByteSocket.make(s.ws, { maxReadBuffer: 100 })
      assert.deepStrictEqual(s.pauses, ["resume"]) // a ws server pauses new sockets until read
      s.frame(new Uint8Array(30))
      s.frame(new Uint8Array(30))
      assert.deepStrictEqual(s.pauses, ["resume", "pause"])
      yield* socket.read // 30 left: above a quarter
      assert.deepStrictEqual(s.pauses, ["resume", "pause"])
      yield* socket.read // 0 left
      assert.deepStrictEqual(s.pauses, ["resume", "pause", "resume"])
    })
  )

  it.effect("a text frame fails the socket", () =>
    Effect.gen(function* () {
      const s = scripted()
      const socket = yield* WebSocketByteSocket.make(s.ws)
      s.text("hello")
      assert.deepStrictEqual((yield* Effect.flip(socket.read)).reason, {
        _tag: "ReadFailed",
        error: "TextFrame",
        detail: "unexpected text frame"
      })
      assert.deepStrictEqual(s.closes, [
        { code: WebSocketByteSocket.protocolViolation, reason: "unexpected text frame" }
      ])
    })
  )

  it.effect("the peer's close is read after what it sent, with its code when it is not a normal close", () =>
    Effect.gen(function* () {
      const s = scripted()
      const socket = yield* WebSocketByteSocket.make(s.ws)
      s.frame(Uint8Array.of(5))
      s.peerClose(4003, "proof of work too low (3)")
      assert.deepStrictEqual(yield* socket.read, Uint8Array.of(5))
      const closed = yield* Effect.flip(socket.read)
      assert.deepStrictEqual(closed.reason, { _tag: "ClosedByPeer", code: 4003, detail: "proof of work too low (3)" })
      assert.strictEqual(closed.description, "closed by peer (code 4003: proof of work too low (3))")
      const t = scripted()
      const other = yield* WebSocketByteSocket.make(t.ws)
      t.peerClose(1000)
      assert.deepStrictEqual((yield* Effect.flip(other.read)).reason, { _tag: "ClosedByPeer" })
      const u = scripted()
      const reset = yield* WebSocketByteSocket.make(u.ws)
      u.peerClose(1006)
      assert.deepStrictEqual((yield* Effect.flip(reset.read)).reason, { _tag: "ResetByPeer" })
    })
  )

  it.effect("close is idempotent, ends a parked read, and later writes fail", () =>
    Effect.gen(function* () {
      const s = scripted()
      const socket = yield* WebSocketByteSocket.make(s.ws)
      const parked = yield* Effect.forkChild(Effect.flip(socket.read))
      yield* Effect.yieldNow
      yield* socket.close
      yield* socket.close
      assert.deepStrictEqual((yield* Fiber.join(parked)).reason, { _tag: "ClosedLocally" })
      assert.deepStrictEqual(s.closes, [{ code: 1000, reason: undefined }])
      assert.deepStrictEqual((yield* Effect.flip(socket.write(Uint8Array.of(1)))).reason, { _tag: "ClosedLocally" })
    })
  )

  it.effect("connect: open, closed before opening, timed out, refused URL", () =>
    Effect.gen(function* () {
      const made: Array<ReturnType<typeof scripted>> = []
      // A constructor in name: `new` gives the next scripted socket (a factory, as `connect` only calls `new`).
      const Scripted = new Proxy(class {}, {
        construct: () => {
          const s = scripted()
          made.push(s)
          return s.ws
        }
      }) as unknown as WebSocketByteSocket.Constructor
      // Opens: the socket is handed over once "open" fires.
      const opening = yield* Effect.forkChild(
        Effect.scoped(WebSocketByteSocket.connect({ url: "ws://peer/", WebSocket: Scripted }))
      )
      while (made.length < 1) yield* Effect.yieldNow
      made[0]!.open()
      yield* Fiber.join(opening)

      // Closed by the server before it opened (a refused upgrade).
      const refused = yield* Effect.forkChild(
        Effect.flip(Effect.scoped(WebSocketByteSocket.connect({ url: "ws://peer/x", WebSocket: Scripted })))
      )
      while (made.length < 2) yield* Effect.yieldNow
      made[1]!.peerClose(1006)
      const closed = yield* Fiber.join(refused)
      assert.strictEqual(closed.message, "cannot open ws://peer/x: closed before opening (code 1006)")
      assert.strictEqual(closed.code, 1006)

      // Never opens: the timeout fails it and closes the socket.
      const stuck = yield* Effect.forkChild(
        Effect.flip(
          Effect.scoped(
            WebSocketByteSocket.connect({ url: "ws://peer/", WebSocket: Scripted, openTimeout: "1 second" })
          )
        )
      )
      while (made.length < 3) yield* Effect.yieldNow
      // The deadline's timer is set once the socket is made; step the clock until it has fired.
      while (stuck.pollUnsafe() === undefined) yield* TestClock.adjust("100 millis")
      assert.strictEqual((yield* Fiber.join(stuck)).reason, "timed out")
      assert.strictEqual(made[2]!.closes.length > 0, true)

      // A constructor that throws (a malformed URL in browsers).
      const Throwing = new Proxy(class {}, {
        construct: () => {
          throw new SyntaxError("The URL 'nope' is invalid.")
        }
      }) as unknown as WebSocketByteSocket.Constructor
      const bad = yield* Effect.flip(Effect.scoped(WebSocketByteSocket.connect({ url: "nope", WebSocket: Throwing })))
      assert.strictEqual(bad.reason, "The URL 'nope' is invalid.")
    })
  )
})
