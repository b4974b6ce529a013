/**
 * Connection, session and comparison benchmarks (issues 5 and 9), in one run so ratios hold on a
 * noisy machine:
 *
 * - throughput of 1 KiB and 64 KiB messages over loopback TCP, sender here and receiver in a child
 *   process: raw `net`, effect-p2p (noble, native), js-libp2p 3 (noise + yamux, plaintext + yamux),
 *   beside the one-core XSalsa20-Poly1305 ceiling of each backend measured in the same rounds;
 * - full handshakes per second (effect-p2p authenticate + metadata + ack, js-libp2p connection
 *   setup, `node:tls` TLS 1.3), sequential and 8 in flight, server in a child process;
 * - 64-byte ping-pong round trips in one process, p50 and p99;
 * - memory per idle connection with 1,000 connections open (measured in the process holding them).
 *
 * Every figure is checked before it is timed: a verification transfer whose checksum over every
 * received byte must equal the sender's; a handshake whose peer id is the server's, followed by an
 * echoed message; connections that each delivered a message.
 */
import "./polyfill.ts"
import * as Net from "node:net"
import * as Tls from "node:tls"
import type * as Connection from "@effect-p2p/connection/Connection"
import type { CryptoBackendShape } from "@effect-p2p/crypto/CryptoBackend"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Tcp from "@effect-p2p/node/Tcp"
import { multiaddr } from "@multiformats/multiaddr"
import { Effect, Exit, Scope } from "effect"
import type { Libp2p } from "libp2p"
import { streamSend, type ThroughputKind, throughputKinds } from "./senders.ts"
import {
  type Child,
  expectedChecksum,
  type FromChild,
  fmt,
  median,
  payloadFor,
  percentile,
  spawnPeer
} from "./support.ts"
import {
  type Backend,
  backendLayer,
  backendShape,
  benchProtocol,
  chunksOf,
  fixedKeyConnection,
  handshake,
  hostRuntime,
  makeIdentity,
  makeLibp2p,
  tlsCert
} from "./transports.ts"

interface Options {
  readonly quick: boolean
}
const host = "127.0.0.1"
const sizes = [1024, 65536] as const
const run1 = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

// ---------------------------------------------------------------- ceilings

/** Payload MB/s of `op` on one core: warm-up, then the median of `rounds` rounds. */
const rate = (op: () => void, bytes: number, o: Options): number => {
  const roundMs = o.quick ? 60 : 200
  const warm = performance.now()
  while (performance.now() - warm < roundMs) op()
  const rates: Array<number> = []
  for (let r = 0; r < 3; r++) {
    let n = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < roundMs) {
      op()
      n++
      t = performance.now()
    }
    rates.push((n * bytes) / ((t - t0) * 1000))
  }
  return median(rates)
}

/**
 * The one-core ceiling of a backend for a message size: the connection seals each message as
 * chunks of at most 65,517 bytes (a 64 KiB message is two chunks), and the receiver opens them on
 * its own core, so the ceiling is the slower of seal and open over the same chunks. Both use the
 * backend's in-place operations, its fastest (the connection's too); each open first restores the
 * sealed box it opens over, a copy of the chunk (a few per cent of an open), which the receiver
 * also makes for chunks that span two socket reads.
 */
