/**
 * CPU per handshake, both sides, each in its own process (issue 23). Every handshake is a new TCP
 * connection: connect, handshake (connection message, metadata, Ack), close. Built only on the
 * public API: `Dialer.connect` against `Listener.make`, with `NativeCrypto.layer()` ("native") or
 * `CryptoBackend.layerNoble` ("noble"); the built `effect-p2p listen` ("cli": its server process is
 * `node packages/cli/dist/bin.js listen --json`, dialled by the native client); and `node:tls` TLS 1.3
 * with a self-signed P-256 certificate ("tls") beside them.
 *
 * Rounds alternate kinds and in-flight counts; each round runs one kind for `--ms` with `--in-flight`
 * handshakes at a time, after `--warmup` ms of warm-up per kind. CPU is `process.cpuUsage()` of the
 * client and of the server over the same window (for the CLI server, which has no IPC, its
 * /proc/PID/stat utime + stime); the rate counts sessions the server accepted (Accepted events,
 * `accepted` lines of the CLI, TLS `secureConnection`s).
 *
 *   pnpm build && cd bench && pnpm exec tsx handshake-cpu.ts [--rounds 5] [--ms 2000] [--warmup 1500]
 *     [--kinds native,noble,tls,cli] [--in-flight 1,8]
 *
 * With `HS_CPU_PROF=dir` every child writes a V8 CPU profile there (see cpuprofile.ts).
 */
