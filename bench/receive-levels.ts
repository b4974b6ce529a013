/**
 * Issue 23: the receive path and the ping-pong latency measured from outside, through the public API
 * only, each peer its own process (libraries from their TypeScript sources).
 *
 *   node --conditions=source --import tsx bench/receive-levels.ts throughput [ROUNDS] [SIZE] [MODES]
 *   node --conditions=source --import tsx bench/receive-levels.ts ping [ROUNDS] [COUNT] [MODES]
 *
 * - `throughput`: per round and mode a fresh receiver process and a fresh sender process; the sender
 *   writes SIZE-byte messages (default 65,536) as fast as the connection takes them; after 1.5 s of
 *   warm-up, a 2 s window in which each process reports its CPU time (`process.cpuUsage`, user +
 *   system) and the receiver its message count. Modes (default `session,fixed`): `session` is
 *   `Listener.make` / `Dialer.connect` with a full handshake; `fixed` is `Tcp.listen` / `Tcp.connect`
 *   with `Connection.make` and a fixed key. Native crypto (`NativeCrypto.layer()`), `Encoding.bytes`.
 * - `ping`: per round and mode an echo process and a pinging process; COUNT (default 5,000) round
 *   trips of 64 bytes after 500 of warm-up, timed in the pinging process (one Effect fiber writing
 *   and reading, no promise per ping). Modes (default `raw,fixed,session`): `raw` is plain `net`.
 *
 * Rounds alternate the modes (the order rotates every round) so that the machine's load hits all
 * alike. Prints every round and min / median / max per mode. Knobs (environment):
 *
 * - `BENCH_WINDOW_MS` (default 2000) and `BENCH_WINDOWS=K`: the throughput window, and K sub-windows
 *   of it printed for the receiver (is a level sticky within one connection?);
 * - `BENCH_PERF=DIR`: children under `--perf-basic-prof`; each throughput window of the receiver
 *   (and 2 s of the echo process during a ping round) recorded with `perf record -g` into DIR
 *   (`perf report -i DIR/recv-MODE-N.data`);
 * - `BENCH_CPU_PROF=DIR`: children under `--cpu-prof` (summarise with `cpuprofile.ts`);
 * - `BENCH_NODE_FLAGS="--trace-gc ..."`: more flags for the children (e.g. `--single-threaded-gc`);
 * - `BENCH_INCOMING=BYTES`: the connections' `incomingQueueSize`;
 * - `BENCH_QUEUED=1`: the receiver prints its memory at each mark (`2`: also its queued bytes);
 * - `BENCH_PIDS=1`: prints the children's process ids (to match `--trace-gc` lines).
 *
 * Findings and figures: docs/benchmarks.md, "Receive path and latency (issue 23)".
 */
import { type ChildProcess, execFile, fork } from "node:child_process"
import * as Net from "node:net"
import { fileURLToPath } from "node:url"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import * as Connection from "@effect-p2p/connection/Connection"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import * as Dialer from "@effect-p2p/node/Dialer"
import * as Listener from "@effect-p2p/node/Listener"
import * as NativeCrypto from "@effect-p2p/node/NativeCrypto"
import * as Tcp from "@effect-p2p/node/Tcp"
import { Cause, Effect, Layer, type Scope } from "effect"

const host = "127.0.0.1"
const self = fileURLToPath(import.meta.url)

// ---------------------------------------------------------------- messages between the processes

type ToChild =
  | { readonly type: "connect"; readonly port: number }
  | { readonly type: "mark" }
  | { readonly type: "ping"; readonly count: number }
  | { readonly type: "stop" }

type FromChild =
  | { readonly type: "listening"; readonly port: number }
  | { readonly type: "connected" }
  | { readonly type: "mark"; readonly cpuUs: number; readonly messages: number; readonly atMs: number }
  | { readonly type: "pinged"; readonly times: ReadonlyArray<number>; readonly cpuUs: number }
  | { readonly type: "error"; readonly message: string }

// ---------------------------------------------------------------- the children

const crypto: Layer.Layer<CryptoBackend> = Layer.orDie(NativeCrypto.layer())

