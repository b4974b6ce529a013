/**
 * UTF-8 for the string encodings. Short strings (the common case on the wire: chain names, points)
 * are handled by hand, or by Node's `Buffer` slicers where they exist, because TextEncoder/TextDecoder
 * calls cost more than the work itself there.
 * Lone surrogates are refused rather than replaced, so that decode(encode(s)) = s always holds.
 */
import { DecodeFailure, EncodeFailure } from "./cursor.ts"

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** Exact UTF-8 length of `s`; fails on ill-formed UTF-16. */
export const utf8Length = (s: string): number => {
  const n = s.length
  let size = n
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) size += 1
    else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) {
        throw new EncodeFailure("InvalidValue", `string has a lone surrogate at index ${i}`)
      }
      // the pair is 2 UTF-16 units and 4 UTF-8 bytes
      size += 2
      i++
    } else size += 2
  }
  return size
}

const SHORT = 48

/** Writes `s` (already checked by utf8Length) at `pos`; returns the new position. */
export const writeUtf8 = (bytes: Uint8Array, pos: number, s: string): number => {
  const n = s.length
  if (n > SHORT) return pos + encoder.encodeInto(s, bytes.subarray(pos)).written
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) bytes[pos++] = c
    else if (c < 0x800) {
      bytes[pos++] = 0xc0 | (c >> 6)
      bytes[pos++] = 0x80 | (c & 0x3f)
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00)
      bytes[pos++] = 0xf0 | (c >> 18)
      bytes[pos++] = 0x80 | ((c >> 12) & 0x3f)
      bytes[pos++] = 0x80 | ((c >> 6) & 0x3f)
      bytes[pos++] = 0x80 | (c & 0x3f)
    } else {
      bytes[pos++] = 0xe0 | (c >> 12)
      bytes[pos++] = 0x80 | ((c >> 6) & 0x3f)
      bytes[pos++] = 0x80 | (c & 0x3f)
    }
  }
  return pos
}

/** Node's `Buffer.prototype` string slicers, where they exist (they accept any Uint8Array receiver). */
interface NodeSlicers {
  readonly latin1Slice: (this: Uint8Array, start: number, end: number) => string
  readonly utf8Slice: (this: Uint8Array, start: number, end: number) => string
}

const nodeSlicers = (): NodeSlicers | undefined => {
  const proto = (globalThis as { Buffer?: { prototype?: Partial<NodeSlicers> } }).Buffer?.prototype
  const latin1Slice = proto?.latin1Slice
  const utf8Slice = proto?.utf8Slice
  if (typeof latin1Slice !== "function" || typeof utf8Slice !== "function") return undefined
  try {
    // check they take a plain Uint8Array and behave as expected before relying on them
    const probe = Uint8Array.of(0x61, 0xc3, 0xa9, 0xff)
    if (latin1Slice.call(probe, 0, 1) !== "a" || utf8Slice.call(probe, 0, 3) !== "a\u00e9") return undefined
    if (utf8Slice.call(probe, 3, 4) !== "\ufffd") return undefined
  } catch {
    return undefined
  }
  return { latin1Slice, utf8Slice }
}

const slicers = nodeSlicers()

const fatalDecode = (bytes: Uint8Array, start: number, end: number): string => {
  try {
    return decoder.decode(bytes.subarray(start, end))
  } catch {
    throw new DecodeFailure("InvalidValue", start, "string is not valid UTF-8")
  }
}

/**
 * Decodes `bytes[start, end)` without Node's `Buffer`: short strings are built by hand while they
 * are ASCII (one pass; the first byte >= 0x80 hands the whole string to TextDecoder, which also does
 * the validation), since a TextDecoder call costs more than building a short string; long ones go to
 * TextDecoder (fatal). This is also the reference the Node path is tested against.
 */
export const readUtf8Portable = (bytes: Uint8Array, start: number, end: number): string => {
  if (end - start <= SHORT) {
    let s = ""
    let i = start
    for (; i < end; i++) {
      const c = bytes[i]!
      if (c >= 0x80) break
      s += String.fromCharCode(c)
    }
    if (i === end) return s
  }
  return fatalDecode(bytes, start, end)
}

/**
 * Decodes `bytes[start, end)` with Node's `Buffer` slicers (undefined where there is no `Buffer`).
 * A short string is scanned for a byte >= 0x80; if there is none it is ASCII and `latin1Slice` builds
 * it (a one-byte string, about half the cost of the hand-built one). A short non-ASCII string goes to
 * `utf8Slice`, which never fails but replaces each ill-formed sequence with U+FFFD; a result without
 * U+FFFD is therefore exact (well-formed UTF-8 decodes one way), and one with U+FFFD (ill-formed input,
 * or a genuine U+FFFD) is decoded again by the fatal TextDecoder, which decides. Long strings go to
 * TextDecoder directly: it validates and decodes them faster than `utf8Slice` here.
 */
export const readUtf8Node: ((bytes: Uint8Array, start: number, end: number) => string) | undefined =
  slicers === undefined
    ? undefined
    : (bytes, start, end) => {
        if (end - start <= SHORT) {
          let i = start
          while (i < end && bytes[i]! < 0x80) i++
          if (i === end) return slicers.latin1Slice.call(bytes, start, end)
          const s = slicers.utf8Slice.call(bytes, start, end)
          if (s.indexOf("\ufffd") < 0) return s
        }
        return fatalDecode(bytes, start, end)
      }

/**
 * Decodes `bytes[start, end)` as UTF-8; fails with `InvalidValue` on ill-formed input (as a fatal
 * TextDecoder). Uses Node's `Buffer` slicers when they exist, the portable path otherwise; both give
 * the same strings and the same failures.
 */
export const readUtf8: (bytes: Uint8Array, start: number, end: number) => string = readUtf8Node ?? readUtf8Portable
