/**
 * `Encoding<A>`: a description of how values of type `A` are laid out in bytes, with Data_encoding's
 * binary semantics (big-endian integers, 4-byte length prefixes, 1- or 2-byte union tags, ...), and
 * the combinators that build encodings from smaller ones.
 *
 * Every encoding has a size class, composed as Data_encoding composes them:
 * - `Fixed n`: always exactly n bytes;
 * - `Dynamic`: self-delimiting (e.g. length-prefixed);
 * - `Variable`: runs to the end of whatever encloses it (the input, or a length-prefixed block).
 * A `Variable` part may only be followed by `Fixed` parts; anything else is refused when the
 * encoding is built, because the reader could not tell where the variable part ends.
 *
 * Run encodings with `Binary` (one-shot) or `StreamDecoder` (bytes arriving in pieces).
 *
 * @since 0.1.0
 */
import { Option, Result, Schema } from "effect"
import type { Reader, Writer } from "./Cursor.ts"
import { DecodeFailure, decodePath, EncodeFailure, encodePath } from "./internal/cursor.ts"
import { structCode } from "./internal/structCode.ts"
import { readUtf8, utf8Length, writeUtf8 } from "./internal/utf8.ts"
import { nSize, readN, readZ, writeN, writeZ, zSize } from "./internal/zarith.ts"

/**
 * @category models
 * @since 0.1.0
 */
export const TypeId: unique symbol = Symbol.for("@effect-p2p/codec/Encoding")

/**
 * @category models
 * @since 0.1.0
 */
export type TypeId = typeof TypeId

/**
 * The size class of an encoding.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * Encoding.uint16.size // { _tag: "Fixed", bytes: 2 }
 * Encoding.string.size // { _tag: "Dynamic" }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Size =
  | { readonly _tag: "Fixed"; readonly bytes: number }
  | { readonly _tag: "Dynamic" }
  | { readonly _tag: "Variable" }

/**
 * How values of type `A` are written to and read from bytes. Build encodings with the combinators of
 * this module (or derive them from an Effect Schema with {@link fromSchema}); run them with `Binary` and
 * `StreamDecoder`. The members are the low-level API (see `Cursor`): `sizeOf` computes the exact encoded
 * size (and checks the value), `write` writes into a `Cursor.Writer` of that size, `read` reads from a
 * `Cursor.Reader`; they throw failures that the runners turn into `EncodeError`/`DecodeError` results.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const point: Encoding.Encoding<{ readonly x: number; readonly y: number }> =
 *   Encoding.struct({ x: Encoding.int16, y: Encoding.int16 })
 * Binary.length(point, { x: 1, y: 2 }) // 4
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Encoding<A> {
  readonly [TypeId]: TypeId
  readonly size: Size
  /** Exact encoded size of `value`; throws an internal failure if the value cannot be encoded. */
  sizeOf(value: A): number
  /** Writes `value` at the writer's position; the writer has room for exactly `sizeOf(value)` bytes. */
  write(writer: Writer, value: A): void
  /** Reads a value at the reader's position. */
  read(reader: Reader): A
}