const key = new Uint8Array(32).fill(7) as ChannelKey
const nonceA = Nonce.zero()
const nonceB = Nonce.increment(Nonce.increment(nonceA))
const fixedConnection = (tcp: Tcp.TcpSocket, dialer: boolean) =>
  Connection.make({
    reader: ByteReader.make(tcp.socket),
    channelKey: key,
    localNonce: dialer ? nonceA : nonceB,
    remoteNonce: dialer ? nonceB : nonceA,
    encoding: Encoding.bytes,
    ...connectionOptions
  })

/** `BENCH_INCOMING=BYTES`: the incoming queue's size (for experiments; default the library's). */
const connectionOptions: Connection.Options = process.env.BENCH_INCOMING
  ? { incomingQueueSize: Number(process.env.BENCH_INCOMING) }
  : {}

const sessionOptions = (identity: Identity.Identity) => ({
  connection: connectionOptions,
  identity,
  expectedPow: 0,
  supported: { chainName: "BENCH_CHAIN", distributedDbVersions: [1], p2pVersions: [1] },
  metadata: new Uint8Array(0),
  metadataEncoding: Encoding.Fixed.bytes(0),
  messageEncoding: Encoding.bytes
})

type Handler = (connection: Connection.Connection<Uint8Array>) => Effect.Effect<void, unknown>

/** Accepts connections in `mode` and runs `handler` on each. */
const serve = (mode: string, handler: Handler): Effect.Effect<number, unknown, Scope.Scope | CryptoBackend> =>
  Effect.gen(function* () {
    if (mode === "session") {
      const identity = yield* Identity.generate({ difficulty: 0 })
      const listener = yield* Listener.make({ ...sessionOptions(identity), port: 0, host }, ({ connection }) =>
        handler(connection)
      )
      return listener.address.port
    }
    const server = yield* Tcp.listen({ port: 0, host })
    yield* Effect.forkScoped(
      server.run((tcp) => Effect.flatMap(fixedConnection(tcp, false), handler).pipe(Effect.ignore))
    )
    return server.address.port
  })

const dial = (mode: string, port: number) =>
  Effect.gen(function* () {
    if (mode === "session") {
      const identity = yield* Identity.generate({ difficulty: 0 })
      return (yield* Dialer.connect({ ...sessionOptions(identity), host, port })).connection
    }
    return yield* fixedConnection(yield* Tcp.connect({ host, port }), true)
  })

const cpuUs = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