import { type ChildProcess, fork, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import * as Tls from "node:tls"
import { fileURLToPath } from "node:url"
import * as Codec from "@effect-p2p/codec"
import * as Crypto from "@effect-p2p/crypto"
import * as Node from "@effect-p2p/node"
import * as SessionPackage from "@effect-p2p/session"
import { type Duration, Effect, type Layer, ManagedRuntime } from "effect"
import { tlsCert } from "./transports.ts"

// `HS_ROOT=dir` loads the packages' built JavaScript from another copy of the repository (e.g. the
// commit before a change, see --variants), so two versions run in alternating rounds of one run.
const root = process.env.HS_ROOT
const fromRoot = async <A>(pkg: string, fallback: A): Promise<A> =>
  root === undefined ? fallback : ((await import(join(root, "packages", pkg, "dist", "index.js"))) as A)
const { P2pMessage } = await fromRoot("codec", Codec)
const { CryptoBackend, Identity, PeerId } = await fromRoot("crypto", Crypto)
const { Dialer, Listener, NativeCrypto } = await fromRoot("node", Node)
const { Metadata } = await fromRoot("session", SessionPackage)

const here = dirname(fileURLToPath(import.meta.url))
const host = "127.0.0.1"
const chainName = "TEZOS_MAINNET"
type Kind = "native" | "noble" | "tls" | "cli"
const allKinds: ReadonlyArray<Kind> = ["native", "noble", "tls", "cli"]

const sessionOptions = (identity: Crypto.Identity.Identity) => ({
  identity,
  expectedPow: 0,
  supported: { chainName, distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
  metadata: { disableMempool: false, privateNode: false },
  metadataEncoding: Metadata.octez,
  messageEncoding: P2pMessage.envelope,
  // `--timeout Infinity` (HS_TIMEOUT in the children): the handshake budget of both sides.
  ...(process.env.HS_TIMEOUT === undefined ? {} : { timeout: process.env.HS_TIMEOUT as Duration.Input })
})

const backendLayer = (kind: Kind) =>
  kind === "noble"
    ? CryptoBackend.layerNoble
    : (NativeCrypto.layer() as Layer.Layer<Crypto.CryptoBackend.CryptoBackend>)

const cpuMicros = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

type ToChild = { type: "cpu" } | { type: "run"; ms: number; inFlight: number } | { type: "exit" }
type FromChild =
  | { type: "listening"; port: number; peerId: string }
  | { type: "cpu"; micros: number; accepted: number }
  | { type: "ran"; handshakes: number; ms: number; micros: number; failures: number; firstError?: string }

const send = (m: FromChild) => process.send!(m)

// ---------------------------------------------------------------- server child

const startServer = async (kind: Kind, certDir: string | undefined) => {
  let accepted = 0
  const ready = (port: number, peerId: string) => {
    process.on("message", (m: ToChild) => {
      if (m.type === "cpu") send({ type: "cpu", micros: cpuMicros(), accepted })
      if (m.type === "exit") process.exit(0)
    })
    send({ type: "listening", port, peerId })
  }
  if (kind === "tls") {
    const { key, cert } = tlsCert(certDir)
    const s = Tls.createServer({ key, cert, minVersion: "TLSv1.3" }, (socket) => {
      socket.on("error", () => {})
      socket.resume()
    })
    s.on("secureConnection", () => accepted++)
    s.listen(0, host, () => ready((s.address() as { port: number }).port, "tls"))
    return
  }
  const runtime = ManagedRuntime.make(backendLayer(kind))
  const identity = await runtime.runPromise(Identity.generate({ difficulty: 0 }))
  runtime.runFork(
    Effect.gen(function* () {
      const listener = yield* Listener.make(
        {
          ...sessionOptions(identity),
          port: 0,
          host,
          onEvent: (event) =>
            Effect.sync(() => {
              if (event._tag === "Accepted") accepted++
            })
        },
        // The client closes at once: reading until then is all the handler does.
        ({ connection }) => Effect.ignore(Effect.forever(connection.read))
      )
      yield* Effect.sync(() => ready(listener.address.port, PeerId.toBase58(identity.peerId)))
      return yield* Effect.never
    }).pipe(Effect.scoped)
  )
}

// ---------------------------------------------------------------- client child

const startClient = async (kind: Kind, port: number, peerId: string, certDir: string | undefined) => {
  let once: () => Promise<void>
  if (kind === "tls") {
    const { cert } = tlsCert(certDir)
    once = () =>
      new Promise<void>((resolve, reject) => {
        const socket = Tls.connect({ host, port, ca: cert, servername: "localhost" }, () => {
          const ok = socket.authorized && socket.getProtocol() === "TLSv1.3"
          // end, not destroy: TLS 1.3's client Finished is still in the write queue, and without
          // it the server never completes the handshake.
          socket.end()
          ok ? resolve() : reject(new Error(`tls: not an authorized TLS 1.3 connection (${socket.getProtocol()})`))
        })
        socket.once("error", reject)
      })
  } else {
    const runtime = ManagedRuntime.make(backendLayer(kind === "cli" ? "native" : kind))
    const identity = await runtime.runPromise(Identity.generate({ difficulty: 0 }))
    const options = { ...sessionOptions(identity), host, port, expectedPeerId: peerId }
    once = () => runtime.runPromise(Effect.scoped(Effect.asVoid(Dialer.connect(options))))
  }
  process.on("message", async (m: ToChild) => {
    if (m.type === "exit") process.exit(0)
    if (m.type !== "run") return
    let handshakes = 0
    let failures = 0
    let firstError: string | undefined
    const c0 = cpuMicros()
    const t0 = performance.now()
    const end = t0 + m.ms
    const lane = async () => {
      while (performance.now() < end) {
        try {
          await once()
          handshakes++
        } catch (e) {
          failures++
          firstError ??= String(e)
        }
      }
    }
    await Promise.all(Array.from({ length: m.inFlight }, lane))
    const ms = performance.now() - t0
    send({
      type: "ran",
      handshakes,
      ms,
      micros: cpuMicros() - c0,
      failures,
      ...(firstError === undefined ? {} : { firstError })
    })
  })
  send({ type: "listening", port, peerId })
}

// ---------------------------------------------------------------- orchestrator

interface Peer {
  readonly request: <T extends FromChild["type"]>(m: ToChild, type: T) => Promise<Extract<FromChild, { type: T }>>
  readonly next: <T extends FromChild["type"]>(type: T) => Promise<Extract<FromChild, { type: T }>>
  readonly child: ChildProcess
}

const execArgv = () => {
  const prof = process.env.HS_CPU_PROF
  return ["--import", "tsx", ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [])]
}

const peer = (args: ReadonlyArray<string>, variantRoot: string | undefined): Peer => {
  const child = fork(fileURLToPath(import.meta.url), [...args], {
    execArgv: execArgv(),
    env: variantRoot === undefined ? process.env : { ...process.env, HS_ROOT: variantRoot },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const inbox: Array<FromChild> = []
  const waiters: Array<() => void> = []
  child.on("message", (m) => {
    inbox.push(m as FromChild)
    for (const w of waiters.splice(0)) w()
  })
  child.on("exit", () => {
    for (const w of waiters.splice(0)) w()
  })
  const next = <T extends FromChild["type"]>(type: T) =>
    new Promise<Extract<FromChild, { type: T }>>((resolve, reject) => {
      const look = () => {
        const i = inbox.findIndex((m) => m.type === type)
        if (i >= 0) return resolve(inbox.splice(i, 1)[0] as Extract<FromChild, { type: T }>)
        if (child.exitCode !== null) return reject(new Error(`child ${args.join(" ")} exited`))
        waiters.push(look)
      }
      look()
    })
  const request = <T extends FromChild["type"]>(m: ToChild, type: T) => {
    child.send(m)
    return next(type)
  }
  return { child, next, request }
}

/** The built `effect-p2p listen`, its CPU read from /proc (it has no IPC). */
const cliServer = async (identityFile: string, variantRoot: string | undefined) => {
  const bin = join(variantRoot ?? join(here, ".."), "packages", "cli", "dist", "bin.js")
  const args = ["listen", "--port", "0", "--host", host, "--json", "--identity", identityFile, "--expected-pow", "0"]
  const child = spawn(process.execPath, [...(process.env.HS_CPU_PROF ? execArgv().slice(2) : []), bin, ...args], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  process.on("exit", () => child.kill("SIGTERM"))
  let accepted = 0
  let buffered = ""
  const listening = new Promise<{ port: number; peerId: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`effect-p2p listen exited (${code})`)))
    child.stdout!.on("data", (d: Buffer) => {
      buffered += d.toString("utf8")
      let nl = buffered.indexOf("\n")
      while (nl >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        if (line.includes('"event":"accepted"')) accepted++
        else if (line.includes('"event":"listening"')) {
          const event = JSON.parse(line) as { port: number; peer_id: string }
          resolve({ port: event.port, peerId: event.peer_id })
        }
        nl = buffered.indexOf("\n")
      }
    })
  })
  const ticks = 100 // CLK_TCK on Linux
  const cpu = async (): Promise<{ micros: number; accepted: number }> => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    // After "pid (comm) ", field 3 is index 0: utime is field 14, stime field 15.
    const micros = ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticks
    return { micros, accepted }
  }
  return { listening: await listening, cpu, stop: () => child.kill("SIGTERM") }
}

