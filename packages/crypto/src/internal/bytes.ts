/**
 * Byte helpers shared by the modules: length-checked branding, hex, constant-shape comparison.
 */
import { Result } from "effect"
import { InvalidLength } from "../CryptoError.ts"

/** Copies `bytes` and brands the copy after checking its length. */
export const fixed = <B extends Uint8Array>(
  what: string,
  length: number,
  bytes: Uint8Array
): Result.Result<B, InvalidLength> =>
  bytes.length === length
    ? Result.succeed(Uint8Array.from(bytes) as B)
    : Result.fail(new InvalidLength({ what, expected: length, actual: bytes.length }))

const hexChars = "0123456789abcdef"

/** Lower-case hex, the JSON form Data_encoding uses for fixed bytes. */
export const toHex = (bytes: Uint8Array): string => {
  let s = ""
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    s += hexChars[b >>> 4]! + hexChars[b & 15]!
  }
  return s
}

/** Parses hex (either case); `undefined` when the text is not an even run of hex digits. */
export const fromHex = (text: string): Uint8Array | undefined => {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Byte equality whose running time does not depend on where the first difference is. */
export const equals = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** True when every byte is zero (constant time in the length). */
export const isZero = (a: Uint8Array): boolean => {
  let acc = 0
  for (let i = 0; i < a.length; i++) acc |= a[i]!
  return acc === 0
}

/** Big-endian +1 modulo 2^(8·length), in place (the Octez nonce and stamp increment). */
export const incrementInPlace = (bytes: Uint8Array): void => {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const v = (bytes[i]! + 1) & 0xff
    bytes[i] = v
    if (v !== 0) return
  }
}

const maxRandomChunk = 65536 // getRandomValues refuses more per call

/** Secure random bytes from WebCrypto's `getRandomValues` (Node ≥ 19, every browser), 64 KiB at a time. */
export const webRandomBytes = (n: number): Uint8Array => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += maxRandomChunk) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + maxRandomChunk)))
  }
  return out
}
