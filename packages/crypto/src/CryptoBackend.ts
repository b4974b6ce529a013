/**
 * The `CryptoBackend` service: the few primitives the protocol needs (X25519, NaCl's
 * `crypto_box_beforenm`, XSalsa20-Poly1305 seal/open, BLAKE2b of any output length, random bytes),
 * behind one synchronous interface so a connection can call it per chunk. Every implementation
 * comes from an audited library: the default, {@link noble}, is pure JavaScript built only from
 * `@noble/curves` (X25519), `@noble/ciphers` (XSalsa20-Poly1305 and HSalsa20) and `@noble/hashes`
 * (BLAKE2b) and runs in browsers; `WasmCrypto` is libsodium compiled to WebAssembly, and
 * `@effect-p2p/node` provides a native one (libsodium through `sodium-native`).
 *
 * Low-order peer keys: X25519 with a low-order point gives the all-zero shared secret, which would
 * make the channel key predictable; `x25519` and `precompute` return `undefined` for such keys and
 * `Box.precompute` turns that into `InvalidPublicKey` (libsodium's `crypto_scalarmult` and
 * `@noble/curves` both refuse them).
 *
 * Secret hygiene: no module-level buffer keeps key material, subkeys, keystream or plaintext after
 * a call returns (the noble backend's reused open buffer is wiped before each call returns).
 *
 * @since 0.1.0
 */
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js"
import { x25519 } from "@noble/curves/ed25519.js"
import { blake2b } from "@noble/hashes/blake2.js"
import { Context, Layer } from "effect"
import { webRandomBytes } from "./internal/bytes.ts"

/**
 * The operations of a backend. All are synchronous and none throws on well-sized input: failures
 * are `undefined` results.
 *
 * @category models
 * @since 0.1.0
 */
export interface CryptoBackendShape {
  /** Human-readable implementation name, e.g. `"noble"`. */
  readonly name: string
  /** X25519(secretKey, publicKey); `undefined` when the result is all zero (low-order peer key). */
  readonly x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => Uint8Array | undefined
  /** X25519 with the base point: the public key of a secret key. */
  readonly publicKeyOf: (secretKey: Uint8Array) => Uint8Array
  /** `crypto_box_beforenm`: HSalsa20(X25519(sk, pk), 0¹⁶); `undefined` for a low-order peer key. */
  readonly precompute: (secretKey: Uint8Array, peerPublicKey: Uint8Array) => Uint8Array | undefined
  /** XSalsa20-Poly1305 with a 24-byte nonce; returns `tag(16) || ciphertext`. */
  readonly seal: (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array) => Uint8Array
  /** Inverse of `seal`; `undefined` when authentication fails (or the box is shorter than a tag). */
  readonly open: (key: Uint8Array, nonce: Uint8Array, boxed: Uint8Array) => Uint8Array | undefined
  /**
   * Optional `seal` without allocation: `buffer` holds 16 spare bytes followed by the plaintext, and
   * afterwards holds `tag(16) || ciphertext`. Use it through {@link sealInPlace}, which falls back
   * to `seal` and a copy for a backend without it.
   */
  readonly sealInPlace?: ((key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array) => void) | undefined
  /**
   * Optional `open` without allocation: `buffer` holds `tag(16) || ciphertext`; on success returns
   * `true` and `buffer.subarray(16)` holds the plaintext; on failure returns `false` and the buffer's
   * content is unspecified. Use it through {@link openInPlace}.
   */
  readonly openInPlace?: ((key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array) => boolean) | undefined
  /** Unkeyed BLAKE2b with `outputLength` (1..64) bytes of output: a real parameterisation, not a truncation. */
  readonly blake2b: (data: Uint8Array, outputLength: number) => Uint8Array
  /** Cryptographically secure random bytes. */
  readonly randomBytes: (n: number) => Uint8Array
}

/**
 * The service key.
 *
 * @example
 * ```ts
 * import { CryptoBackend } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * const hash = CryptoBackend.CryptoBackend.useSync((b) => b.blake2b(new Uint8Array(0), 32))
 * Effect.runSync(Effect.provide(hash, CryptoBackend.layerNoble))
 * ```
 * @category services
 * @since 0.1.0
 */
