/**
 * The WebSocket transport and the WebSocket-to-TCP bridge beside TCP (issue 22), in one run so the
 * ratios hold on a noisy machine. Three paths to the same effect-p2p node (a child process
 * listening on TCP and on a WebSocket port, native crypto):
 *
 * - **TCP**: `Dialer.connect` to the node's TCP port;
 * - **WebSocket**: `WebSocketDialer.connect` to its WebSocket port (Node to Node, `ws`);
 * - **bridge**: `WebSocketDialer.connect` to `Bridge` (another child process) in front of its TCP
 *   port: what a browser does to reach an Octez node.
 *
 * Per path and round: 64 KiB messages sent by this process, checksummed by the node and
 * acknowledged (the time runs to the acknowledgement), and sequential full handshakes (open,
 * authenticate, metadata, Ack, close). Rounds alternate the order of the paths. CPU time is the
 * sum over every process involved (this one, the node, the bridge when used), per message or per
 * handshake. Every transfer's checksum and count are checked, and every handshake's peer id.
 */
import { fork } from "node:child_process"
import { cpus } from "node:os"
import type * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as IoScheduler from "@effect-p2p/connection/IoScheduler"
import type * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import { Dialer, NativeCrypto, WebSocketDialer } from "@effect-p2p/node"
import type * as TcpSession from "@effect-p2p/node/TcpSession"
import type * as Metadata from "@effect-p2p/session/Metadata"
import { Effect, Layer, ManagedRuntime, type Scope } from "effect"
import { expectedChecksum, fmt, here, median, payloadFor } from "./support.ts"
import { benchSession, type PeerMessage } from "./websocket-peer.ts"

type Path = "TCP" | "WebSocket" | "bridge" | "bridge, masked"
const paths: ReadonlyArray<Path> = ["TCP", "WebSocket", "bridge", "bridge, masked"]
const host = "127.0.0.1"
const size = 65536

interface Child {
  readonly next: <T extends PeerMessage["type"]>(type: T) => Promise<Extract<PeerMessage, { type: T }>>
  readonly cpu: () => Promise<number>
  readonly stop: () => void
}