const ceiling = (backend: CryptoBackendShape, size: number, o: Options) => {
  const key = new Uint8Array(32).fill(1)
  const nonce = new Uint8Array(24)
  const msg = payloadFor(size + 4, 1)
  const pieces = [msg.subarray(0, Math.min(msg.length, 65517)), msg.subarray(Math.min(msg.length, 65517))].filter(
    (p) => p.length > 0
  )
  const boxes = pieces.map((p) => backend.seal(key, nonce, p))
  const work = boxes.map((b) => new Uint8Array(b.length))
  for (let i = 0; i < pieces.length; i++) {
    work[i]!.set(boxes[i]!)
    const ok = CryptoBackend.openInPlace(backend, key, nonce, work[i]!)
    if (!ok || Buffer.compare(work[i]!.subarray(16), pieces[i]!) !== 0) throw new Error("ceiling: open(seal) differs")
    CryptoBackend.sealInPlace(backend, key, nonce, work[i]!)
    if (Buffer.compare(work[i]!, boxes[i]!) !== 0) throw new Error("ceiling: sealInPlace differs from seal")
  }
  const seal = rate(
    () => {
      for (const w of work) CryptoBackend.sealInPlace(backend, key, nonce, w)
    },
    size,
    o
  )
  const open = rate(
    () => {
      for (let i = 0; i < work.length; i++) {
        work[i]!.set(boxes[i]!)
        CryptoBackend.openInPlace(backend, key, nonce, work[i]!)
      }
    },
    size,
    o
  )
  return { seal, open, ceiling: Math.min(seal, open) }
}

// ---------------------------------------------------------------- throughput

/**
 * A sender in a child process of its own (`peer.ts send KIND`): each transport sends from a fresh
 * process, as its receiver receives in one.
 */
/** A sender in a child process of its own; `send` also gives the CPU milliseconds the sending process spent. */
interface RemoteSender {
  readonly send: (size: number, count: number, verify: boolean) => Promise<number>
  readonly close: () => Promise<void>
}

const remoteSender = async (
  kind: ThroughputKind,
  listening: FromChild & { type: "listening" }
): Promise<RemoteSender> => {
  const child = await spawnPeer("send", kind)
  child.send({
    type: "connect",
    port: listening.port,
    ...(listening.addr === undefined ? {} : { addr: listening.addr })
  })
  await child.next("connected")
  return {
    send: async (size, count, verify) => {
      child.send({ type: "send", size, count, verify })
      const sent = (await child.next("sent", 600_000)) as FromChild & { type: "sent" }
      return sent.cpuMs
    },
    close: () => child.stop()
  }
}

/** Busy shares (CPU time / elapsed time) of the sending and receiving processes in the last transfer. */
export const lastTransferBusy = { sender: 0, receiver: 0 }
/** CPU time of each process per message in the last transfer, µs (all threads): steadier than MB/s here. */
export const lastTransferCpu = { sender: 0, receiver: 0 }

/** One timed transfer: from the first write until the receiver reports every byte. Returns MB/s. */
const transfer = async (child: Child, sender: RemoteSender, size: number, count: number, verify: boolean) => {
  const bytes = size * count
  child.send({ type: "expect", bytes, verify })
  await child.next("ready")
  const t0 = performance.now()
  const senderCpu = await sender.send(size, count, verify)
  const done = (await child.next("done")) as FromChild & { type: "done" }
  const elapsed = performance.now() - t0
  lastTransferBusy.sender = senderCpu / elapsed
  lastTransferBusy.receiver = done.cpuMs / elapsed
  lastTransferCpu.sender = (1000 * senderCpu) / count
  lastTransferCpu.receiver = (1000 * done.cpuMs) / count
  if (done.bytes !== bytes) throw new Error(`received ${done.bytes} bytes, sent ${bytes}`)
  if (verify && done.checksum !== expectedChecksum(size, count)) throw new Error("checksum of received bytes differs")
  return bytes / (elapsed * 1000)
}

// ---------------------------------------------------------------- handshakes

export type HandshakeKind = "native" | "noble" | "libp2p-noise" | "tls"
export const handshakeKinds: ReadonlyArray<HandshakeKind> = ["native", "noble", "libp2p-noise", "tls"]

interface Handshaker {
  /** One full handshake; `check` also exchanges a message and compares the echo. */
  readonly once: (check: boolean) => Promise<void>
  readonly close: () => Promise<void>
}

const probe = payloadFor(1024, 3)
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0

