/**
 * NaCl `crypto_box` with a precomputed key, as a Tezos session uses it: the channel key is
 * `crypto_box_beforenm(peer_pk, my_sk)` and every chunk is XSalsa20-Poly1305 sealed as
 * `tag(16) || ciphertext`.
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import { CryptoBackend, type CryptoBackendShape } from "./CryptoBackend.ts"
import { DecipherError, InvalidPublicKey } from "./CryptoError.ts"
import type { ChannelKey, PublicKey, SecretKey } from "./Keys.ts"
import type { Nonce } from "./Nonce.ts"

/**
 * Poly1305 tag length: a box is always 16 bytes longer than its plaintext.
 *
 * @category models
 * @since 0.1.0
 */
export const tagLength = 16

/**
 * Synchronous {@link precompute} with an explicit backend.
 *
 * @example
 * ```ts
 * import { Box, CryptoBackend, Keys } from "@effect-p2p/crypto"
 * const a = Keys.generateWith(CryptoBackend.noble), b = Keys.generateWith(CryptoBackend.noble)
 * Box.precomputeWith(CryptoBackend.noble, a.secretKey, b.publicKey) // Result<ChannelKey, InvalidPublicKey>
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const precomputeWith = (
  backend: CryptoBackendShape,
  secretKey: SecretKey,
  peerPublicKey: PublicKey
): Result.Result<ChannelKey, InvalidPublicKey> => {
  const key = backend.precompute(secretKey, peerPublicKey)
  return key === undefined
    ? Result.fail(new InvalidPublicKey({ reason: "low-order point: X25519 gives the all-zero shared secret" }))
    : Result.succeed(key as ChannelKey)
}

/**
 * The channel key shared with a peer: HSalsa20(X25519(secretKey, peerPublicKey)).
 *
 * Can fail with `InvalidPublicKey` when the peer key is a low-order point.
 *
 * @example
 * ```ts
 * import { Box, CryptoBackend, Keys } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const program = Effect.gen(function*() {
 *   const a = yield* Keys.generate
 *   const b = yield* Keys.generate
 *   return yield* Box.precompute(a.secretKey, b.publicKey)
 * })
 * Effect.runSync(Effect.provide(program, CryptoBackend.layerNoble))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const precompute = (
  secretKey: SecretKey,
  peerPublicKey: PublicKey
): Effect.Effect<ChannelKey, InvalidPublicKey, CryptoBackend> =>
  CryptoBackend.use((backend) => Effect.fromResult(precomputeWith(backend, secretKey, peerPublicKey)))

/**
 * Seals a message: `tag(16) || ciphertext`.
 *
 * @example
 * ```ts
 * import { Box, CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const channelKey = Result.getOrThrow(Keys.channelKey(new Uint8Array(32)))
 * const sealed = Box.seal(channelKey, Nonce.zero(), new TextEncoder().encode("hi"))
 * Effect.runSync(Effect.provide(sealed, CryptoBackend.layerNoble)).length // 18: tag(16) || ciphertext(2)
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const seal = (
  key: ChannelKey,
  nonce: Nonce,
  message: Uint8Array
): Effect.Effect<Uint8Array, never, CryptoBackend> =>
  CryptoBackend.useSync((backend) => backend.seal(key, nonce, message))

/**
 * Opens a box made by {@link seal}. Can fail with `DecipherError` on any tampering, a wrong key
 * or nonce, or a box shorter than the tag.
 *
 * @example
 * ```ts
 * import { Box, CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const channelKey = Result.getOrThrow(Keys.channelKey(new Uint8Array(32)))
 * const program = Effect.gen(function*() {
 *   const boxed = yield* Box.seal(channelKey, Nonce.zero(), new TextEncoder().encode("hi"))
 *   return yield* Box.open(channelKey, Nonce.zero(), boxed)
 * })
 * Effect.runSync(Effect.provide(program, CryptoBackend.layerNoble)) // Uint8Array [104, 105]
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const open = (
  key: ChannelKey,
  nonce: Nonce,
  boxed: Uint8Array
): Effect.Effect<Uint8Array, DecipherError, CryptoBackend> =>
  CryptoBackend.use((backend) => {
    const message = backend.open(key, nonce, boxed)
    return message === undefined ? Effect.fail(new DecipherError({ length: boxed.length })) : Effect.succeed(message)
  })