/**
 * The type of the values of an encoding.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * const e = Encoding.struct({ a: Encoding.uint8, b: Encoding.string })
 * type T = Encoding.Type<typeof e> // { readonly a: number; readonly b: string }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Type<E> = E extends Encoding<infer A> ? A : never

type Simplify<A> = { [K in keyof A]: A[K] } & {}

/**
 * Builds an encoding from its parts, written against the low-level `Cursor.Reader` and
 * `Cursor.Writer`. Prefer the combinators; this is for encodings they cannot express.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * const byteAsChar = Encoding.make<string>({
 *   size: { _tag: "Fixed", bytes: 1 },
 *   sizeOf: () => 1,
 *   write: (w, s) => { w.bytes[w.pos++] = s.charCodeAt(0) },
 *   read: (r) => String.fromCharCode(r.u8())
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <A>(parts: {
  readonly size: Size
  readonly sizeOf: (value: A) => number
  readonly write: (writer: Writer, value: A) => void
  readonly read: (reader: Reader) => A
}): Encoding<A> => ({ [TypeId]: TypeId, ...parts })

/**
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * Encoding.isEncoding(Encoding.uint8) // true
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isEncoding = (u: unknown): u is Encoding<unknown> => typeof u === "object" && u !== null && TypeId in u

// sizes are compared by value, but sharing the small ones keeps encodings light
const FIXED_CACHE: ReadonlyArray<Size> = Array.from({ length: 64 }, (_, bytes) => ({ _tag: "Fixed", bytes }))
/**
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * Encoding.fixedSize(4) // { _tag: "Fixed", bytes: 4 }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export const fixedSize = (bytes: number): Size => {
  return FIXED_CACHE[bytes] ?? { _tag: "Fixed", bytes }
}
const DYNAMIC: Size = { _tag: "Dynamic" }
const VARIABLE: Size = { _tag: "Variable" }

// ---------------------------------------------------------------------------------------------
// integers, floats, booleans

const intRange = (what: string, min: number, max: number, v: number): void => {
  if (!(Number.isInteger(v) && v >= min && v <= max)) {
    throw new EncodeFailure("InvalidValue", `${what} out of range [${min}, ${max}]: ${String(v)}`)
  }
}

const fixedInt = (
  what: string,
  bytes: number,
  min: number,
  max: number,
  put: (w: Writer, v: number) => void,
  get: (r: Reader) => number
): Encoding<number> =>
  make({
    size: fixedSize(bytes),
    sizeOf: () => bytes,
    write: (w, v) => {
      intRange(what, min, max, v)
      put(w, v)
      w.pos += bytes
    },
    read: get
  })

/**
 * Unsigned 8-bit integer.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.uint8, 255) // Success(Uint8Array [255])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const uint8: Encoding<number> = fixedInt(
  "uint8",
  1,
  0,
  0xff,
  (w, v) => {
    w.bytes[w.pos] = v
  },
  (r) => r.u8()
)

/**
 * Signed 8-bit integer (two's complement).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.int8, -1) // Success(Uint8Array [255])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const int8: Encoding<number> = fixedInt(
  "int8",
  1,
  -0x80,
  0x7f,
  (w, v) => w.view.setInt8(w.pos, v),
  (r) => {
    r.need(1)
    return r.view.getInt8(r.pos++)
  }
)

/**
 * Unsigned 16-bit big-endian integer.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.uint16, 258) // Success(Uint8Array [1, 2])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const uint16: Encoding<number> = fixedInt(
  "uint16",
  2,
  0,
  0xffff,
  (w, v) => {
    w.bytes[w.pos] = v >>> 8
    w.bytes[w.pos + 1] = v
  },
  (r) => r.u16()
)

/**
 * Signed 16-bit big-endian integer.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.int16, -2) // Success(Uint8Array [255, 254])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const int16: Encoding<number> = fixedInt(
  "int16",
  2,
  -0x8000,
  0x7fff,
  (w, v) => w.view.setInt16(w.pos, v),
  (r) => {
    r.need(2)
    const v = r.view.getInt16(r.pos)
    r.pos += 2
    return v
  }
)

const readRanged = (what: string, min: number, max: number) => (r: Reader) => {
  const v = r.i32()
  if (v < min || v > max) {
    throw new DecodeFailure("InvalidValue", r.pos - 4, `${what} out of range [${min}, ${max}]: ${v}`)
  }
  return v
}

const UINT30_MAX = 0x3fffffff

/**
 * 31-bit signed integer in 4 big-endian bytes (OCaml's `int` on 32-bit platforms): range
 * [-2^30, 2^30 - 1]; values outside are refused on both sides.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.int31, 1) // Success(Uint8Array [0, 0, 0, 1])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const int31: Encoding<number> = fixedInt(
  "int31",
  4,
  -0x40000000,
  UINT30_MAX,
  (w, v) => w.u32At(w.pos, v),
  readRanged("int31", -0x40000000, UINT30_MAX)
)

/**
 * 30-bit unsigned integer in 4 big-endian bytes: the type of Data_encoding's length prefixes.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.uint30, 5) // Success(Uint8Array [0, 0, 0, 5])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const uint30: Encoding<number> = fixedInt(
  "uint30",
  4,
  0,
  UINT30_MAX,
  (w, v) => w.u32At(w.pos, v),
  readRanged("uint30", 0, UINT30_MAX)
)

/**
 * Signed 32-bit big-endian integer.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.int32, -1) // Success(Uint8Array [255, 255, 255, 255])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const int32: Encoding<number> = fixedInt(
  "int32",
  4,
  -0x80000000,
  0x7fffffff,
  (w, v) => w.u32At(w.pos, v),
  (r) => r.i32()
)

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * Signed 64-bit big-endian integer, as a `bigint`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.int64, -1n) // Success(Uint8Array [255 x 8])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const int64: Encoding<bigint> = make({
  size: fixedSize(8),
  sizeOf: () => 8,
  write: (w, v) => {
    if (typeof v !== "bigint" || v < INT64_MIN || v > INT64_MAX) {
      throw new EncodeFailure("InvalidValue", `int64 out of range: ${String(v)}`)
    }
    w.eight().setBigInt64(0, v)
    w.flushEight()
  },
  read: (r) => r.eight().getBigInt64(0)
})

/**
 * IEEE 754 double, 8 big-endian bytes. NaN payloads and -0 are preserved.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.float, 1) // Success(Uint8Array [63, 240, 0, 0, 0, 0, 0, 0])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const float: Encoding<number> = make({
  size: fixedSize(8),
  sizeOf: () => 8,
  write: (w, v) => {
    if (typeof v !== "number") throw new EncodeFailure("InvalidValue", `float expects a number, got ${typeof v}`)
    w.eight().setFloat64(0, v)
    w.flushEight()
  },
  read: (r) => r.eight().getFloat64(0)
})

/**
 * Boolean in one byte: written `0xff` (true) or `0x00` (false); any non-zero byte reads as true,
 * as Data_encoding does.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.bool, true) // Success(Uint8Array [255])
 * Binary.decode(Encoding.bool, new Uint8Array([7])) // Success(true)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const bool: Encoding<boolean> = make({
  size: fixedSize(1),
  sizeOf: () => 1,
  write: (w, v) => {
    w.bytes[w.pos++] = v ? 0xff : 0x00
  },
  read: (r) => r.u8() !== 0
})

/**
 * Arbitrary-precision natural number in Data_encoding's zarith format (7 bits per byte, little
 * endian, high bit = continuation).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.n, 300n) // Success(Uint8Array [0xac, 0x02])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const n: Encoding<bigint> = make({ size: DYNAMIC, sizeOf: nSize, write: writeN, read: readN })

/**
 * Arbitrary-precision integer in Data_encoding's zarith format (first byte: continuation bit, sign
 * bit, 6 bits of magnitude; then 7 bits per byte).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.z, -1n) // Success(Uint8Array [0x41])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const z: Encoding<bigint> = make({ size: DYNAMIC, sizeOf: zSize, write: writeZ, read: readZ })

/**
 * Zero bytes, the value `undefined`. Data_encoding's `empty`/`unit`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.unit, undefined) // Success(Uint8Array [])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const unit: Encoding<void> = make({
  size: fixedSize(0),
  sizeOf: () => 0,
  write: () => {},
  read: () => undefined
})

/**
 * Alias of {@link unit}.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * Encoding.empty.size // { _tag: "Fixed", bytes: 0 }
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const empty: Encoding<void> = unit

/**
 * Zero bytes that always decode to `value` (Data_encoding's `constant`).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.decode(Encoding.constant("hello" as const), new Uint8Array()) // Success("hello")
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const constant = <const A>(value: A): Encoding<A> =>
  make({ size: fixedSize(0), sizeOf: () => 0, write: () => {}, read: () => value })

// ---------------------------------------------------------------------------------------------
// bytes and strings

const checkBytes = (v: Uint8Array): void => {
  if (!(v instanceof Uint8Array)) throw new EncodeFailure("InvalidValue", "expected a Uint8Array")
}

const checkString = (v: string): void => {
  if (typeof v !== "string") throw new EncodeFailure("InvalidValue", `expected a string, got ${typeof v}`)
}

// the byte count of each `Fixed.bytes` encoding, so that lists of them can read elements directly
const fixedBytesSize = new WeakMap<Encoding<unknown>, number>()

const fixedBytes = (size: number): Encoding<Uint8Array> => {
  checkLength(size, "Fixed.bytes")
  const encoding = make<Uint8Array>({
    size: fixedSize(size),
    sizeOf: () => size,
    write: (w, v) => {
      checkBytes(v)
      if (v.length !== size) throw new EncodeFailure("InvalidValue", `expected ${size} bytes, got ${v.length}`)
      w.put(v)
    },
    read: (r) => r.take(size)
  })
  fixedBytesSize.set(encoding as Encoding<unknown>, size)
  return encoding
}

const fixedString = (size: number): Encoding<string> => {
  checkLength(size, "Fixed.string")
  return make({
    size: fixedSize(size),
    sizeOf: () => size,
    write: (w, v) => {
      checkString(v)
      const len = utf8Length(v)
      if (len !== size) throw new EncodeFailure("InvalidValue", `expected a string of ${size} bytes, got ${len}`)
      w.pos = writeUtf8(w.bytes, w.pos, v)
    },
    read: (r) => {
      r.need(size)
      const s = readUtf8(r.bytes, r.pos, r.pos + size)
      r.pos += size
      return s
    }
  })
}

const checkLength = (size: number, what: string): void => {
  if (!Number.isInteger(size) || size < 0) throw new Error(`${what}: size must be a non-negative integer, got ${size}`)
}

/**
 * Encodings of exactly n bytes.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const hash = Encoding.Fixed.bytes(32)
 * Binary.length(hash, new Uint8Array(32)) // 32
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const Fixed = {
  /** Exactly `size` raw bytes; encoding refuses any other length. */
  bytes: fixedBytes,
  /** A string of exactly `size` UTF-8 bytes; encoding refuses any other length. */
  string: fixedString
} as const

