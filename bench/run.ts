/**
 * Runs every `*.bench.ts` in this directory, one after the other. `--quick` shortens the rounds
 * (for a smoke run; the numbers in docs/benchmarks.md come from full runs). A benchmark whose `run`
 * returns `{ sections }` has those `## title` sections of docs/benchmarks.md replaced (or appended)
 * after a full run; a quick run prints them instead, and so does a trial run of the network benchmark
 * (`BENCH_ROUNDS`, `BENCH_ROUND_MS` or `BENCH_WARMUP_MS` set: see network.bench.ts), whose `run` returns nothing.
 *
 *   pnpm bench                      # everything, writes docs/benchmarks.md
 *   pnpm bench -- network           # only the files whose name contains "network"
 *   pnpm bench -- --quick           # the smoke run (CI): every stack briefly, counts checked, nothing written
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { dirname } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

interface Section {
  readonly title: string
  readonly body: string
}

// Taken before any benchmark loads the machine, so the report can say whether it was otherwise idle.
process.env.BENCH_START_LOAD ??= String(loadavg()[0])

const here = dirname(fileURLToPath(import.meta.url))
const docPath = `${here}/../docs/benchmarks.md`
const quick = process.argv.includes("--quick")
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

/** Replaces the body of `## title` (up to the next `## ` heading) or appends the section. */
const replaceSection = (doc: string, { title, body }: Section): string => {
  const lines = doc.split("\n")
  const start = lines.indexOf(`## ${title}`)
  const section = [`## ${title}`, "", body.trim(), ""]
  if (start < 0) return `${doc.trimEnd()}\n\n${section.join("\n")}`
  let end = lines.findIndex((l, i) => i > start && l.startsWith("## "))
  if (end < 0) end = lines.length
  return [...lines.slice(0, start), ...section, ...lines.slice(end)].join("\n")
}

for (const file of files) {
  const mod = (await import(pathToFileURL(`${here}/${file}`).href)) as {
    readonly run?: (o: { quick: boolean }) => Promise<undefined | { sections: ReadonlyArray<Section> }> | undefined
  }
  if (mod.run === undefined) throw new Error(`${file} does not export run`)
  console.log(`\n# ${file}${quick ? " (quick)" : ""}`)
  const result = await mod.run({ quick })
  if (result && "sections" in result) {
    if (quick) {
      for (const s of result.sections) console.log(`\n## ${s.title} (quick run, not written)\n\n${s.body}`)
    } else {
      let doc = readFileSync(docPath, "utf8")
      for (const s of result.sections) doc = replaceSection(doc, s)
      writeFileSync(docPath, doc.endsWith("\n") ? doc : `${doc}\n`)
      console.log(`\nwrote ${result.sections.map((s) => `"${s.title}"`).join(", ")} to docs/benchmarks.md`)
    }
  }
}
// Child processes and libp2p timers may linger; the run is over.
process.exit(0)
