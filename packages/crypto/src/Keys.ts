/**
 * Branded byte types for the key material of a session: the 32-byte X25519 `PublicKey` and
 * `SecretKey`, the 32-byte precomputed `ChannelKey`, the 24-byte proof-of-work `PowStamp`, and a
 * `KeyPair`. Constructors copy and length-check their input, failing with `InvalidLength`.
 *
 * @since 0.1.0
 */
import type { Effect, Result } from "effect"
import type * as Brand from "effect/Brand"
import { CryptoBackend, type CryptoBackendShape } from "./CryptoBackend.ts"
import type { InvalidLength } from "./CryptoError.ts"
import { fixed, toHex as hex, fromHex as unhex } from "./internal/bytes.ts"

/**
 * An X25519 public key (32 bytes).
 *
 * @category models
 * @since 0.1.0
 */
export type PublicKey = Uint8Array & Brand.Brand<"PublicKey">

/**
 * An X25519 secret key (32 bytes, used as-is; clamping happens inside X25519).
 *
 * @category models
 * @since 0.1.0
 */
export type SecretKey = Uint8Array & Brand.Brand<"SecretKey">

/**
 * A precomputed box key (`crypto_box_beforenm`, 32 bytes), the same on both ends of a session.
 *
 * @category models
 * @since 0.1.0
 */
export type ChannelKey = Uint8Array & Brand.Brand<"ChannelKey">

/**
 * A proof-of-work stamp (24 bytes).
 *
 * @category models
 * @since 0.1.0
 */
export type PowStamp = Uint8Array & Brand.Brand<"PowStamp">

/**
 * A public key with its secret key.
 *
 * @category models
 * @since 0.1.0
 */
export interface KeyPair {
  readonly publicKey: PublicKey
  readonly secretKey: SecretKey
}

/** @category models @since 0.1.0 */
export const keyLength = 32
/** @category models @since 0.1.0 */
export const stampLength = 24

/**
 * Checks and brands a public key.
 *
 * @example
 * ```ts
 * import { Keys } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * Result.isSuccess(Keys.publicKey(new Uint8Array(32))) // true
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const publicKey = (bytes: Uint8Array): Result.Result<PublicKey, InvalidLength> =>
  fixed("PublicKey", keyLength, bytes)

/**
 * Checks and brands a secret key.
 *
 * @example
 * ```ts
 * import { Keys } from "@effect-p2p/crypto"
 * Keys.secretKey(new Uint8Array(31)) // Result.fail(InvalidLength)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const secretKey = (bytes: Uint8Array): Result.Result<SecretKey, InvalidLength> =>
  fixed("SecretKey", keyLength, bytes)

/**
 * Checks and brands a channel key (for keys obtained elsewhere; `Box.precompute` makes them).
 *
 * @example
 * ```ts
 * import { Keys } from "@effect-p2p/crypto"
 * Keys.channelKey(new Uint8Array(32))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const channelKey = (bytes: Uint8Array): Result.Result<ChannelKey, InvalidLength> =>
  fixed("ChannelKey", keyLength, bytes)

/**
 * Checks and brands a proof-of-work stamp.
 *
 * @example
 * ```ts
 * import { Keys } from "@effect-p2p/crypto"
 * Keys.powStamp(new Uint8Array(24))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const powStamp = (bytes: Uint8Array): Result.Result<PowStamp, InvalidLength> =>
  fixed("PowStamp", stampLength, bytes)

/**
 * Lower-case hex of any key or stamp (their JSON form in `identity.json`).
 *
 * @example
 * ```ts
 * import { Keys } from "@effect-p2p/crypto"
 * Keys.toHex(new Uint8Array([1, 255])) // "01ff"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const toHex: (bytes: Uint8Array) => string = hex

/**
 * Parses hex of either case; `undefined` if the text is not an even run of hex digits.
 *
 * @example
 * ```ts
 * import { Keys } from "@effect-p2p/crypto"
 * Keys.fromHex("01ff") // Uint8Array [1, 255]
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const fromHex: (text: string) => Uint8Array | undefined = unhex

/**
 * Draws a fresh key pair from the backend's random bytes.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * Effect.runSync(Keys.generate.pipe(Effect.provide(CryptoBackend.layerNoble)))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generate: Effect.Effect<KeyPair, never, CryptoBackend> = CryptoBackend.useSync((backend) =>
  generateWith(backend)
)

/**
 * Synchronous {@link generate} with an explicit backend.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys } from "@effect-p2p/crypto"
 * Keys.generateWith(CryptoBackend.noble).publicKey.length // 32
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generateWith = (backend: CryptoBackendShape): KeyPair => {
  const secretKey = backend.randomBytes(keyLength) as SecretKey
  return { secretKey, publicKey: backend.publicKeyOf(secretKey) as PublicKey }
}
