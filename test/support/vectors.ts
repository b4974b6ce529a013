/**
 * Locates the test vectors, committed in `test/vectors/` (their sources, commits and licences are in
 * `test/vectors/README.md`); a missing file fails with a message saying so.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")

/** Absolute path of the vectors directory (`<repo>/test/vectors`). */
export const vectorsDir = resolve(repoRoot, "test", "vectors")

/** Absolute path of a file inside the shared vectors directory; throws a clear error if it is missing. */
export const vectorPath = (...parts: ReadonlyArray<string>): string => {
  const path = resolve(vectorsDir, ...parts)
  if (!existsSync(path)) {
    throw new Error(
      `Test vector not found: ${path}. The vectors are committed in test/vectors/; is the checkout complete?`
    )
  }
  return path
}

/** Reads and parses a JSON vector file. */
export const readJsonVector = <A = unknown>(...parts: ReadonlyArray<string>): A =>
  JSON.parse(readFileSync(vectorPath(...parts), "utf8")) as A

/** The parsed `p2p.json`. Its shape is described per section by the tests that use it. */
export const p2pVectors = (): Record<string, unknown> => readJsonVector<Record<string, unknown>>("p2p.json")

/** Hex helpers for vector files (tests only; the libraries have their own). */
export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"))
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
