/**
 * UTF-8 for the string encodings. Short strings (the common case on the wire: chain names, points)
 * are handled by hand because TextEncoder/TextDecoder calls cost more than the work itself there.
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

/**
 * Decodes `bytes[start, end)`. Short strings are built by hand while they are ASCII (one pass; the
 * first byte >= 0x80 hands the whole string to TextDecoder, which also does the validation), since a
 * TextDecoder call costs more than building a short string; long ones go to TextDecoder (fatal).
 */
export const readUtf8 = (bytes: Uint8Array, start: number, end: number): string => {
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
  try {
    return decoder.decode(bytes.subarray(start, end))
  } catch {
    throw new DecodeFailure("InvalidValue", start, "string is not valid UTF-8")
  }
}
