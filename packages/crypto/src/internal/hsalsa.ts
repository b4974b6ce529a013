/**
 * HSalsa20 with the NaCl parameters used by `crypto_box_beforenm`: key = the X25519 shared point,
 * input = 16 zero bytes, constant "expand 32-byte k".
 */
import { hsalsa } from "@noble/ciphers/salsa.js"

// "expand 32-byte k" as little-endian words.
const sigma = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
const zeroInput = new Uint32Array(4)

/** `crypto_core_hsalsa20(out, 0¹⁶, key, sigma)`. */
export const hsalsa20 = (key: Uint8Array): Uint8Array => {
  const k = new Uint32Array(8)
  new Uint8Array(k.buffer).set(key.subarray(0, 32))
  const out = new Uint32Array(8)
  hsalsa(sigma, k, zeroInput, out)
  return new Uint8Array(out.buffer)
}
