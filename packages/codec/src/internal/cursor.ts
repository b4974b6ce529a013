/**
 * The byte cursors the encodings run on, and the internal failure values they throw.
 *
 * Failures are thrown (never returned) inside the codec so that the success path allocates nothing
 * for error handling; `Binary` and `StreamDecoder` catch them at the boundary and turn them into
 * `Result`s of tagged errors, so no exception ever leaves the public API.
 */
import type { SchemaIssue } from "effect"
import type { DecodeReason, EncodeReason } from "../CodecError.ts"
import type * as Cursor from "../Cursor.ts"

/** Thrown by readers; `needed` is the total input length that would let the read go further, or -1. */
export class DecodeFailure {
  readonly reason: DecodeReason
  readonly offset: number
  readonly detail: string
  readonly needed: number
  readonly path: Array<string> = []
  /** The Effect Schema issue, when a schema's own check or transformation refused the value. */
  issue: SchemaIssue.Issue | undefined = undefined
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
  /** The Effect Schema issue, when a schema's own check or transformation refused the value. */
  issue: SchemaIssue.Issue | undefined = undefined
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
 * Where decoded byte fields live. Decoded values must never alias the input (the stream decoder
 * reuses its buffer, callers may reuse theirs), so byte fields are copies. Allocating a fresh
 * `Uint8Array` per field, or copying fields one by one, costs far more than the bytes themselves on
 * V8 (each new array buffer is a separate allocation the GC has to track). So a reader copies the
 * input in *regions*: at the first byte field it meets, it copies the input from that field on (at first
 * up to `FIRST_REGION` bytes, twice as many for each further region up to `REGION`, never past the
 * enclosing block; in `Binary.decode`, whose input is one value, `REGION` bytes at once up to the
 * input's end) into a shared pool, in one bulk copy, and that field
 * and the following ones that fall in the region are returned as views of the copy. A part of the pool
 * is written once, before any view of it exists, and never reused, so values stay independent of the
 * input and of each other's storage (writing into one decoded field changes no other value).
 *
 * The trade-offs, as with Node's `Buffer.allocUnsafe` pool: such a value's `.buffer` is the pool's
 * (use `byteOffset`/`byteLength`, or `slice()` it to get an array of its own), and a value kept alive
 * keeps its pool chunk (`POOL_SIZE` bytes) alive; transferring a value's buffer (postMessage,
 * structuredClone) detaches the whole chunk, emptying the other values in it (the decoder then starts a
 * new chunk). Fields larger than `REGION` get arrays of their own.
 */
const POOL_SIZE = 16 * 1024
const REGION = 2 * 1024
// the first region of a read is smaller, so that many small values read one after the other from a
// large input (a stream decoder's buffer) do not each copy a full REGION; each further region doubles
const FIRST_REGION = 512
let pool = new Uint8Array(POOL_SIZE)
let poolBuffer: ArrayBuffer = pool.buffer
let poolUsed = 0

// big-endian 64-bit values go through an 8-byte scratch area: one DataView for the whole module
// instead of one per reader or writer
const scratch = new Uint8Array(8)
const scratchView = new DataView(scratch.buffer)

/**
 * A read position over a byte array with two limits: `dataEnd`, where the input (or the enclosing
 * length-prefixed block) ends, and `allowedEnd`, the innermost `checkSize` bound. `end` caches their
 * minimum so the common bounds check is a single comparison.
 *
 * `nested` counts the enclosing blocks whose length is already known. When it is zero, running out of
 * input only means "more bytes may come", which the stream decoder uses to wait instead of failing.
 */
export class Reader implements Cursor.Reader {
  bytes: Uint8Array
  pos: number
  end: number
  dataEnd: number
  allowedEnd: number
  nested: number
  private dataView: DataView | undefined
  // the current copied region (see the pool above): input [copyFrom, copyTo) is at copyFrom + copyDelta
  private copyBuffer: ArrayBuffer
  // where a copied region may extend to: the input's end when the whole input is one value, else -1
  // (a region then stops at the enclosing block's end, `dataEnd`)
  private copyEnd: number
  private copyFrom: number
  private copyTo: number
  private copyDelta: number
  private nextRegion: number
  // the input belongs to the values decoded from it (a stream decoder's buffer for one large
  // value, never reused): byte fields over `REGION` are views of it rather than copies
  private readonly aliasLarge: boolean

