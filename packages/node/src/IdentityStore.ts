/**
 * `identity.json` on the file system, with Octez's rules: reading validates the file (peer id,
 * key consistency and, when asked, the proof of work); writing creates the file with mode 0600 and
 * never replaces an existing one; `readOrCreate` generates the identity on first use.
 *
 * Uses Effect's `FileSystem` and `Path` services (`NodeServices.layer` in a Node program).
 *
 * @since 0.1.0
 */
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { IdentityError } from "@effect-p2p/crypto/CryptoError"
import * as Identity from "@effect-p2p/crypto/Identity"
import { Effect, FileSystem, Path, type PlatformError } from "effect"
import {
  IdentityFileExists,
  IdentityFileNotFound,
  IdentityFileUnreadable,
  IdentityFileUnwritable
} from "./IdentityStoreError.ts"

/**
 * The permission bits of a written identity file: owner read and write only, since it holds the
 * secret key.
 *
 * @category constants
 * @since 0.1.0
 */
export const fileMode = 0o600

/**
 * The permission bits of a directory created to hold an identity (as Octez's data directory).
 *
 * @category constants
 * @since 0.1.0
 */
export const directoryMode = 0o700

const describe = (error: PlatformError.PlatformError): string => {
  const reason = error.reason
  if (reason._tag === "BadArgument") return reason.description ?? "bad argument"
  const cause = reason.cause
  const code =
    typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
      ? ` (${cause.code})`
      : ""
  switch (reason._tag) {
    case "PermissionDenied":
      return `permission denied${code}`
    case "NotFound":
      return `no such file or directory${code}`
    default:
      return cause instanceof Error ? cause.message : `${reason._tag}${code}`
  }
}

/**
 * Reads the file's text. Can fail with `IdentityFileNotFound` or `IdentityFileUnreadable`.
 *
 * @example
 * ```ts
 * import { IdentityStore } from "@effect-p2p/node"
 * IdentityStore.readText("identity.json")
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const readText = Effect.fn("IdentityStore.readText")(function* (path: string) {
  const fs = yield* FileSystem.FileSystem
  return yield* fs
    .readFileString(path)
    .pipe(
      Effect.mapError((error) =>
        error.reason._tag === "NotFound"
          ? new IdentityFileNotFound({ path })
          : new IdentityFileUnreadable({ path, reason: describe(error) })
      )
    )
})

/**
 * Reads and validates an identity file (Octez's reading rules, see `Identity.fromJson`). Can fail
 * with `IdentityFileNotFound`, `IdentityFileUnreadable`, `InvalidIdentityFile` (not JSON, missing
 * field, wrong key length), `InvalidPeerId`, `IdentityMismatch`, `KeysMismatch`, and, when
 * `expectedDifficulty` is given, `InvalidDifficulty` or `InsufficientProofOfWork`.
 *
 * @example
 * ```ts
 * import * as NodeServices from "@effect/platform-node/NodeServices"
 * import { CryptoBackend } from "@effect-p2p/crypto"
 * import { IdentityStore } from "@effect-p2p/node"
 * import { Effect, Layer } from "effect"
 *
 * const identity = IdentityStore.read("identity.json", { expectedDifficulty: 26 }).pipe(
 *   Effect.provide(Layer.merge(NodeServices.layer, CryptoBackend.layerNoble))
 * )
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const read = (
  path: string,
  options?: Identity.ReadOptions
): Effect.Effect<
  Identity.Identity,
  IdentityFileNotFound | IdentityFileUnreadable | IdentityError,
  FileSystem.FileSystem | CryptoBackend
> => Effect.flatMap(readText(path), (text) => Identity.fromJson(text, options))

/**
 * Writes an identity file with mode 0600, creating missing parent directories (mode 0700). Fails
 * with `IdentityFileExists` if anything is at the path, and never replaces it, even when two
 * writers race: the text goes to a private temporary file that is then hard-linked into place,
 * which the file system refuses atomically when the name is taken. A reader therefore never sees
 * a half-written file. Can also fail with `IdentityFileUnwritable`.
 *
 * @example
 * ```ts
 * import * as NodeServices from "@effect/platform-node/NodeServices"
 * import { CryptoBackend, Identity } from "@effect-p2p/crypto"
 * import { IdentityStore } from "@effect-p2p/node"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const identity = yield* Identity.generate({ difficulty: 4 })
 *   yield* IdentityStore.write("identity.json", identity)
 * }).pipe(Effect.provide(Layer.merge(NodeServices.layer, CryptoBackend.layerNoble)))
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const write = Effect.fn("IdentityStore.write")(function* (path: string, identity: Identity.Identity) {
  const fs = yield* FileSystem.FileSystem
  const pathService = yield* Path.Path
  const unwritable = (error: PlatformError.PlatformError) =>
    new IdentityFileUnwritable({ path, reason: describe(error) })
  if (yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))) return yield* new IdentityFileExists({ path })
  const directory = pathService.dirname(path)
  yield* fs.makeDirectory(directory, { recursive: true, mode: directoryMode }).pipe(Effect.mapError(unwritable))
  const data = new TextEncoder().encode(Identity.toJson(identity))
  const suffix = Math.random().toString(36).slice(2)
  const temporary = pathService.join(directory, `.${pathService.basename(path)}.${process.pid}.${suffix}.tmp`)
  yield* Effect.acquireUseRelease(
    fs.writeFile(temporary, data, { flag: "wx", mode: fileMode }).pipe(
      // The umask can only clear bits of 0600, but an explicit chmod makes the mode exact.
      Effect.andThen(fs.chmod(temporary, fileMode)),
      Effect.mapError(unwritable)
    ),
    () =>
      fs.link(temporary, path).pipe(
        Effect.catch((error) => {
          if (error.reason._tag === "AlreadyExists") return Effect.fail(new IdentityFileExists({ path }))
          // Some file systems have no hard links: fall back to an exclusive create.
          return fs
            .writeFile(path, data, { flag: "wx", mode: fileMode })
            .pipe(
              Effect.mapError((second) =>
                second.reason._tag === "AlreadyExists" ? new IdentityFileExists({ path }) : unwritable(second)
              )
            )
        })
      ),
    () => fs.remove(temporary).pipe(Effect.ignore)
  )
})

/**
 * Options of {@link readOrCreate}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReadOrCreateOptions<E, R> extends Identity.ReadOptions {
  /** Makes the identity when the file does not exist, e.g. `Identity.generate({ difficulty: 26 })`. */
  readonly create: Effect.Effect<Identity.Identity, E, R>
}

/**
 * Reads the identity at `path`, or, if there is no file, creates one with `options.create` and
 * writes it (as `octez-node run` does on first start). A file that exists but is invalid is an
 * error, never replaced. Can fail with the errors of {@link read}, of {@link write}, and of `create`.
 *
 * @example
 * ```ts
 * import * as NodeServices from "@effect/platform-node/NodeServices"
 * import { CryptoBackend, Identity } from "@effect-p2p/crypto"
 * import { IdentityStore } from "@effect-p2p/node"
 * import { Effect, Layer } from "effect"
 *
 * const identity = IdentityStore.readOrCreate("identity.json", {
 *   create: Identity.generate({ difficulty: 8 })
 * }).pipe(Effect.provide(Layer.merge(NodeServices.layer, CryptoBackend.layerNoble)))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const readOrCreate = <E, R>(path: string, options: ReadOrCreateOptions<E, R>) =>
  read(path, options).pipe(
    Effect.catchTag("IdentityFileNotFound", () =>
      Effect.gen(function* () {
        const identity = yield* options.create
        yield* write(path, identity)
        return identity
      })
    )
  )