export class CryptoBackend extends Context.Service<CryptoBackend, CryptoBackendShape>()(
  "@effect-p2p/crypto/CryptoBackend"
) {}

const tagLength = 16

/**
 * Seals in place with any backend: `buffer` is 16 spare bytes followed by the plaintext, and
 * afterwards holds `tag || ciphertext`, the same bytes `seal` returns. Uses the backend's
 * allocation-free `sealInPlace` when it has one (the connection's writer seals every chunk this way).
 *
 * @example
 * ```ts
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * const key = new Uint8Array(32)
 * const buffer = new Uint8Array(16 + 3)
 * buffer.set([1, 2, 3], 16)
 * CryptoBackend.sealInPlace(CryptoBackend.noble, key, Nonce.zero(), buffer)
 * // buffer now equals CryptoBackend.noble.seal(key, Nonce.zero(), new Uint8Array([1, 2, 3]))
 * ```
 * @category operations
 * @since 0.1.0
 */
export const sealInPlace = (backend: CryptoBackendShape, key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array) => {
  if (backend.sealInPlace !== undefined) return backend.sealInPlace(key, nonce, buffer)
  buffer.set(backend.seal(key, nonce, buffer.subarray(tagLength)))
}

/**
 * Opens in place with any backend: `buffer` holds `tag || ciphertext`; returns `true` when it
 * authenticates, and then `buffer.subarray(16)` holds the plaintext; `false` otherwise (the buffer's
 * content is then unspecified). Uses the backend's allocation-free `openInPlace` when it has one.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * const key = new Uint8Array(32)
 * const buffer = CryptoBackend.noble.seal(key, Nonce.zero(), new Uint8Array([1, 2, 3]))
 * CryptoBackend.openInPlace(CryptoBackend.noble, key, Nonce.zero(), buffer) // true
 * buffer.subarray(16) // Uint8Array [1, 2, 3]
 * ```
 * @category operations
 * @since 0.1.0
 */
export const openInPlace = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: Uint8Array,
  buffer: Uint8Array
): boolean => {
  if (buffer.length < tagLength) return false
  if (backend.openInPlace !== undefined) return backend.openInPlace(key, nonce, buffer)
  const plaintext = backend.open(key, nonce, buffer)
  if (plaintext === undefined) return false
  buffer.set(plaintext, tagLength)
  return true
}

// "expand 32-byte k" as the little-endian words HSalsa20 starts from.
const sigma = new Uint8Array([..."expand 32-byte k"].map((c) => c.charCodeAt(0)))

/** The bytes of `a` as 32-bit words in host order, the form `@noble/ciphers`' `hsalsa` reads. */
const words = (a: Uint8Array, n: number): Uint32Array => {
  const w = new Uint32Array(n)
  new Uint8Array(w.buffer).set(a.subarray(0, 4 * n))
  return w
}