const effectHandshaker = async (backend: Backend, listening: FromChild & { type: "listening" }) => {
  const identity = await makeIdentity(backend)
  const runtime = hostRuntime(backend)
  return {
    once: (check: boolean) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const tcp = yield* Tcp.connect({ host, port: listening.port })
          const { info, connection } = yield* handshake(tcp, identity, false)
          if (PeerId.toBase58(info.peerId) !== listening.peerId) throw new Error("handshake: wrong peer id")
          if (check) {
            yield* connection.write(probe)
            if (!sameBytes((yield* connection.read)[1], probe)) throw new Error("handshake: echo differs")
          }
        }).pipe(Effect.scoped)
      ),
    close: async () => {
      await runtime.dispose()
    }
  } satisfies Handshaker
}

const libp2pHandshaker = async (listening: FromChild & { type: "listening" }) => {
  const node = await makeLibp2p("noise", false)
  const ma = multiaddr(listening.addr!)
  return {
    once: async (check: boolean) => {
      const connection = await node.dial(ma, { force: true })
      // The remote peer id comes out of the noise handshake; the server sometimes already closes the
      // previous connection from the same peer, so the status may be "closing" rather than "open".
      if (connection.remotePeer.toString() !== listening.peerId || connection.status === "closed") {
        throw new Error(
          `libp2p: connection ${connection.status} to ${connection.remotePeer}, expected open to ${listening.peerId}`
        )
      }
      if (check) {
        const stream = await connection.newStream(benchProtocol)
        const echoed = new Promise<Uint8Array>((resolve) => {
          const parts: Array<Uint8Array> = []
          let n = 0
          stream.addEventListener("message", (e) => {
            const c = chunksOf(e.data)
            parts.push(c.slice())
            n += c.length
            if (n >= probe.length) resolve(Buffer.concat(parts))
          })
        })
        await streamSend(stream, probe)
        if (!sameBytes(await echoed, probe)) throw new Error("libp2p: echo differs")
      }
      if (connection.status === "open") await connection.close().catch((e) => connection.abort(e as Error))
      else connection.abort(new Error("benchmark done"))
    },
    close: async () => {
      await node.stop()
    }
  } satisfies Handshaker
}

const tlsHandshaker = (listening: FromChild & { type: "listening" }): Handshaker => {
  const { cert } = tlsCert()
  return {
    once: (check) =>
      new Promise<void>((resolve, reject) => {
        const socket = Tls.connect({ host, port: listening.port, ca: cert, servername: "localhost" }, () => {
          if (!socket.authorized || socket.getProtocol() !== "TLSv1.3") {
            socket.destroy()
            return reject(new Error(`tls: not an authorized TLS 1.3 connection (${socket.getProtocol()})`))
          }
          if (!check) {
            socket.destroy()
            return resolve()
          }
          const parts: Array<Buffer> = []
          let n = 0
          socket.on("data", (d: Buffer) => {
            parts.push(d)
            n += d.length
            if (n >= probe.length) {
              socket.destroy()
              if (sameBytes(Buffer.concat(parts), probe)) resolve()
              else reject(new Error("tls: echo differs"))
            }
          })
          socket.write(probe)
        })
        socket.once("error", reject)
      }),
    close: async () => {}
  }
}

const makeHandshaker = (kind: HandshakeKind, listening: FromChild & { type: "listening" }): Promise<Handshaker> => {
  switch (kind) {
    case "native":
    case "noble":
      return effectHandshaker(kind, listening)
    case "libp2p-noise":
      return libp2pHandshaker(listening)
    case "tls":
      return Promise.resolve(tlsHandshaker(listening))
  }
}

