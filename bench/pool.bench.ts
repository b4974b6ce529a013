/**
 * The pool (`@effect-p2p/pool`): connections established per second by one pool, in memory and over
 * TCP on loopback (both ends in this process, real handshakes with the native crypto backend), and
 * the memory a pool adds per idle connection with 100 peers, against the same 100 connections made
 * by the session alone.
 *
 * Run alone: `pnpm exec tsx bench/pool.bench.ts` (prints the section), or through `bench/run.ts`.
 */
import { cpus, loadavg } from "node:os"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as NativeCrypto from "@effect-p2p/node/NativeCrypto"
import * as TcpTransport from "@effect-p2p/node/TcpTransport"
import * as Limits from "@effect-p2p/pool/Limits"
import * as MemoryNetwork from "@effect-p2p/pool/MemoryNetwork"
import * as Pool from "@effect-p2p/pool/Pool"
import * as PoolMessage from "@effect-p2p/pool/PoolMessage"
import * as Transport from "@effect-p2p/pool/Transport"
import * as Metadata from "@effect-p2p/session/Metadata"
import * as Negotiation from "@effect-p2p/session/Negotiation"
import * as Session from "@effect-p2p/session/Session"
import { Effect, Schema, type Scope } from "effect"
import { fmt, median } from "./support.ts"

const supported: Negotiation.Supported = {
  chainName: "BENCH",
  distributedDbVersions: Negotiation.octezDistributedDbVersions,
  p2pVersions: Negotiation.octezP2pVersions
}
const messages = Schema.String
const metadata = { disableMempool: false, privateNode: false }
/** One pool accepts them all: no incoming cap, threshold above the count. */
const limits: Limits.Limits = { ...Limits.defaults, maxIncomingConnections: 1000, maxConnections: 1000 }

const gc: () => void = (() => {
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
})()

