/**
 * Octez's proof of work: a 24-byte stamp such that `blake2b-32(public_key || stamp)`, read as a
 * little-endian 256-bit integer, is at most a target derived from a (possibly fractional)
 * difficulty. Difficulty d means, roughly, that the last d bits of the hash are zero.
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import { CryptoBackend, type CryptoBackendShape } from "./CryptoBackend.ts"
import { InvalidDifficulty } from "./CryptoError.ts"
import { pow2_54MinusFraction } from "./internal/exp2.ts"
import { type PowStamp, type PublicKey, stampLength } from "./Keys.ts"
import * as PowHash from "./PowHash.ts"

/**
 * Builds the target of a difficulty in [0, 256] exactly as Octez's `make_pow_target` (also for
 * fractional difficulties, with a correctly rounded `2^(54 − φ)`). Fails with `InvalidDifficulty`
 * outside that range or for NaN.
 *
 * @example
 * ```ts
 * import { ProofOfWork } from "@effect-p2p/crypto"
 * ProofOfWork.fromDifficulty(26) // Result.succeed(2n ** 230n - 1n)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromDifficulty = (difficulty: number): Result.Result<bigint, InvalidDifficulty> => {
  if (!(difficulty >= 0 && difficulty <= 256)) return Result.fail(new InvalidDifficulty({ difficulty }))
  const s = Math.trunc(difficulty)
  const phi = difficulty - s
  const m = phi === 0 ? (1n << 54n) - 1n : pow2_54MinusFraction(phi)
  if (s < 202) {
    const shift = BigInt(202 - s)
    return Result.succeed((m << shift) | ((1n << shift) - 1n))
  }
  return Result.succeed(m >> BigInt(s - 202))
}

/**
 * {@link fromDifficulty} for a difficulty known to be valid (a constant, a validated option).
 * Throws the `InvalidDifficulty` error otherwise, as Octez raises `Invalid_argument`; use
 * {@link fromDifficulty} for untrusted input.
 *
 * @example
 * ```ts
 * import { ProofOfWork } from "@effect-p2p/crypto"
 * ProofOfWork.target(0) // 2n ** 256n - 1n
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const target = (difficulty: number): bigint => Result.getOrThrow(fromDifficulty(difficulty))

/**
 * The hash of `publicKey || stamp` as a little-endian integer.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys, ProofOfWork } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const publicKey = Result.getOrThrow(Keys.publicKey(new Uint8Array(32)))
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * ProofOfWork.hashValueWith(CryptoBackend.noble, publicKey, stamp) // 0xd0991ccb…906f802fn
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const hashValueWith = (backend: CryptoBackendShape, publicKey: PublicKey, stamp: PowStamp): bigint => {
  const input = new Uint8Array(32 + stampLength)
  input.set(publicKey, 0)
  input.set(stamp, 32)
  const hash = backend.blake2b(input, 32)
  let value = 0n
  for (let i = 31; i >= 0; i--) value = (value << 8n) | BigInt(hash[i]!)
  return value
}

/**
 * Synchronous {@link check} with an explicit backend.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys, ProofOfWork } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const publicKey = Result.getOrThrow(Keys.publicKey(new Uint8Array(32)))
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * ProofOfWork.checkWith(CryptoBackend.noble, publicKey, stamp, ProofOfWork.target(0)) // true
 * ProofOfWork.checkWith(CryptoBackend.noble, publicKey, stamp, ProofOfWork.target(26)) // false
 * ```
 * @category guards
 * @since 0.1.0
 */
export const checkWith = (
  backend: CryptoBackendShape,
  publicKey: PublicKey,
  stamp: PowStamp,
  target: bigint
): boolean => hashValueWith(backend, publicKey, stamp) <= target