const variableBytes: Encoding<Uint8Array> = make({
  size: VARIABLE,
  sizeOf: (v) => {
    checkBytes(v)
    return v.length
  },
  write: (w, v) => w.put(v),
  read: (r) => r.take(r.dataEnd - r.pos)
})

const variableString: Encoding<string> = make({
  size: VARIABLE,
  sizeOf: (v) => {
    checkString(v)
    return utf8Length(v)
  },
  write: (w, v) => {
    w.pos = writeUtf8(w.bytes, w.pos, v)
  },
  read: (r) => {
    const len = r.dataEnd - r.pos
    r.need(len)
    const s = readUtf8(r.bytes, r.pos, r.pos + len)
    r.pos += len
    return s
  }
})

const assertSized = (element: Encoding<unknown>, what: string): void => {
  if (element.size._tag === "Variable") {
    throw new Error(`${what}: elements of variable size cannot be delimited; wrap them with dynamicSize`)
  }
  if (element.size._tag === "Fixed" && element.size.bytes === 0) {
    throw new Error(`${what}: elements of size 0 would make the length of the list undecidable`)
  }
}

const checkMaxLength = (maxLength: number | undefined, what: string): number => {
  if (maxLength === undefined) return Number.MAX_SAFE_INTEGER
  if (!Number.isInteger(maxLength) || maxLength < 0) throw new Error(`${what}: maxLength must be a natural number`)
  return maxLength
}

/** `Variable.list(Fixed.bytes(size))`'s read, without a call and a handler per element; same failures. */
const readFixedBytesList = (r: Reader, size: number, max: number): Array<Uint8Array> => {
  const whole = (r.dataEnd - r.pos) / size
  if (Number.isInteger(whole) && whole <= max && r.dataEnd <= r.end) {
    // the common case, with nothing to fail: exactly `whole` elements, all within the limits
    const list = new Array<Uint8Array>(whole)
    for (let i = 0; i < whole; i++) list[i] = r.take(size)
    return list
  }
  const out: Array<Uint8Array> = []
  while (r.pos < r.dataEnd) {
    if (out.length === max) {
      throw new DecodeFailure("ListTooLong", r.pos, `more than ${max} elements`)
    }
    const at = r.pos
    if (at + size > r.end) {
      try {
        r.shortage(size)
      } catch (e) {
        throw decodePath(e, String(out.length), at)
      }
    }
    out.push(r.take(size))
  }
  return out
}