  /**
   * `whole`: the input from `start` to `stop` is a single value (as in `Binary.decode`), so the first
   * region is a full `REGION` and regions may run past the end of an enclosing block up to `stop`:
   * a value under `REGION` bytes is copied once. Without it (a stream decoder's buffer, which may hold
   * many small values), regions start at `FIRST_REGION` and stop at the enclosing block's end.
   */
  constructor(bytes: Uint8Array, start = 0, stop = bytes.length, whole = false, aliasLarge = false) {
    this.bytes = bytes
    this.aliasLarge = aliasLarge
    this.dataView = undefined
    this.copyBuffer = poolBuffer
    this.copyFrom = 0
    this.copyTo = -1
    this.copyDelta = 0
    this.copyEnd = whole ? stop : -1
    this.nextRegion = whole ? REGION : FIRST_REGION
    this.pos = start
    this.end = stop
    this.dataEnd = stop
    this.allowedEnd = Number.MAX_SAFE_INTEGER
    this.nested = 0
  }

  /** A DataView of `bytes`, created on first use (the built-in encodings do not need it). */
  get view(): DataView {
    if (this.dataView === undefined) {
      this.dataView = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
    }
    return this.dataView
  }

  /** Restarts on the same bytes, between `start` and `stop`, with no limits in force. */
  reset(start: number, stop: number): void {
    // the bytes may have changed since the last copy; a reader that is reset reads many values
    this.copyTo = -1
    this.copyEnd = -1
    this.nextRegion = FIRST_REGION
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
    const p = this.pos
    if (p + 2 > this.end) this.shortage(2)
    const b = this.bytes
    this.pos = p + 2
    return (b[p]! << 8) | b[p + 1]!
  }

  i32(): number {
    const p = this.pos
    if (p + 4 > this.end) this.shortage(4)
    const b = this.bytes
    this.pos = p + 4
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
  }

  /** The next 8 bytes as a DataView (valid until the next call of `eight` or `Writer.eight`). */
  eight(): DataView {
    const p = this.pos
    if (p + 8 > this.end) this.shortage(8)
    const b = this.bytes
    for (let i = 0; i < 8; i++) scratch[i] = b[p + i]!
    this.pos = p + 8
    return scratchView
  }

  /** Copies `n` bytes out: decoded values never alias the input, which callers may reuse (see `REGION`). */
  take(n: number): Uint8Array {
    const start = this.pos
    if (start + n > this.end) this.shortage(n)
    this.pos = start + n
    if (start >= this.copyFrom && start + n <= this.copyTo) {
      return new Uint8Array(this.copyBuffer, start + this.copyDelta, n)
    }
    return this.copyRegion(start, n)
  }

  private copyRegion(start: number, n: number): Uint8Array {
    if (n > REGION) return this.aliasLarge ? this.bytes.subarray(start, start + n) : this.bytes.slice(start, start + n)
    // n <= dataEnd - start <= copyEnd - start: the caller checked the bounds
    const region = this.nextRegion
    this.nextRegion = Math.min(2 * region, REGION)
    const stop = Math.min(this.copyEnd >= 0 ? this.copyEnd : this.dataEnd, start + Math.max(n, region))
    let at = poolUsed
    // byteLength 0: someone transferred (detached) the pool's buffer through a decoded value
    if (at + (stop - start) > POOL_SIZE || pool.byteLength === 0) {
      pool = new Uint8Array(POOL_SIZE)
      poolBuffer = pool.buffer
      at = 0
    }
    pool.set(this.bytes.subarray(start, stop), at)
    // the next region starts 8-byte aligned
    poolUsed = (at + (stop - start) + 7) & ~7
    this.copyBuffer = poolBuffer
    this.copyFrom = start
    this.copyTo = stop
    this.copyDelta = at - start
    return new Uint8Array(poolBuffer, at, n)
  }
}

/**
 * Where encoded outputs live. A `new Uint8Array(n)` of a few hundred bytes costs about 1 µs on V8 in
 * Node (each array buffer is a separate off-heap allocation the GC tracks), more than encoding a ~1 KiB
 * message takes otherwise. So outputs under `POOLED_OUTPUT` bytes are carved from shared slabs, as
 * Node's `Buffer` pool does, and returned as plain `Uint8Array` views (never `Buffer`s, whose `slice`
 * would not copy):
 *
 * - In Node (`process.getBuiltinModule`, Node ≥ 20.16), from `OUTPUT_SLAB`-byte array buffers of our
 *   own, marked untransferable like Node's pool: transferring an output's buffer (postMessage,
 *   structuredClone) copies it instead of detaching the slab, so no other output is affected. A slab
 *   is zero-filled when created and each byte of it is handed out once, so an output shows zeros
 *   where an encoding made with `Encoding.make` skips bytes, never an earlier value. About half the
 *   cost of a `Buffer.allocUnsafe` view (which builds a `Buffer` per call and must be zero-filled).
 * - In older Node, from Node's own `Buffer.allocUnsafe` pool (also untransferable), zero-filled.
 * - Elsewhere, and for larger outputs, each output has an array of its own.
 *
 * The trade-off, as with Node's pool: an output kept alive keeps its slab alive.
 */
const POOLED_OUTPUT = 4096
const OUTPUT_SLAB = 16 * 1024

type AllocUnsafe = (size: number) => Uint8Array

const nodeAllocUnsafe = ((): AllocUnsafe | undefined => {
  const NodeBuffer = (globalThis as { Buffer?: { allocUnsafe?: unknown } }).Buffer
  const allocUnsafe = NodeBuffer?.allocUnsafe
  if (typeof allocUnsafe !== "function") return undefined
  try {
    const probe = allocUnsafe.call(NodeBuffer, 8) as unknown
    if (!(probe instanceof Uint8Array) || probe.length !== 8) return undefined
  } catch {
    return undefined
  }
  return (size) => allocUnsafe.call(NodeBuffer, size) as Uint8Array
})()

/** Node's `worker_threads.markAsUntransferable`, where it can be had synchronously. */
const markAsUntransferable = ((): ((buffer: ArrayBuffer) => void) | undefined => {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    const workerThreads = process?.getBuiltinModule?.("node:worker_threads") as
      | { readonly markAsUntransferable?: unknown }
      | undefined
    const mark = workerThreads?.markAsUntransferable
    return typeof mark === "function" ? (buffer) => mark.call(workerThreads, buffer) : undefined
  } catch {
    return undefined
  }
})()