/** Handshakes per second with `inFlight` at a time, for `ms` milliseconds. */
const handshakeRate = async (h: Handshaker, inFlight: number, ms: number) => {
  let done = 0
  const t0 = performance.now()
  const worker = async () => {
    while (performance.now() - t0 < ms) {
      await h.once(false)
      done++
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return (done * 1000) / (performance.now() - t0)
}

// ---------------------------------------------------------------- ping-pong (one process)

export type PingKind = "raw" | "native" | "noble" | "libp2p-noise"
const pingKinds: ReadonlyArray<PingKind> = ["raw", "native", "noble", "libp2p-noise"]

interface Pinger {
  readonly ping: (msg: Uint8Array) => Promise<Uint8Array>
  readonly close: () => Promise<void>
}

const rawPinger = async (): Promise<Pinger> => {
  const server = Net.createServer((s) => s.on("data", (d) => s.write(d)))
  await new Promise<void>((r) => server.listen(0, host, r))
  const socket = Net.createConnection({ host, port: (server.address() as Net.AddressInfo).port })
  await new Promise<void>((r) => socket.once("connect", r))
  let waiting: ((b: Uint8Array) => void) | undefined
  let parts: Array<Buffer> = []
  let n = 0
  let want = 0
  socket.on("data", (d: Buffer) => {
    parts.push(d)
    n += d.length
    if (n >= want && waiting) {
      const w = waiting
      waiting = undefined
      w(Buffer.concat(parts))
    }
  })
  return {
    ping: (msg) =>
      new Promise((resolve) => {
        parts = []
        n = 0
        want = msg.length
        waiting = resolve
        socket.write(msg)
      }),
    close: async () => {
      socket.destroy()
      server.close()
    }
  }
}

const effectPinger = async (backend: Backend): Promise<Pinger> => {
  const scope = await run1(Scope.make())
  const layer = backendLayer(backend)
  const connection: Connection.Connection<Uint8Array> = await run1(
    Effect.gen(function* () {
      const server = yield* Tcp.listen({ port: 0, host })
      yield* Effect.forkScoped(
        server.run((socket) =>
          Effect.gen(function* () {
            const c = yield* fixedKeyConnection(socket, false)
            while (true) yield* c.write((yield* c.read)[1])
          }).pipe(Effect.provide(layer), Effect.ignore)
        )
      )
      const tcp = yield* Tcp.connect({ host, port: server.address.port })
      return yield* fixedKeyConnection(tcp, true)
    }).pipe(Scope.provide(scope), Effect.provide(layer))
  )
  return {
    ping: (msg) =>
      run1(
        Effect.gen(function* () {
          yield* connection.write(msg)
          return (yield* connection.read)[1]
        })
      ),
    close: () => run1(Scope.close(scope, Exit.void))
  }
}

const libp2pPinger = async (): Promise<Pinger> => {
  const server = await makeLibp2p("noise", true)
  await server.handle(benchProtocol, (stream) => stream.addEventListener("message", (e) => stream.send(e.data)))
  const client = await makeLibp2p("noise", false)
  const stream = await client.dialProtocol(server.getMultiaddrs()[0]!, benchProtocol)
  let waiting: ((b: Uint8Array) => void) | undefined
  let parts: Array<Uint8Array> = []
  let n = 0
  let want = 0
  stream.addEventListener("message", (e) => {
    const c = chunksOf(e.data)
    parts.push(c.slice())
    n += c.length
    if (n >= want && waiting) {
      const w = waiting
      waiting = undefined
      w(Buffer.concat(parts))
    }
  })
  return {
    ping: (msg) =>
      new Promise((resolve) => {
        parts = []
        n = 0
        want = msg.length
        waiting = resolve
        void streamSend(stream, msg)
      }),
    close: async () => {
      await client.stop()
      await server.stop()
    }
  }
}

const makePinger = (kind: PingKind): Promise<Pinger> =>
  kind === "raw" ? rawPinger() : kind === "libp2p-noise" ? libp2pPinger() : effectPinger(kind)

/** Round-trip times in µs after a warm-up, sorted. */
const pingPong = async (p: Pinger, count: number) => {
  const msg = payloadFor(64, 9)
  for (let i = 0; i < Math.min(500, count); i++) {
    if (!sameBytes(await p.ping(msg), msg)) throw new Error("ping-pong: echo differs")
  }
  const times: Array<number> = []
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint()
    await p.ping(msg)
    times.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  return times.sort((a, b) => a - b)
}

// ---------------------------------------------------------------- memory

type MemoryKind = "raw" | "native" | "libp2p-noise"
const memoryKinds: ReadonlyArray<MemoryKind> = ["raw", "native", "libp2p-noise"]

const measureMemory = async (child: Child) => (await child.next("memory")) as FromChild & { type: "memory" }

/** Opens `n` connections to the child, each delivering one message, and returns a closer. */
const openIdle = async (kind: MemoryKind, listening: FromChild & { type: "listening" }, n: number) => {
  const one = new Uint8Array([1])
  if (kind === "raw") {
    const sockets = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<Net.Socket>((resolve, reject) => {
            const s = Net.createConnection({ host, port: listening.port }, () => {
              s.write(one)
              resolve(s)
            })
            s.once("error", reject)
          })
      )
    )
    return async () => {
      for (const s of sockets) s.destroy()
    }
  }
  if (kind === "native") {
    const scope = await run1(Scope.make())
    await run1(
      Effect.forEach(
        Array.from({ length: n }),
        () =>
          Effect.gen(function* () {
            const c = yield* fixedKeyConnection(yield* Tcp.connect({ host, port: listening.port }), true)
            yield* c.write(one)
          }),
        { concurrency: 50, discard: true }
      ).pipe(Scope.provide(scope), Effect.provide(backendLayer("native")))
    )
    return () => run1(Scope.close(scope, Exit.void))
  }
  const node: Libp2p = await makeLibp2p("noise", false)
  const ma = multiaddr(listening.addr!)
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const connection = await node.dial(ma, { force: true })
        const stream = await connection.newStream(benchProtocol)
        await streamSend(stream, one)
      })
    )
  }
  return () => node.stop()
}

