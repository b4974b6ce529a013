/**
 * The WebAssembly `CryptoBackend`: libsodium, the library Octez itself links, compiled to
 * WebAssembly by `libsodium-wrappers`. Platform-free (no `node:*` import, no native addon): it runs
 * in browsers and in Node where `sodium-native` cannot load, and measured about 3× the pure-JS
 * backend on 64 KiB seal + open, 12× on X25519 and 4× on handshakes (docs/benchmarks.md).
 *
 * The module is imported on demand when the layer is built, because starting it compiles about
 * half a megabyte of WebAssembly: importing `@effect-p2p/crypto` alone costs nothing.
 *
 * Secret hygiene: `libsodium-wrappers`' own functions copy keys into the module's memory and free
 * them without wiping, so this backend calls libsodium's C functions directly (through the raw module
 * it exposes as `libsodium`), with every byte it places in that memory (keys, nonces, plaintext,
 * results) zeroed before it is freed. libsodium wipes its own stack scratch (subkeys, one-time keys).
 * A chunk is sealed and opened in one piece of that memory (libsodium allows the in-place layout),
 * copied in and out: no JavaScript allocation per chunk.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { CryptoBackend, type CryptoBackendShape } from "./CryptoBackend.ts"
import { WasmUnavailable } from "./CryptoError.ts"
import { webRandomBytes } from "./internal/bytes.ts"

/** The part of libsodium's raw Emscripten module used here: C functions over heap addresses. */
interface Libsodium {
  readonly HEAPU8: Uint8Array
  readonly _malloc: (size: number) => number
  readonly _free: (address: number) => void
  readonly _crypto_scalarmult: (q: number, n: number, p: number) => number
  readonly _crypto_scalarmult_base: (q: number, n: number) => number
  readonly _crypto_box_beforenm: (k: number, pk: number, sk: number) => number
  // 64-bit lengths are passed as two 32-bit halves (low, high).
  readonly _crypto_secretbox_easy: (c: number, m: number, mLo: number, mHi: number, n: number, k: number) => number
  readonly _crypto_secretbox_open_easy: (m: number, c: number, cLo: number, cHi: number, n: number, k: number) => number
  readonly _crypto_generichash: (
    out: number,
    outLength: number,
    input: number,
    inLo: number,
    inHi: number,
    key: number,
    keyLength: number
  ) => number
}

const used: ReadonlyArray<keyof Libsodium> = [
  "_malloc",
  "_free",
  "_crypto_scalarmult",
  "_crypto_scalarmult_base",
  "_crypto_box_beforenm",
  "_crypto_secretbox_easy",
  "_crypto_secretbox_open_easy",
  "_crypto_generichash"
]

const tagLength = 16
const nonceLength = 24
const keyLength = 32

const checkKeyAndNonce = (key: Uint8Array, nonce: Uint8Array): void => {
  if (key.length !== keyLength) throw new RangeError(`an XSalsa20-Poly1305 key has 32 bytes, got ${key.length}`)
  if (nonce.length !== nonceLength) throw new RangeError(`an XSalsa20 nonce has 24 bytes, got ${nonce.length}`)
}

