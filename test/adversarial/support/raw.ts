/**
 * The attacker's end: a raw `node:net` socket driven byte by byte. Nothing here is the library's
 * transport, so the attacker can pause reading, half-close, stall or write whatever it likes.
 */
import * as Net from "node:net"
import { Effect, type Scope } from "effect"

/** The server closed (FIN or reset) before `n` bytes arrived. */
export class Closed extends Error {
  readonly _tag = "Closed"
}

export interface Raw {
  readonly localPort: number
  /** Writes and waits until Node has handed the bytes to the kernel (its `write` callback). */
  readonly write: (bytes: Uint8Array) => Effect.Effect<void>
  /** Writes and returns at once, reporting whether Node's buffer is below its high-water mark. */
  readonly writeNoWait: (bytes: Uint8Array) => boolean
  /** Exactly `n` bytes from the server; fails with `Closed` if it closes first. */
  readonly readExactly: (n: number) => Effect.Effect<Uint8Array, Closed>
  /** Completes once the server has closed its side (end of stream, reset or error). */
  readonly ended: Effect.Effect<void>
  /** Half-closes our side (sends FIN), as a peer that has said everything. */
  readonly end: Effect.Effect<void>
  /** Drops the connection at once with a TCP reset: whatever the kernels still buffer is discarded. */
  readonly destroy: Effect.Effect<void>
  /** Stops reading from the kernel: the server's writes then pile up on its side. */
  readonly pause: () => void
  /** Bytes received so far. */
  readonly received: () => number
  /** Bytes written so far that Node has handed to the kernel (written minus what Node still buffers). */
  readonly accepted: () => number
  /** Completes once Node's write buffer has drained (at once if it holds nothing), or the socket closed. */
  readonly drained: Effect.Effect<void>
}

/** Dials 127.0.0.1:port; the socket is destroyed when the scope closes. */
export const connect = (port: number): Effect.Effect<Raw, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<Net.Socket, Error>((resume) => {
      const conn = Net.createConnection({ host: "127.0.0.1", port })
      const onError = (error: Error) => resume(Effect.fail(error))
      conn.once("error", onError)
      conn.once("connect", () => {
        conn.off("error", onError)
        resume(Effect.succeed(conn))
      })
      return Effect.sync(() => conn.destroy())
    }),
    (conn) =>
      Effect.callback<void>((resume) => {
        if (conn.destroyed && conn.closed) return resume(Effect.void)
        conn.once("close", () => resume(Effect.void))
        conn.destroy()
      })
  ).pipe(Effect.map(wrap))

const wrap = (conn: Net.Socket): Raw => {
  const pieces: Array<Uint8Array> = []
  let available = 0
  let total = 0
  let isEnded = false
  let waiters: Array<() => void> = []
  const wake = () => {
    const current = waiters
    waiters = []
    for (const waiter of current) waiter()
  }
  conn.on("data", (data: Buffer) => {
    pieces.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    available += data.byteLength
    total += data.byteLength
    wake()
  })
  const finish = () => {
    isEnded = true
    wake()
  }
  conn.on("end", finish)
  conn.on("close", finish)
  // A reset from the server is one of the closes we expect; it must not become an uncaught error.
  conn.on("error", finish)

  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const piece = pieces[0]!
      const count = Math.min(piece.length, n - filled)
      out.set(piece.subarray(0, count), filled)
      filled += count
      if (count === piece.length) pieces.shift()
      else pieces[0] = piece.subarray(count)
    }
    available -= n
    return out
  }

  const readExactly = (n: number): Effect.Effect<Uint8Array, Closed> =>
    Effect.callback<Uint8Array, Closed>((resume) => {
      const check = () => {
        if (available >= n) resume(Effect.succeed(take(n)))
        else if (isEnded) resume(Effect.fail(new Closed(`closed after ${total} bytes`)))
        else waiters.push(check)
      }
      check()
    })

  return {
    localPort: conn.localPort ?? 0,
    write: (bytes) =>
      Effect.callback<void>((resume) => {
        if (conn.destroyed || conn.writableEnded) return resume(Effect.void)
        conn.write(bytes, () => resume(Effect.void))
      }),
    writeNoWait: (bytes) => !conn.destroyed && !conn.writableEnded && conn.write(bytes),
    readExactly,
    ended: Effect.callback<void>((resume) => {
      const check = () => {
        if (isEnded) resume(Effect.void)
        else waiters.push(check)
      }
      check()
    }),
    end: Effect.sync(() => {
      if (!conn.destroyed) conn.end()
    }),
    destroy: Effect.sync(() => {
      conn.resetAndDestroy()
    }),
    pause: () => conn.pause(),
    received: () => total,
    accepted: () => conn.bytesWritten - conn.writableLength,
    drained: Effect.callback<void>((resume) => {
      if (!conn.writableNeedDrain || conn.destroyed) return resume(Effect.void)
      const done = () => {
        conn.off("drain", done)
        conn.off("close", done)
        resume(Effect.void)
      }
      conn.on("drain", done)
      conn.on("close", done)
      return Effect.sync(() => {
        conn.off("drain", done)
        conn.off("close", done)
      })
    })
  }
}