const held = () => {
  gc()
  gc()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

/** `n` clients (pools that only dial) connect to one listening pool at once; returns wall and CPU ms. */
const establish = (n: number, ids: ReadonlyArray<Identity.Identity>, kind: "memory" | "tcp") =>
  Effect.gen(function* () {
    const network = yield* MemoryNetwork.make()
    const transportOf = (host: string) => (kind === "memory" ? network.transport(host) : TcpTransport.make())
    const target = yield* Pool.make({
      identity: ids[0]!,
      supported,
      messages,
      limits,
      listen: { host: kind === "memory" ? "10.0.0.1" : "127.0.0.1", port: kind === "memory" ? 9732 : 0 }
    }).pipe(Effect.provideService(Transport.Transport, transportOf("10.0.0.1")))
    const address = target.address._tag === "Some" ? target.address.value : undefined
    const point = Transport.format(address!)
    const clients = yield* Effect.forEach(ids.slice(1, n + 1), (identity, i) =>
      Pool.make({ identity, supported, messages, limits }).pipe(
        Effect.provideService(Transport.Transport, transportOf(`10.1.${i >> 8}.${i & 255}`))
      )
    )
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    yield* Effect.forEach(clients, (client) => client.connect(point), { concurrency: "unbounded", discard: true })
    // The dialler is done at its Ack; the target registers each connection once its own Ack read completes.
    for (let i = 0; i < 5000 && (yield* target.connections).length < n; i++) yield* Effect.sleep(1)
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const connected = (yield* target.connections).length
    if (connected !== n) throw new Error(`${kind}: ${connected} connections, expected ${n}`)
    return { wall, cpu: (cpu.user + cpu.system) / 1000 }
  }).pipe(Effect.scoped)

/** The server side of `n` idle connections: a pool, or the session alone; clients are plain sessions. */
const idle = (n: number, ids: ReadonlyArray<Identity.Identity>, withPool: boolean) =>
  Effect.gen(function* () {
    const network = yield* MemoryNetwork.make()
    const server = network.transport("10.0.0.1")
    const keep: Array<unknown> = []
    if (withPool) {
      const pool = yield* Pool.make({
        identity: ids[0]!,
        supported,
        messages,
        limits,
        listen: { host: "10.0.0.1", port: 9732 }
      }).pipe(Effect.provideService(Transport.Transport, server))
      keep.push(pool)
    } else {
      const listening = yield* server.listen({ host: "10.0.0.1", port: 9732 })
      yield* Effect.forkScoped(
        listening.run((c) =>
          Effect.gen(function* () {
            const [, auth] = yield* Session.authenticate({
              socket: c.socket,
              identity: ids[0]!,
              incoming: true,
              listeningPort: 9732,
              expectedPow: 0,
              version: Negotiation.announced(supported),
              metadata,
              metadataEncoding: Metadata.octez
            })
            const connection = yield* Session.accept(auth, { messageEncoding: PoolMessage.encoding(messages) })
            keep.push(connection)
            return yield* Effect.never
          }).pipe(Effect.ignore)
        )
      )
    }
    const before = held()
    yield* Effect.forEach(
      ids.slice(1, n + 1),
      (identity, i) =>
        Effect.gen(function* () {
          const c = yield* network.transport(`10.1.0.${i}`).dial({ host: "10.0.0.1", port: 9732 })
          const [, auth] = yield* Session.authenticate({
            socket: c.socket,
            identity,
            incoming: false,
            listeningPort: 9732,
            expectedPow: 0,
            version: Negotiation.announced(supported),
            metadata,
            metadataEncoding: Metadata.octez
          })
          keep.push(yield* Session.accept(auth, { messageEncoding: PoolMessage.encoding(messages) }))
        }),
      { concurrency: 10, discard: true }
    )
    // Let the server side finish its own half of each handshake.
    for (let i = 0; i < 1000 && keep.length < 2 * n + (withPool ? 1 : 0); i++) yield* Effect.sleep(1)
    const after = held()
    return (after - before) / n
  }).pipe(Effect.scoped)

const rounds = <A>(count: number, f: () => Promise<A>) =>
  (async () => {
    const out: Array<A> = []
    for (let i = 0; i < count; i++) out.push(await f())
    return out
  })()

export const run = async ({ quick }: { quick: boolean }) => {
  const n = 50
  const memoryPeers = 100
  const runtime = <A, E>(effect: Effect.Effect<A, E, CryptoBackend.CryptoBackend | Scope.Scope>) =>
    Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(NativeCrypto.layerWithFallback)))
  const ids = await runtime(
    Effect.forEach(Array.from({ length: memoryPeers + 1 }), () => Identity.generate({ difficulty: 0 }))
  )
  const backend = await runtime(
    Effect.gen(function* () {
      return (yield* CryptoBackend.CryptoBackend).name
    })
  )
  const count = quick ? 2 : 5
  // Alternate in-memory and TCP rounds within one run, so machine noise hits both alike.
  const memory: Array<{ wall: number; cpu: number }> = []
  const tcp: Array<{ wall: number; cpu: number }> = []
  await runtime(establish(n, ids, "memory")) // warm-up
  for (let i = 0; i < count; i++) {
    memory.push(await runtime(establish(n, ids, "memory")))
    tcp.push(await runtime(establish(n, ids, "tcp")))
  }
  const perPeer = await rounds(quick ? 1 : 3, async () => {
    const pool = await runtime(idle(memoryPeers, ids, true))
    const alone = await runtime(idle(memoryPeers, ids, false))
    return { pool, alone }
  })
  const row = (name: string, xs: ReadonlyArray<{ wall: number; cpu: number }>) => {
    const rates = xs.map((x) => (n * 1000) / x.wall).sort((a, b) => a - b)
    const cpu = xs.map((x) => x.cpu).sort((a, b) => a - b)
    return `| ${name} | ${fmt(rates[0]!)} / ${fmt(median(rates))} / ${fmt(rates.at(-1)!)} | ${fmt(cpu[0]!)} / ${fmt(median(cpu))} / ${fmt(cpu.at(-1)!)} | ${fmt(median(cpu) / n, 2)} |`
  }
  const diff = perPeer.map((p) => p.pool - p.alone).sort((a, b) => a - b)
  const kib = (bytes: number) => fmt(bytes / 1024, 1)
  const body = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}, load ${fmt(loadavg()[0] ?? 0, 2)} at the end; crypto backend ${backend}. Command: \`pnpm exec tsx bench/pool.bench.ts\` (or \`pnpm bench pool\`). ${count} rounds, in-memory and TCP alternated, after one warm-up round; min / median / max.`,
    "",
    `**Connections established**: ${n} client pools dial one listening pool at once (real handshakes, proof-of-work difficulty 0, both ends in this process, so the CPU time counts both sides of every handshake). Targets: under 1 s of CPU for ${n} connections in memory.`,
    "",
    "| transport | connections/s | CPU ms for 50 | CPU ms per connection (both ends) |",
    "|---|---|---|---|",
    row("in memory", memory),
    row("TCP loopback", tcp),
    "",
    `**Memory per idle connection with ${memoryPeers} peers** (heap + array buffers after a full GC, in memory; the 100 clients are plain sessions in both cases and are counted in both figures, so the difference is what the pool adds): pool ${perPeer.map((p) => kib(p.pool)).join(" / ")} KiB per connection, session alone ${perPeer.map((p) => kib(p.alone)).join(" / ")} KiB; the pool adds ${kib(diff[0]!)} / ${kib(median(diff))} / ${kib(diff.at(-1)!)} KiB per connection (target: at most 64 KiB).`
  ].join("\n")
  return { sections: [{ title: "Pool", body }] }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run({ quick: process.argv.includes("--quick") })
  for (const s of result.sections) console.log(`## ${s.title}\n\n${s.body}`)
  process.exit(0)
}
