/**
 * The simulator (`@effect-p2p/pool` `Simulator`): N pools with maintenance on one in-memory network,
 * full crypto (native backend when libsodium loads, else noble), virtual time. Reports virtual
 * minutes per wall second, CPU per simulated peer (process.cpuUsage beside wall time) and peak RSS,
 * for N = 100 (`--connections 10`) and N = 1,000 (Octez's defaults 10 / 50 / 100), 30 virtual
 * minutes each. One run per size: a run is minutes long, so there are no rounds to alternate.
 *
 * Run alone: `pnpm exec tsx bench/simulator.bench.ts [100|1000]` (prints the section), or through
 * `bench/run.ts` (`pnpm bench -- simulator`; `--quick`: N = 20 for 2 virtual minutes).
 *
 * Each case runs in a fresh process started with {@link v8Flags}: a large simulation keeps gigabytes
 * of connections alive while it allocates short-lived objects fast, and V8's defaults cost it dearly
 * (docs/benchmarks.md, "Simulator at N = 1,000"): a 16 MiB young generation, the memory reducer's
 * extra full collections whenever allocation slows down, and above all a heap limit of about 4 GiB
 * on a 64-bit Node 20, which N = 1,000's 3.5 GB of live connections nearly fill, so that V8 grows the
 * heap by little and marks it again and again (and a larger run would run out of memory).
 */
import { spawn } from "node:child_process"
import { cpus, loadavg, totalmem } from "node:os"
import { fileURLToPath } from "node:url"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as NativeCrypto from "@effect-p2p/node/NativeCrypto"
import * as Limits from "@effect-p2p/pool/Limits"
import * as Simulator from "@effect-p2p/pool/Simulator"
import { Effect, type Layer, Result } from "effect"
import { fmt } from "./support.ts"

interface Case {
  readonly label: string
  readonly scenario: Simulator.Scenario
}

interface Measured {
  readonly label: string
  /** The report's summary (the whole report, with its graph, is megabytes at N = 1,000). */
  readonly summary: Simulator.Summary
  readonly wallMs: number
  readonly cpuMs: number
  readonly peakRss: number
  readonly backend: string
}

const ten = Result.getOrThrow(Limits.fromConnections(Limits.defaults, 10))

/** `--minutes=M` shortens the full runs (to look at a profile, or on a loaded machine). */
const minutesArg = process.argv.find((a) => a.startsWith("--minutes="))
const fullMinutes = minutesArg === undefined ? 30 : Number(minutesArg.slice("--minutes=".length))

const cases = (quick: boolean, only: ReadonlyArray<string>): ReadonlyArray<Case> => {
  if (quick) return [{ label: "N = 20, --connections 10", scenario: { peers: 20, minutes: 2, seed: 1, limits: ten } }]
  const all: ReadonlyArray<Case> = [
    { label: "N = 100, --connections 10", scenario: { peers: 100, minutes: fullMinutes, seed: 1, limits: ten } },
    {
      label: "N = 1,000, Octez defaults (10 / 50 / 100)",
      scenario: { peers: 1000, minutes: fullMinutes, seed: 1 }
    }
  ]
  return only.length === 0 ? all : all.filter((c) => only.includes(String(c.scenario.peers)))
}

/** The old generation's limit: half the machine's memory, at most 12 GiB (12,052 MiB on the docs' machine of 23.5 GiB). */
const oldSpaceMiB = Math.min(12_288, Math.floor(totalmem() / 2 / 2 ** 20))

/** The node flags each case runs with (see the header). */
export const v8Flags = [
  "--max-semi-space-size=64",
  "--no-memory-reducer",
  `--max-old-space-size=${oldSpaceMiB}`
] as const

const measure = async (c: Case, backend: Layer.Layer<CryptoBackend.CryptoBackend>): Promise<Measured> => {
  let peakRss = process.memoryUsage().rss
  const started = Date.now()
  const cpu = process.cpuUsage()
  let name = ""
  const report = await Effect.runPromise(
    Effect.gen(function* () {
      name = (yield* CryptoBackend.CryptoBackend).name
      return yield* Simulator.run(c.scenario, {
        onMinute: (stats) =>
          Effect.sync(() => {
            peakRss = Math.max(peakRss, process.memoryUsage().rss)
            const wall = (Date.now() - started) / 1000
            const used = process.cpuUsage(cpu)
            console.log(
              `  ${c.label}: minute ${stats.minute} at ${fmt(wall, 1)} s wall, ${fmt((used.user + used.system) / 1e6, 1)} s CPU, RSS ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB, alive ${stats.alive}, connections ${stats.connections.min}/${stats.connections.median}/${stats.connections.max}, components ${stats.components}, dials ${stats.dials}, swaps ${stats.swaps}, violations ${stats.violations}`
            )
          })
      })
    }).pipe(Effect.provide(backend))
  )
  const used = process.cpuUsage(cpu)
  return {
    label: c.label,
    summary: report.summary,
    wallMs: Date.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    peakRss,
    backend: name
  }
}

