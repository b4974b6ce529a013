/**
 * The native `CryptoBackend` for Node: libsodium through `sodium-native` (an optional dependency)
 * for XSalsa20-Poly1305, BLAKE2b and random bytes, and X25519 from libsodium (default) or
 * `node:crypto` (see docs/benchmarks.md). No primitive here is our own.
 *
 * libsodium's `crypto_box_beforenm` is not exposed by sodium-native 5.1 (nor is
 * `crypto_core_hsalsa20`), so `precompute` is X25519 followed by `@noble/ciphers`' HSalsa20
 * (`CryptoBackend.hsalsa20`), which costs about a microsecond next to the scalar multiplication.
 * BLAKE2b outputs shorter than 16 bytes, which sodium-native refuses, use `@noble/hashes`.
 *
 * @since 0.1.0
 */

import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto"
import { CryptoBackend } from "@effect-p2p/crypto"
import { Effect, Layer, Schema } from "effect"
import { loadSodium, type Sodium } from "./internal/sodium.ts"

/**
 * `sodium-native` could not be loaded (no binary for this platform, not installed).
 *
 * @example
 * ```ts
 * import { NativeCrypto } from "@effect-p2p/node"
 * new NativeCrypto.SodiumUnavailable({ reason: "Cannot find module 'sodium-native'" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class SodiumUnavailable extends Schema.TaggedError<SodiumUnavailable>()("SodiumUnavailable", {
  reason: Schema.String
}) {
  override get message(): string {
    return `the native crypto backend needs sodium-native, which failed to load: ${this.reason}`
  }
}

/**
 * Which X25519 implementation the native backend uses.
 *
 * @category models
 * @since 0.1.0
 */
export type X25519Impl = "sodium" | "node:crypto"

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** X25519 implementation (default `"sodium"`, the faster one measured in docs/benchmarks.md). */
  readonly x25519?: X25519Impl | undefined
}

const isZero = (a: Uint8Array): boolean => {
  let acc = 0
  for (let i = 0; i < a.length; i++) acc |= a[i]!
  return acc === 0
}

const b64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url")

