/**
 * The other process of the network benchmarks: `node --import tsx peer.ts ROLE KIND` (libraries from their built `dist/`),
 * forked by `network.bench.ts`, talking to it over IPC (see `support.ts`) and over loopback TCP.
 *
 * - `recv` (raw | native | noble | libp2p-noise | libp2p-plaintext): accepts connections and counts
 *   the payload bytes; after `expect`, reports the total (and, when verifying, a checksum of every
 *   byte) once that many arrived;
 * - `hs` (native | noble | libp2p-noise | tls): accepts handshakes and echoes what it receives;
 * - `mem` (raw | native | libp2p-noise): holds idle connections and reports its memory on `measure`.
 * - `send` (raw | native | noble | libp2p-noise | libp2p-plaintext): on `connect`, opens a connection to a
 *   `recv` peer; on `send`, sends that many messages and answers `sent` once they were all handed over.
 */
import "./polyfill.ts"
import * as Net from "node:net"
import * as Tls from "node:tls"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Tcp from "@effect-p2p/node/Tcp"
import { Effect, type Scope } from "effect"
import type { Libp2p } from "libp2p"
import { makeSender, type Sender, type ThroughputKind } from "./senders.ts"
import { type FromChild, fnv, fnvStart, type ToChild } from "./support.ts"
import {
  benchProtocol,
  chunksOf,
  fixedKeyConnection,
  type HostServices,
  handshake,
  hostRuntime,
  makeIdentity,
  makeLibp2p,
  tlsCert
} from "./transports.ts"

const [role, kind, certDir] = process.argv.slice(2) as [string, string, string | undefined]
const send = (m: FromChild) => process.send!(m)
const fail = (e: unknown) => {
  send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
  setTimeout(() => process.exit(1), 100)
}
process.on("uncaughtException", fail)
process.on("unhandledRejection", fail)

// --- counting received bytes
let expected = Number.POSITIVE_INFINITY
let received = 0
let messages = 0
let verify = false
let checksum = fnvStart
let cpuStart = process.cpuUsage()
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}
const onData = (bytes: Uint8Array) => {
  received += bytes.length
  messages++
  if (verify) checksum = fnv(checksum, bytes)
  if (received >= expected) {
    expected = Number.POSITIVE_INFINITY
    send({ type: "done", bytes: received, checksum, messages, cpuMs: cpuMsSince(cpuStart) })
  }
}

// --- the sending end, for `send`
let sender: Sender | undefined

// --- idle connections, for `mem`
let connections = 0
let live = 0

let stopping: () => Promise<void> = async () => {}
const gc = (globalThis as { gc?: () => void }).gc
const sample = () => {
  for (let i = 0; i < 3; i++) gc?.()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
}

process.on("message", (raw) => {
  const m = raw as ToChild
  if (m.type === "expect") {
    expected = m.bytes
    received = 0
    messages = 0
    verify = m.verify
    checksum = fnvStart
    cpuStart = process.cpuUsage()
    send({ type: "ready" })
  } else if (m.type === "measure") {
    send({ type: "memory", connections, live, usage: sample() })
  } else if (m.type === "connect") {
    makeSender(kind as ThroughputKind, m).then((made) => {
      sender = made
      stopping = made.close
      send({ type: "connected" })
    }, fail)
  } else if (m.type === "send") {
    const start = process.cpuUsage()
    sender!.send(m.size, m.count, m.verify).then(() => send({ type: "sent", cpuMs: cpuMsSince(start) }), fail)
  } else if (m.type === "stop") {
    stopping().finally(() => process.exit(0))
  }
})

/** Runs a scoped server program forever on a host runtime (one crypto backend, one shared IoScheduler); the process exits on `stop`. */
const runEffectServer = (
  backend: "native" | "noble",
  handler: (socket: Tcp.TcpSocket) => Effect.Effect<void, unknown, HostServices | Scope.Scope>,
  peerId?: string
) => {
  const runtime = hostRuntime(backend)
  const program = Effect.gen(function* () {
    const server = yield* Tcp.listen({ port: 0, host: "127.0.0.1", backlog: 1024 })
    send({ type: "listening", port: server.address.port, ...(peerId === undefined ? {} : { peerId }) })
    return yield* server.run((socket) => handler(socket).pipe(Effect.ignore))
  }).pipe(Effect.scoped)
  runtime.runFork(program)
}

const startNet = (onSocket: (socket: Net.Socket) => void) => {
  const server = Net.createServer(onSocket)
  server.listen({ port: 0, host: "127.0.0.1", backlog: 1024 }, () =>
    send({ type: "listening", port: (server.address() as Net.AddressInfo).port })
  )
}

const startLibp2p = async (handler: (stream: import("@libp2p/interface").Stream) => void) => {
  const node: Libp2p = await makeLibp2p(kind === "libp2p-noise" ? "noise" : "plaintext", true)
  await node.handle(benchProtocol, (stream) => handler(stream), {
    maxInboundStreams: 10_000,
    runOnLimitedConnection: true
  })
  stopping = async () => {
    await node.stop()
  }
  node.addEventListener("connection:open", () => connections++)
  const addr = node.getMultiaddrs()[0]!
  send({ type: "listening", port: 0, addr: addr.toString(), peerId: node.peerId.toString() })
}

const main = async () => {
  if (role === "recv") {
    if (kind === "raw") return startNet((s) => s.on("data", onData))
    if (kind === "native" || kind === "noble") {
      return runEffectServer(kind, (socket) =>
        Effect.gen(function* () {
          const connection = yield* fixedKeyConnection(socket, false)
          while (true) onData((yield* connection.read)[1])
        })
      )
    }
    return startLibp2p((stream) => stream.addEventListener("message", (e) => onData(chunksOf(e.data))))
  }
  if (role === "hs") {
    if (kind === "native" || kind === "noble") {
      const identity = await makeIdentity(kind)
      return runEffectServer(
        kind,
        (socket) =>
          Effect.gen(function* () {
            const { connection } = yield* handshake(socket, identity, true)
            while (true) yield* connection.write((yield* connection.read)[1])
          }),
        PeerId.toBase58(identity.peerId)
      )
    }
    if (kind === "tls") {
      const { key, cert } = tlsCert(certDir)
      const server = Tls.createServer({ key, cert, minVersion: "TLSv1.3" }, (s) => {
        s.on("data", (d) => s.write(d))
        s.on("error", () => {})
      })
      server.listen({ port: 0, host: "127.0.0.1", backlog: 1024 }, () =>
        send({ type: "listening", port: (server.address() as Net.AddressInfo).port })
      )
      return
    }
    return startLibp2p((stream) => stream.addEventListener("message", (e) => stream.send(e.data)))
  }
  if (role === "mem") {
    if (kind === "raw") {
      return startNet((s) => {
        connections++
        s.once("data", () => live++)
      })
    }
    if (kind === "native") {
      return runEffectServer(kind, (socket) =>
        Effect.gen(function* () {
          const connection = yield* fixedKeyConnection(socket, false)
          connections++
          yield* connection.read
          live++
          return yield* Effect.never
        })
      )
    }
    return startLibp2p((stream) => {
      stream.addEventListener("message", () => live++, { once: true })
    })
  }
  // `send`: driven by the parent's `connect` and `send` messages.
  if (role === "send") return
  throw new Error(`unknown role ${role} ${kind}`)
}

main().catch(fail)