const fromLibsodium = (raw: Libsodium): CryptoBackendShape => {
  /** Runs `f` over `size` bytes of libsodium's memory, zeroed before they are freed. */
  const withHeap = <A>(size: number, f: (address: number) => A): A => {
    const address = raw._malloc(size)
    if (address === 0) throw new RangeError(`libsodium could not allocate ${size} bytes`)
    try {
      return f(address)
    } finally {
      raw.HEAPU8.fill(0, address, address + size) // HEAPU8 is read after the call: memory may have grown
      raw._free(address)
    }
  }

  const x25519 = (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined => {
    if (secretKey.length !== 32 || publicKey.length !== 32) return undefined
    return withHeap(96, (q) => {
      raw.HEAPU8.set(secretKey, q + 32)
      raw.HEAPU8.set(publicKey, q + 64)
      // -1 for a low-order peer key (checked before the ladder) or an all-zero result.
      return raw._crypto_scalarmult(q, q + 32, q + 64) === 0 ? raw.HEAPU8.slice(q, q + 32) : undefined
    })
  }

  const publicKeyOf = (secretKey: Uint8Array): Uint8Array => {
    if (secretKey.length !== 32) throw new RangeError(`an X25519 secret key has 32 bytes, got ${secretKey.length}`)
    return withHeap(64, (q) => {
      raw.HEAPU8.set(secretKey, q + 32)
      if (raw._crypto_scalarmult_base(q, q + 32) !== 0) throw new RangeError("crypto_scalarmult_base failed")
      return raw.HEAPU8.slice(q, q + 32)
    })
  }

  const precompute = (secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array | undefined => {
    if (secretKey.length !== 32 || peerPublicKey.length !== 32) return undefined
    return withHeap(96, (k) => {
      raw.HEAPU8.set(peerPublicKey, k + 32)
      raw.HEAPU8.set(secretKey, k + 64)
      return raw._crypto_box_beforenm(k, k + 32, k + 64) === 0 ? raw.HEAPU8.slice(k, k + 32) : undefined
    })
  }

  /** Seals `plaintext` and writes `tag || ciphertext` to `out` (which may be `plaintext`'s own chunk). */
  const sealTo = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void => {
    checkKeyAndNonce(key, nonce)
    const n = plaintext.length
    const boxLength = tagLength + n
    withHeap(boxLength + nonceLength + keyLength, (c) => {
      const nonceAt = c + boxLength
      const keyAt = nonceAt + nonceLength
      raw.HEAPU8.set(plaintext, c + tagLength)
      raw.HEAPU8.set(nonce, nonceAt)
      raw.HEAPU8.set(key, keyAt)
      raw._crypto_secretbox_easy(c, c + tagLength, n >>> 0, Math.floor(n / 2 ** 32), nonceAt, keyAt)
      out.set(raw.HEAPU8.subarray(c, c + boxLength))
    })
  }

  /** Opens `boxed` and writes the plaintext to `out` when it authenticates. */
  const openTo = (key: Uint8Array, nonce: Uint8Array, boxed: Uint8Array, out: Uint8Array): boolean => {
    if (boxed.length < tagLength || key.length !== keyLength || nonce.length !== nonceLength) return false
    const boxLength = boxed.length
    return withHeap(boxLength + nonceLength + keyLength, (c) => {
      const nonceAt = c + boxLength
      const keyAt = nonceAt + nonceLength
      raw.HEAPU8.set(boxed, c)
      raw.HEAPU8.set(nonce, nonceAt)
      raw.HEAPU8.set(key, keyAt)
      const m = c + tagLength
      if (raw._crypto_secretbox_open_easy(m, c, boxLength >>> 0, Math.floor(boxLength / 2 ** 32), nonceAt, keyAt) !== 0)
        return false
      out.set(raw.HEAPU8.subarray(m, c + boxLength))
      return true
    })
  }

  return {
    name: "wasm (libsodium-wrappers)",
    x25519,
    publicKeyOf,
    precompute,
    seal: (key, nonce, plaintext) => {
      const out = new Uint8Array(tagLength + plaintext.length)
      sealTo(key, nonce, plaintext, out)
      return out
    },
    sealInPlace: (key, nonce, buffer) => {
      if (buffer.length < tagLength) throw new RangeError(`a box has at least 16 bytes, got ${buffer.length}`)
      sealTo(key, nonce, buffer.subarray(tagLength), buffer)
    },
    open: (key, nonce, boxed) => {
      if (boxed.length < tagLength) return undefined
      const out = new Uint8Array(boxed.length - tagLength)
      return openTo(key, nonce, boxed, out) ? out : undefined
    },
    openInPlace: (key, nonce, buffer) => openTo(key, nonce, buffer, buffer.subarray(tagLength)),
    blake2b: (data, outputLength) => {
      if (!Number.isInteger(outputLength) || outputLength < 1 || outputLength > 64)
        throw new RangeError(`BLAKE2b gives 1 to 64 bytes, not ${outputLength}`)
      return withHeap(outputLength + data.length, (out) => {
        raw.HEAPU8.set(data, out + outputLength)
        const n = data.length
        raw._crypto_generichash(out, outputLength, out + outputLength, n >>> 0, Math.floor(n / 2 ** 32), 0, 0)
        return raw.HEAPU8.slice(out, out + outputLength)
      })
    },
    randomBytes: webRandomBytes
  }
}

const load = async (): Promise<CryptoBackendShape> => {
  const sodium = (await import("libsodium-wrappers")).default
  await sodium.ready
  const raw = (sodium as unknown as { readonly libsodium?: Libsodium }).libsodium
  const missing = raw === undefined ? ["libsodium"] : used.filter((name) => typeof raw[name] !== "function")
  if (raw === undefined || missing.length > 0) throw new Error(`libsodium-wrappers lacks ${missing.join(", ")}`)
  return fromLibsodium(raw)
}

/**
 * Loads and starts libsodium's WebAssembly module and gives the backend over it. Can fail with
 * `WasmUnavailable` (no WebAssembly, no `globalThis.crypto.getRandomValues`, or an unexpected build).
 *
 * @example
 * ```ts
 * import { WasmCrypto } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * Effect.runPromise(WasmCrypto.make).then((backend) => backend.blake2b(new Uint8Array(56), 32))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<CryptoBackendShape, WasmUnavailable> = Effect.tryPromise({
  try: load,
  catch: (error) => new WasmUnavailable({ reason: error instanceof Error ? error.message : String(error) })
})

/**
 * Provides the WebAssembly backend once libsodium has started (an asynchronous step, done when the
 * layer is built); fails with `WasmUnavailable` when it cannot.
 *
 * @example
 * ```ts
 * import { Box, Keys, Nonce, WasmCrypto } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const key = Result.getOrThrow(Keys.channelKey(new Uint8Array(32)))
 * const boxed = Box.seal(key, Nonce.zero(), new Uint8Array([1, 2, 3])).pipe(Effect.provide(WasmCrypto.layer))
 * Effect.runPromise(boxed).then((box) => box.length) // 19
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<CryptoBackend, WasmUnavailable> = Layer.effect(CryptoBackend, make)
