/**
 * A `ByteSocket` over a WebSocket: the session's byte stream carried in binary frames, where a
 * frame boundary means nothing (a frame is any slice of the stream, as a TCP read is). It works
 * with anything shaped like the WHATWG `WebSocket`: a browser's global one, or the `ws` package's
 * in Node 20 (which has no global `WebSocket` without `--experimental-websocket`).
 *
 * Both directions are bounded, as js-libp2p's WebSocket transport does for writes:
 *
 * - **writes** wait while the socket's `bufferedAmount` is above `maxBufferedAmount` (polling
 *   every `pollInterval`: browsers give no event when it falls);
 * - **reads**: bytes received and not yet read are at most `maxReadBuffer`. Browsers cannot stop a
 *   WebSocket from receiving, so a peer that floods past the bound fails the socket with
 *   `ConnectionClosed` (`ReadFailed` "ReadBufferOverflow") instead of filling memory. A socket that can pause
 *   (`ws`'s `pause()`/`resume()`) stops reading from the network at half the bound, so a reader
 *   that is merely slower than its peer waits instead of failing.
 *
 * A text frame fails the socket (`ReadFailed` "TextFrame").
 *
 * @since 0.1.0
 */
import { Duration, Effect, Predicate, Schema, type Scope } from "effect"
import type { ByteSocket } from "./ByteSocket.ts"
import { ConnectionClosed } from "./ConnectionError.ts"

/**
 * What this module uses of a WebSocket: the global `WebSocket` and `ws`'s both have it.
 *
 * @category models
 * @since 0.1.0
 */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  readonly bufferedAmount: number
  readonly url?: string
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  addEventListener(type: string, listener: (event: never) => void): void
  removeEventListener(type: string, listener: (event: never) => void): void
  /** `ws` only: stop and restart reading from the network. */
  pause?: () => void
  resume?: () => void
}

/**
 * A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s `WebSocket` in Node.
 *
 * @category models
 * @since 0.1.0
 */
export type Constructor = new (url: string, protocols?: string | Array<string>) => WebSocketLike

/** `readyState` values of the WHATWG WebSocket. */
const OPEN = 1

/**
 * The close code this socket sends when its peer broke the transport's rules (a text frame, a
 * flood past the read bound). Browsers may only send 1000 and 3000–4999, so it is an
 * application code; the close reason says which rule.
 *
 * @category constants
 * @since 0.1.0
 */
export const protocolViolation = 4002

/**
 * Options of {@link make} and {@link connect}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Bytes the socket may hold unsent before a write waits. Default 4 MiB (js-libp2p's default). */
  readonly maxBufferedAmount?: number | undefined
  /** How often a waiting write looks at `bufferedAmount` again. Default 5 ms. */
  readonly pollInterval?: Duration.Input | undefined
  /** Bytes received and not yet read before the socket fails (or pauses, at half). Default 4 MiB. */
  readonly maxReadBuffer?: number | undefined
}

/**
 * Default of `maxBufferedAmount`: 4 MiB.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxBufferedAmount = 4 * 1024 * 1024

/**
 * Default of `maxReadBuffer`: 4 MiB, 64 session chunks of the largest size.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxReadBuffer = 4 * 1024 * 1024

/**
 * Opening a WebSocket failed: refused, closed before it opened, timed out, a bad URL, or no
 * `WebSocket` in this environment.
 *
 * @example
 * ```ts
 * import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
 * new WebSocketByteSocket.WebSocketError({ url: "ws://127.0.0.1:1/", reason: "closed before opening (code 1006)" }).message
 * // "cannot open ws://127.0.0.1:1/: closed before opening (code 1006)"
 * ```
 * @category errors
 * @since 0.1.0
 */
export class WebSocketError extends Schema.TaggedError<WebSocketError>()("WebSocketError", {
  url: Schema.String,
  reason: Schema.String,
  /** The close code when the server closed the socket before it opened (1006 = no close frame). */
  code: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return `cannot open ${this.url}: ${this.reason}`
  }
}

/**
 * Tells whether a value is a `WebSocketError`.
 *
 * @example
 * ```ts
 * import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
 * WebSocketByteSocket.isWebSocketError(new Error("x")) // false
 * ```
 * @category guards
 * @since 0.1.0
 */
export const isWebSocketError = (u: unknown): u is WebSocketError => Predicate.isTagged(u, "WebSocketError")

type Resume = (effect: Effect.Effect<Uint8Array, ConnectionClosed>) => void
type Listener = (event: never) => void

const closedBy = (event: { readonly code?: number; readonly reason?: string }): ConnectionClosed => {
  const code = event.code ?? 1005
  if (code === 1000 || code === 1005) return ConnectionClosed.byPeer()
  if (code === 1006) return ConnectionClosed.reset()
  const detail = typeof event.reason === "string" && event.reason !== "" ? event.reason : undefined
  return new ConnectionClosed({
    reason: detail === undefined ? { _tag: "ClosedByPeer", code } : { _tag: "ClosedByPeer", code, detail }
  })
}