const variableList = <A>(
  element: Encoding<A>,
  options?: { readonly maxLength?: number | undefined }
): Encoding<ReadonlyArray<A>> => {
  assertSized(element as Encoding<unknown>, "Variable.list")
  const max = checkMaxLength(options?.maxLength, "Variable.list")
  const fixed = element.size._tag === "Fixed" ? element.size.bytes : -1
  const hashes = fixedBytesSize.get(element as Encoding<unknown>) ?? -1
  return make({
    size: VARIABLE,
    sizeOf: (list) => {
      if (!Array.isArray(list)) throw new EncodeFailure("InvalidValue", "expected an array")
      if (list.length > max) {
        throw new EncodeFailure("ListTooLong", `${list.length} elements, at most ${max} allowed`)
      }
      if (fixed >= 0) return fixed * list.length
      let size = 0
      let i = 0
      try {
        for (; i < list.length; i++) size += element.sizeOf(list[i]!)
      } catch (e) {
        throw encodePath(e, String(i))
      }
      return size
    },
    write: (w, list) => {
      let i = 0
      try {
        for (; i < list.length; i++) element.write(w, list[i]!)
      } catch (e) {
        throw encodePath(e, String(i))
      }
    },
    read: (r) => {
      if (hashes >= 0) return readFixedBytesList(r, hashes, max) as unknown as ReadonlyArray<A>
      const out: Array<A> = []
      while (r.pos < r.dataEnd) {
        if (out.length === max) {
          throw new DecodeFailure("ListTooLong", r.pos, `more than ${max} elements`)
        }
        const at = r.pos
        try {
          out.push(element.read(r))
        } catch (e) {
          throw decodePath(e, String(out.length), at)
        }
      }
      return out
    }
  })
}

/**
 * Encodings that run to the end of their enclosing size (the input, or a length-prefixed block):
 * nothing on the wire says where they stop.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * // Advertise's points: a list with no length prefix
 * const points = Encoding.Variable.list(Encoding.string, { maxLength: 100 })
 * Binary.decode(points, new Uint8Array([0, 0, 0, 1, 0x61])) // Success(["a"])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const Variable = {
  /** All remaining bytes. */
  bytes: variableBytes,
  /** All remaining bytes, as UTF-8. */
  string: variableString,
  /** Elements back to back until the end; fails with `ListTooLong` beyond `maxLength`. */
  list: variableList,
  /** Same as `list` (JS has one array type). */
  array: variableList
} as const

/**
 * The length prefix kinds of {@link dynamicSize}.
 *
 * @category models
 * @since 0.1.0
 */
export type PrefixKind = "uint30" | "uint16" | "uint8"

const PREFIX = {
  uint30: { bytes: 4, max: UINT30_MAX },
  uint16: { bytes: 2, max: 0xffff },
  uint8: { bytes: 1, max: 0xff }
} as const

const readPrefix = (r: Reader, bytes: 1 | 2 | 4): number => {
  if (bytes === 4) {
    const len = r.i32()
    if (len < 0 || len > UINT30_MAX) {
      throw new DecodeFailure("InvalidValue", r.pos - 4, `length prefix out of the uint30 range: ${len >>> 0}`)
    }
    return len
  }
  return bytes === 2 ? r.u16() : r.u8()
}

const writePrefix = (w: Writer, at: number, bytes: 1 | 2 | 4, len: number): void => {
  if (bytes === 4) w.u32At(at, len)
  else if (bytes === 2) w.view.setUint16(at, len)
  else w.bytes[at] = len
}

/** Reads `inner` inside a block of `len` bytes that must be consumed exactly. */
const readBlock = <A>(r: Reader, len: number, inner: Encoding<A>): A => {
  r.block(len)
  const blockEnd = r.pos + len
  const saved = r.enter(blockEnd)
  const v = inner.read(r)
  if (r.pos !== blockEnd) {
    throw new DecodeFailure("TrailingBytes", r.pos, `${blockEnd - r.pos} bytes left over in a block of ${len}`)
  }
  r.leave(saved)
  return v
}