const slabOutput = (mark: (buffer: ArrayBuffer) => void): ((size: number) => Uint8Array) => {
  let slab = new ArrayBuffer(0)
  let used = 0
  return (size) => {
    if (size >= POOLED_OUTPUT) return new Uint8Array(size)
    // byteLength 0 also after a detach, should the mark ever not hold
    if (used + size > slab.byteLength) {
      slab = new ArrayBuffer(OUTPUT_SLAB)
      mark(slab)
      used = 0
    }
    const out = new Uint8Array(slab, used, size)
    // the next output starts 8-byte aligned
    used = (used + size + 7) & ~7
    return out
  }
}

/** A zero-filled output of `size` bytes (see `POOLED_OUTPUT`). */
export const allocOutput: (size: number) => Uint8Array =
  markAsUntransferable !== undefined
    ? slabOutput(markAsUntransferable)
    : nodeAllocUnsafe === undefined
      ? (size) => new Uint8Array(size)
      : (size) => {
          if (size >= POOLED_OUTPUT) return new Uint8Array(size)
          const b = nodeAllocUnsafe(size)
          // zero-filled: encodings made with `Encoding.make` might skip bytes, which must not show
          // what the pool held before
          return new Uint8Array(b.buffer, b.byteOffset, size).fill(0)
        }

/**
 * `size` bytes the caller fills completely before anyone reads them, without zero-filling when
 * Node's `Buffer` is there (a large value's buffer in the stream decoder: zeroing 64 KiB and then
 * overwriting it cost about as much as the copy itself). Always a plain `Uint8Array` with memory of
 * its own: from `POOLED_OUTPUT` bytes up, `Buffer.allocUnsafe` does not use its shared pool.
 */
export const allocUnfilled: (size: number) => Uint8Array =
  nodeAllocUnsafe === undefined
    ? (size) => new Uint8Array(size)
    : (size) => {
        if (size < POOLED_OUTPUT) return new Uint8Array(size)
        const b = nodeAllocUnsafe(size)
        return new Uint8Array(b.buffer, b.byteOffset, size)
      }

/** A write position over a buffer preallocated to the exact encoded size. */
export class Writer implements Cursor.Writer {
  readonly bytes: Uint8Array
  pos: number
  private dataView: DataView | undefined

  constructor(size: number) {
    this.bytes = allocOutput(size)
    this.dataView = undefined
    this.pos = 0
  }

  /** A DataView of `bytes`, created on first use (the built-in encodings do not need it). */
  get view(): DataView {
    if (this.dataView === undefined) {
      this.dataView = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
    }
    return this.dataView
  }

  /** Writes a big-endian uint32 at `at` (does not move `pos`). */
  u32At(at: number, v: number): void {
    const b = this.bytes
    b[at] = v >>> 24
    b[at + 1] = v >>> 16
    b[at + 2] = v >>> 8
    b[at + 3] = v
  }

  /** The scratch DataView to fill with 8 bytes, then `flushEight` them at `pos`. */
  eight(): DataView {
    return scratchView
  }

  flushEight(): void {
    const b = this.bytes
    const p = this.pos
    for (let i = 0; i < 8; i++) b[p + i] = scratch[i]!
    this.pos = p + 8
  }

  /** Copies `v` at `pos` and moves past it. */
  put(v: Uint8Array): void {
    const n = v.length
    const p = this.pos
    if (n <= 8) {
      const b = this.bytes
      for (let i = 0; i < n; i++) b[p + i] = v[i]!
    } else this.bytes.set(v, p) // a bulk copy is much faster than a loop past a few bytes
    this.pos = p + n
  }
}
