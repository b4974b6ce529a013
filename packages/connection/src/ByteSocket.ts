/**
 * The byte transport under a session: anything that reads and writes ordered bytes. TCP sockets
 * (through Effect's `Socket`), WebSockets and in-memory pairs all fit, so the protocol code above
 * never depends on a platform.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import * as Socket from "effect/socket/Socket"
import * as BoundedQueue from "./BoundedQueue.ts"
import { ConnectionClosed } from "./ConnectionError.ts"

/**
 * An ordered, reliable byte stream.
 *
 * @category models
 * @since 0.1.0
 */
export interface ByteSocket {
  /**
   * The next bytes from the peer (at least one byte). Fails with `ConnectionClosed` at the end of
   * the stream. The bytes become the caller's: a connection decrypts chunks where they lie, so a
   * socket must hand out fresh memory it never reuses (as Node's sockets do).
   */
  readonly read: Effect.Effect<Uint8Array, ConnectionClosed>
  /** Hands bytes to the transport, in order. The caller does not change them afterwards. */
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, ConnectionClosed>
  /**
   * Optional: `write`, then `release()` once the transport holds no reference to `bytes` any more
   * (they reached the kernel, or the socket dropped them), after which the caller may reuse the
   * buffer. A connection uses it to write its chunks from a few reused buffers instead of fresh
   * memory per batch. Leave it out when the bytes may outlive the write (an in-memory pair hands
   * them to the reader).
   */
  readonly writeReusable?: (bytes: Uint8Array, release: () => void) => Effect.Effect<void, ConnectionClosed>
  /**
   * Optional, with `writeReusable`: `writeReusable` done synchronously, when the transport can take
   * the bytes now without waiting (open, its buffer not full); returns false and takes nothing
   * otherwise. `prepare` makes the bytes (with the buffer to release, if any) and is called only
   * once the write is sure to be taken, so a connection seals a message (using a nonce) only when
   * it can hand it over in the same step. A connection whose writer is idle uses it to write from
   * the caller's fiber instead of waking the writer. An error of the transport is reported by its
   * next `read` or `write`.
   */
  readonly writeReusableNow?: (prepare: () => readonly [bytes: Uint8Array, release: () => void]) => boolean
  /** Closes both directions. Idempotent. */
  readonly close: Effect.Effect<void>
}

