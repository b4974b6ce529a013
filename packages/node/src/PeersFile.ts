/**
 * The pool's peers file on disk (Octez's `peers.json`): read at start (a missing file is an empty
 * list), written atomically at shutdown: the JSON goes to a temporary file in the same directory,
 * which is then renamed over the old one, so a crash leaves either the old file or the new one,
 * never half of one (as Octez's `P2p_peer_state.Info.File.save` does).
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { PeersFileError, PeersJson, PeersStore, type PeersStoreShape } from "@effect-p2p/pool/PeersFile"
import { Effect, Layer, Schema } from "effect"

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * A store backed by the file at `path`.
 *
 * Can fail with: `PeersFileError` (unreadable file, not JSON, not the expected shape; unwritable
 * directory).
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { PeersFile } from "@effect-p2p/node"
 * const store = PeersFile.make("/var/lib/node/peers.json")
 * ```
 */
export const make = (path: string): PeersStoreShape => {
  const fail = (operation: "load" | "save") => (cause: unknown) =>
    new PeersFileError({ path, operation, reason: reasonOf(cause) })
  return {
    load: Effect.gen(function* () {
      const text = yield* Effect.tryPromise({
        try: () =>
          Fs.readFile(path, "utf8").catch((e: NodeJS.ErrnoException) =>
            e.code === "ENOENT" ? "[]" : Promise.reject(e)
          ),
        catch: fail("load")
      })
      return yield* Schema.decodeUnknownEffect(PeersJson)(text).pipe(Effect.mapError(fail("load")))
    }),
    save: (peers) =>
      Effect.gen(function* () {
        const text = yield* Schema.encodeEffect(PeersJson)(peers).pipe(Effect.mapError(fail("save")))
        const temporary = Path.join(Path.dirname(path), `.${Path.basename(path)}.${randomBytes(6).toString("hex")}.tmp`)
        yield* Effect.tryPromise({
          try: async () => {
            try {
              await Fs.writeFile(temporary, `${text}\n`, { mode: 0o644 })
              await Fs.rename(temporary, path)
            } catch (error) {
              await Fs.rm(temporary, { force: true })
              throw error
            }
          },
          catch: fail("save")
        })
      })
  }
}

/**
 * {@link make} as the pool's `PeersStore` service.
 *
 * @category layers
 * @since 0.1.0
 * @example
 * ```ts
 * import { PeersFile } from "@effect-p2p/node"
 * const layer = PeersFile.layer("peers.json")
 * ```
 */
export const layer = (path: string): Layer.Layer<PeersStore> => Layer.succeed(PeersStore, make(path))