/**
 * HSalsa20 with NaCl's `crypto_box_beforenm` parameters (16 zero input bytes, "expand 32-byte k"),
 * from `@noble/ciphers`: the second half of `precompute`, for backends whose library lacks
 * `crypto_box_beforenm` (sodium-native exposes neither it nor `crypto_core_hsalsa20`).
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys } from "@effect-p2p/crypto"
 * const a = Keys.generateWith(CryptoBackend.noble), b = Keys.generateWith(CryptoBackend.noble)
 * const sharedSecret = CryptoBackend.noble.x25519(a.secretKey, b.publicKey)!
 * CryptoBackend.hsalsa20(sharedSecret) // 32-byte channel key, as CryptoBackend.noble.precompute(a.secretKey, b.publicKey)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const hsalsa20 = (sharedSecret: Uint8Array): Uint8Array => {
  if (sharedSecret.length !== 32) throw new RangeError(`HSalsa20 takes a 32-byte key, got ${sharedSecret.length}`)
  const key = words(sharedSecret, 8)
  const out = new Uint32Array(8)
  hsalsa(words(sigma, 4), key, new Uint32Array(4), out)
  key.fill(0)
  return new Uint8Array(out.buffer)
}

const nobleX25519 = (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined => {
  if (secretKey.length !== 32 || publicKey.length !== 32) return undefined
  try {
    // @noble/curves refuses the low-order points (whose result is all zero) before its ladder.
    return x25519.getSharedSecret(secretKey, publicKey)
  } catch {
    return undefined
  }
}

const noblePublicKeyOf = (secretKey: Uint8Array): Uint8Array => {
  if (secretKey.length !== 32) throw new RangeError(`an X25519 secret key has 32 bytes, got ${secretKey.length}`)
  return x25519.getPublicKey(secretKey)
}

const noblePrecompute = (secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array | undefined => {
  const shared = nobleX25519(secretKey, peerPublicKey)
  if (shared === undefined) return undefined
  const key = hsalsa20(shared)
  shared.fill(0)
  return key
}

// @noble/ciphers' xsalsa20poly1305 writes into a caller-provided output of input + 32 bytes:
// seal leaves `tag || ciphertext` at output[16..], open leaves the plaintext at output[48..]. A
// chunk has only 16 spare bytes in front, so in place means through one reused output (up to a
// full chunk; larger boxes get their own) and a copy back. After a seal it holds only the
// ciphertext and tag; after an open it held plaintext, so it is wiped before returning.
const maxReused = 65536 + 48
let reused = new Uint8Array(0)
const outputOf = (length: number): Uint8Array => {
  if (length > maxReused) return new Uint8Array(length)
  if (reused.length < length) reused = new Uint8Array(maxReused)
  return reused.subarray(0, length)
}

const nobleSeal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array =>
  xsalsa20poly1305(key, nonce).encrypt(plaintext)

const nobleSealInPlace = (key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array): void => {
  if (buffer.length < tagLength) throw new RangeError(`a box has at least ${tagLength} bytes, got ${buffer.length}`)
  const output = outputOf(buffer.length + 16)
  buffer.set(xsalsa20poly1305(key, nonce).encrypt(buffer.subarray(tagLength), output))
}

const nobleOpen = (key: Uint8Array, nonce: Uint8Array, boxed: Uint8Array): Uint8Array | undefined => {
  if (boxed.length < tagLength) return undefined
  try {
    return xsalsa20poly1305(key, nonce).decrypt(boxed)
  } catch {
    return undefined // a wrong tag (or a key or nonce of the wrong length)
  }
}

const nobleOpenInPlace = (key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array): boolean => {
  if (buffer.length < tagLength) return false
  const output = outputOf(buffer.length + 32)
  try {
    buffer.set(xsalsa20poly1305(key, nonce).decrypt(buffer, output), tagLength)
    return true
  } catch {
    return false // @noble/ciphers has already wiped the output
  } finally {
    output.fill(0, 48)
  }
}

/**
 * The pure-JavaScript backend, built only from audited libraries: `@noble/curves` (X25519),
 * `@noble/ciphers` (XSalsa20-Poly1305, HSalsa20), `@noble/hashes` (BLAKE2b) and WebCrypto's
 * `getRandomValues`. Works in Node and browsers.
 *
 * @example
 * ```ts
 * import { CryptoBackend } from "@effect-p2p/crypto"
 * CryptoBackend.noble.blake2b(new TextEncoder().encode("hello world"), 16)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const noble: CryptoBackendShape = {
  name: "noble",
  x25519: nobleX25519,
  publicKeyOf: noblePublicKeyOf,
  precompute: noblePrecompute,
  seal: nobleSeal,
  sealInPlace: nobleSealInPlace,
  open: nobleOpen,
  openInPlace: nobleOpenInPlace,
  blake2b: (data, outputLength) => blake2b(data, { dkLen: outputLength }),
  randomBytes: webRandomBytes
}

/**
 * Provides the {@link noble} backend.
 *
 * @example
 * ```ts
 * import { Box, CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const key = Result.getOrThrow(Keys.channelKey(new Uint8Array(32)))
 * const boxed = Box.seal(key, Nonce.zero(), new Uint8Array([1, 2, 3])).pipe(Effect.provide(CryptoBackend.layerNoble))
 * Effect.runSync(boxed).length // 19
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerNoble: Layer.Layer<CryptoBackend> = Layer.succeed(CryptoBackend, noble)
