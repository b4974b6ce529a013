/**
 * The other processes of the network benchmarks: `node --import tsx peer.ts ROLE KIND` (libraries from their built `dist/`),
 * forked by `network.bench.ts`, talking to it over IPC (see `support.ts`) and to each other over loopback TCP.
 *
 * - `recv` (raw | native | noble | pool | libp2p-noise | libp2p-plaintext; fixed-native | fixed-noble:
 *   `Connection.make` with a fixed key, no handshake, for `one-side.ts`): accepts connections and counts
 *   the payload bytes; after `expect`, reports the total (and, when verifying, a checksum of every
 *   byte) once that many arrived;
 * - `send` (same kinds): on `connect`, opens a connection to a `recv` peer; on `send`, sends that many
 *   messages and answers `sent` once they were all handed over;
 * - `hs` (native | noble | pool | libp2p-noise | tls): accepts handshakes, echoes what it receives,
 *   and counts the sessions it accepted (completed handshakes; js-libp2p: connections opened;
 *   TLS: `secureConnection`s);
 * - `hsc` (same kinds): the handshake client (`handshakers.ts`), driven by `handshakes`;
 * - `echo` / `pingc` (raw | native | noble | libp2p-noise): the two ends of the ping-pong (`pingers.ts`);
 * - `mem` (raw | native | libp2p-noise): holds idle connections and reports its memory on `measure`.
 *
 * Every role answers `mark` and `window` with the CPU time it spent (and the sessions it accepted)
 * in between, so that both processes of a measurement report over the same window.
 */