const waitLive = async (child: Child, n: number) => {
  for (let i = 0; i < 600; i++) {
    child.send({ type: "measure" })
    const m = await measureMemory(child)
    if (m.live >= n) return m
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`fewer than ${n} connections delivered their message`)
}

// ---------------------------------------------------------------- run

export interface Results {
  readonly ceilings: Record<string, Record<number, { seal: number; open: number; ceiling: number }>>
  readonly throughput: Record<number, Record<string, Array<number>>>
  /** CPU µs per message of the sending and of the receiving process, one entry per round. */
  readonly cpuPerMessage: Record<number, Record<string, { sender: Array<number>; receiver: Array<number> }>>
  readonly ceilingRounds: Record<number, Record<string, Array<number>>>
  readonly handshakes: Record<string, Record<number, Array<number>>>
  readonly ping: Record<string, { p50: number; p99: number; mean: number }>
  readonly memory: Record<string, { perConnHeap: number; perConnRss: number; connections: number }>
  readonly rounds: number
}

/**
 * js-libp2p 3 sometimes throws out of its own event handlers while connections close (yamux GoAway on a
 * closing stream: `StreamStateError`; a reset from the closing peer: `StreamResetError`, seen once in the
 * memory phase); counted and printed, not fatal. Every figure still checks its own result.
 */
export let libp2pTeardownErrors = 0
const libp2pTeardownErrorNames = new Set(["StreamStateError", "StreamResetError"])
process.on("uncaughtException", (e) => {
  if (libp2pTeardownErrorNames.has((e as { name?: string }).name ?? "")) libp2pTeardownErrors++
  else throw e
})

