/**
 * Runs every `*.bench.ts` in this directory, one after the other. `--quick` shortens the rounds
 * (for a smoke run; the numbers in docs/benchmarks.md come from full runs).
 */
import { readdirSync } from "node:fs"
import { dirname } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes("--quick")
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

for (const file of files) {
  const mod = (await import(pathToFileURL(`${here}/${file}`).href)) as {
    readonly run?: (o: { quick: boolean }) => Promise<void> | void
  }
  if (mod.run === undefined) throw new Error(`${file} does not export run`)
  console.log(`\n# ${file}${quick ? " (quick)" : ""}`)
  await mod.run({ quick })
}