/**
 * Whether a stamp meets a target for a public key (Octez `check_proof_of_work`).
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys, ProofOfWork } from "@effect-p2p/crypto"
 * import { Effect, Result } from "effect"
 * const publicKey = Result.getOrThrow(Keys.publicKey(new Uint8Array(32)))
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * const checked = ProofOfWork.check(publicKey, stamp, ProofOfWork.target(26)) // Effect<boolean, never, CryptoBackend>
 * Effect.runSync(Effect.provide(checked, CryptoBackend.layerNoble)) // false
 * ```
 * @category guards
 * @since 0.1.0
 */
export const check = (
  publicKey: PublicKey,
  stamp: PowStamp,
  target: bigint
): Effect.Effect<boolean, never, CryptoBackend> =>
  CryptoBackend.useSync((backend) => checkWith(backend, publicKey, stamp, target))

/**
 * The highest integer difficulty a stamp meets: 256 minus the bit length of the hash value
 * (uses the specialised pure-JS hash, so it needs no backend).
 *
 * @example
 * ```ts
 * import { Keys, ProofOfWork } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const publicKey = Result.getOrThrow(Keys.publicKey(new Uint8Array(32)))
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * ProofOfWork.difficultyMet(publicKey, stamp) // 0 (an identity made for difficulty 26 gives 26 or more)
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const difficultyMet = (publicKey: PublicKey, stamp: PowStamp): number => {
  const digest = new Uint32Array(8)
  PowHash.make(publicKey).hashInto(stamp, digest)
  for (let i = 7; i >= 0; i--) {
    const limb = digest[i]!
    if (limb !== 0) return 256 - (32 * i + (32 - Math.clz32(limb)))
  }
  return 256
}

/**
 * The expected number of attempts to find a stamp for a target: 2^256 / (target + 1).
 *
 * @example
 * ```ts
 * import { ProofOfWork } from "@effect-p2p/crypto"
 * ProofOfWork.expectedAttempts(ProofOfWork.target(26)) // 67108864
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const expectedAttempts = (target: bigint): number => {
  // Keep 53 significant bits of the quotient; the result is an estimate for progress reports.
  const q = (1n << 256n) / (target + 1n)
  return Number(q)
}

/**
 * Progress of a search.
 *
 * @category models
 * @since 0.1.0
 */
export interface Progress {
  /** Stamps tried so far. */
  readonly attempts: number
}

/**
 * Options of {@link generate}.
 *
 * @category models
 * @since 0.1.0
 */
export interface GenerateOptions {
  /** Called after every batch (and once with the final count). */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
  /** Attempts between yields to the scheduler (default 10 000, as Octez). */
  readonly batchSize?: number | undefined
}

/**
 * Searches a stamp on the current thread: starts from random bytes, increments big-endian after
 * each miss (as Octez), yields every batch so the search is interruptible and other fibers run.
 * The target is not validated: with target 0 it may never end (interrupt it).
 *
 * @example
 * ```ts
 * import { CryptoBackend, Keys, ProofOfWork } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const keys = yield* Keys.generate
 *   return yield* ProofOfWork.generate(keys.publicKey, ProofOfWork.target(8))
 * })
 * Effect.runPromise(Effect.provide(program, CryptoBackend.layerNoble))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generate = Effect.fn("ProofOfWork.generate")(function* (
  publicKey: PublicKey,
  target: bigint,
  options?: GenerateOptions
) {
  const backend = yield* CryptoBackend
  const batchSize = Math.max(1, Math.floor(options?.batchSize ?? 10_000))
  const onProgress = options?.onProgress
  const stamp = backend.randomBytes(stampLength)
  const hasher = PowHash.make(publicKey)
  const limbs = PowHash.targetLimbs(target)
  let attempts = 0
  while (true) {
    const found = PowHash.search(hasher, stamp, limbs, batchSize)
    attempts += found >= 0 ? found : batchSize
    if (onProgress !== undefined) yield* onProgress({ attempts })
    if (found >= 0) return stamp as PowStamp
    yield* Effect.yieldNow
  }
})
