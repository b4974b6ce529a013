/**
 * The byte cursors an `Encoding` runs on: a `Reader` over the input and a `Writer` over an output of
 * exactly the predicted size. This is the low-level API of `Encoding.make`, for encodings the
 * combinators cannot express; `Binary` and `StreamDecoder` create the cursors, users never do.
 *
 * Failures inside `sizeOf`/`write`/`read` are thrown: a `Reader`'s own checks (`need`, `u8`, `take`,
 * ...) throw the codec's internal decode failure, which `Binary`/`StreamDecoder` turn into a
 * `DecodeError` at the right offset (and, at the top level of a stream, into "wait for more bytes");
 * anything else thrown becomes `InvalidValue`. Use the reader's methods rather than reading `bytes`
 * past `end`, so that short input and `checkSize` bounds are reported correctly.
 *
 * @since 0.2.0
 */

/**
 * A read position over the input.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * // a byte read as a character
 * const char = Encoding.make<string>({
 *   size: Encoding.fixedSize(1),
 *   sizeOf: () => 1,
 *   write: (w, s) => { w.bytes[w.pos++] = s.charCodeAt(0) },
 *   read: (r) => String.fromCharCode(r.u8())
 * })
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface Reader {
  /** The input; read it between `pos` and `end` only. */
  readonly bytes: Uint8Array
  /** The next byte to read; advance it past what you consumed. */
  pos: number
  /** Where reading must stop: the end of the enclosing block or of a `checkSize` bound. */
  readonly end: number
  /** Where the enclosing data ends (the input, or the enclosing length-prefixed block). */
  readonly dataEnd: number
  /** A DataView of `bytes`. */
  readonly view: DataView
  /** Fails (not enough bytes, or a size limit) unless `k` more bytes may be read. */
  need(k: number): void
  /** Fails for a read of `k` bytes that does not fit: not enough bytes, or past a size limit. */
  shortage(k: number): never
  /** Reads an unsigned byte. */
  u8(): number
  /** Reads a big-endian unsigned 16-bit integer. */
  u16(): number
  /** Reads a big-endian signed 32-bit integer. */
  i32(): number
  /** The next 8 bytes as a DataView, valid until the next call of `eight`. */
  eight(): DataView
  /** The next `n` bytes, copied (decoded values never alias the input). */
  take(n: number): Uint8Array
  /** Checks that a block of `len` bytes announced by a length prefix fits the input and the limits. */
  block(len: number): void
  /** Narrows the data end to `dataEnd` (a block); returns what `leave` restores. */
  enter(dataEnd: number): number
  leave(saved: number): void
  /** Narrows the allowed end to `limit` bytes from here (`checkSize`); returns what `unrestrict` restores. */
  restrict(limit: number): number
  unrestrict(saved: number): void
}

/**
 * A write position over an output of exactly the size `sizeOf` predicted.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * const twice = Encoding.make<number>({
 *   size: Encoding.fixedSize(2),
 *   sizeOf: () => 2,
 *   write: (w, v) => { w.bytes[w.pos++] = v; w.bytes[w.pos++] = v },
 *   read: (r) => { const a = r.u8(); r.u8(); return a }
 * })
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface Writer {
  /** The output; write between `pos` and the predicted size. */
  readonly bytes: Uint8Array
  /** The next byte to write; advance it past what you wrote. */
  pos: number
  /** A DataView of `bytes`. */
  readonly view: DataView
  /** Writes a big-endian uint32 at `at` (does not move `pos`). */
  u32At(at: number, v: number): void
  /** A scratch DataView to fill with 8 bytes, then `flushEight` writes them at `pos`. */
  eight(): DataView
  flushEight(): void
  /** Copies `v` at `pos` and moves past it. */
  put(v: Uint8Array): void
}
