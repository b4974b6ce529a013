/**
 * A `ByteSocket` straight over a connected `net.Socket`, for `Tcp.connect` and `Tcp.listen`.
 *
 * It replaces `NodeSocket.fromDuplex` + `ByteSocket.fromSocket` on the TCP path: that pair built
 * a reader scope, a latch, a writer resource and an error value per event for every connection,
 * about 300 µs of CPU per connection on our machine against 100 µs for the socket itself, which
 * dominated a handshake that is otherwise a few small writes. The behaviour is the same:
 *
 * - `read` gives what the socket has received (each of Node's reads as it came; the socket stops
 *   reading while 64 KiB wait unread, so the kernel window is the back pressure), then `ConnectionClosed` with reason `ClosedByPeer` at the end of the stream,
 *   `ResetByPeer` for ECONNRESET/EPIPE/ECONNABORTED, `SocketError` with the code otherwise,
 *   `ClosedLocally` after `close`. Bytes buffered before the end of the stream are still delivered; an error drops them.
 * - `write` hands the bytes to the socket and waits for `drain` when Node's buffer is full;
 *   `writeReusable` also says when Node is done with them (its write callback), so the connection's
 *   writer can reuse its buffers; `writeReusableNow` is that write done synchronously when it would
 *   not wait.
 * - `close` destroys the socket at once (idempotent); closing the scope instead ends it
 *   gracefully (FIN after pending writes), then the owner releases it.
 *
 * @internal
 */
import type * as Net from "node:net"
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import { ConnectionClosed } from "@effect-p2p/connection/ConnectionError"
import { Effect, type Scope } from "effect"

// The one mapping of error codes to reasons (reset or socket error) lives in ConnectionError.
const closedByError = ConnectionClosed.fromSocketError

/** Bytes a socket may hold unsent before a write waits for it to drain: two writer batches. */
const maxUnflushed = 512 * 1024

/** Bytes received and not yet read past which the socket stops reading (Node's read size). */
const maxHeld = 64 * 1024

/** How long a closed socket may take to flush what writes handed to Node before it is destroyed. */
const lingerMs = 5_000

type Resume = (effect: Effect.Effect<Uint8Array, ConnectionClosed>) => void

/**
 * Wraps a connected socket; the listeners are removed and the socket ended when the scope closes.
 *
 * @internal
 */