/**
 * Prefixes `encoding` with its byte length (uint30 by default, or uint16/uint8), making it
 * self-delimiting. Decoding checks the block is consumed exactly (`TrailingBytes` otherwise).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const e = Encoding.dynamicSize(Encoding.Variable.string, { kind: "uint8" })
 * Binary.encode(e, "hi") // Success(Uint8Array [2, 0x68, 0x69])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const dynamicSize = <A>(encoding: Encoding<A>, options?: { readonly kind?: PrefixKind }): Encoding<A> => {
  const { bytes: prefix, max } = PREFIX[options?.kind ?? "uint30"]
  return make({
    size: DYNAMIC,
    sizeOf: (v) => {
      const len = encoding.sizeOf(v)
      if (len > max)
        throw new EncodeFailure("SizeLimitExceeded", `${len} bytes do not fit a length prefix of ${prefix}`)
      return prefix + len
    },
    write: (w, v) => {
      const at = w.pos
      w.pos += prefix
      encoding.write(w, v)
      writePrefix(w, at, prefix, w.pos - at - prefix)
    },
    read: (r) => readBlock(r, readPrefix(r, prefix), encoding)
  })
}

/**
 * Bytes with a 4-byte (uint30) length prefix: Data_encoding's `bytes`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.bytes, new Uint8Array([9])) // Success(Uint8Array [0, 0, 0, 1, 9])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const bytes: Encoding<Uint8Array> = make({
  size: DYNAMIC,
  sizeOf: (v) => {
    checkBytes(v)
    if (v.length > UINT30_MAX) throw new EncodeFailure("SizeLimitExceeded", `${v.length} bytes do not fit a uint30`)
    return 4 + v.length
  },
  write: (w, v) => {
    w.u32At(w.pos, v.length)
    w.pos += 4
    w.put(v)
  },
  read: (r) => {
    const len = readPrefix(r, 4)
    r.block(len)
    return r.take(len)
  }
})

/**
 * A UTF-8 string with a 4-byte (uint30) length prefix: Data_encoding's `string`. Decoding refuses
 * invalid UTF-8, encoding refuses lone surrogates, so decode(encode(s)) = s.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.string, "main") // Success(Uint8Array [0, 0, 0, 4, 0x6d, 0x61, 0x69, 0x6e])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const string: Encoding<string> = make({
  size: DYNAMIC,
  sizeOf: (v) => {
    checkString(v)
    const len = utf8Length(v)
    if (len > UINT30_MAX) throw new EncodeFailure("SizeLimitExceeded", `${len} bytes do not fit a uint30`)
    return 4 + len
  },
  write: (w, v) => {
    const end = writeUtf8(w.bytes, w.pos + 4, v)
    w.u32At(w.pos, end - w.pos - 4)
    w.pos = end
  },
  read: (r) => {
    const len = readPrefix(r, 4)
    r.block(len)
    const s = readUtf8(r.bytes, r.pos, r.pos + len)
    r.pos += len
    return s
  }
})

/**
 * A list with a 4-byte (uint30) prefix counting its bytes (not its elements), as Data_encoding's
 * `list`; at most `maxLength` elements when given.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.list(Encoding.uint8), [1, 2]) // Success(Uint8Array [0, 0, 0, 2, 1, 2])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const list = <A>(
  element: Encoding<A>,
  options?: { readonly maxLength?: number | undefined }
): Encoding<ReadonlyArray<A>> => dynamicSize(variableList(element, options))

/**
 * Same as {@link list} (Data_encoding's `array`; JS has one array type).
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * const e = Encoding.array(Encoding.int32, { maxLength: 10 })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const array = list

// ---------------------------------------------------------------------------------------------
// options, structs, tuples

/**
 * An optional value: tag byte `0x00` for none, `0x01` followed by the value for some
 * (Data_encoding's `option`). Other tag bytes fail with `UnknownTag`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Option } from "effect"
 * Binary.encode(Encoding.option(Encoding.uint8), Option.some(7)) // Success(Uint8Array [1, 7])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const option = <A>(encoding: Encoding<A>): Encoding<Option.Option<A>> =>
  presenceTagged(encoding, 0x01, (tag, r) => {
    if (tag === 0) return false
    if (tag !== 1) throw new DecodeFailure("UnknownTag", r.pos - 1, `option tag 0x${tag.toString(16)}`)
    return true
  })

/**
 * An optional field of an object (Data_encoding's `opt` field in an `obj`): a presence byte, as
 * `bool` writes it (`0xff` present, followed by the value; `0x00` absent), read as `bool` reads it
 * (any non-zero byte is present). Not the same bytes as {@link option}, whose tag is `0x01`:
 * Data_encoding writes `obj1 (opt "x" e)` and `obj1 (req "x" (option e))` differently.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Option } from "effect"
 * Binary.encode(Encoding.optionalField(Encoding.uint8), Option.some(7)) // Success(Uint8Array [255, 7])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const optionalField = <A>(encoding: Encoding<A>): Encoding<Option.Option<A>> =>
  presenceTagged(encoding, 0xff, (tag) => tag !== 0)

/** One byte saying whether a value follows (`someByte`, or `0x00` for none), then the value. */
const presenceTagged = <A>(
  encoding: Encoding<A>,
  someByte: number,
  isSome: (tag: number, r: Reader) => boolean
): Encoding<Option.Option<A>> => {
  const size: Size =
    encoding.size._tag === "Variable"
      ? VARIABLE
      : encoding.size._tag === "Fixed" && encoding.size.bytes === 0
        ? fixedSize(1)
        : DYNAMIC
  return make({
    size,
    sizeOf: (o) => {
      if (!Option.isOption(o)) throw new EncodeFailure("InvalidValue", "expected an Option")
      return Option.isSome(o) ? 1 + encoding.sizeOf(o.value) : 1
    },
    write: (w, o) => {
      if (Option.isSome(o)) {
        w.bytes[w.pos++] = someByte
        encoding.write(w, o.value)
      } else w.bytes[w.pos++] = 0
    },
    read: (r) => (isSome(r.u8(), r) ? Option.some(encoding.read(r)) : Option.none())
  })
}

interface Layout {
  readonly size: Size
  /** Index of the variable part, or -1. */
  readonly variableAt: number
  /** Total size of the fixed parts after the variable part. */
  readonly suffix: number
  /** Sum of the fixed parts, and which parts are not fixed (for sizeOf). */
  readonly fixedTotal: number
  readonly sized: ReadonlyArray<number>
}

/** Data_encoding's size composition for a sequence of parts. */
const layout = (parts: ReadonlyArray<Encoding<unknown>>, names: ReadonlyArray<string>, what: string): Layout => {
  let variableAt = -1
  let dynamic = false
  let suffix = 0
  let fixedTotal = 0
  const sized: Array<number> = []
  parts.forEach((part, i) => {
    const s = part.size
    if (variableAt >= 0 && s._tag !== "Fixed") {
      throw new Error(
        `${what}: "${names[i]}" (${s._tag.toLowerCase()} size) follows the variable-size "${names[variableAt]}", ` +
          "so the reader could not find where that one ends; wrap one of them with dynamicSize"
      )
    }
    if (s._tag === "Fixed") {
      fixedTotal += s.bytes
      if (variableAt >= 0) suffix += s.bytes
    } else {
      sized.push(i)
      if (s._tag === "Variable") variableAt = i
      else dynamic = true
    }
  })
  const size: Size = variableAt >= 0 ? VARIABLE : dynamic ? DYNAMIC : fixedSize(fixedTotal)
  return { size, variableAt, suffix, fixedTotal, sized }
}

/** Reads the variable part of a sequence, leaving room for the fixed parts after it. */
const readBeforeSuffix = <A>(r: Reader, part: Encoding<A>, suffix: number): A => {
  const stop = r.dataEnd - suffix
  if (stop < r.pos) {
    throw new DecodeFailure("NotEnoughBytes", r.pos, `need ${suffix} bytes for the fields after a variable part`)
  }
  const saved = r.enter(stop)
  const v = part.read(r)
  r.leave(saved)
  return v
}