const child = (role: string, mode: string, size: number) => {
  const send = (m: FromChild) => process.send!(m)
  const fail = (e: unknown) => {
    send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
    setTimeout(() => process.exit(1), 100)
  }
  process.on("uncaughtException", fail)
  process.on("unhandledRejection", fail)
  let messages = 0
  const queuedSamples: Array<number> = []
  const run = (effect: Effect.Effect<unknown, unknown, Scope.Scope | CryptoBackend>) =>
    Effect.runFork(
      effect.pipe(
        Effect.scoped,
        Effect.provide(crypto),
        Effect.catchCause((cause) => Effect.sync(() => fail(Cause.pretty(cause))))
      )
    )

  let onConnect: (port: number) => void = () => {}
  let onPing: (count: number) => void = () => {}
  process.on("message", (raw) => {
    const m = raw as ToChild
    if (m.type === "mark") {
      if (process.env.BENCH_QUEUED) {
        const u = process.memoryUsage()
        console.log(
          `  ${role} memory: heap ${(u.heapUsed / 1e6).toFixed(1)} MB, array buffers ${(u.arrayBuffers / 1e6).toFixed(1)} MB, rss ${(u.rss / 1e6).toFixed(1)} MB`
        )
      }
      if (queuedSamples.length > 0)
        console.log(
          `  queued incoming bytes (every 256th read): ${queuedSamples.splice(0).join(" ")}; heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB`
        )
      send({ type: "mark", cpuUs: cpuUs(), messages, atMs: performance.now() })
    } else if (m.type === "connect") onConnect(m.port)
    else if (m.type === "ping") onPing(m.count)
    else if (m.type === "stop") process.exit(0)
  })

  if (role === "recv" || role === "echo") {
    // The peer going away (killed at the end of a round) ends a handler quietly.
    const count: Handler = (c) =>
      Effect.forever(
        Effect.map(c.read, () => {
          if (++messages % 256 === 0 && process.env.BENCH_QUEUED === "2")
            Effect.runSync(Effect.map(c.queued, (q) => queuedSamples.push(q.incomingBytes)))
        })
      ).pipe(Effect.ignore)
    const echo: Handler = (c) => Effect.forever(Effect.flatMap(c.read, ([, m]) => c.write(m))).pipe(Effect.ignore)
    if (mode === "raw") {
      const server = Net.createServer({ noDelay: true }, (s) => s.on("data", (d) => s.write(d)))
      server.listen(0, host, () => send({ type: "listening", port: (server.address() as Net.AddressInfo).port }))
      return
    }
    run(
      Effect.gen(function* () {
        const port = yield* serve(mode, role === "recv" ? count : echo)
        send({ type: "listening", port })
        return yield* Effect.never
      })
    )
    return
  }
  if (role === "send") {
    const payload = new Uint8Array(size).fill(1)
    onConnect = (port) =>
      run(
        Effect.gen(function* () {
          const c = yield* dial(mode, port)
          send({ type: "connected" })
          while (true) {
            yield* c.write(payload)
            messages++
          }
        })
      )
    return
  }
  if (role === "ping") {
    const msg = new Uint8Array(64).fill(9)
    if (mode === "raw") {
      onConnect = (port) => {
        const s = Net.createConnection({ host, port, noDelay: true }, () => send({ type: "connected" }))
        let got = 0
        let done: () => void = () => {}
        s.on("data", (d: Buffer) => {
          got += d.length
          if (got >= msg.length) {
            got -= msg.length
            done()
          }
        })
        const once = () =>
          new Promise<void>((resolve) => {
            done = resolve
            s.write(msg)
          })
        onPing = async (n) => {
          for (let i = 0; i < 500; i++) await once()
          const cpu0 = cpuUs()
          const times: Array<number> = []
          for (let i = 0; i < n; i++) {
            const t0 = performance.now()
            await once()
            times.push((performance.now() - t0) * 1000)
          }
          send({ type: "pinged", times, cpuUs: cpuUs() - cpu0 })
        }
      }
      return
    }
    onConnect = (port) =>
      run(
        Effect.gen(function* () {
          const c = yield* dial(mode, port)
          const requests: Array<number> = []
          let wake: (() => void) | undefined
          onPing = (n) => {
            requests.push(n)
            wake?.()
          }
          send({ type: "connected" })
          while (true) {
            if (requests.length === 0) {
              yield* Effect.callback<void>((resume) => {
                wake = () => resume(Effect.void)
              })
              wake = undefined
            }
            const n = requests.shift()!
            for (let i = 0; i < 500; i++) {
              yield* c.write(msg)
              const [, echoed] = yield* c.read
              if (echoed.length !== msg.length || echoed[0] !== 9) throw new Error("echo differs")
            }
            const cpu0 = cpuUs()
            const times: Array<number> = []
            for (let i = 0; i < n; i++) {
              const t0 = performance.now()
              yield* c.write(msg)
              yield* c.read
              times.push((performance.now() - t0) * 1000)
            }
            send({ type: "pinged", times, cpuUs: cpuUs() - cpu0 })
          }
        })
      )
    return
  }
  throw new Error(`unknown role ${role}`)
}

// ---------------------------------------------------------------- the parent

interface Peer {
  readonly process: ChildProcess
  readonly next: <T extends FromChild["type"]>(type: T) => Promise<Extract<FromChild, { type: T }>>
  readonly send: (m: ToChild) => void
  readonly stop: () => Promise<void>
}

