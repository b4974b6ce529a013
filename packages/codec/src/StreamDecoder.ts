/**
 * Decoding values from bytes that arrive in pieces of any size (how a connection reassembles
 * messages from decrypted chunks, as Data_encoding's `read_stream` does): feed pieces, get the values
 * completed so far, the remainder is kept for the next feed.
 *
 * Waiting is driven by the encoding itself: when a read runs out of input at the top level, the
 * decoder learns how many bytes it needs at least (for a length prefix, the whole block) and does not
 * parse again until they are there. A large length-prefixed message arriving in tiny pieces is
 * therefore parsed once, and the work stays linear in the input.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { DecodeError } from "./CodecError.ts"
import type { Encoding } from "./Encoding.ts"
import { allocUnfilled, DecodeFailure, Reader } from "./internal/cursor.ts"
import { toDecodeError } from "./internal/errors.ts"

/**
 * A stateful decoder of a stream of values of one encoding.
 *
 * @example
 * ```ts
 * import { Encoding, StreamDecoder } from "@effect-p2p/codec"
 * const decoder = StreamDecoder.make(Encoding.string)
 * decoder.feed(new Uint8Array([0, 0, 0])) // Success([])
 * decoder.feed(new Uint8Array([1, 0x61, 0, 0])) // Success([[5, "a"]])
 * decoder.buffered // 2
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface StreamDecoder<A> {
  /**
   * Feeds bytes (copied: the caller may reuse its buffer); returns the values completed so far, each
   * with its encoded size in bytes, or the first `DecodeError` (after which the decoder stays
   * failed and returns that error again). Offsets in errors count from the start of the stream.
   * Never throws.
   */
  feed(bytes: Uint8Array): Result.Result<ReadonlyArray<readonly [size: number, value: A]>, DecodeError>
  /** Bytes received but not yet part of a complete value. */
  readonly buffered: number
}

const defaultLargeValue = 16 * 1024

