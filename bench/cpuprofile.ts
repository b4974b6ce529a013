/**
 * Summarises `.cpuprofile` files (from `node --cpu-prof`) by self time per function:
 * `tsx cpuprofile.ts FILE... [--top N]`. Used for the "where the time goes" notes in
 * docs/benchmarks.md.
 */
import { readFileSync } from "node:fs"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** `[function (file:line), self ms, share]`, largest first. */
export const summarise = (profile: Profile, top = 20) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!
    const dt = profile.timeDeltas[i] ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    const file = url.replace(/^.*\/(node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?|packages\/)/, "")
    const key = `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim()
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  }
  return {
    totalMs: total / 1000,
    rows: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, us / 1000, us / total] as const)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const t = args.indexOf("--top")
  const top = t >= 0 ? Number(args[t + 1]) : 20
  for (const file of args.filter((a, i) => !a.startsWith("--") && (t < 0 || i !== t + 1))) {
    const { totalMs, rows } = summarise(JSON.parse(readFileSync(file, "utf8")) as Profile, top)
    console.log(`\n${file}: ${totalMs.toFixed(0)} ms sampled`)
    for (const [k, ms, share] of rows)
      console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${k}`)
  }
}