export const fromNetSocket = (conn: Net.Socket): Effect.Effect<ByteSocket, never, Scope.Scope> =>
  Effect.suspend(() => {
    let waiter: Resume | undefined
    // Why the stream ended (end of stream, reset, error); set once.
    let ended: ConnectionClosed | undefined
    // An error drops what is buffered; the end of the stream does not.
    let failed = false
    let closed = false

    // What arrived while no read was waiting, in order. The socket flows (each of Node's reads is
    // handed to a waiting read inside its \`data\` event) and is paused once this holds
    // \`maxHeld\` bytes, so the kernel window is the back pressure beyond that.
    const held: Array<Uint8Array> = []
    let heldBytes = 0

    const readNow = (): Uint8Array | null => {
      if (failed || closed || held.length === 0) return null
      const chunk = held.shift()!
      heldBytes -= chunk.length
      if (heldBytes < maxHeld && conn.isPaused() && !conn.destroyed) conn.resume()
      return chunk
    }

    const onData = (chunk: Buffer) => {
      if (waiter !== undefined && held.length === 0) {
        const resume = waiter
        waiter = undefined
        resume(Effect.succeed(chunk))
        return
      }
      held.push(chunk)
      heldBytes += chunk.length
      if (heldBytes >= maxHeld) conn.pause()
    }

    const wake = () => {
      if (waiter === undefined) return
      const chunk = readNow()
      if (chunk !== null) {
        const resume = waiter
        waiter = undefined
        resume(Effect.succeed(chunk))
      } else if (ended !== undefined) {
        const resume = waiter
        waiter = undefined
        resume(Effect.fail(ended))
      }
    }
    const onEnd = () => {
      ended ??= ConnectionClosed.byPeer()
      wake()
    }
    const onError = (error: Error) => {
      if (ended === undefined) {
        ended = closedByError(error)
        failed = true
      }
      wake()
    }
    const onClose = () => onEnd()

    conn.on("data", onData)
    conn.on("end", onEnd)
    conn.on("error", onError)
    conn.on("close", onClose)
    // A socket accepted paused (or paused by whoever had it before) does not flow by itself.
    conn.resume()

    const closedLocally = () => ConnectionClosed.locally()

    const read: Effect.Effect<Uint8Array, ConnectionClosed> = Effect.callback<Uint8Array, ConnectionClosed>(
      (resume) => {
        if (closed) return resume(Effect.fail(closedLocally()))
        const chunk = readNow()
        if (chunk !== null) return resume(Effect.succeed(chunk))
        if (ended !== undefined) return resume(Effect.fail(ended))
        waiter = resume
        return Effect.sync(() => {
          if (waiter === resume) waiter = undefined
        })
      }
    )

    const awaitDrain = Effect.callback<void, ConnectionClosed>((resume) => {
      const cleanup = () => {
        conn.off("drain", onDrain)
        conn.off("error", onDrainError)
        conn.off("close", onDrainClose)
      }
      const onDrain = () => {
        cleanup()
        resume(Effect.void)
      }
      const onDrainError = (error: Error) => {
        cleanup()
        resume(Effect.fail(closedByError(error)))
      }
      const onDrainClose = () => {
        cleanup()
        resume(Effect.fail(ended ?? ConnectionClosed.byPeer()))
      }
      conn.on("drain", onDrain)
      conn.on("error", onDrainError)
      conn.on("close", onDrainClose)
      return Effect.sync(cleanup)
    })

    const write = (bytes: Uint8Array, written?: () => void): Effect.Effect<void, ConnectionClosed> =>
      Effect.suspend(() => {
        if (closed) return Effect.fail(closedLocally())
        if (conn.destroyed) return Effect.fail(ended ?? ConnectionClosed.byPeer())
        // Waiting for `drain` after every write that fills Node's small buffer would stop the
        // writer until the kernel took everything; instead it goes on (sealing the next batch
        // while this one is sent) and waits only once `maxUnflushed` bytes are pending.
        // Node emits `drain` only after a write returned false (past the socket's high-water mark),
        // so a socket made with a mark above `maxUnflushed` is not waited on before it says so.
        if (conn.writableNeedDrain && conn.writableLength >= maxUnflushed) {
          return Effect.andThen(awaitDrain, writeNow(bytes, written))
        }
        return writeNow(bytes, written)
      })
    const writeNow = (bytes: Uint8Array, written?: () => void): Effect.Effect<void, ConnectionClosed> => {
      try {
        // Node calls back once libuv is done with the bytes: written out, or dropped with an error.
        if (written === undefined) conn.write(bytes)
        else conn.write(bytes, written)
        return Effect.void
      } catch (error) {
        return Effect.fail(closedByError(error))
      }
    }

    // A read parked in another fiber ends when the socket's `close` event comes.
    const close = Effect.sync(() => {
      if (closed) return
      closed = true
      ended ??= closedLocally()
      if (conn.destroyed || conn.writableLength === 0) {
        conn.destroy()
        return
      }
      // Bytes a write already handed to Node are still sent (a connection closed with `wait` relies
      // on it): end once they are flushed, but give a peer that stopped reading only `lingerMs`.
      conn.once("finish", () => conn.destroy())
      conn.setTimeout(lingerMs, () => conn.destroy())
      conn.end()
    })

    const socket: ByteSocket = {
      read,
      write: (bytes) => write(bytes),
      // A write that throws never reaches libuv, so its buffer is simply not released (nor reused).
      writeReusable: (bytes, release) => write(bytes, () => release()),
      // The same write when it would not wait for `drain`: synchronous, for a connection whose
      // writer is idle (no fiber wake-up per message on a request/response path).
      writeReusableNow: (prepare) => {
        if (closed || conn.destroyed || (conn.writableNeedDrain && conn.writableLength >= maxUnflushed)) return false
        const [bytes, release] = prepare()
        try {
          conn.write(bytes, () => release())
        } catch (error) {
          // Never reached libuv (so never released): the socket is failed, its reader reports why.
          conn.destroy(error instanceof Error ? error : new Error(String(error)))
        }
        return true
      },
      close
    }
    return Effect.as(
      Effect.addFinalizer(() =>
        Effect.sync(() => {
          conn.off("data", onData)
          conn.off("end", onEnd)
          conn.off("close", onClose)
          // Errors after this point have no reader; keep a listener so they are not thrown.
          conn.off("error", onError)
          conn.on("error", ignore)
          if (waiter !== undefined) {
            const resume = waiter
            waiter = undefined
            resume(Effect.fail(ConnectionClosed.locally()))
          }
          if (!conn.destroyed && !conn.writableEnded) conn.end()
        })
      ),
      socket
    )
  })

const ignore = () => {}