/**
 * Creates a stream decoder. The encoding must delimit its values by itself, so it cannot be of
 * variable size or of fixed size 0 (throws an `Error` when built with one: a programming error).
 *
 * `largeValue` (bytes, default 16 KiB): a value that needs at least this many bytes is gathered in a
 * buffer of its own, and its byte fields over 2 KiB are views of that buffer instead of copies.
 *
 * `maxBuffered` (bytes, default: unbounded) bounds the size of one incomplete value: when a length
 * prefix announces more, or more has been received without completing a value, `feed` fails with
 * `SizeLimitExceeded` at once, before buffering. Bounds declared in the encoding (`checkSize`) are
 * enforced the same way.
 *
 * @example
 * ```ts
 * import { P2pMessage, StreamDecoder } from "@effect-p2p/codec"
 * const decoder = StreamDecoder.make(P2pMessage.envelope, { maxBuffered: 1024 * 1024 })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <A>(
  encoding: Encoding<A>,
  options?: { readonly maxBuffered?: number; readonly largeValue?: number }
): StreamDecoder<A> => {
  if (encoding.size._tag === "Variable") {
    throw new Error("StreamDecoder.make: an encoding of variable size cannot delimit values; use dynamicSize")
  }
  if (encoding.size._tag === "Fixed" && encoding.size.bytes === 0) {
    throw new Error("StreamDecoder.make: an encoding of size 0 would yield values forever")
  }
  const maxBuffered = options?.maxBuffered ?? Number.POSITIVE_INFINITY
  const largeValue = options?.largeValue ?? defaultLargeValue
  let buf = new Uint8Array(256)
  let reader = new Reader(buf)
  let start = 0
  let end = 0
  // stream offset of buf[start]
  let streamPos = 0
  // bytes (from start) to have before parsing again
  let needed = 1
  let failed: DecodeError | undefined
  // A value that needs at least `largeValue` bytes is gathered in a buffer of its own instead of
  // `buf`: once complete it is decoded with its large byte fields as views of that buffer, which
  // nothing else references (one copy of its bytes rather than two). The buffer grows with what
  // has arrived (at most twice that, plus `largeValue`), never with what a length prefix claims.
  let own: Uint8Array | undefined
  let ownFill = 0
  const ownCapacity = (have: number) => Math.min(needed, Math.max(2 * have, largeValue))

  /** Moves `bytes` (the start of a large value, `needed` bytes in all) into a buffer of its own. */
  const startOwn = (bytes: Uint8Array) => {
    own = allocUnfilled(ownCapacity(bytes.length))
    own.set(bytes)
    ownFill = bytes.length
  }

  const append = (bytes: Uint8Array): void => {
    const pending = end - start
    if (end + bytes.length > buf.length) {
      if (pending + bytes.length <= buf.length >>> 1) {
        buf.copyWithin(0, start, end)
      } else {
        let capacity = buf.length * 2
        while (capacity < pending + bytes.length) capacity *= 2
        const next = new Uint8Array(capacity)
        next.set(buf.subarray(start, end))
        buf = next
        reader = new Reader(buf)
      }
      start = 0
      end = pending
    }
    buf.set(bytes, end)
    end += bytes.length
  }

  const fail = (error: DecodeError) => {
    failed = error
    return Result.fail(error)
  }

  const tooMuch = (size: number, offset: number) =>
    fail(
      new DecodeError({
        reason: "SizeLimitExceeded",
        path: [],
        offset,
        detail: `a value of at least ${size} bytes exceeds maxBuffered (${maxBuffered})`
      })
    )

  /**
   * Fills the large value's own buffer from `input`; decodes it once it holds `needed` bytes.
   * Returns what is left of the input, or a `DecodeError`.
   */
  const feedOwn = (input: Uint8Array, out: Array<readonly [number, A]>): Uint8Array | DecodeError => {
    while (own !== undefined) {
      if (ownFill === own.length && ownFill < needed) {
        const grown = allocUnfilled(ownCapacity(ownFill))
        grown.set(own)
        own = grown
      }
      const n = Math.min(own.length - ownFill, input.length)
      own.set(input.subarray(0, n), ownFill)
      ownFill += n
      input = input.subarray(n)
      if (ownFill < needed) {
        if (input.length === 0) return input
        continue
      }
      // Values may be views of `own`: nothing of it past what arrived may show old memory.
      if (own.length > ownFill) own.fill(0, ownFill)
      const whole = new Reader(own, 0, ownFill, true, true)
      try {
        const value = encoding.read(whole)
        const size = whole.pos
        out.push([size, value])
        streamPos += size
        needed = 1
        const rest = own.subarray(size, ownFill)
        own = undefined
        ownFill = 0
        // Not expected (a value ends where it said it needs to), but nothing is lost if it happens.
        if (rest.length > 0) append(rest)
      } catch (e) {
        if (e instanceof DecodeFailure && e.reason === "NotEnoughBytes" && e.needed >= 0) {
          needed = e.needed
          if (needed > maxBuffered) {
            tooMuch(needed, streamPos)
            return failed!
          }
          continue
        }
        fail(toDecodeError(e, whole.pos, streamPos))
        return failed!
      }
    }
    return input
  }

  return {
    get buffered() {
      return end - start + ownFill
    },
    feed(bytes) {
      if (failed !== undefined) return Result.fail(failed)
      const out: Array<readonly [number, A]> = []
      let input = bytes
      if (own !== undefined) {
        const rest = feedOwn(input, out)
        if (!(rest instanceof Uint8Array)) return Result.fail(rest)
        input = rest
        if (own !== undefined) return Result.succeed(out)
      }
      if (end === start && input.length >= needed) {
        // Nothing pending: decode straight from the input and keep only its incomplete tail, so a
        // piece holding whole values is never copied into the buffer first. Values never alias the
        // input (the readers copy byte fields), so the caller may still reuse it.
        const direct = new Reader(input)
        let at = 0
        while (input.length - at >= needed) {
          direct.reset(at, input.length)
          try {
            const value = encoding.read(direct)
            const size = direct.pos - at
            out.push([size, value])
            at = direct.pos
            streamPos += size
            needed = 1
          } catch (e) {
            if (e instanceof DecodeFailure && e.reason === "NotEnoughBytes" && e.needed >= 0) {
              needed = e.needed - at
              break
            }
            return fail(toDecodeError(e, direct.pos, streamPos - at))
          }
        }
        input = input.subarray(at)
        if (needed >= largeValue && input.length > 0 && needed <= maxBuffered) {
          startOwn(input)
          return Result.succeed(out)
        }
      }
      try {
        append(input)
      } catch (e) {
        return fail(toDecodeError(e, 0, streamPos + end - start))
      }
      while (end - start >= needed) {
        reader.reset(start, end)
        try {
          const value = encoding.read(reader)
          const size = reader.pos - start
          out.push([size, value])
          start = reader.pos
          streamPos += size
          needed = 1
          if (start === end) start = end = 0
        } catch (e) {
          if (e instanceof DecodeFailure && e.reason === "NotEnoughBytes" && e.needed >= 0) {
            needed = e.needed - start
            break
          }
          return fail(toDecodeError(e, reader.pos, streamPos - start))
        }
      }
      if (needed > maxBuffered) return tooMuch(needed, streamPos)
      if (end - start > maxBuffered) return tooMuch(end - start, streamPos)
      return Result.succeed(out)
    }
  }
}