const spawn = (role: string, mode: string, size: number): Peer => {
  const execArgv = ["--conditions=source", "--import", "tsx"]
  if (process.env.BENCH_CPU_PROF) execArgv.push("--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`)
  if (process.env.BENCH_PERF) execArgv.push("--perf-basic-prof")
  if (process.env.BENCH_NODE_FLAGS) execArgv.push(...process.env.BENCH_NODE_FLAGS.split(" "))
  const p = fork(self, ["child", role, mode, String(size)], {
    execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const inbox: Array<FromChild> = []
  const waiters: Array<{ type: string; resolve: (m: FromChild) => void; reject: (e: Error) => void }> = []
  const deliver = () => {
    for (let w = 0; w < waiters.length; w++) {
      const waiter = waiters[w]!
      const i = inbox.findIndex((m) => m.type === waiter.type || m.type === "error")
      if (i < 0) continue
      const [m] = inbox.splice(i, 1)
      waiters.splice(w--, 1)
      if (m!.type === "error") waiter.reject(new Error(`${role} ${mode}: ${m!.message}`))
      else waiter.resolve(m!)
    }
  }
  p.on("message", (m) => {
    inbox.push(m as FromChild)
    deliver()
  })
  p.on("exit", (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${role} ${mode} exited with ${code}`))
  })
  return {
    process: p,
    next: (type) =>
      new Promise((resolve, reject) => {
        waiters.push({ type, resolve: resolve as (m: FromChild) => void, reject })
        deliver()
      }),
    send: (m) => p.send(m),
    stop: () =>
      new Promise<void>((resolve) => {
        if (p.exitCode !== null) return resolve()
        p.once("exit", () => resolve())
        p.send({ type: "stop" } satisfies ToChild)
        setTimeout(() => p.kill(), 5000).unref()
      })
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const sorted = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)
const median = (xs: ReadonlyArray<number>) => {
  const s = sorted(xs)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const f1 = (n: number) => n.toFixed(1)
const summary = (xs: ReadonlyArray<number>) => {
  const s = sorted(xs)
  return `${f1(s[0]!)} / ${f1(median(s))} / ${f1(s[s.length - 1]!)} (max / median ${(s[s.length - 1]! / median(s)).toFixed(2)})`
}

const rotate = <A>(xs: ReadonlyArray<A>, by: number) => xs.map((_, i) => xs[(i + by) % xs.length]!)

interface ThroughputSample {
  readonly mbps: number
  readonly recvUs: number
  readonly sendUs: number
}

let recorded = 0
/** With `BENCH_PERF=DIR`, `perf record -g` of the receiver during the window, to DIR/NAME.data. */
const perfRecord = (peer: Peer, name: string, ms: number) => {
  const dir = process.env.BENCH_PERF
  if (!dir) return Promise.resolve()
  const args = [
    "record",
    "-g",
    "-p",
    String(peer.process.pid),
    "-o",
    `${dir}/${name}.data`,
    "--",
    "sleep",
    String(ms / 1000)
  ]
  return new Promise<void>((resolve) => execFile("perf", args, () => resolve()))
}

const throughputRound = async (mode: string, size: number, warmupMs: number, windowMs: number) => {
  const recv = spawn("recv", mode, size)
  const sender = spawn("send", mode, size)
  try {
    const { port } = await recv.next("listening")
    sender.send({ type: "connect", port })
    await sender.next("connected")
    await sleep(warmupMs)
    recv.send({ type: "mark" })
    sender.send({ type: "mark" })
    const [r0, s0] = [await recv.next("mark"), await sender.next("mark")]
    const perf = perfRecord(recv, `recv-${mode}-${++recorded}`, windowMs)
    // `BENCH_WINDOWS=K`: also print K consecutive sub-windows of the same connection (is a level sticky?).
    const windows = Number(process.env.BENCH_WINDOWS ?? 1)
    let last = r0
    const levels: Array<string> = []
    for (let w = 0; w < windows; w++) {
      await sleep(windowMs / windows)
      if (windows === 1) break
      recv.send({ type: "mark" })
      const r = await recv.next("mark")
      levels.push(((r.cpuUs - last.cpuUs) / Math.max(1, r.messages - last.messages)).toFixed(0))
      last = r
    }
    if (levels.length > 0) console.log(`  receiver CPU µs/msg per sub-window: ${levels.join(" ")}`)
    await perf
    recv.send({ type: "mark" })
    sender.send({ type: "mark" })
    const [r1, s1] = [await recv.next("mark"), await sender.next("mark")]
    if (process.env.BENCH_PIDS) console.log(`  pids: recv ${recv.process.pid} send ${sender.process.pid}`)
    const messages = r1.messages - r0.messages
    const sample: ThroughputSample = {
      mbps: (messages * size) / 1e6 / ((r1.atMs - r0.atMs) / 1000),
      recvUs: (r1.cpuUs - r0.cpuUs) / messages,
      sendUs: (s1.cpuUs - s0.cpuUs) / messages
    }
    return sample
  } finally {
    await Promise.all([recv.stop(), sender.stop()])
  }
}

const pingRound = async (mode: string, count: number) => {
  const echo = spawn("echo", mode, 64)
  const pinger = spawn("ping", mode, 64)
  try {
    const { port } = await echo.next("listening")
    pinger.send({ type: "connect", port })
    await pinger.next("connected")
    echo.send({ type: "mark" })
    const e0 = await echo.next("mark")
    pinger.send({ type: "ping", count })
    // The echo process, for two seconds once the code is compiled (1.5 s in).
    const perf = sleep(1500).then(() => perfRecord(echo, `echo-${mode}-${++recorded}`, 2000))
    const { times, cpuUs: pingCpu } = await pinger.next("pinged")
    await perf
    echo.send({ type: "mark" })
    const e1 = await echo.next("mark")
    const s = sorted(times)
    return {
      p50: s[Math.floor(s.length / 2)]!,
      p99: s[Math.floor(s.length * 0.99)]!,
      pingCpuUs: pingCpu / count,
      echoCpuUs: (e1.cpuUs - e0.cpuUs) / (count + 500)
    }
  } finally {
    await Promise.all([echo.stop(), pinger.stop()])
  }
}

const parent = async () => {
  const [what, roundsArg, sizeArg, modesArg] = process.argv.slice(2)
  const rounds = Number(roundsArg ?? 7)
  if (what === "throughput") {
    const size = Number(sizeArg ?? 65536)
    const modes = (modesArg ?? "session,fixed").split(",")
    const results = new Map<string, Array<ThroughputSample>>(modes.map((m) => [m, []]))
    console.log(`throughput, ${size}-byte messages, native; ${rounds} rounds; modes ${modes.join(", ")}`)
    for (let r = 0; r < rounds; r++) {
      for (const mode of rotate(modes, r)) {
        const s = await throughputRound(mode, size, 1500, Number(process.env.BENCH_WINDOW_MS ?? 2000))
        results.get(mode)!.push(s)
        console.log(
          `round ${r + 1} ${mode.padEnd(8)} ${f1(s.mbps).padStart(7)} MB/s  CPU µs/msg receiver ${f1(s.recvUs).padStart(6)}  sender ${f1(s.sendUs).padStart(6)}`
        )
      }
    }
    console.log("\nmin / median / max")
    for (const [mode, xs] of results) {
      console.log(`${mode}: MB/s ${summary(xs.map((x) => x.mbps))}`)
      console.log(`${mode}: receiver CPU µs/msg ${summary(xs.map((x) => x.recvUs))}`)
      console.log(`${mode}: sender CPU µs/msg ${summary(xs.map((x) => x.sendUs))}`)
    }
  } else if (what === "ping") {
    const count = Number(sizeArg ?? 5000)
    const modes = (modesArg ?? "raw,fixed,session").split(",")
    const results = new Map<string, Array<Awaited<ReturnType<typeof pingRound>>>>(modes.map((m) => [m, []]))
    console.log(`ping-pong, 64 bytes, ${count} round trips per round, ${rounds} rounds; modes ${modes.join(", ")}`)
    for (let r = 0; r < rounds; r++) {
      for (const mode of rotate(modes, r)) {
        const s = await pingRound(mode, count)
        results.get(mode)!.push(s)
        console.log(
          `round ${r + 1} ${mode.padEnd(8)} p50 ${f1(s.p50).padStart(6)} µs  p99 ${f1(s.p99).padStart(7)} µs  CPU µs/round trip pinger ${f1(s.pingCpuUs)} echo ${f1(s.echoCpuUs)}`
        )
      }
    }
    console.log("\nmin / median / max")
    for (const [mode, xs] of results) {
      console.log(`${mode}: p50 µs ${summary(xs.map((x) => x.p50))}`)
      console.log(`${mode}: p99 µs ${summary(xs.map((x) => x.p99))}`)
      console.log(`${mode}: CPU µs per round trip, pinger ${summary(xs.map((x) => x.pingCpuUs))}`)
      console.log(`${mode}: CPU µs per round trip, echo ${summary(xs.map((x) => x.echoCpuUs))}`)
    }
  } else {
    throw new Error("usage: receive-levels.ts throughput|ping [ROUNDS] [SIZE|COUNT] [MODES]")
  }
}

if (process.argv[2] === "child") child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]))
else await parent()
