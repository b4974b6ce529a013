/**
 * Issue 23: throughput after idle periods, the slow receive level's trigger. Receiver and sender are
 * the network benchmark's peers (`peer.ts recv` / `peer.ts send`, one connection per kind kept for the
 * whole run, as there), but every transfer is preceded by `BENCH_IDLE_MS` (default 8,000) of silence,
 * as a receiver sees when other stacks take their turn or a real node waits for traffic.
 *
 *   pnpm exec tsx bench/after-idle.ts [RUNS] [KINDS] [FLAG SETS]
 *
 * - RUNS (default 2): each run starts fresh processes for every kind and flag set, then per kind two
 *   1 KiB transfers (300,000 messages) and three 64 KiB transfers (30,000), each after the idle gap;
 * - KINDS (default `native,pool`): `peer.ts` throughput kinds;
 * - FLAG SETS (default `default,--no-memory-reducer`): V8 flags for both processes, `,` between sets,
 *   `+` between the flags of one set, `default` for none. Within a run the sets alternate, their
 *   order reversed every other run.
 *
 * Prints every 64 KiB transfer (MB/s, sender / receiver CPU µs per message), then per kind and flag
 * set the receiver's and the sender's CPU per 64 KiB message, min / median / max over all transfers.
 * Findings: docs/benchmarks.md, "64 KiB: the slow level comes after idle periods".
 */
import { type Pair, spawnPair, transfer } from "./network.bench.ts"
import { spread } from "./support.ts"

const runs = Number(process.argv[2] ?? 2)
const kinds = (process.argv[3] ?? "native,pool").split(",")
const flagSets = (process.argv[4] ?? "default,--no-memory-reducer").split(",")
const idleMs = Number(process.env.BENCH_IDLE_MS ?? 8000)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One unverified transfer (the network benchmark's) after the idle gap. */
const afterIdle = async (pair: Pair, size: number, count: number) => {
  await sleep(idleMs)
  return transfer(pair, size, count, false)
}

/** `spawnPair` with `BENCH_NODE_FLAGS` set to one flag set (`default`: none) while it spawns. */
const spawnPairWith = async (kind: string, flags: string): Promise<Pair> => {
  const saved = process.env.BENCH_NODE_FLAGS
  process.env.BENCH_NODE_FLAGS = flags === "default" ? "" : flags.split("+").join(" ")
  try {
    return await spawnPair("recv", "send", kind)
  } finally {
    if (saved === undefined) delete process.env.BENCH_NODE_FLAGS
    else process.env.BENCH_NODE_FLAGS = saved
  }
}

const samples = new Map<string, { receiver: Array<number>; sender: Array<number> }>()
const f1 = (n: number) => n.toFixed(1)
const shown = (xs: ReadonlyArray<number>) => {
  const s = spread(xs)
  return `${f1(s.min)} / ${f1(s.median)} / ${f1(s.max)}`
}

console.log(`idle ${idleMs} ms before every transfer; ${runs} run(s); kinds ${kinds.join(", ")}`)
for (let run = 0; run < runs; run++) {
  const order = run % 2 === 0 ? flagSets : [...flagSets].reverse()
  for (const flags of order) {
    const pairs = new Map<string, Pair>()
    for (const kind of kinds) pairs.set(kind, await spawnPairWith(kind, flags))
    for (let r = 0; r < 2; r++) for (const kind of kinds) await afterIdle(pairs.get(kind)!, 1024, 300_000)
    for (let r = 0; r < 3; r++) {
      const line: Array<string> = []
      for (const kind of kinds) {
        const t = await afterIdle(pairs.get(kind)!, 65536, 30_000)
        const key = `${kind} ${flags}`
        const s = samples.get(key) ?? { receiver: [], sender: [] }
        s.receiver.push(t.receiver)
        s.sender.push(t.sender)
        samples.set(key, s)
        line.push(`${kind} ${f1(t.mbps)} MB/s (${f1(t.sender)} / ${f1(t.receiver)})`)
      }
      console.log(`run ${run + 1}, ${flags}, 64 KiB transfer ${r + 1}: ${line.join(", ")}`)
    }
    for (const pair of pairs.values()) await pair.stop()
  }
}
console.log("\nCPU µs per 64 KiB message, min / median / max over every transfer:")
for (const [key, s] of samples) console.log(`${key}: receiver ${shown(s.receiver)}; sender ${shown(s.sender)}`)