const sodiumX25519 =
  (sodium: Sodium) =>
  (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined => {
    const out = new Uint8Array(32)
    try {
      // libsodium refuses (status -1) when the result is all zero: a low-order peer key.
      sodium.crypto_scalarmult(out, secretKey, publicKey)
    } catch {
      return undefined
    }
    return isZero(out) ? undefined : out
  }

// One cached private KeyObject: a node has one identity, so the last secret key is the one reused.
const nodeX25519 = (publicKeyOf: (sk: Uint8Array) => Uint8Array) => {
  let cachedSecret: Uint8Array | undefined
  let cachedKey: KeyObject | undefined
  const privateKeyObject = (secretKey: Uint8Array): KeyObject => {
    if (cachedKey !== undefined && cachedSecret !== undefined && Buffer.compare(cachedSecret, secretKey) === 0) {
      return cachedKey
    }
    const key = createPrivateKey({
      key: { kty: "OKP", crv: "X25519", d: b64url(secretKey), x: b64url(publicKeyOf(secretKey)) },
      format: "jwk"
    })
    cachedSecret = Uint8Array.from(secretKey)
    cachedKey = key
    return key
  }
  return (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined => {
    try {
      const publicKeyObject = createPublicKey({
        key: { kty: "OKP", crv: "X25519", x: b64url(publicKey) },
        format: "jwk"
      })
      const shared = diffieHellman({ privateKey: privateKeyObject(secretKey), publicKey: publicKeyObject })
      const out = new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength)
      return isZero(out) ? undefined : out
    } catch {
      // OpenSSL fails the derivation for low-order points.
      return undefined
    }
  }
}

/**
 * A native backend over a loaded `sodium-native`.
 *
 * @example
 * ```ts
 * import { NativeCrypto } from "@effect-p2p/node"
 * import { Effect } from "effect"
 * const backend = Effect.runSync(NativeCrypto.make())
 * backend.blake2b(new Uint8Array(56), 32)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: Options): Effect.Effect<CryptoBackend.CryptoBackendShape, SodiumUnavailable> =>
  Effect.suspend(() => {
    const loaded = loadSodium()
    if ("error" in loaded) return Effect.fail(new SodiumUnavailable({ reason: loaded.error }))
    return Effect.succeed(fromSodium(loaded.sodium, options))
  })

const fromSodium = (sodium: Sodium, options?: Options): CryptoBackend.CryptoBackendShape => {
  const publicKeyOf = (secretKey: Uint8Array): Uint8Array => {
    const out = new Uint8Array(32)
    sodium.crypto_scalarmult_base(out, secretKey)
    return out
  }
  const impl = options?.x25519 ?? "sodium"
  const x25519 = impl === "sodium" ? sodiumX25519(sodium) : nodeX25519(publicKeyOf)
  return {
    name: `native (sodium-native, X25519 via ${impl})`,
    x25519,
    publicKeyOf,
    precompute: (secretKey, peerPublicKey) => {
      const shared = x25519(secretKey, peerPublicKey)
      if (shared === undefined) return undefined
      const key = CryptoBackend.hsalsa20(shared)
      shared.fill(0)
      return key
    },
    seal: (key, nonce, plaintext) => {
      const out = new Uint8Array(plaintext.length + 16)
      sodium.crypto_secretbox_easy(out, plaintext, nonce, key)
      return out
    },
    open: (key, nonce, boxed) => {
      if (boxed.length < 16) return undefined
      const out = new Uint8Array(boxed.length - 16)
      return sodium.crypto_secretbox_open_easy(out, boxed, nonce, key) ? out : undefined
    },
    // libsodium handles ciphertext and plaintext at the same address (its "easy" layout puts the
    // 16-byte tag first), so a chunk is sealed and opened where it lies.
    sealInPlace: (key, nonce, buffer) => {
      sodium.crypto_secretbox_easy(buffer, buffer.subarray(16), nonce, key)
    },
    openInPlace: (key, nonce, buffer) =>
      buffer.length >= 16 && sodium.crypto_secretbox_open_easy(buffer.subarray(16), buffer, nonce, key),
    blake2b: (data, outputLength) => {
      // libsodium's generichash accepts 16..64 output bytes; shorter outputs go to the JS path.
      if (outputLength < 16) return CryptoBackend.noble.blake2b(data, outputLength)
      const out = new Uint8Array(outputLength)
      sodium.crypto_generichash(out, data)
      return out
    },
    randomBytes: (n) => {
      const out = new Uint8Array(n)
      if (n > 0) sodium.randombytes_buf(out)
      return out
    }
  }
}

/**
 * Provides the native backend; fails with `SodiumUnavailable` when `sodium-native` cannot load.
 *
 * @example
 * ```ts
 * import { NativeCrypto } from "@effect-p2p/node"
 * import { Box, Keys, Nonce } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const key = Result.getOrThrow(Keys.channelKey(new Uint8Array(32)))
 * const boxed = Box.seal(key, Nonce.zero(), new Uint8Array([1, 2, 3])).pipe(Effect.provide(NativeCrypto.layer()))
 * Effect.runSync(boxed).length // 19, or fails with SodiumUnavailable
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<CryptoBackend.CryptoBackend, SodiumUnavailable> =>
  Layer.effect(CryptoBackend.CryptoBackend, make(options))

/**
 * The native backend when `sodium-native` loads, else the pure-JS noble backend, with a warning
 * in the log saying so (the layer never fails).
 *
 * @example
 * ```ts
 * import { NativeCrypto } from "@effect-p2p/node"
 * import { CryptoBackend, Identity, Keys } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * const text = Identity.toJson(Identity.fromParts(CryptoBackend.noble, Keys.generateWith(CryptoBackend.noble), stamp))
 * Effect.runPromise(Identity.fromJson(text).pipe(Effect.provide(NativeCrypto.layerWithFallback))) // the Identity
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerWithFallback: Layer.Layer<CryptoBackend.CryptoBackend> = Layer.effect(
  CryptoBackend.CryptoBackend,
  make().pipe(
    Effect.catchTag("SodiumUnavailable", (error) =>
      Effect.as(Effect.logWarning(`${error.message}; using the pure-JS noble backend`), CryptoBackend.noble)
    )
  )
)
