/**
 * The byte cursors the encodings run on, and the internal failure values they throw.
 *
 * Failures are thrown (never returned) inside the codec so that the success path allocates nothing
 * for error handling; `Binary` and `StreamDecoder` catch them at the boundary and turn them into
 * `Result`s of tagged errors, so no exception ever leaves the public API.
 */
import type { DecodeReason, EncodeReason } from "../CodecError.ts"

/** Thrown by readers; `needed` is the total input length that would let the read go further, or -1. */
export class DecodeFailure {
  readonly reason: DecodeReason
  readonly offset: number
  readonly detail: string
  readonly needed: number
  readonly path: Array<string> = []
  constructor(reason: DecodeReason, offset: number, detail: string, needed = -1) {
    this.reason = reason
    this.offset = offset
    this.detail = detail
    this.needed = needed
  }
}

/** Thrown by sizers and writers. */
export class EncodeFailure {
  readonly reason: EncodeReason
  readonly detail: string
  readonly path: Array<string> = []
  constructor(reason: EncodeReason, detail: string) {
    this.reason = reason
    this.detail = detail
  }
}

const describeThrown = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Adds a path segment to a failure unwinding through a named part; foreign exceptions become InvalidValue. */
export const decodePath = (e: unknown, segment: string, offset: number): DecodeFailure => {
  const failure = e instanceof DecodeFailure ? e : new DecodeFailure("InvalidValue", offset, describeThrown(e))
  failure.path.unshift(segment)
  return failure
}

export const encodePath = (e: unknown, segment: string): EncodeFailure => {
  const failure = e instanceof EncodeFailure ? e : new EncodeFailure("InvalidValue", describeThrown(e))
  failure.path.unshift(segment)
  return failure
}

export const asDecodeFailure = (e: unknown, offset: number): DecodeFailure =>
  e instanceof DecodeFailure ? e : new DecodeFailure("InvalidValue", offset, describeThrown(e))

export const asEncodeFailure = (e: unknown): EncodeFailure =>
  e instanceof EncodeFailure ? e : new EncodeFailure("InvalidValue", describeThrown(e))

/**
 * A read position over a byte array with two limits: `dataEnd`, where the input (or the enclosing
 * length-prefixed block) ends, and `allowedEnd`, the innermost `checkSize` bound. `end` caches their
 * minimum so the common bounds check is a single comparison.
 *
 * `nested` counts the enclosing blocks whose length is already known. When it is zero, running out of
 * input only means "more bytes may come", which the stream decoder uses to wait instead of failing.
 */
export class Reader {
  bytes: Uint8Array
  view: DataView
  pos: number
  end: number
  dataEnd: number
  allowedEnd: number
  nested: number

  constructor(bytes: Uint8Array, start = 0, stop = bytes.length) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = start
    this.end = stop
    this.dataEnd = stop
    this.allowedEnd = Number.MAX_SAFE_INTEGER
    this.nested = 0
  }

  /** Restarts on the same bytes, between `start` and `stop`, with no limits in force. */
  reset(start: number, stop: number): void {
    this.pos = start
    this.end = stop
    this.dataEnd = stop
    this.allowedEnd = Number.MAX_SAFE_INTEGER
    this.nested = 0
  }

  /** Fails unless `k` more bytes may be read. */
  need(k: number): void {
    if (this.pos + k > this.end) this.shortage(k)
  }

  shortage(k: number): never {
    const want = this.pos + k
    if (want > this.allowedEnd) {
      throw new DecodeFailure(
        "SizeLimitExceeded",
        this.pos,
        `reading ${k} bytes would pass the size limit by ${want - this.allowedEnd}`
      )
    }
    throw new DecodeFailure(
      "NotEnoughBytes",
      this.pos,
      `need ${k} bytes, ${Math.max(0, this.dataEnd - this.pos)} left`,
      this.nested === 0 ? want : -1
    )
  }

  /** Narrows the data end (for a length-prefixed block or a variable part before a fixed suffix); returns the previous one. */
  enter(dataEnd: number): number {
    const saved = this.dataEnd
    this.dataEnd = dataEnd
    this.end = Math.min(dataEnd, this.allowedEnd)
    this.nested++
    return saved
  }

  leave(saved: number): void {
    this.dataEnd = saved
    this.end = Math.min(saved, this.allowedEnd)
    this.nested--
  }

  /** Narrows the allowed end (checkSize); returns the previous one. */
  restrict(limit: number): number {
    const saved = this.allowedEnd
    const allowed = this.pos + limit
    if (allowed < saved) {
      this.allowedEnd = allowed
      this.end = Math.min(this.dataEnd, allowed)
    }
    return saved
  }

  unrestrict(saved: number): void {
    this.allowedEnd = saved
    this.end = Math.min(this.dataEnd, saved)
  }

  /** Checks that a length-prefixed block of `len` bytes starting here fits the limits. */
  block(len: number): void {
    const want = this.pos + len
    if (want > this.allowedEnd) {
      throw new DecodeFailure(
        "SizeLimitExceeded",
        this.pos,
        `length prefix of ${len} bytes passes the size limit by ${want - this.allowedEnd}`
      )
    }
    if (want > this.dataEnd) {
      throw new DecodeFailure(
        "NotEnoughBytes",
        this.pos,
        `length prefix announces ${len} bytes, ${Math.max(0, this.dataEnd - this.pos)} left`,
        this.nested === 0 ? want : -1
      )
    }
  }

  u8(): number {
    if (this.pos + 1 > this.end) this.shortage(1)
    return this.bytes[this.pos++]!
  }

  u16(): number {
    if (this.pos + 2 > this.end) this.shortage(2)
    const v = this.view.getUint16(this.pos)
    this.pos += 2
    return v
  }

  i32(): number {
    if (this.pos + 4 > this.end) this.shortage(4)
    const v = this.view.getInt32(this.pos)
    this.pos += 4
    return v
  }

  /** Copies `n` bytes out: decoded values never alias the input, which callers may reuse. */
  take(n: number): Uint8Array {
    if (this.pos + n > this.end) this.shortage(n)
    const start = this.pos
    this.pos += n
    return this.bytes.slice(start, start + n)
  }
}

/** A write position over a buffer preallocated to the exact encoded size. */
export class Writer {
  readonly bytes: Uint8Array
  readonly view: DataView
  pos: number

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
    this.pos = 0
  }
}