/**
 * An ordered record: fields are written in the order of the object's keys (Data_encoding's `obj`).
 * Decoded values have exactly these keys; extra keys of encoded values are ignored.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const version = Encoding.struct({ chainName: Encoding.string, ddb: Encoding.uint16, p2p: Encoding.uint16 })
 * Binary.encode(version, { chainName: "main", ddb: 1, p2p: 0 }) // 000000046d61696e00010000
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const struct = <const Fields extends Readonly<Record<string, Encoding<unknown>>>>(
  fields: Fields
): Encoding<Simplify<{ readonly [K in keyof Fields]: Type<Fields[K]> }>> => {
  type A = { readonly [K in keyof Fields]: Type<Fields[K]> }
  const keys = Object.keys(fields)
  const parts = keys.map((k) => fields[k] as unknown as Encoding<unknown>)
  const count = keys.length
  const { fixedTotal, sized, size, suffix, variableAt } = layout(parts, keys, "struct")
  const sizedKeys = sized.map((i) => keys[i]!)
  const sizedParts = sized.map((i) => parts[i]!)
  const code = structCode(keys, parts, sized, fixedTotal, variableAt, suffix, readBeforeSuffix)
  if (code !== undefined) {
    return make<A>({
      size,
      sizeOf: code.sizeOf,
      write: code.write as (w: Writer, value: A) => void,
      read: code.read as (r: Reader) => A
    })
  }
  return make<A>({
    size,
    sizeOf: (value) => {
      if (typeof value !== "object" || value === null) throw new EncodeFailure("InvalidValue", "expected an object")
      const record = value as Record<string, unknown>
      let total = fixedTotal
      let i = 0
      try {
        for (; i < sizedParts.length; i++) total += sizedParts[i]!.sizeOf(record[sizedKeys[i]!])
      } catch (e) {
        throw encodePath(e, sizedKeys[i]!)
      }
      return total
    },
    write: (w, value) => {
      const record = value as Record<string, unknown>
      let i = 0
      try {
        for (; i < count; i++) parts[i]!.write(w, record[keys[i]!])
      } catch (e) {
        throw encodePath(e, keys[i]!)
      }
    },
    read: (r) => {
      const out: Record<string, unknown> = {}
      let i = 0
      const at = r.pos
      try {
        for (; i < count; i++) {
          out[keys[i]!] = i === variableAt ? readBeforeSuffix(r, parts[i]!, suffix) : parts[i]!.read(r)
        }
      } catch (e) {
        throw decodePath(e, keys[i]!, at)
      }
      return out as A
    }
  })
}

/**
 * Alias of {@link struct} (Data_encoding's name).
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * const e = Encoding.obj({ a: Encoding.bool })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const obj = struct

/**
 * A fixed-length tuple, elements in order (Data_encoding's `tup`).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.encode(Encoding.tuple(Encoding.uint8, Encoding.bool), [1, true]) // Success(Uint8Array [1, 255])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const tuple = <const Elements extends ReadonlyArray<Encoding<unknown>>>(
  ...elements: Elements
): Encoding<{ readonly [K in keyof Elements]: Type<Elements[K]> }> => {
  type A = { readonly [K in keyof Elements]: Type<Elements[K]> }
  const parts = elements as unknown as ReadonlyArray<Encoding<unknown>>
  const names = parts.map((_, i) => String(i))
  const count = parts.length
  const { fixedTotal, sized, size, suffix, variableAt } = layout(parts, names, "tuple")
  return make<A>({
    size,
    sizeOf: (value) => {
      const values = value as ReadonlyArray<unknown>
      if (!Array.isArray(values) || values.length !== count) {
        throw new EncodeFailure("InvalidValue", `expected an array of ${count} elements`)
      }
      let total = fixedTotal
      let i = 0
      try {
        for (; i < sized.length; i++) total += parts[sized[i]!]!.sizeOf(values[sized[i]!])
      } catch (e) {
        throw encodePath(e, String(sized[i]))
      }
      return total
    },
    write: (w, value) => {
      const values = value as ReadonlyArray<unknown>
      let i = 0
      try {
        for (; i < count; i++) parts[i]!.write(w, values[i])
      } catch (e) {
        throw encodePath(e, String(i))
      }
    },
    read: (r) => {
      const out: Array<unknown> = new Array(count)
      let i = 0
      const at = r.pos
      try {
        for (; i < count; i++) out[i] = i === variableAt ? readBeforeSuffix(r, parts[i]!, suffix) : parts[i]!.read(r)
      } catch (e) {
        throw decodePath(e, String(i), at)
      }
      return out as unknown as A
    }
  })
}

// ---------------------------------------------------------------------------------------------
// unions

/**
 * Size of union tags.
 *
 * @category models
 * @since 0.1.0
 */
export type TagSize = "uint8" | "uint16"