export const measureAll = async (o: Options): Promise<Results> => {
  const rounds = o.quick ? 1 : 5
  const backends: Record<Backend, CryptoBackendShape> = {
    native: await backendShape("native"),
    noble: await backendShape("noble")
  }

  // Throughput: one receiver child and one connection per kind for the whole phase; rounds interleave kinds.
  console.log("\n## throughput (MB/s of payload)")
  const children = new Map<ThroughputKind, Child>()
  const senders = new Map<ThroughputKind, RemoteSender>()
  for (const kind of throughputKinds) {
    const child = await spawnPeer("recv", kind)
    const listening = (await child.next("listening")) as FromChild & { type: "listening" }
    children.set(kind, child)
    const sender = await remoteSender(kind, listening)
    senders.set(kind, sender)
    for (const size of sizes) await transfer(child, sender, size, size === 1024 ? 3000 : 60, true)
  }
  console.log("verified: checksums of every received byte equal the sender's, for every transport and size")
  const throughput: Results["throughput"] = {}
  const cpuPerMessage: Results["cpuPerMessage"] = {}
  const ceilingRounds: Results["ceilingRounds"] = {}
  const ceilings: Results["ceilings"] = { native: {}, noble: {} }
  // Long enough for steady state: 0.8 s transfers read ~30 % lower for every transport (ramp-up).
  const targetSeconds = o.quick ? 0.15 : 2
  for (const size of sizes) {
    throughput[size] = {}
    cpuPerMessage[size] = {}
    ceilingRounds[size] = { native: [], noble: [] }
    // Calibrate each transport's transfer to about targetSeconds.
    const counts: Record<string, number> = {}
    for (const kind of throughputKinds) {
      const probeCount = size === 1024 ? 2000 : 40
      const mbps = await transfer(children.get(kind)!, senders.get(kind)!, size, probeCount, false)
      counts[kind] = Math.max(probeCount, Math.round((mbps * 1e6 * targetSeconds) / size))
      throughput[size]![kind] = []
      cpuPerMessage[size]![kind] = { sender: [], receiver: [] }
    }
    for (let r = 0; r < rounds; r++) {
      for (const backend of ["native", "noble"] as const) {
        const c = ceiling(backends[backend], size, o)
        ceilingRounds[size]![backend]!.push(c.ceiling)
        ceilings[backend]![size] = c
      }
      for (const kind of throughputKinds) {
        throughput[size]![kind]!.push(
          await transfer(children.get(kind)!, senders.get(kind)!, size, counts[kind]!, false)
        )
        cpuPerMessage[size]![kind]!.sender.push(lastTransferCpu.sender)
        cpuPerMessage[size]![kind]!.receiver.push(lastTransferCpu.receiver)
      }
      console.log(
        `${size / 1024} KiB round ${r + 1}: ${throughputKinds.map((k) => `${k} ${fmt(throughput[size]![k]!.at(-1)!, 1)}`).join(", ")}; ceilings native ${fmt(ceilingRounds[size]!.native!.at(-1)!, 1)}, noble ${fmt(ceilingRounds[size]!.noble!.at(-1)!, 1)}`
      )
    }
  }
  for (const kind of throughputKinds) {
    await senders.get(kind)!.close()
    await children.get(kind)!.stop()
  }

  // Handshakes.
  console.log("\n## handshakes per second")
  const handshakes: Results["handshakes"] = {}
  const hsChildren = new Map<HandshakeKind, Child>()
  const hs = new Map<HandshakeKind, Handshaker>()
  for (const kind of handshakeKinds) {
    const child = await spawnPeer("hs", kind, kind === "tls" ? [tlsCert().dir] : [])
    const listening = (await child.next("listening")) as FromChild & { type: "listening" }
    hsChildren.set(kind, child)
    const h = await makeHandshaker(kind, listening)
    for (let i = 0; i < 3; i++) await h.once(true)
    await handshakeRate(h, 1, o.quick ? 100 : 300) // warm-up
    hs.set(kind, h)
    handshakes[kind] = { 1: [], 8: [] }
  }
  console.log("verified: each handshake reached the expected peer and echoed a message")
  const hsMs = o.quick ? 250 : 1500
  for (let r = 0; r < (o.quick ? 1 : 3); r++) {
    for (const kind of handshakeKinds) {
      for (const inFlight of [1, 8])
        handshakes[kind]![inFlight]!.push(await handshakeRate(hs.get(kind)!, inFlight, hsMs))
    }
    console.log(
      `round ${r + 1}: ${handshakeKinds.map((k) => `${k} ${fmt(handshakes[k]![1]!.at(-1)!)} / ${fmt(handshakes[k]![8]!.at(-1)!)}`).join(", ")}`
    )
  }
  for (const kind of handshakeKinds) {
    await hs.get(kind)!.close()
    await hsChildren.get(kind)!.stop()
  }

  // Ping-pong, one process.
  console.log("\n## 64-byte ping-pong (µs)")
  const ping: Results["ping"] = {}
  for (const kind of pingKinds) {
    const p = await makePinger(kind)
    const times = await pingPong(p, o.quick ? 500 : 5000)
    await p.close()
    ping[kind] = {
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      mean: times.reduce((a, b) => a + b, 0) / times.length
    }
    console.log(`${kind}: p50 ${fmt(ping[kind]!.p50, 1)}, p99 ${fmt(ping[kind]!.p99, 1)}`)
  }

  // Memory per idle connection.
  console.log("\n## memory per idle connection")
  const memory: Results["memory"] = {}
  const n = o.quick ? 100 : 1000
  for (const kind of memoryKinds) {
    const child = await spawnPeer("mem", kind)
    const listening = (await child.next("listening")) as FromChild & { type: "listening" }
    child.send({ type: "measure" })
    const before = await measureMemory(child)
    const close = await openIdle(kind, listening, n)
    const after = await waitLive(child, n)
    const heap = (m: typeof before) => m.usage.heapUsed + m.usage.external
    memory[kind] = {
      perConnHeap: (heap(after) - heap(before)) / n,
      perConnRss: (after.usage.rss - before.usage.rss) / n,
      connections: after.live
    }
    console.log(`${kind}: heap+external ${fmt(memory[kind]!.perConnHeap)} B, rss ${fmt(memory[kind]!.perConnRss)} B`)
    await close()
    await child.stop()
  }
  return { ceilings, throughput, cpuPerMessage, ceilingRounds, handshakes, ping, memory, rounds }
}

