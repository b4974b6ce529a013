/**
 * The file-system failures of the identity store. Each is a tagged class with the path and a
 * readable `message`; the identity's own validation failures (bad JSON, mismatched keys,
 * insufficient proof of work) stay the `@effect-p2p/crypto` errors.
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"

/**
 * There is no file at the path.
 *
 * @example
 * ```ts
 * import { IdentityStoreError } from "@effect-p2p/node"
 * new IdentityStoreError.IdentityFileNotFound({ path: "identity.json" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class IdentityFileNotFound extends Schema.TaggedError<IdentityFileNotFound>()("IdentityFileNotFound", {
  path: Schema.String
}) {
  override get message(): string {
    return `no identity file at ${this.path}`
  }
}

/**
 * The file exists but cannot be read (permissions, a directory, an I/O error).
 *
 * @example
 * ```ts
 * import { IdentityStoreError } from "@effect-p2p/node"
 * new IdentityStoreError.IdentityFileUnreadable({ path: "identity.json", reason: "permission denied" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class IdentityFileUnreadable extends Schema.TaggedError<IdentityFileUnreadable>()("IdentityFileUnreadable", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot read identity file ${this.path}: ${this.reason}`
  }
}

/**
 * Writing refused: a file is already there (Octez `Existent_identity_file`). Identities are never
 * overwritten, because losing a secret key loses the peer id and its proof of work.
 *
 * @example
 * ```ts
 * import { IdentityStoreError } from "@effect-p2p/node"
 * new IdentityStoreError.IdentityFileExists({ path: "identity.json" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class IdentityFileExists extends Schema.TaggedError<IdentityFileExists>()("IdentityFileExists", {
  path: Schema.String
}) {
  override get message(): string {
    return `an identity file already exists at ${this.path}; refusing to overwrite it`
  }
}

/**
 * The file could not be written (missing permissions, a read-only file system, ...).
 *
 * @example
 * ```ts
 * import { IdentityStoreError } from "@effect-p2p/node"
 * new IdentityStoreError.IdentityFileUnwritable({ path: "/identity.json", reason: "permission denied" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class IdentityFileUnwritable extends Schema.TaggedError<IdentityFileUnwritable>()("IdentityFileUnwritable", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot write identity file ${this.path}: ${this.reason}`
  }
}

/**
 * Every failure of the identity store's file handling.
 *
 * @category errors
 * @since 0.1.0
 */
export type IdentityStoreError =
  | IdentityFileNotFound
  | IdentityFileUnreadable
  | IdentityFileExists
  | IdentityFileUnwritable

const tags: ReadonlySet<string> = new Set([
  "IdentityFileNotFound",
  "IdentityFileUnreadable",
  "IdentityFileExists",
  "IdentityFileUnwritable"
])

/**
 * Tells whether a value is one of the identity store's errors.
 *
 * @example
 * ```ts
 * import { IdentityStoreError } from "@effect-p2p/node"
 * IdentityStoreError.isIdentityStoreError(new IdentityStoreError.IdentityFileExists({ path: "x" })) // true
 * ```
 * @category guards
 * @since 0.1.0
 */
export const isIdentityStoreError = (u: unknown): u is IdentityStoreError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)
