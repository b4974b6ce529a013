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
import { spawnPair } from "./network.bench.ts"
import type { Child } from "./support.ts"

const runs = Number(process.argv[2] ?? 2)
const kinds = (process.argv[3] ?? "native,pool").split(",")
const flagSets = (process.argv[4] ?? "default,--no-memory-reducer").split(",")
const idleMs = Number(process.env.BENCH_IDLE_MS ?? 8000)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Pair {
  readonly server: Child
  readonly client: Child
  readonly stop: () => Promise<void>
}

const cpuSinceMark = async (child: Child) => {
  child.send({ type: "window" })
  return ((await child.next("window")) as { cpuMs: number }).cpuMs
}

/** One transfer after the idle gap: MB/s and both processes' CPU µs per message. */
const transfer = async ({ server, client }: Pair, size: number, count: number) => {
  await sleep(idleMs)
  for (const c of [server, client]) c.send({ type: "mark" })
  await server.next("marked")
  await client.next("marked")
  server.send({ type: "expect", bytes: size * count, verify: false })
  await server.next("ready")
  const t0 = performance.now()
  client.send({ type: "send", size, count, verify: false })
  await client.next("sent", 600_000)
  await server.next("done", 600_000)
  const elapsed = performance.now() - t0
  const [sender, receiver] = [await cpuSinceMark(client), await cpuSinceMark(server)]
  return {
    mbps: (size * count) / elapsed / 1000,
    sender: (1000 * sender) / count,
    receiver: (1000 * receiver) / count
  }
}

const withFlags = async <A>(flags: string, f: () => Promise<A>): Promise<A> => {
  const saved = process.env.BENCH_NODE_FLAGS
  process.env.BENCH_NODE_FLAGS = flags === "default" ? "" : flags.split("+").join(" ")
  try {
    return await f()
  } finally {
    if (saved === undefined) delete process.env.BENCH_NODE_FLAGS
    else process.env.BENCH_NODE_FLAGS = saved
  }
}

const spawnPairWith = (kind: string, flags: string): Promise<Pair> =>
  withFlags(flags, () => spawnPair("recv", "send", kind))

const samples = new Map<string, { receiver: Array<number>; sender: Array<number> }>()
const f1 = (n: number) => n.toFixed(1)
const spread = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  const median = s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
  return `${f1(s[0]!)} / ${f1(median)} / ${f1(s.at(-1)!)}`
}

console.log(`idle ${idleMs} ms before every transfer; ${runs} run(s); kinds ${kinds.join(", ")}`)
for (let run = 0; run < runs; run++) {
  const order = run % 2 === 0 ? flagSets : [...flagSets].reverse()
  for (const flags of order) {
    const pairs = new Map<string, Pair>()
    for (const kind of kinds) pairs.set(kind, await spawnPairWith(kind, flags))
    for (let r = 0; r < 2; r++) for (const kind of kinds) await transfer(pairs.get(kind)!, 1024, 300_000)
    for (let r = 0; r < 3; r++) {
      const line: Array<string> = []
      for (const kind of kinds) {
        const t = await transfer(pairs.get(kind)!, 65536, 30_000)
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
for (const [key, s] of samples) console.log(`${key}: receiver ${spread(s.receiver)}; sender ${spread(s.sender)}`)