/**
 * Wraps an open WebSocket. Closing the scope closes it (a normal close, after what was sent).
 *
 * @example
 * ```ts
 * import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
 * import { Effect } from "effect"
 *
 * // `ws` is an open WebSocket (browser or `ws`)
 * const echoOnce = (ws: WebSocketByteSocket.WebSocketLike) => Effect.scoped(Effect.gen(function*() {
 *   const socket = yield* WebSocketByteSocket.make(ws)
 *   yield* socket.write(yield* socket.read)
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (ws: WebSocketLike, options: Options = {}): Effect.Effect<ByteSocket, never, Scope.Scope> =>
  Effect.suspend(() => {
    const maxBuffered = options.maxBufferedAmount ?? defaultMaxBufferedAmount
    const maxRead = options.maxReadBuffer ?? defaultMaxReadBuffer
    const poll = Duration.fromInputUnsafe(options.pollInterval ?? "5 millis")
    const pausable = typeof ws.pause === "function" && typeof ws.resume === "function"
    // Binary frames arrive as `ArrayBuffer`s (set here: a browser's default is `Blob`), or as
    // `Uint8Array` views when the socket is `ws`'s with `binaryType` "nodebuffer" (left as is: ws
    // would otherwise copy each frame into a new ArrayBuffer).
    if (ws.binaryType !== "nodebuffer") ws.binaryType = "arraybuffer"
    // A `ws` server pauses each new socket until someone reads it: that is now.
    if (pausable) ws.resume!()

    const pending: Array<Uint8Array> = []
    let buffered = 0
    let paused = false
    let waiter: Resume | undefined
    // Why the stream ended; set once. Bytes received before the end are still read.
    let ended: ConnectionClosed | undefined
    // A local failure (overflow, text frame) drops what is buffered, as a reset does.
    let failed = false
    let closed = false

    const wake = () => {
      if (waiter === undefined) return
      const resume = waiter
      if (pending.length > 0 && !failed) {
        waiter = undefined
        resume(Effect.succeed(shift()))
      } else if (ended !== undefined) {
        waiter = undefined
        resume(Effect.fail(ended))
      }
    }
    const shift = (): Uint8Array => {
      const bytes = pending.shift()!
      buffered -= bytes.length
      if (paused && buffered <= maxRead / 4) {
        paused = false
        ws.resume!()
      }
      return bytes
    }
    const fail = (error: "ReadBufferOverflow" | "TextFrame", reason: string) => {
      if (ended !== undefined) return
      ended = new ConnectionClosed({ reason: { _tag: "ReadFailed", error, detail: reason } })
      failed = true
      pending.length = 0
      buffered = 0
      ws.close(protocolViolation, reason)
      wake()
    }

    const onMessage = (event: { readonly data: unknown }) => {
      if (ended !== undefined) return
      const data = event.data
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : undefined
      if (bytes === undefined) return fail("TextFrame", "unexpected text frame")
      if (bytes.length === 0) return
      if (buffered + bytes.length > maxRead) return fail("ReadBufferOverflow", "read buffer overflow")
      pending.push(bytes)
      buffered += bytes.length
      if (pausable && !paused && buffered > maxRead / 2) {
        paused = true
        ws.pause!()
      }
      wake()
    }
    const onClose = (event: { readonly code?: number; readonly reason?: string }) => {
      ended ??= closedBy(event)
      wake()
    }
    // An error event carries nothing useful in browsers; the close event that follows says why.
    const onError = () => {
      ended ??= new ConnectionClosed({ reason: { _tag: "SocketError", code: "UNKNOWN" } })
      wake()
    }
    ws.addEventListener("message", onMessage as Listener)
    ws.addEventListener("close", onClose as Listener)
    ws.addEventListener("error", onError as Listener)

    const closedLocally = () => ConnectionClosed.locally()

    const read: Effect.Effect<Uint8Array, ConnectionClosed> = Effect.callback<Uint8Array, ConnectionClosed>(
      (resume) => {
        if (closed) return resume(Effect.fail(closedLocally()))
        if (pending.length > 0 && !failed) return resume(Effect.succeed(shift()))
        if (ended !== undefined) return resume(Effect.fail(ended))
        waiter = resume
        return Effect.sync(() => {
          if (waiter === resume) waiter = undefined
        })
      }
    )

    const writeNow = (bytes: Uint8Array): Effect.Effect<void, ConnectionClosed> => {
      if (closed) return Effect.fail(closedLocally())
      if (ended !== undefined) return Effect.fail(ended)
      if (ws.readyState !== OPEN) return Effect.fail(ConnectionClosed.byPeer())
      try {
        ws.send(bytes)
        return Effect.void
      } catch (error) {
        return Effect.fail(ConnectionClosed.fromSocketError(error))
      }
    }
    // Waits (polling) while the socket holds more than the bound; a peer that stops reading makes
    // the writer wait, never the socket's buffer grow without bound.
    const write = (bytes: Uint8Array): Effect.Effect<void, ConnectionClosed> =>
      Effect.suspend(() => {
        if (bytes.length === 0) return Effect.void
        if (ws.bufferedAmount <= maxBuffered || closed || ended !== undefined) return writeNow(bytes)
        return Effect.andThen(Effect.sleep(poll), write(bytes))
      })

    const close = Effect.sync(() => {
      if (closed) return
      closed = true
      ended ??= closedLocally()
      pending.length = 0
      buffered = 0
      ws.close(1000)
      wake()
    })

    const socket: ByteSocket = { read, write, close }
    return Effect.as(
      Effect.addFinalizer(() =>
        Effect.sync(() => {
          ws.removeEventListener("message", onMessage as Listener)
          ws.removeEventListener("close", onClose as Listener)
          ws.removeEventListener("error", onError as Listener)
          if (waiter !== undefined) {
            const resume = waiter
            waiter = undefined
            resume(Effect.fail(closedLocally()))
          }
          ws.close(1000)
        })
      ),
      socket
    )
  })

/**
 * Options of {@link connect}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectOptions extends Options {
  /** `ws://` or `wss://` URL. */
  readonly url: string
  /** Default: `globalThis.WebSocket` (browsers, Node ≥ 22). In Node 20 pass `ws`'s. */
  readonly WebSocket?: Constructor | undefined
  /** Sub-protocols to offer. */
  readonly protocols?: string | Array<string> | undefined
  /** Longest wait for the socket to open. Default 10 seconds. */
  readonly openTimeout?: Duration.Input | undefined
}