/** A fresh copy as a plain `Uint8Array` (`Buffer#slice` would return a view, not a copy). */
const copyOf = (bytes: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(bytes)

// A peer that closes with unread data in its buffer resets the connection instead of closing it
// cleanly; for the reader both mean the peer is gone, so they get one reason each, not a raw error.
const closedBy = (error: Socket.SocketError): ConnectionClosed => {
  const reason = error.reason
  if (reason._tag === "SocketCloseError") return ConnectionClosed.byPeer()
  return ConnectionClosed.fromSocketError("cause" in reason ? reason.cause : error)
}

/**
 * Adapts an Effect `Socket` (for example `NodeSocket.makeNet` or a socket accepted by
 * `NodeSocketServer`). Acquiring it opens the connection; closing the scope releases it.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { ByteSocket } from "@effect-p2p/connection"
 * import * as NodeSocket from "@effect/platform-node/NodeSocket"
 * import { Effect } from "effect"
 *
 * const dial = Effect.gen(function* () {
 *   const socket = yield* ByteSocket.fromSocket(yield* NodeSocket.makeNet({ host: "127.0.0.1", port: 9732 }))
 *   yield* socket.write(new Uint8Array([0, 0]))
 *   return yield* socket.read
 * }).pipe(Effect.scoped)
 * ```
 */
export const fromSocket = (socket: Socket.Socket): Effect.Effect<ByteSocket, ConnectionClosed, Scope.Scope> =>
  Effect.gen(function* () {
    const pull = yield* Socket.readerBytes(socket).pipe(Effect.mapError(closedBy))
    const writer = yield* socket.writer
    let pending: Array<Uint8Array> = []
    let closed = false
    const notOpen = () => ConnectionClosed.locally()
    const read: Effect.Effect<Uint8Array, ConnectionClosed> = Effect.suspend(() => {
      if (pending.length > 0) return Effect.succeed(pending.shift()!)
      if (closed) return Effect.fail(notOpen())
      return pull.pipe(
        Effect.mapError(closedBy),
        Effect.flatMap((chunks) => {
          pending = chunks.slice(1).filter((chunk) => chunk.length > 0)
          const first = chunks[0]
          return first.length > 0 ? Effect.succeed(first) : read
        })
      )
    })
    return {
      read,
      write: (bytes) => (closed ? Effect.fail(notOpen()) : writer.write(bytes).pipe(Effect.mapError(closedBy))),
      close: Effect.suspend(() => {
        if (closed) return Effect.void
        closed = true
        return writer.write(new Socket.CloseEvent()).pipe(Effect.ignore)
      })
    }
  })

/**
 * Options of an in-memory pair.
 *
 * @category models
 * @since 0.1.0
 */
export interface PairOptions {
  /** Bytes each direction buffers before a write waits (default: unbounded). */
  readonly capacity?: number
}

/**
 * Two connected in-memory sockets: what one writes, the other reads. Useful in tests and in a
 * browser, and to replay recorded traffic.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ByteSocket } from "@effect-p2p/connection"
 *
 * const program = Effect.gen(function*() {
 *   const [a, b] = ByteSocket.makePair()
 *   yield* a.write(new Uint8Array([1, 2, 3]))
 *   return yield* b.read // Uint8Array [1, 2, 3]
 * })
 * ```
 */
export const makePair = (options: PairOptions = {}): readonly [ByteSocket, ByteSocket] => {
  const capacity = options.capacity ?? Number.POSITIVE_INFINITY
  const aToB = BoundedQueue.make<Uint8Array, ConnectionClosed>(capacity)
  const bToA = BoundedQueue.make<Uint8Array, ConnectionClosed>(capacity)
  const closed = { a: false, b: false }
  // Like TCP: after one end closes, the other still reads what was sent before (then the end of
  // the stream), and its writes still succeed locally but reach no one.
  const end = (
    self: "a" | "b",
    incoming: BoundedQueue.BoundedQueue<Uint8Array, ConnectionClosed>,
    outgoing: BoundedQueue.BoundedQueue<Uint8Array, ConnectionClosed>
  ): ByteSocket => {
    const peer = self === "a" ? "b" : "a"
    return {
      read: Effect.suspend(() => (closed[self] ? Effect.fail(ConnectionClosed.locally()) : incoming.take)),
      write: (bytes) =>
        Effect.suspend(() => {
          if (closed[self]) return Effect.fail(ConnectionClosed.locally())
          if (closed[peer] || bytes.length === 0) return Effect.void
          return outgoing.offer(copyOf(bytes), bytes.length)
        }),
      close: Effect.sync(() => {
        if (closed[self]) return
        closed[self] = true
        outgoing.close(ConnectionClosed.byPeer())
        incoming.close(ConnectionClosed.locally())
        incoming.clear()
      })
    }
  }
  return [end("a", bToA, aToB), end("b", aToB, bToA)]
}

/**
 * A socket whose peer sends `input` (then closes) and that records what is written to it: for
 * replaying captured traffic.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { ByteReader, ByteSocket } from "@effect-p2p/connection"
 * import { Effect } from "effect"
 *
 * const { socket, written } = ByteSocket.fromBytes([new Uint8Array([0, 1]), new Uint8Array([42])])
 * const program = Effect.gen(function* () {
 *   const bytes = yield* ByteReader.make(socket).readExactly(3) // [0, 1, 42]
 *   yield* socket.write(bytes)
 *   return written() // [[0, 1, 42]]
 * })
 * ```
 */
export const fromBytes = (
  input: ReadonlyArray<Uint8Array>
): { readonly socket: ByteSocket; readonly written: () => ReadonlyArray<Uint8Array> } => {
  const queue = [...input]
  const written: Array<Uint8Array> = []
  let closed = false
  return {
    socket: {
      read: Effect.suspend(() => {
        const next = queue.shift()
        // A copy: the reader owns what it reads (and decrypts it in place), the caller keeps its input.
        return next && !closed
          ? Effect.succeed(copyOf(next))
          : Effect.fail(new ConnectionClosed({ reason: { _tag: "ClosedByPeer", detail: "end of input" } }))
      }),
      write: (bytes) =>
        closed
          ? Effect.fail(ConnectionClosed.locally())
          : Effect.sync(() => {
              written.push(copyOf(bytes))
            }),
      close: Effect.sync(() => {
        closed = true
      })
    },
    written: () => written
  }
}