const spawn = (args: ReadonlyArray<string>): Child => {
  const child = fork(`${here}/websocket-peer.ts`, args, {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const inbox: Array<PeerMessage> = []
  const waiters: Array<() => void> = []
  child.on("message", (m) => {
    inbox.push(m as PeerMessage)
    for (const w of waiters.splice(0)) w()
  })
  const next = <T extends PeerMessage["type"]>(type: T) =>
    new Promise<Extract<PeerMessage, { type: T }>>((resolve, reject) => {
      const look = () => {
        const i = inbox.findIndex((m) => m.type === type || m.type === "error")
        if (i < 0) return void waiters.push(look)
        const [m] = inbox.splice(i, 1)
        if (m!.type === "error") reject(new Error(`${args.join(" ")}: ${m!.message}`))
        else resolve(m as Extract<PeerMessage, { type: T }>)
      }
      look()
    })
  return {
    next,
    cpu: async () => {
      child.send({ type: "cpu" })
      return (await next("cpu")).ms
    },
    stop: () => child.send({ type: "stop" })
  }
}

const ownCpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

interface Sample {
  readonly mbPerS: number
  readonly cpuUsPerMessage: number
  readonly handshakesPerS: number
  readonly cpuMsPerHandshake: number
}

export const run = async ({ quick }: { readonly quick: boolean }) => {
  const rounds = quick ? 1 : 7
  const messages = quick ? 40 : 400
  const handshakes = quick ? 10 : 100
  const runtime = ManagedRuntime.make(Layer.mergeAll(Layer.orDie(NativeCrypto.layer()), IoScheduler.layer()))
  const server = spawn(["server"])
  const { tcp, ws, peerId: serverId } = await server.next("listening")
  const bridge = spawn(["bridge", String(tcp)])
  const { port: bridgePort } = await bridge.next("bridging")
  const identity = await runtime.runPromise(Identity.generate({ difficulty: 0 }))
  const common = { ...benchSession, identity }
  const dial = (
    path: Path
  ): Effect.Effect<
    TcpSession.Peer<Metadata.OctezMetadata, P2pMessage.Envelope>,
    unknown,
    CryptoBackend.CryptoBackend | IoScheduler.IoScheduler | Scope.Scope
  > =>
    path === "TCP"
      ? Dialer.connect({ ...common, host, port: tcp })
      : WebSocketDialer.connect({
          ...common,
          url: `ws://${host}:${path === "WebSocket" ? ws : bridgePort}/`,
          maskFrames: path === "bridge, masked"
        })
  const children = (path: Path) => (path === "TCP" || path === "WebSocket" ? [server] : [server, bridge])
  const cpuNow = async (path: Path) =>
    ownCpuMs() + (await Promise.all(children(path).map((c) => c.cpu()))).reduce((a, b) => a + b, 0)
  const payloads = Array.from({ length: messages }, (_, i) => payloadFor(size, i))
  const checksum = expectedChecksum(size, messages)

  const throughput = (path: Path) =>
    runtime.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const peer = yield* dial(path)
          const connection = peer.connection
          // One unmeasured transfer warms the path up and checks it.
          const transfer = Effect.gen(function* () {
            for (const body of payloads) yield* connection.write({ tag: 0x10, body })
            yield* connection.write({ tag: 0x11, body: new Uint8Array(0) })
            const [, reply] = yield* connection.read
            const view = new DataView(reply.body.buffer, reply.body.byteOffset, 8)
            if (reply.tag !== 0x12 || view.getUint32(0) !== messages || view.getUint32(4) !== checksum) {
              return yield* Effect.die(`${path}: the node received something else than was sent`)
            }
          })
          yield* transfer
          const cpu0 = yield* Effect.promise(() => cpuNow(path))
          const t0 = performance.now()
          yield* transfer
          const seconds = (performance.now() - t0) / 1000
          const cpu = (yield* Effect.promise(() => cpuNow(path))) - cpu0
          return { mbPerS: (messages * size) / seconds / 1e6, cpuUsPerMessage: (cpu * 1000) / messages }
        })
      )
    )

  const handshakeRate = async (path: Path) => {
    const one = Effect.scoped(
      Effect.flatMap(dial(path), (peer) =>
        PeerId.toBase58(peer.info.peerId) === serverId
          ? Effect.void
          : Effect.die(`${path}: handshake with another peer than the node`)
      )
    )
    await runtime.runPromise(one) // warm-up, checked
    const cpu0 = await cpuNow(path)
    const t0 = performance.now()
    for (let i = 0; i < handshakes; i++) await runtime.runPromise(one)
    const seconds = (performance.now() - t0) / 1000
    const cpu = (await cpuNow(path)) - cpu0
    return { handshakesPerS: handshakes / seconds, cpuMsPerHandshake: cpu / handshakes }
  }

  const samples = new Map<Path, Array<Sample>>(paths.map((p) => [p, []]))
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so no path always runs first (or right after another's garbage).
    const order = round % 2 === 0 ? paths : [...paths].reverse()
    for (const path of order) {
      const t = await throughput(path)
      const h = await handshakeRate(path)
      samples.get(path)!.push({ ...t, ...h })
      console.log(
        `round ${round + 1} ${path}: ${fmt(t.mbPerS, 1)} MB/s, ${fmt(t.cpuUsPerMessage)} µs CPU per 64 KiB message; ` +
          `${fmt(h.handshakesPerS)} handshakes/s, ${fmt(h.cpuMsPerHandshake, 2)} ms CPU each`
      )
    }
  }
  server.stop()
  bridge.stop()
  await runtime.dispose()

  const stats = (path: Path, key: keyof Sample) => {
    const xs = samples.get(path)!.map((s) => s[key])
    return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs) }
  }
  const cell = (path: Path, key: keyof Sample, digits: number) => {
    const s = stats(path, key)
    return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
  }
  const rows = paths.map(
    (p) =>
      `| ${p} | ${cell(p, "mbPerS", 1)} | ${cell(p, "cpuUsPerMessage", 0)} | ${cell(p, "handshakesPerS", 0)} | ${cell(p, "cpuMsPerHandshake", 2)} |`
  )
  const med = (p: Path, k: keyof Sample) => stats(p, k).median
  const wsShare = med("WebSocket", "mbPerS") / med("TCP", "mbPerS")
  const bridgeCpu = med("bridge", "cpuUsPerMessage") / med("WebSocket", "cpuUsPerMessage") - 1
  const bridgeRate = med("bridge", "mbPerS") / med("WebSocket", "mbPerS")
  const bridgeHandshake = med("bridge", "cpuMsPerHandshake") / med("WebSocket", "cpuMsPerHandshake") - 1
  const pct = (x: number) => `${x >= 0 ? "" : "−"}${fmt(Math.abs(x) * 100)} %`
  const cpuModel = cpus()[0]?.model ?? "unknown CPU"
  const body = [
    `${rounds} alternating rounds; per path and round ${messages} × 64 KiB messages (after one checked warm-up`,
    `transfer) and ${handshakes} sequential handshakes. Median (min–max). CPU is user + system time of every`,
    "process on the path (client, node, bridge), per message or per handshake. Native crypto (sodium-native).",
    "",
    "| path | 64 KiB MB/s | CPU µs per message | handshakes/s | CPU ms per handshake |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    `- WebSocket carries ${pct(wsShare)} of TCP's throughput (target ≥ 70 %: ${wsShare >= 0.7 ? "met" : "missed"}).`,
    `- Through the bridge, a message costs ${pct(bridgeCpu)} more CPU than over WebSocket alone (target ≤ 20 %:`,
    `  ${bridgeCpu <= 0.2 ? "met" : "missed"}), and the path carries ${pct(bridgeRate)} of WebSocket's throughput; a handshake costs ${pct(bridgeHandshake)} more CPU.`,
    "",
    "The bridge is a third process, so on two cores it pipelines with the others rather than adding to one",
    "thread. The Node client sends with a zero WebSocket mask (ws then skips masking); a browser must mask",
    "every frame with a random key, which the bridge unmasks (natively with `bufferutil`, an optional",
    'dependency of @effect-p2p/node; byte by byte in JS without it). "bridge, masked" is that case (the client',
    `masks too): ${pct(med("bridge, masked", "cpuUsPerMessage") / med("bridge", "cpuUsPerMessage") - 1)} more CPU per message than the unmasked bridge.`,
    "",
    `Machine: ${cpuModel}, ${cpus().length} cores, ${process.platform} ${process.arch}, Node ${process.version}; load average at start ${Number(process.env.BENCH_START_LOAD ?? 0).toFixed(2)}.`,
    "Command: `pnpm bench websocket` (all processes on one 2-core VM shared with other work)."
  ].join("\n")
  console.log(`\n${body}`)
  return { sections: [{ title: "WebSocket transport and bridge", body }] }
}