interface Sample {
  readonly rate: number
  readonly client: number
  readonly server: number
  readonly both: number
}

const stats = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return { min: s[0]!, median: s[Math.floor((s.length - 1) / 2)]!, max: s[s.length - 1]! }
}

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

const orchestrate = async () => {
  const timeout = option("timeout", "")
  if (timeout !== "") process.env.HS_TIMEOUT = timeout
  const rounds = Number(option("rounds", "5"))
  const ms = Number(option("ms", "2000"))
  const warmup = Number(option("warmup", "1500"))
  const kinds = option("kinds", allKinds.join(",")).split(",") as Array<Kind>
  const inFlights = option("in-flight", "1,8").split(",").map(Number)
  const certDir = tlsCert().dir
  const identityFile = join(certDir, "identity.json")
  {
    const runtime = ManagedRuntime.make(NativeCrypto.layer())
    const identity = await runtime.runPromise(Identity.generate({ difficulty: 0 }))
    const { writeFileSync } = await import("node:fs")
    writeFileSync(identityFile, Identity.toJson(identity))
    await runtime.dispose()
  }

  type Pair = {
    kind: string
    client: Peer
    serverCpu: () => Promise<{ micros: number; accepted: number }>
    stop: () => void
  }
  const pairs: Array<Pair> = []
  // --variants A=dir,B=dir: every kind but tls once per copy of the repository (see HS_ROOT).
  const variants = option("variants", "")
    .split(",")
    .filter((v) => v !== "")
    .map((v) => v.split("=") as [string, string])
  const runs: Array<[Kind, string, string | undefined]> = kinds.flatMap((kind) =>
    variants.length === 0 || kind === "tls"
      ? [[kind, kind, undefined] as [Kind, string, string | undefined]]
      : variants.map(([name, dir]) => [kind, `${kind}@${name}`, dir] as [Kind, string, string | undefined])
  )
  for (const [kind, label, variantRoot] of runs) {
    let listening: { port: number; peerId: string }
    let serverCpu: Pair["serverCpu"]
    let stop: () => void
    if (kind === "cli") {
      const cli = await cliServer(identityFile, variantRoot)
      listening = cli.listening
      serverCpu = cli.cpu
      stop = cli.stop
    } else {
      const s = peer(["server", kind, certDir], variantRoot)
      const l = await s.next("listening")
      listening = l
      serverCpu = () => s.request({ type: "cpu" }, "cpu")
      stop = () => s.child.send({ type: "exit" })
    }
    const client = peer(["client", kind, String(listening.port), listening.peerId, certDir], variantRoot)
    await client.next("listening")
    pairs.push({ kind: label, client, serverCpu, stop })
  }

  const measure = async (pair: Pair, inFlight: number, duration: number): Promise<Sample> => {
    const s0 = await pair.serverCpu()
    const ran = await pair.client.request({ type: "run", ms: duration, inFlight }, "ran")
    await new Promise((r) => setTimeout(r, 50)) // the server's last closes
    const s1 = await pair.serverCpu()
    if (ran.failures > 0) throw new Error(`${pair.kind}: ${ran.failures} handshakes failed: ${ran.firstError}`)
    const accepted = s1.accepted - s0.accepted
    if (accepted < ran.handshakes) throw new Error(`${pair.kind}: ${ran.handshakes} done, ${accepted} accepted`)
    const server = (s1.micros - s0.micros) / accepted / 1000
    const client = ran.micros / ran.handshakes / 1000
    return { rate: (accepted * 1000) / ran.ms, client, server, both: client + server }
  }

  for (const pair of pairs) await measure(pair, 8, warmup)
  const samples = new Map<string, Array<Sample>>()
  for (let r = 0; r < rounds; r++) {
    for (const inFlight of inFlights) {
      // Every other round in reverse order, so no kind or variant always follows the same one.
      for (const pair of r % 2 === 0 ? pairs : [...pairs].reverse()) {
        const s = await measure(pair, inFlight, ms)
        const key = `${pair.kind} ×${inFlight}`
        samples.set(key, [...(samples.get(key) ?? []), s])
        console.error(
          `round ${r + 1} ${key}: ${s.rate.toFixed(0)}/s, CPU ms client ${s.client.toFixed(3)} server ${s.server.toFixed(3)} both ${s.both.toFixed(3)}`
        )
      }
    }
  }
  for (const pair of pairs) {
    pair.client.child.send({ type: "exit" })
    pair.stop()
  }

  const fmt = (xs: ReadonlyArray<number>, digits: number) => {
    const { min, median, max } = stats(xs)
    return `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`
  }
  console.log(
    `\n${rounds} alternating rounds of ${ms} ms after ${warmup} ms of warm-up; median (min–max); CPU ms per handshake`
  )
  console.log("| kind | in flight | handshakes/s | client CPU ms | server CPU ms | both CPU ms |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |")
  for (const [key, xs] of samples) {
    const [kind, inFlight] = key.split(" ×")
    console.log(
      `| ${kind} | ${inFlight} | ${fmt(
        xs.map((s) => s.rate),
        0
      )} | ${fmt(
        xs.map((s) => s.client),
        3
      )} | ${fmt(
        xs.map((s) => s.server),
        3
      )} | ${fmt(
        xs.map((s) => s.both),
        3
      )} |`
    )
  }
  // With two variants: the second's CPU per handshake over the first's, per round (same moment).
  if (variants.length === 2) {
    const [[first], [second]] = variants as [[string, string], [string, string]]
    for (const kind of kinds.filter((k) => k !== "tls")) {
      for (const inFlight of inFlights) {
        const xs = samples.get(`${kind}@${first} ×${inFlight}`)
        const ys = samples.get(`${kind}@${second} ×${inFlight}`)
        if (xs === undefined || ys === undefined) continue
        const ratio = (f: (s: Sample) => number) =>
          fmt(
            ys.map((y, i) => f(y) / f(xs[i]!)),
            2
          )
        console.log(
          `${kind} ×${inFlight}, ${second} / ${first} per round: CPU both ${ratio((s) => s.both)}, client ${ratio((s) => s.client)}, server ${ratio((s) => s.server)}, rate ${ratio((s) => s.rate)}`
        )
      }
    }
  }
  // Rate ratio against TLS within each round (8 in flight).
  const tls = samples.get("tls ×8")
  if (tls !== undefined) {
    for (const kind of runs.map(([, label]) => label).filter((k) => k !== "tls")) {
      const xs = samples.get(`${kind} ×8`)
      if (xs === undefined) continue
      console.log(
        `${kind} vs tls, 8 in flight, rate ratio per round: ${fmt(
          xs.map((s, i) => s.rate / tls[i]!.rate),
          2
        )}`
      )
    }
  }
}

const [role, kind, ...rest] = process.argv.slice(2)
// A child outlives no orchestrator.
if (process.send !== undefined) process.on("disconnect", () => process.exit(0))
if (role === "server") await startServer(kind as Kind, rest[0])
else if (role === "client") await startClient(kind as Kind, Number(rest[0]), rest[1]!, rest[2])
else await orchestrate()