import "./polyfill.ts"
import * as Net from "node:net"
import * as Tls from "node:tls"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Tcp from "@effect-p2p/node/Tcp"
import type * as Pool from "@effect-p2p/pool/Pool"
import { Effect, type Scope, Stream } from "effect"
import type { Libp2p } from "libp2p"
import { type HandshakeKind, type Handshaker, handshakeRate, makeHandshaker } from "./handshakers.ts"
import { makePinger, type Pinger, type PingKind, pingTimes } from "./pingers.ts"
import { makeSender, type Sender, type SenderKind } from "./senders.ts"
import { cpuMsSince, type FromChild, fnv, fnvStart, type ToChild } from "./support.ts"
import {
  benchProtocol,
  chunksOf,
  fixedKeyConnection,
  type HostServices,
  handshake,
  hostRuntime,
  makeIdentity,
  makeLibp2p,
  makePool,
  type PoolData,
  poolPoint,
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
const onData = (bytes: Uint8Array) => {
  received += bytes.length
  messages++
  if (verify) checksum = fnv(checksum, bytes)
  if (received >= expected) {
    expected = Number.POSITIVE_INFINITY
    send({ type: "done", bytes: received, checksum, messages, cpuMs: cpuMsSince(cpuStart) })
  }
}

// --- the measuring window (`mark` ... `window`) and the sessions a server accepted
let accepted = 0
let windowCpu = process.cpuUsage()
let windowAccepted = 0

// --- the client ends, for `send`, `hsc` and `pingc`
let sender: Sender | undefined
let handshaker: Handshaker | undefined
let pinger: Pinger | undefined

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
  } else if (m.type === "mark") {
    windowCpu = process.cpuUsage()
    windowAccepted = accepted
    send({ type: "marked" })
  } else if (m.type === "window") {
    send({ type: "window", cpuMs: cpuMsSince(windowCpu), accepted: accepted - windowAccepted })
  } else if (m.type === "measure") {
    send({ type: "memory", connections, live, usage: sample() })
  } else if (m.type === "connect") {
    const connected = (close: () => Promise<void>) => {
      stopping = close
      send({ type: "connected" })
    }
    if (role === "send") {
      makeSender(kind as SenderKind, m).then((made) => {
        sender = made
        connected(made.close)
      }, fail)
    } else if (role === "hsc") {
      makeHandshaker(kind as HandshakeKind, m, 8, certDir).then(async (made) => {
        handshaker = made
        // Checked before anything is timed: each handshake reaches the expected peer and echoes a message.
        for (let i = 0; i < 3; i++) await made.once(0, true)
        connected(made.close)
      }, fail)
    } else if (role === "pingc") {
      makePinger(kind as PingKind, m).then((made) => {
        pinger = made
        connected(made.close)
      }, fail)
    }
  } else if (m.type === "send") {
    sender!.send(m.size, m.count, m.verify).then(() => send({ type: "sent", cpuMs: cpuMsSince(windowCpu) }), fail)
  } else if (m.type === "handshakes") {
    const start = process.cpuUsage()
    handshakeRate(handshaker!, m.inFlight, m.ms).then(
      (tally) => send({ type: "handshook", ...tally, cpuMs: cpuMsSince(start) }),
      fail
    )
  } else if (m.type === "ping") {
    pingTimes(pinger!, m.count).then((times) => send({ type: "pinged", times }), fail)
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

/**
 * A listening pool (native backend) on a host runtime; counts the incoming connections it
 * established, hands every application message to `onMessage`, and reports its point as `addr`.
 */
const runPoolServer = (
  onMessage: (pool: Pool.Pool<PoolData>, from: string, payload: Uint8Array) => Effect.Effect<void, unknown>
) => {
  const runtime = hostRuntime("native")
  const program = Effect.gen(function* () {
    const identity = yield* Identity.generate({ difficulty: 0 })
    const pool = yield* makePool(identity, true)
    const events = yield* pool.subscribe
    yield* Effect.forkScoped(
      Stream.runForEach(events, (e) =>
        Effect.sync(() => {
          if (e.event === "connection_established" && e.incoming === true) accepted++
        })
      )
    )
    yield* Effect.forkScoped(Stream.runForEach(pool.messages, ([from, m]) => onMessage(pool, from, m.payload)))
    const point = poolPoint(pool)
    send({ type: "listening", port: Number(point.split(":").pop()), addr: point, peerId: pool.peerId })
    return yield* Effect.never
  }).pipe(Effect.scoped)
  runtime.runFork(program)
}

const startNet = (onSocket: (socket: Net.Socket) => void) => {
  const server = Net.createServer({ noDelay: true }, onSocket)
  server.listen({ port: 0, host: "127.0.0.1", backlog: 1024 }, () =>
    send({ type: "listening", port: (server.address() as Net.AddressInfo).port })
  )
}

const startLibp2p = async (handler: (stream: import("@libp2p/interface").Stream) => void) => {
  const node: Libp2p = await makeLibp2p(kind === "libp2p-plaintext" ? "plaintext" : "noise", true)
  await node.handle(benchProtocol, (stream) => handler(stream), {
    maxInboundStreams: 10_000,
    runOnLimitedConnection: true
  })
  stopping = async () => {
    await node.stop()
  }
  // Every connection opened here was accepted (this node never dials): the handshake count.
  node.addEventListener("connection:open", () => {
    connections++
    accepted++
  })
  const addr = node.getMultiaddrs()[0]!
  send({ type: "listening", port: 0, addr: addr.toString(), peerId: node.peerId.toString() })
}

const main = async () => {
  if (role === "recv") {
    if (kind === "raw") return startNet((s) => s.on("data", onData))
    if (kind === "native" || kind === "noble") {
      const identity = await makeIdentity(kind)
      return runEffectServer(kind, (socket) =>
        Effect.gen(function* () {
          const { connection } = yield* handshake(socket, identity, true)
          while (true) onData((yield* connection.read)[1])
        })
      )
    }
    if (kind === "fixed-native" || kind === "fixed-noble") {
      return runEffectServer(kind === "fixed-native" ? "native" : "noble", (socket) =>
        Effect.gen(function* () {
          const connection = yield* fixedKeyConnection(socket, false)
          while (true) onData((yield* connection.read)[1])
        })
      )
    }
    if (kind === "pool") return runPoolServer((_pool, _from, payload) => Effect.sync(() => onData(payload)))
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
            accepted++
            while (true) yield* connection.write((yield* connection.read)[1])
          }),
        PeerId.toBase58(identity.peerId)
      )
    }
    if (kind === "pool") {
      return runPoolServer((pool, from, payload) =>
        pool.send(from, { _tag: "Data", payload }).pipe(Effect.catch(() => Effect.void))
      )
    }
    if (kind === "tls") {
      const { key, cert } = tlsCert(certDir)
      const server = Tls.createServer({ key, cert, minVersion: "TLSv1.3" }, (s) => {
        accepted++
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
  if (role === "echo") {
    if (kind === "raw") return startNet((s) => s.on("data", (d) => s.write(d)))
    if (kind === "native" || kind === "noble") {
      const identity = await makeIdentity(kind)
      return runEffectServer(kind, (socket) =>
        Effect.gen(function* () {
          const { connection } = yield* handshake(socket, identity, true)
          while (true) yield* connection.write((yield* connection.read)[1])
        })
      )
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
  // The clients (`send`, `hsc`, `pingc`) are driven by the parent's messages.
  if (role === "send" || role === "hsc" || role === "pingc") return
  throw new Error(`unknown role ${role} ${kind}`)
}

main().catch(fail)