/**
 * Opens a WebSocket and wraps it once it is open. Can fail with `WebSocketError` (bad URL,
 * refused, closed before opening, timed out, no `WebSocket` constructor).
 *
 * @example
 * ```ts
 * import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const socket = yield* WebSocketByteSocket.connect({ url: "ws://127.0.0.1:9733/" })
 *   yield* socket.write(new Uint8Array([0, 0]))
 * }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const connect = (options: ConnectOptions): Effect.Effect<ByteSocket, WebSocketError, Scope.Scope> => {
  const url = options.url
  const open = Effect.acquireRelease(
    Effect.callback<WebSocketLike, WebSocketError>((resume) => {
      const Ctor =
        options.WebSocket ?? (globalThis as { readonly WebSocket?: Constructor | undefined }).WebSocket ?? undefined
      if (Ctor === undefined) {
        return resume(Effect.fail(new WebSocketError({ url, reason: "no WebSocket in this environment" })))
      }
      let ws: WebSocketLike
      try {
        ws = options.protocols === undefined ? new Ctor(url) : new Ctor(url, options.protocols)
      } catch (error) {
        return resume(
          Effect.fail(new WebSocketError({ url, reason: error instanceof Error ? error.message : String(error) }))
        )
      }
      if (ws.binaryType !== "nodebuffer") ws.binaryType = "arraybuffer"
      const cleanup = () => {
        ws.removeEventListener("open", onOpen as Listener)
        ws.removeEventListener("close", onClose as Listener)
        ws.removeEventListener("error", onError as Listener)
      }
      const onOpen = () => {
        cleanup()
        resume(Effect.succeed(ws))
      }
      const onClose = (event: { readonly code?: number; readonly reason?: string }) => {
        cleanup()
        const reason = typeof event.reason === "string" && event.reason !== "" ? `: ${event.reason}` : ""
        const code = event.code ?? 1006
        resume(Effect.fail(new WebSocketError({ url, code, reason: `closed before opening (code ${code}${reason})` })))
      }
      // The close event that follows an error says more (browsers give errors no detail); ws gives
      // the error a message, which is kept only if no close event comes.
      const onError = (event: { readonly message?: string }) => {
        if (typeof event.message === "string") {
          cleanup()
          resume(Effect.fail(new WebSocketError({ url, reason: event.message })))
        }
      }
      ws.addEventListener("open", onOpen as Listener)
      ws.addEventListener("close", onClose as Listener)
      ws.addEventListener("error", onError as Listener)
      // Interrupted (or timed out) before it opened.
      return Effect.sync(() => {
        cleanup()
        ws.close()
      })
    }).pipe(
      Effect.timeoutOrElse({
        duration: options.openTimeout ?? "10 seconds",
        orElse: () => Effect.fail(new WebSocketError({ url, reason: "timed out" }))
      })
    ),
    (ws) => Effect.sync(() => ws.close(1000))
  )
  return Effect.flatMap(open, (ws) => make(ws, options))
}