const row = (m: Measured) => {
  const s = m.summary
  const minutesPerSecond = s.minutes / (m.wallMs / 1000)
  const cpuPerPeer = m.cpuMs / s.peers
  return `| ${m.label} | ${s.minutes} | ${fmt(m.wallMs / 1000, 1)} | ${fmt(m.cpuMs / 1000, 1)} | ${fmt(minutesPerSecond, 2)} | ${fmt(cpuPerPeer, 0)} | ${fmt(cpuPerPeer / s.minutes, 1)} | ${fmt(m.peakRss / 2 ** 20, 0)} | ${s.converged ? "yes" : "no"} (${s.minConnections}–${s.maxConnections}) | ${s.dials} | ${s.swaps} | ${s.violations} |`
}

const self = fileURLToPath(import.meta.url)
const resultPrefix = "SIMULATOR-RESULT "

/** Runs one case in a child process with {@link v8Flags}; its minute lines go to our stdout. */
const measureInChild = (c: Case, quick: boolean): Promise<Measured> =>
  new Promise((resolve, reject) => {
    const args = [
      ...v8Flags,
      ...process.execArgv,
      self,
      `--case=${c.scenario.peers}`,
      `--minutes=${c.scenario.minutes}`
    ]
    if (quick) args.push("--quick")
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      const lines = out.split("\n")
      out = lines.pop() ?? ""
      for (const line of lines) {
        if (line.startsWith(resultPrefix)) resolve(JSON.parse(line.slice(resultPrefix.length)) as Measured)
        else console.log(line)
      }
    })
    child.on("error", reject)
    child.on("close", (code) => reject(new Error(`simulator case ${c.label}: exited with ${code} without a result`)))
  })

export const run = async ({ quick }: { quick: boolean }) => {
  const only = process.argv.slice(2).filter((a) => /^\d+$/.test(a))
  const startLoad = Number(process.env.BENCH_START_LOAD ?? loadavg()[0])
  const measured: Array<Measured> = []
  for (const c of cases(quick, only)) measured.push(await measureInChild(c, quick))
  const body = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}; load average ${fmt(startLoad, 2)} at the start. Crypto: ${measured[0]?.backend ?? "?"} backend. Command: \`pnpm exec tsx bench/simulator.bench.ts\` (or \`pnpm bench -- simulator\`); each size runs in its own process, \`node ${v8Flags.join(" ")}\`. One run per size (each is minutes long); CPU from \`process.cpuUsage\` (user + system, the whole process: the garbage collector's helper thread included, which is why CPU exceeds wall time), RSS sampled once per virtual minute.`,
    "",
    "| scenario | virtual min | wall s | CPU s | virtual min / wall s | CPU ms / peer | CPU ms / peer / virtual min | peak RSS MiB | converged (min–max conn.) | dials | swaps | violations |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...measured.map(row)
  ].join("\n")
  return { sections: [{ title: "Simulator", body }] }
}

const caseArg = process.argv.find((a) => a.startsWith("--case="))
if (import.meta.url === `file://${process.argv[1]}` && caseArg !== undefined) {
  // A child of `measureInChild`: one case, its result as one line.
  const peers = caseArg.slice("--case=".length)
  const c = cases(process.argv.includes("--quick"), [peers])[0]
  if (c === undefined) throw new Error(`no simulator case for N = ${peers}`)
  const measured = await measure(c, NativeCrypto.layerWithFallback)
  // Exit once the line is written: stdout is a pipe, and an exit drops what is still queued.
  process.stdout.write(`${resultPrefix}${JSON.stringify(measured)}\n`, () => process.exit(0))
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run({ quick: process.argv.includes("--quick") })
  for (const s of result.sections) console.log(`\n## ${s.title}\n\n${s.body}`)
  process.exit(0)
}
