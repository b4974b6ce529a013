#!/usr/bin/env -S node --no-memory-reducer
/**
 * `effect-p2p` inside this repository: what `pnpm effect-p2p ...` runs (pnpm finds it in the
 * workspace's node_modules/.bin, and prints nothing of its own on stdout). It brings dist/ up to
 * date with `tsc -b` (incremental: well under a second when nothing changed; its output goes to
 * standard error), then runs the built command in this same process, so the PID a shell sees is
 * the command's, SIGINT and SIGTERM reach it, and its memory is the built JS's. The published
 * package's bin is dist/bin.js itself (`publishConfig.bin`). Both start Node with
 * `--no-memory-reducer` (why: src/bin.ts); pnpm's launcher in node_modules/.bin copies the flag
 * from the line above.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const project = join(packageDir, "tsconfig.src.json")

const typescriptCompiler = () => {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc")
  } catch {
    return undefined
  }
}

const tsc = existsSync(project) ? typescriptCompiler() : undefined
if (tsc !== undefined) {
  const build = spawnSync(process.execPath, [tsc, "-b", project], { stdio: ["ignore", 2, 2] })
  if (build.status !== 0) {
    process.stderr.write(`effect-p2p: building the command failed (tsc -b ${project}); see above\n`)
    process.exit(1)
  }
}
await import("../dist/bin.js")
