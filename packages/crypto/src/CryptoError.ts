/**
 * The typed failures of `@effect-p2p/crypto`: one tagged class per failure, each with structured
 * fields and a readable `message`, their union {@link CryptoError} and the {@link isCryptoError} guard.
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"

/**
 * A byte string had the wrong length for what it should be (a key, a nonce, a stamp, a peer id).
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.InvalidLength({ what: "PublicKey", expected: 32, actual: 31 }).message
 * // "PublicKey must be 32 bytes, got 31"
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InvalidLength extends Schema.TaggedError<InvalidLength>()("InvalidLength", {
  what: Schema.String,
  expected: Schema.Number,
  actual: Schema.Number
}) {
  override get message(): string {
    return `${this.what} must be ${this.expected} bytes, got ${this.actual}`
  }
}

/**
 * A sealed box failed authentication: wrong key, wrong nonce, or tampered bytes.
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.DecipherError({ length: 40 }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class DecipherError extends Schema.TaggedError<DecipherError>()("DecipherError", {
  /** Length in bytes of the box that failed to open (tag included). */
  length: Schema.Number
}) {
  override get message(): string {
    return `cannot open a ${this.length}-byte box: authentication failed`
  }
}

/**
 * A peer public key cannot be used for key agreement: X25519 with it gives the all-zero point (a
 * low-order point), which would make the channel key predictable.
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.InvalidPublicKey({ reason: "low-order point" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InvalidPublicKey extends Schema.TaggedError<InvalidPublicKey>()("InvalidPublicKey", {
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid public key: ${this.reason}`
  }
}

/**
 * A text peer id is not a valid base58check `id…` string.
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.InvalidPeerId({ input: "idX", reason: "bad checksum" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InvalidPeerId extends Schema.TaggedError<InvalidPeerId>()("InvalidPeerId", {
  input: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid peer id ${JSON.stringify(this.input)}: ${this.reason}`
  }
}

/**
 * An identity file's `peer_id` is not the hash of its `public_key` (Octez `Identity_mismatch`).
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.IdentityMismatch({ stored: "idA…", computed: "idB…" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class IdentityMismatch extends Schema.TaggedError<IdentityMismatch>()("IdentityMismatch", {
  stored: Schema.String,
  computed: Schema.String
}) {
  override get message(): string {
    return `identity mismatch: the file says peer id ${this.stored} but its public key gives ${this.computed}`
  }
}

/**
 * An identity's secret key does not give its public key (Octez `Identity_keys_mismatch`).
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.KeysMismatch({ publicKey: "5fd7…" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class KeysMismatch extends Schema.TaggedError<KeysMismatch>()("KeysMismatch", {
  publicKey: Schema.String
}) {
  override get message(): string {
    return `keys mismatch: the secret key does not give the public key ${this.publicKey}`
  }
}

/**
 * An identity's proof-of-work stamp does not meet the expected difficulty
 * (Octez `Insufficient_proof_of_work`).
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.InsufficientProofOfWork({ expected: 26, met: 24 }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InsufficientProofOfWork extends Schema.TaggedError<InsufficientProofOfWork>()("InsufficientProofOfWork", {
  expected: Schema.Number,
  /** Highest integer difficulty the stamp meets. */
  met: Schema.Number
}) {
  override get message(): string {
    return `insufficient proof of work: expected difficulty ${this.expected}, the stamp meets ${this.met}`
  }
}

/**
 * A proof-of-work difficulty outside [0, 256] (or not a number).
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.InvalidDifficulty({ difficulty: 300 }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InvalidDifficulty extends Schema.TaggedError<InvalidDifficulty>()("InvalidDifficulty", {
  difficulty: Schema.Number
}) {
  override get message(): string {
    return `invalid proof-of-work difficulty ${this.difficulty}: must be a number in [0, 256]`
  }
}

/**
 * An `identity.json` text that is not JSON or does not have the file's shape; `reason` is the
 * Schema's readable report (which field, what was expected).
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.InvalidIdentityFile({ reason: "Missing key\n  at [\"public_key\"]" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InvalidIdentityFile extends Schema.TaggedError<InvalidIdentityFile>()("InvalidIdentityFile", {
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid identity file: ${this.reason}`
  }
}

/**
 * The WebAssembly crypto backend could not start: `libsodium-wrappers` failed to load or to
 * instantiate its module (no WebAssembly, no `globalThis.crypto.getRandomValues`, or a build without
 * the functions the backend needs).
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * new CryptoError.WasmUnavailable({ reason: "WebAssembly is not defined" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class WasmUnavailable extends Schema.TaggedError<WasmUnavailable>()("WasmUnavailable", {
  reason: Schema.String
}) {
  override get message(): string {
    return `the WebAssembly crypto backend (libsodium-wrappers) failed to start: ${this.reason}`
  }
}

/**
 * Every failure of this package.
 *
 * @category errors
 * @since 0.1.0
 */
export type CryptoError =
  | InvalidLength
  | DecipherError
  | InvalidPublicKey
  | InvalidPeerId
  | IdentityMismatch
  | KeysMismatch
  | InsufficientProofOfWork
  | InvalidDifficulty
  | InvalidIdentityFile
  | WasmUnavailable

/**
 * The failures of reading an identity file.
 *
 * @category errors
 * @since 0.1.0
 */
export type IdentityError =
  | InvalidIdentityFile
  | IdentityMismatch
  | KeysMismatch
  | InsufficientProofOfWork
  | InvalidDifficulty
  | InvalidPeerId

const tags: ReadonlySet<string> = new Set([
  "InvalidLength",
  "DecipherError",
  "InvalidPublicKey",
  "InvalidPeerId",
  "IdentityMismatch",
  "KeysMismatch",
  "InsufficientProofOfWork",
  "InvalidDifficulty",
  "InvalidIdentityFile",
  "WasmUnavailable"
])

/**
 * Tells whether a value is one of this package's errors.
 *
 * @example
 * ```ts
 * import { CryptoError } from "@effect-p2p/crypto"
 * CryptoError.isCryptoError(new CryptoError.DecipherError({ length: 16 })) // true
 * ```
 * @category guards
 * @since 0.1.0
 */
export const isCryptoError = (u: unknown): u is CryptoError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)
