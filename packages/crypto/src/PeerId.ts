/**
 * The peer id: BLAKE2b-16 of a public key (a true 16-byte BLAKE2b, not a truncation), written
 * in text as base58check with the 2-byte prefix `0x99 0x67`, which makes every id a 30-character
 * string starting with `id`.
 *
 * @since 0.1.0
 */
import { sha256 } from "@noble/hashes/sha2.js"
import { createBase58check } from "@scure/base"
import { Result } from "effect"
import type * as Brand from "effect/Brand"
import { CryptoBackend, type CryptoBackendShape } from "./CryptoBackend.ts"
import { type InvalidLength, InvalidPeerId } from "./CryptoError.ts"
import { equals as bytesEqual, fixed } from "./internal/bytes.ts"
import type { PublicKey } from "./Keys.ts"

/**
 * A 16-byte peer id.
 *
 * @category models
 * @since 0.1.0
 */
export type PeerId = Uint8Array & Brand.Brand<"PeerId">

/** @category models @since 0.1.0 */
export const length = 16

/** The base58check prefix of peer ids (Octez `Base58.Prefix.p2p_peer_id`). */
const prefix = new Uint8Array([0x99, 0x67])
const base58check = createBase58check(sha256)

/**
 * Checks and brands 16 bytes (copied).
 *
 * @example
 * ```ts
 * import { PeerId } from "@effect-p2p/crypto"
 * PeerId.fromBytes(new Uint8Array(16))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromBytes = (bytes: Uint8Array): Result.Result<PeerId, InvalidLength> => fixed("PeerId", length, bytes)

/**
 * Synchronous {@link fromPublicKey} with an explicit backend.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys, PeerId } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const publicKey = Result.getOrThrow(Keys.publicKey(new Uint8Array(32)))
 * PeerId.toBase58(PeerId.fromPublicKeyWith(CryptoBackend.noble, publicKey)) // "idtykuky2yNx1JDkaxztoQ7n5twT8j"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromPublicKeyWith = (backend: CryptoBackendShape, publicKey: PublicKey): PeerId =>
  backend.blake2b(publicKey, length) as PeerId

/**
 * The peer id of a public key.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys, PeerId } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * const { publicKey } = Keys.generateWith(CryptoBackend.noble)
 * const peerId = PeerId.fromPublicKey(publicKey) // Effect<PeerId, never, CryptoBackend>
 * Effect.runSync(Effect.provide(peerId, CryptoBackend.layerNoble)).length // 16
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromPublicKey = (publicKey: PublicKey) =>
  CryptoBackend.useSync((backend) => fromPublicKeyWith(backend, publicKey))

/**
 * The `id…` text form (30 characters).
 *
 * @example
 * ```ts
 * import { PeerId } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const peerId = Result.getOrThrow(PeerId.fromBase58("idsg2wkkDDv2cbEMK4zH49fjgyn7XT"))
 * PeerId.toBase58(peerId) // "idsg2wkkDDv2cbEMK4zH49fjgyn7XT"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const toBase58 = (id: PeerId): string => {
  const payload = new Uint8Array(prefix.length + length)
  payload.set(prefix, 0)
  payload.set(id, prefix.length)
  return base58check.encode(payload)
}

/**
 * Parses the `id…` text form. Fails with `InvalidPeerId` on a bad alphabet, checksum, prefix or
 * length.
 *
 * @example
 * ```ts
 * import { PeerId } from "@effect-p2p/crypto"
 * PeerId.fromBase58("idsg2wkkDDv2cbEMK4zH49fjgyn7XT") // Result.succeed(PeerId)
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const fromBase58 = (text: string): Result.Result<PeerId, InvalidPeerId> => {
  let payload: Uint8Array
  try {
    payload = base58check.decode(text)
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    return Result.fail(new InvalidPeerId({ input: text, reason: `not base58check (${reason})` }))
  }
  if (payload.length !== prefix.length + length) {
    return Result.fail(
      new InvalidPeerId({
        input: text,
        reason: `payload is ${payload.length} bytes, expected ${prefix.length + length}`
      })
    )
  }
  if (payload[0] !== prefix[0] || payload[1] !== prefix[1]) {
    return Result.fail(new InvalidPeerId({ input: text, reason: "wrong prefix (not a peer id)" }))
  }
  return Result.succeed(payload.slice(prefix.length) as PeerId)
}

/**
 * Byte equality of two peer ids.
 *
 * @example
 * ```ts
 * import { PeerId } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const a = Result.getOrThrow(PeerId.fromBytes(new Uint8Array(16)))
 * const b = Result.getOrThrow(PeerId.fromBytes(new Uint8Array(16)))
 * PeerId.equals(a, b) // true
 * ```
 * @category guards
 * @since 0.1.0
 */
export const equals = (a: PeerId, b: PeerId): boolean => bytesEqual(a, b)
