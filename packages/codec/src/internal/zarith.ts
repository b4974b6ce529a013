/**
 * Data_encoding's `n` and `z` binary format (arbitrary-precision integers, as Zarith numbers are
 * written on the wire): little-endian groups of 7 bits, the high bit of each byte saying "more
 * follows". For `z` the first byte carries the sign in bit 6 and only 6 bits of magnitude. A final
 * zero byte after the first is refused (it would make encodings non-canonical), as Data_encoding does.
 */
import type { Reader, Writer } from "../Cursor.ts"
import { DecodeFailure, EncodeFailure } from "./cursor.ts"

const groupsOf7 = (v: bigint): number => {
  let size = 1
  for (let x = v >> 7n; x > 0n; x >>= 7n) size++
  return size
}

export const nSize = (v: bigint): number => {
  if (typeof v !== "bigint" || v < 0n)
    throw new EncodeFailure("InvalidValue", `n expects a non-negative bigint, got ${String(v)}`)
  return groupsOf7(v)
}

export const zSize = (v: bigint): number => {
  if (typeof v !== "bigint") throw new EncodeFailure("InvalidValue", `z expects a bigint, got ${String(v)}`)
  const m = v < 0n ? -v : v
  return m < 64n ? 1 : 1 + groupsOf7(m >> 6n)
}

const writeGroups = (w: Writer, v: bigint): void => {
  while (true) {
    const b = Number(v & 0x7fn)
    v >>= 7n
    if (v === 0n) {
      w.bytes[w.pos++] = b
      return
    }
    w.bytes[w.pos++] = b | 0x80
  }
}

export const writeN = (w: Writer, v: bigint): void => writeGroups(w, v)

export const writeZ = (w: Writer, v: bigint): void => {
  const negative = v < 0n
  const m = negative ? -v : v
  const first = Number(m & 0x3fn) | (negative ? 0x40 : 0)
  const rest = m >> 6n
  if (rest === 0n) {
    w.bytes[w.pos++] = first
    return
  }
  w.bytes[w.pos++] = first | 0x80
  writeGroups(w, rest)
}

/** Reads the 7-bit groups starting at the reader's position into a bigint, most significant first. */
const readGroups = (r: Reader, start: number, what: string): bigint => {
  // find the end first, so the bigint is built once from the most significant group down
  let i = start
  while (true) {
    if (i + 1 > r.end) {
      r.pos = i
      r.shortage(1)
    }
    if ((r.bytes[i]! & 0x80) === 0) break
    i++
  }
  const last = i
  if (r.bytes[last] === 0 && last > start) {
    throw new DecodeFailure("InvalidValue", last, `${what} has a trailing zero byte`)
  }
  r.pos = last + 1
  let v = 0n
  // 28 bits per step keeps the number of bigint operations low for long values
  let j = last
  while (j >= start) {
    let chunk = 0
    let bits = 0
    while (j >= start && bits < 28) {
      chunk = chunk * 128 + (r.bytes[j]! & 0x7f)
      bits += 7
      j--
    }
    v = (v << BigInt(bits)) | BigInt(chunk)
  }
  return v
}

export const readN = (r: Reader): bigint => readGroups(r, r.pos, "n")

export const readZ = (r: Reader): bigint => {
  const start = r.pos
  const first = r.u8()
  const negative = (first & 0x40) !== 0
  let m = BigInt(first & 0x3f)
  if ((first & 0x80) !== 0) {
    const rest = readGroups(r, r.pos, "z")
    m |= rest << 6n
  } else if (first === 0x40) {
    throw new DecodeFailure("InvalidValue", start, "z encodes negative zero")
  }
  return negative ? -m : m
}
