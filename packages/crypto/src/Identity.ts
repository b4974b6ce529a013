/**
 * A node's identity (Octez `P2p_identity`): key pair, peer id and proof-of-work stamp, with the
 * `identity.json` format and Octez's reading rules. Pure: it parses and formats JSON text; file
 * I/O belongs to `@effect-p2p/node`.
 *
 * @since 0.1.0
 */
import { Effect, Result, Schema } from "effect"
import { CryptoBackend, type CryptoBackendShape } from "./CryptoBackend.ts"
import {
  IdentityMismatch,
  InsufficientProofOfWork,
  type InvalidDifficulty,
  InvalidIdentityFile,
  type InvalidPeerId,
  KeysMismatch
} from "./CryptoError.ts"
import { equals, fromHex, toHex } from "./internal/bytes.ts"
import * as Keys from "./Keys.ts"
import * as PeerId from "./PeerId.ts"
import * as ProofOfWork from "./ProofOfWork.ts"

/**
 * A node identity.
 *
 * @category models
 * @since 0.1.0
 */
export interface Identity {
  readonly peerId: PeerId.PeerId
  readonly publicKey: Keys.PublicKey
  readonly secretKey: Keys.SecretKey
  readonly powStamp: Keys.PowStamp
}

const hexBytes = (bytes: number) =>
  Schema.String.check(
    Schema.isPattern(new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`), {
      expected: `${bytes} bytes as ${2 * bytes} hex digits`
    })
  )

/**
 * The JSON object of an `identity.json` file: `peer_id` is optional on read; unknown fields are
 * rejected, as Data_encoding's JSON objects do.
 *
 * @example
 * ```ts
 * import { Identity } from "@effect-p2p/crypto"
 * import { Schema } from "effect"
 * Schema.decodeUnknownResult(Identity.IdentityFile)({ public_key: "00" }) // fails: readable report
 * ```
 * @category models
 * @since 0.1.0
 */
export const IdentityFile = Schema.Struct({
  peer_id: Schema.optionalKey(Schema.String),
  public_key: hexBytes(32),
  secret_key: hexBytes(32),
  proof_of_work_stamp: hexBytes(24)
})

/**
 * The decoded file shape.
 *
 * @category models
 * @since 0.1.0
 */
export type IdentityFile = typeof IdentityFile.Type

/**
 * `identity.json` text to {@link IdentityFile}, through JSON parsing.
 *
 * @example
 * ```ts
 * import { Identity } from "@effect-p2p/crypto"
 * import { Schema } from "effect"
 * Schema.decodeUnknownResult(Identity.IdentityFileFromJson)("{}")
 * ```
 * @category models
 * @since 0.1.0
 */
export const IdentityFileFromJson = Schema.fromJsonString(IdentityFile)

const decodeFile = Schema.decodeUnknownResult(IdentityFileFromJson, { onExcessProperty: "error" })

/**
 * Options of {@link fromJson} and {@link fromFile}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReadOptions {
  /** When given, the stamp must meet this difficulty (as `octez-node identity check`). */
  readonly expectedDifficulty?: number | undefined
}

/**
 * Checks a decoded file with Octez's rules and builds the identity: the peer id is computed when
 * absent; can fail with `InvalidPeerId` (malformed `peer_id`), `IdentityMismatch` (it is not the
 * key's), `KeysMismatch` (the secret key does not give the public key), `InvalidDifficulty` and
 * `InsufficientProofOfWork` (when an expected difficulty is given).
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity, Keys } from "@effect-p2p/crypto"
 * const keys = Keys.generateWith(CryptoBackend.noble)
 * const file: Identity.IdentityFile = {
 *   public_key: Keys.toHex(keys.publicKey),
 *   secret_key: Keys.toHex(keys.secretKey),
 *   proof_of_work_stamp: "00".repeat(24)
 * }
 * Identity.fromFileWith(CryptoBackend.noble, file) // Result.succeed(Identity), the peer id computed
 * Identity.fromFileWith(CryptoBackend.noble, file, { expectedDifficulty: 26 }) // Result.fail(InsufficientProofOfWork)
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const fromFileWith = (
  backend: CryptoBackendShape,
  file: IdentityFile,
  options?: ReadOptions
): Result.Result<
  Identity,
  InvalidPeerId | IdentityMismatch | KeysMismatch | InvalidDifficulty | InsufficientProofOfWork
> => {
  // The schema has checked the hex lengths, so these cannot be undefined.
  const publicKey = fromHex(file.public_key)! as Keys.PublicKey
  const secretKey = fromHex(file.secret_key)! as Keys.SecretKey
  const powStamp = fromHex(file.proof_of_work_stamp)! as Keys.PowStamp
  const peerId = PeerId.fromPublicKeyWith(backend, publicKey)
  if (file.peer_id !== undefined) {
    const stored = PeerId.fromBase58(file.peer_id)
    if (Result.isFailure(stored)) return Result.fail(stored.failure)
    if (!PeerId.equals(stored.success, peerId)) {
      return Result.fail(new IdentityMismatch({ stored: file.peer_id, computed: PeerId.toBase58(peerId) }))
    }
  }
  if (!equals(backend.publicKeyOf(secretKey), publicKey)) {
    return Result.fail(new KeysMismatch({ publicKey: file.public_key }))
  }
  const identity: Identity = { peerId, publicKey, secretKey, powStamp }
  if (options?.expectedDifficulty !== undefined) {
    const checked = checkWith(backend, identity, options.expectedDifficulty)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
  }
  return Result.succeed(identity)
}

/**
 * Checks that an identity's stamp meets a difficulty; can fail with `InvalidDifficulty` or
 * `InsufficientProofOfWork`.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity, Keys } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * const identity = Identity.fromParts(CryptoBackend.noble, Keys.generateWith(CryptoBackend.noble), stamp)
 * Identity.checkWith(CryptoBackend.noble, identity, 0) // Result.void
 * Identity.checkWith(CryptoBackend.noble, identity, 26) // Result.fail(InsufficientProofOfWork), all but surely
 * ```
 * @category guards
 * @since 0.1.0
 */
export const checkWith = (
  backend: CryptoBackendShape,
  identity: Identity,
  difficulty: number
): Result.Result<void, InvalidDifficulty | InsufficientProofOfWork> =>
  Result.flatMap(ProofOfWork.fromDifficulty(difficulty), (target) =>
    ProofOfWork.checkWith(backend, identity.publicKey, identity.powStamp, target)
      ? Result.void
      : Result.fail(
          new InsufficientProofOfWork({
            expected: difficulty,
            met: ProofOfWork.difficultyMet(identity.publicKey, identity.powStamp)
          })
        )
  )

/**
 * {@link checkWith} as an Effect using the `CryptoBackend` service.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const identity = yield* Identity.generate({ difficulty: 8 })
 *   yield* Identity.check(identity, 8) // Effect<void, InvalidDifficulty | InsufficientProofOfWork, CryptoBackend>
 * })
 * Effect.runPromise(Effect.provide(program, CryptoBackend.layerNoble))
 * ```
 * @category guards
 * @since 0.1.0
 */
export const check = (identity: Identity, difficulty: number) =>
  CryptoBackend.use((backend) => Effect.fromResult(checkWith(backend, identity, difficulty)))

/**
 * Parses `identity.json` text. Can fail with `InvalidIdentityFile` (not JSON, missing or
 * malformed field, unknown field: the reason says which) and the errors of {@link fromFileWith}.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const text = Identity.toJson(yield* Identity.generate({ difficulty: 8 }))
 *   return yield* Identity.fromJson(text, { expectedDifficulty: 8 })
 * })
 * Effect.runPromise(program.pipe(Effect.provide(CryptoBackend.layerNoble))) // the same Identity
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const fromJson = Effect.fn("Identity.fromJson")(function* (text: string, options?: ReadOptions) {
  const backend = yield* CryptoBackend
  const file = decodeFile(text)
  if (Result.isFailure(file)) return yield* new InvalidIdentityFile({ reason: file.failure.message })
  return yield* Effect.fromResult(fromFileWith(backend, file.success, options))
})

/**
 * The file object of an identity, all four fields.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity, Keys } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * const identity = Identity.fromParts(CryptoBackend.noble, Keys.generateWith(CryptoBackend.noble), stamp)
 * Identity.toFile(identity).peer_id // "id…"
 * Identity.toFile(identity).proof_of_work_stamp // "000000000000000000000000000000000000000000000000"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const toFile = (identity: Identity): Required<IdentityFile> => ({
  peer_id: PeerId.toBase58(identity.peerId),
  public_key: toHex(identity.publicKey),
  secret_key: toHex(identity.secretKey),
  proof_of_work_stamp: toHex(identity.powStamp)
})

/**
 * `identity.json` text in the layout the OCaml node writes (fields in Octez's order: peer_id,
 * public_key, secret_key, proof_of_work_stamp; no trailing newline), byte-identical to files
 * written by `octez-node identity generate`.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity, Keys } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * const identity = Identity.fromParts(CryptoBackend.noble, Keys.generateWith(CryptoBackend.noble), stamp)
 * Identity.toJson(identity) // '{ "peer_id": "id…",\n  "public_key":\n    "…", …'
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (identity: Identity): string => {
  const f = toFile(identity)
  return (
    `{ "peer_id": ${JSON.stringify(f.peer_id)},\n` +
    `  "public_key":\n    ${JSON.stringify(f.public_key)},\n` +
    `  "secret_key":\n    ${JSON.stringify(f.secret_key)},\n` +
    `  "proof_of_work_stamp": ${JSON.stringify(f.proof_of_work_stamp)} }`
  )
}

/**
 * Options of {@link generate}.
 *
 * @category models
 * @since 0.1.0
 */
export interface GenerateOptions {
  /** Proof-of-work difficulty in [0, 256]; Octez nodes expect 26 by default. */
  readonly difficulty: number
  readonly onProgress?: ProofOfWork.GenerateOptions["onProgress"]
}

/**
 * A new identity: a fresh key pair and a stamp found on the current thread (see
 * `ProofOfWork.generate`; `@effect-p2p/node` has a multi-core generator). Can fail with
 * `InvalidDifficulty`.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * Effect.runPromise(Identity.generate({ difficulty: 8 }).pipe(Effect.provide(CryptoBackend.layerNoble)))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generate = Effect.fn("Identity.generate")(function* (options: GenerateOptions) {
  const target = yield* Effect.fromResult(ProofOfWork.fromDifficulty(options.difficulty))
  const backend = yield* CryptoBackend
  const keys = Keys.generateWith(backend)
  const powStamp = yield* ProofOfWork.generate(keys.publicKey, target, { onProgress: options.onProgress })
  return fromParts(backend, keys, powStamp)
})

/**
 * An identity from a key pair and a stamp (the peer id is computed).
 *
 * @example
 * ```ts
 * import { CryptoBackend, Identity, Keys } from "@effect-p2p/crypto"
 * import { Result } from "effect"
 * const keys = Keys.generateWith(CryptoBackend.noble)
 * const stamp = Result.getOrThrow(Keys.powStamp(new Uint8Array(24)))
 * Identity.fromParts(CryptoBackend.noble, keys, stamp).peerId // blake2b-16 of keys.publicKey
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromParts = (backend: CryptoBackendShape, keys: Keys.KeyPair, powStamp: Keys.PowStamp): Identity => ({
  peerId: PeerId.fromPublicKeyWith(backend, keys.publicKey),
  publicKey: keys.publicKey,
  secretKey: keys.secretKey,
  powStamp
})