/**
 * One case of a {@link union}: its tag on the wire, the encoding of its payload, and how to go
 * between the union's values and the payload. Build with {@link makeCase}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Case<A> {
  readonly name: string
  readonly tag: number
  readonly encoding: Encoding<unknown>
  readonly match: (value: A) => boolean
  readonly project: (value: A) => unknown
  readonly inject: (payload: unknown) => A
}

/**
 * A union case (Data_encoding's `case`): `match` says whether a value belongs to the case,
 * `project` extracts the payload to encode, `inject` builds the value from a decoded payload.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * type Shape = { readonly kind: "dot" } | { readonly kind: "line"; readonly length: number }
 * const line = Encoding.makeCase({
 *   name: "line", tag: 1, encoding: Encoding.uint16,
 *   match: (s: Shape) => s.kind === "line",
 *   project: (s) => (s.kind === "line" ? s.length : 0),
 *   inject: (length): Shape => ({ kind: "line", length })
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeCase = <A, B>(c: {
  readonly name: string
  readonly tag: number
  readonly encoding: Encoding<B>
  readonly match: (value: A) => boolean
  readonly project: (value: A) => B
  readonly inject: (payload: B) => A
}): Case<A> => c as unknown as Case<A>

const unionOf = <A>(cases: ReadonlyArray<Case<A>>, tagSize: TagSize, select: (value: A) => Case<A> | undefined) => {
  const tagBytes = tagSize === "uint8" ? 1 : 2
  const maxTag = tagSize === "uint8" ? 0xff : 0xffff
  const byTag = new Map<number, Case<A>>()
  const names = new Set<string>()
  for (const c of cases) {
    if (!Number.isInteger(c.tag) || c.tag < 0 || c.tag > maxTag)
      throw new Error(`union: tag ${c.tag} of "${c.name}" does not fit ${tagSize}`)
    if (byTag.has(c.tag)) throw new Error(`union: tag ${c.tag} is used twice`)
    if (names.has(c.name)) throw new Error(`union: case name "${c.name}" is used twice`)
    byTag.set(c.tag, c)
    names.add(c.name)
  }
  const sizes = cases.map((c) => c.encoding.size)
  const first = sizes[0]
  const size: Size = sizes.some((s) => s._tag === "Variable")
    ? VARIABLE
    : first !== undefined && first._tag === "Fixed" && sizes.every((s) => s._tag === "Fixed" && s.bytes === first.bytes)
      ? fixedSize(first.bytes + tagBytes)
      : DYNAMIC
  // a dense table for one-byte tags keeps the lookup a single index
  const table: Array<Case<A> | undefined> | undefined =
    tagBytes === 1 ? Array.from({ length: 256 }, (_, i) => byTag.get(i)) : undefined
  const pick = (value: A): Case<A> => {
    const c = select(value)
    if (c === undefined) throw new EncodeFailure("NoMatchingCase", "no union case matches the value")
    return c
  }
  return make<A>({
    size,
    sizeOf: (value) => {
      const c = pick(value)
      try {
        return tagBytes + c.encoding.sizeOf(c.project(value))
      } catch (e) {
        throw encodePath(e, c.name)
      }
    },
    write: (w, value) => {
      const c = pick(value)
      if (tagBytes === 1) w.bytes[w.pos++] = c.tag
      else {
        w.view.setUint16(w.pos, c.tag)
        w.pos += 2
      }
      try {
        c.encoding.write(w, c.project(value))
      } catch (e) {
        throw encodePath(e, c.name)
      }
    },
    read: (r) => {
      const tag = tagBytes === 1 ? r.u8() : r.u16()
      const c = table !== undefined ? table[tag] : byTag.get(tag)
      if (c === undefined) {
        throw new DecodeFailure(
          "UnknownTag",
          r.pos - tagBytes,
          `unknown union tag 0x${tag.toString(16).padStart(tagBytes * 2, "0")}`
        )
      }
      const at = r.pos
      try {
        return c.inject(c.encoding.read(r))
      } catch (e) {
        throw decodePath(e, c.name, at)
      }
    }
  })
}

/**
 * A tagged union with a 1-byte (default) or 2-byte tag (Data_encoding's `union`). Encoding picks the
 * first case whose `match` accepts the value; decoding fails with `UnknownTag` on an undeclared tag.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const e = Encoding.union<number | string>([
 *   Encoding.makeCase({ name: "int", tag: 0, encoding: Encoding.int32, match: (v) => typeof v === "number", project: (v) => v as number, inject: (v) => v }),
 *   Encoding.makeCase({ name: "str", tag: 1, encoding: Encoding.string, match: (v) => typeof v === "string", project: (v) => v as string, inject: (v) => v })
 * ])
 * Binary.encode(e, "a") // Success(Uint8Array [1, 0, 0, 0, 1, 0x61])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const union = <A>(cases: ReadonlyArray<Case<A>>, options?: { readonly tagSize?: TagSize }): Encoding<A> =>
  unionOf(cases, options?.tagSize ?? "uint8", (value) => cases.find((c) => c.match(value)))

type TaggedCases = Readonly<Record<string, { readonly tag: number; readonly encoding: Encoding<unknown> }>>

/**
 * The value type of a {@link taggedUnion}: each case's payload with a `_tag` naming the case.
 *
 * @category models
 * @since 0.1.0
 */
export type TaggedUnionType<Cases extends TaggedCases> = {
  readonly [K in keyof Cases & string]: Simplify<{ readonly _tag: K } & Type<Cases[K]["encoding"]>>
}[keyof Cases & string]