export const run = async (o: Options) => {
  const results = await measureAll(o)
  if (libp2pTeardownErrors > 0)
    console.log(`js-libp2p threw ${libp2pTeardownErrors} teardown error(s) from its handlers (ignored)`)
  const { sections } = await import("./network-report.ts")
  return { sections: sections(results, o) }
}

/** One transport and size for about `seconds` (for `node --cpu-prof`, see cpuprofile.ts). */
export const throughputOnly = async (kind: ThroughputKind, size: number, seconds: number, repeat = 1) => {
  const child = await spawnPeer("recv", kind)
  const listening = (await child.next("listening")) as FromChild & { type: "listening" }
  const sender = await remoteSender(kind, listening)
  await transfer(child, sender, size, size === 1024 ? 3000 : 60, true)
  const mbps = await transfer(child, sender, size, size === 1024 ? 5000 : 100, false)
  const results: Array<number> = []
  for (let i = 0; i < repeat; i++) {
    results.push(await transfer(child, sender, size, Math.round((mbps * 1e6 * seconds) / size), false))
  }
  await sender.close()
  await child.stop()
  return repeat === 1 ? results[0]! : results
}

/** One handshake kind for `ms` milliseconds (for `node --cpu-prof`). */
export const handshakeOnly = async (kind: HandshakeKind, inFlight: number, ms: number) => {
  const child = await spawnPeer("hs", kind, kind === "tls" ? [tlsCert().dir] : [])
  const listening = (await child.next("listening")) as FromChild & { type: "listening" }
  const h = await makeHandshaker(kind, listening)
  for (let i = 0; i < 3; i++) await h.once(true)
  const result = await handshakeRate(h, inFlight, ms)
  await h.close()
  await child.stop()
  return result
}

/** One ping-pong kind, `count` round trips: p50 and p99 in µs (for quick checks and `node --cpu-prof`). */
export const pingOnly = async (kind: PingKind, count: number) => {
  const p = await makePinger(kind)
  const times = await pingPong(p, count)
  await p.close()
  return { p50: percentile(times, 50), p99: percentile(times, 99) }
}
