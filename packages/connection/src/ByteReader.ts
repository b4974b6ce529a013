/**
 * Exact-length reads over a `ByteSocket`, keeping whatever arrived beyond what was asked for. The
 * handshake and the connection share one reader, so bytes the peer sent early (its metadata right
 * behind its connection message, say) are never lost between the two.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ByteSocket } from "./ByteSocket.ts"
import type { ConnectionClosed } from "./ConnectionError.ts"
import { allocUninitialized } from "./internal/alloc.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface ByteReader {
  readonly socket: ByteSocket
  /**
   * Exactly `n` bytes, waiting for as many socket reads as needed. They are the caller's to modify:
   * a view of what the socket read, or a copy when they span several reads.
   */
  readonly readExactly: (n: number, options?: ReadOptions) => Effect.Effect<Uint8Array, ConnectionClosed>
  /**
   * Waits for the socket's next read and keeps its bytes (for a caller that takes what it needs
   * with `peek` and `readExactlyNow` once enough is buffered).
   */
  readonly fill: Effect.Effect<void, ConnectionClosed>
  /** Exactly `n` bytes if that many are already buffered, else `undefined` (nothing consumed). */
  readonly readExactlyNow: (n: number, options?: ReadOptions) => Uint8Array | undefined
  /** The byte at `index` among those buffered (0 is the next one to be read), if there is one. */
  readonly peek: (index: number) => number | undefined
  /** Bytes received and not yet consumed. */
  readonly buffered: () => number
  /** Bytes handed out by `readExactly` since the reader was made. */
  readonly consumed: () => number
}

/**
 * How the bytes of one read may be handed out.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReadOptions {
  /**
   * The caller is done with the bytes before its next read from this reader, so bytes that span
   * several socket reads may be gathered into a buffer the reader reuses instead of a new one
   * (the connection's reader does this for every chunk body: one allocation fewer per chunk).
   * They are still the caller's to modify until then.
   */
  readonly transient?: boolean
}

/**
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ByteReader, ByteSocket } from "@effect-p2p/connection"
 *
 * const program = Effect.gen(function*() {
 *   const [a, b] = ByteSocket.makePair()
 *   yield* a.write(new Uint8Array([0, 3, 7, 8, 9]))
 *   const reader = ByteReader.make(b)
 *   const header = yield* reader.readExactly(2)
 *   return yield* reader.readExactly((header[0]! << 8) | header[1]!) // [7, 8, 9]
 * })
 * ```
 */
/** Large enough for any chunk body, so the scratch buffer is allocated once per connection. */
const scratchSize = 65535

export const make = (socket: ByteSocket): ByteReader => {
  const pieces: Array<Uint8Array> = []
  let offset = 0 // into pieces[0]
  let available = 0
  let consumed = 0

  let scratch: Uint8Array | undefined

  const take = (n: number, transient: boolean | undefined): Uint8Array => {
    consumed += n
    const first = pieces[0]!
    if (first.length - offset >= n) {
      const out = first.subarray(offset, offset + n)
      offset += n
      if (offset === first.length) {
        pieces.shift()
        offset = 0
      }
      available -= n
      return out
    }
    let out: Uint8Array
    if (transient) {
      if (scratch === undefined || scratch.length < n) scratch = allocUninitialized(Math.max(n, scratchSize))
      out = scratch.subarray(0, n)
    } else {
      out = allocUninitialized(n)
    }
    let filled = 0
    while (filled < n) {
      const piece = pieces[0]!
      const count = Math.min(piece.length - offset, n - filled)
      out.set(piece.subarray(offset, offset + count), filled)
      filled += count
      offset += count
      if (offset === piece.length) {
        pieces.shift()
        offset = 0
      }
    }
    available -= n
    return out
  }

  // Reads happen in the caller's fiber; an interrupted socket read loses nothing because the
  // piece is only appended once it has arrived.
  const keep = (piece: Uint8Array) => {
    pieces.push(piece)
    available += piece.length
  }
  const fill = Effect.map(socket.read, keep)
  const readExactly = (n: number, options?: ReadOptions): Effect.Effect<Uint8Array, ConnectionClosed> =>
    Effect.suspend(() => {
      if (available >= n) return Effect.succeed(n === 0 ? new Uint8Array(0) : take(n, options?.transient))
      return Effect.flatMap(socket.read, (piece) => {
        keep(piece)
        return readExactly(n, options)
      })
    })

  const peek = (index: number): number | undefined => {
    if (index >= available) return undefined
    let at = offset + index
    for (const piece of pieces) {
      if (at < piece.length) return piece[at]
      at -= piece.length
    }
    return undefined
  }

  return {
    socket,
    readExactly,
    fill,
    readExactlyNow: (n, options) =>
      available >= n ? (n === 0 ? new Uint8Array(0) : take(n, options?.transient)) : undefined,
    peek,
    buffered: () => available,
    consumed: () => consumed
  }
}