/**
 * A union of `_tag`-discriminated objects: each case is named by its key, has a wire tag and an
 * encoding of its other fields (usually a {@link struct}). Selecting the case is a property lookup.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const Shape = Encoding.taggedUnion({
 *   Dot: { tag: 0, encoding: Encoding.struct({}) },
 *   Line: { tag: 1, encoding: Encoding.struct({ length: Encoding.uint16 }) }
 * })
 * Binary.encode(Shape, { _tag: "Line", length: 3 }) // Success(Uint8Array [1, 0, 3])
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const taggedUnion = <const Cases extends TaggedCases>(
  cases: Cases,
  options?: { readonly tagSize?: TagSize }
): Encoding<TaggedUnionType<Cases>> => {
  type A = TaggedUnionType<Cases>
  const list: Array<Case<A>> = Object.keys(cases).map((name) => ({
    name,
    tag: cases[name]!.tag,
    encoding: cases[name]!.encoding as unknown as Encoding<unknown>,
    match: (value: A) => value._tag === name,
    project: (value: A) => value,
    inject: (payload: unknown) => ({ _tag: name, ...(payload as object) }) as A
  }))
  const byName = new Map(list.map((c) => [c.name, c]))
  return unionOf(list, options?.tagSize ?? "uint8", (value) =>
    typeof value === "object" && value !== null ? byName.get(value._tag) : undefined
  )
}

// ---------------------------------------------------------------------------------------------
// limits and conversions

/**
 * Bounds the encoded size of `encoding` to `limit` bytes (Data_encoding's `check_size`), on both
 * sides. Decoding checks length prefixes against the bound before waiting for or copying the bytes
 * they announce, so a hostile prefix cannot make the decoder buffer more than `limit`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const point = Encoding.checkSize(51, Encoding.string)
 * Binary.encode(point, "x".repeat(48)) // Failure(EncodeError SizeLimitExceeded)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const checkSize = <A>(limit: number, encoding: Encoding<A>): Encoding<A> => {
  checkLength(limit, "checkSize")
  return make({
    size: encoding.size,
    sizeOf: (v) => {
      const size = encoding.sizeOf(v)
      if (size > limit) throw new EncodeFailure("SizeLimitExceeded", `${size} bytes, at most ${limit} allowed`)
      return size
    },
    write: encoding.write,
    read: (r) => {
      const saved = r.restrict(limit)
      const v = encoding.read(r)
      r.unrestrict(saved)
      return v
    }
  })
}

/**
 * Maps an encoding to a user type (Data_encoding's `conv`). `decode` may throw to refuse a value:
 * decoding then fails with `InvalidValue` (and encoding likewise for a throwing `encode`).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const date = Encoding.conv(Encoding.int64, {
 *   decode: (s) => new Date(Number(s) * 1000),
 *   encode: (d) => BigInt(Math.floor(d.getTime() / 1000))
 * })
 * Binary.length(date, new Date()) // 8
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const conv = <A, B>(
  encoding: Encoding<A>,
  f: { readonly decode: (a: A) => B; readonly encode: (b: B) => A }
): Encoding<B> =>
  make({
    size: encoding.size,
    sizeOf: (b) => encoding.sizeOf(f.encode(b)),
    write: (w, b) => encoding.write(w, f.encode(b)),
    read: (r) => {
      const at = r.pos
      const a = encoding.read(r)
      try {
        return f.decode(a)
      } catch (e) {
        throw new DecodeFailure("InvalidValue", at, e instanceof Error ? e.message : String(e))
      }
    }
  })

/**
 * Like {@link conv}, with a decoding that refuses values by returning a failure message.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import { Result } from "effect"
 * const even = Encoding.convOrFail(Encoding.uint8, {
 *   decode: (n) => (n % 2 === 0 ? Result.succeed(n) : Result.fail(`${n} is odd`)),
 *   encode: (n) => n
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const convOrFail = <A, B>(
  encoding: Encoding<A>,
  f: { readonly decode: (a: A) => Result.Result<B, string>; readonly encode: (b: B) => A }
): Encoding<B> =>
  make({
    size: encoding.size,
    sizeOf: (b) => encoding.sizeOf(f.encode(b)),
    write: (w, b) => encoding.write(w, f.encode(b)),
    read: (r) => {
      const at = r.pos
      const result = f.decode(encoding.read(r))
      if (Result.isFailure(result)) throw new DecodeFailure("InvalidValue", at, result.failure)
      return result.success
    }
  })

/**
 * The escape hatch for any Effect Schema whose encoded side is JSON: the value is encoded by the
 * schema, serialised with `JSON.stringify`, and written as a uint30-length-prefixed UTF-8 string.
 * Schema failures become `InvalidValue`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Schema } from "effect"
 * const meta = Encoding.json(Schema.Struct({ name: Schema.String, tags: Schema.Array(Schema.String) }))
 * Binary.encode(meta, { name: "n", tags: [] })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const json = <A, I>(schema: Schema.Codec<A, I>): Encoding<A> => {
  const encodeValue = Schema.encodeUnknownResult(schema)
  const decodeValue = Schema.decodeUnknownResult(schema)
  // computed in both sizeOf and write: caching by identity would go stale if the value were mutated
  const text = (value: A): string => {
    const encoded = encodeValue(value)
    if (Result.isFailure(encoded)) throw new EncodeFailure("InvalidValue", encoded.failure.message)
    const s = JSON.stringify(encoded.success)
    if (s === undefined) throw new EncodeFailure("InvalidValue", "the schema's encoded value is not JSON")
    return s
  }
  return make({
    size: DYNAMIC,
    sizeOf: (v) => string.sizeOf(text(v)),
    write: (w, v) => string.write(w, text(v)),
    read: (r) => {
      const at = r.pos
      const s = string.read(r)
      let parsed: unknown
      try {
        parsed = JSON.parse(s)
      } catch (e) {
        throw new DecodeFailure("InvalidValue", at, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`)
      }
      const decoded = decodeValue(parsed)
      if (Result.isFailure(decoded)) throw new DecodeFailure("InvalidValue", at, decoded.failure.message)
      return decoded.success
    }
  })
}

// ---------------------------------------------------------------------------------------------
// from Effect Schemas (the derivation lives in FromSchema.ts)

export {
  /**
   * An annotation choosing a schema node's binary form (an `Encoding`, a union tag, a tag size, ...).
   *
   * @category annotations
   * @since 0.2.0
   */
  binary,
  /**
   * The `Encoding` of an Effect Schema's `Type`, in Data_encoding's layout; see `FromSchema`.
   *
   * @category constructors
   * @since 0.2.0
   */
  fromSchema,
  /**
   * @category models
   * @since 0.2.0
   */
  type SchemaOrEncoding,
  /**
   * An `Encoding` as is, or the one derived from a schema.
   *
   * @category constructors
   * @since 0.2.0
   */
  toEncoding
} from "./FromSchema.ts"
