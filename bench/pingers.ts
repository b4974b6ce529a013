/**
 * The client side of the ping-pong benchmark, run in a process of its own (`peer.ts pingc KIND`)
 * against an echo server in another (`peer.ts echo KIND`): issue 23's latency target is between two
 * processes. `raw`: plain `net` sockets (no Nagle, as `Tcp`); `native`, `noble`: a connection from the plain
 * session API (`Session.authenticate` + `Session.accept` over `Tcp.connect`; the echo server the
 * same over `Tcp.listen`); `libp2p-noise`: a js-libp2p stream.
 */
import "./polyfill.ts"
import * as Net from "node:net"
import type * as Connection from "@effect-p2p/connection/Connection"
import * as Tcp from "@effect-p2p/node/Tcp"
import { multiaddr } from "@multiformats/multiaddr"
import { Effect, Exit, Scope } from "effect"
import { streamSend } from "./senders.ts"
import { payloadFor } from "./support.ts"
import { benchProtocol, chunksOf, handshake, hostRuntime, makeIdentity, makeLibp2p } from "./transports.ts"

export type PingKind = "raw" | "native" | "noble" | "libp2p-noise"
export const pingKinds: ReadonlyArray<PingKind> = ["raw", "native", "noble", "libp2p-noise"]

export interface Pinger {
  readonly ping: (msg: Uint8Array) => Promise<Uint8Array>
  /**
   * `count` round trips timed in the stack's own idiom, when it has one other than a promise per
   * round trip: an Effect program loops in a fiber (`runPromise` per round trip would time a fiber's
   * start and a promise's resolution, which an Effect application does not pay per message).
   */
  readonly times?: (msg: Uint8Array, count: number) => Promise<Array<number>>
  readonly close: () => Promise<void>
}

const host = "127.0.0.1"

/** Resolves `ping` once `msg.length` bytes came back; `write` sends, `subscribe` feeds received bytes. */
const echoWaiter = (write: (msg: Uint8Array) => void) => {
  let waiting: ((b: Uint8Array) => void) | undefined
  let parts: Array<Uint8Array> = []
  let n = 0
  let want = 0
  return {
    onData: (bytes: Uint8Array) => {
      parts.push(bytes)
      n += bytes.length
      if (n >= want && waiting) {
        const w = waiting
        waiting = undefined
        w(Buffer.concat(parts))
      }
    },
    ping: (msg: Uint8Array) =>
      new Promise<Uint8Array>((resolve) => {
        parts = []
        n = 0
        want = msg.length
        waiting = resolve
        write(msg)
      })
  }
}

const rawPinger = async (port: number): Promise<Pinger> => {
  const socket = Net.createConnection({ host, port, noDelay: true })
  await new Promise<void>((r) => socket.once("connect", r))
  const echo = echoWaiter((msg) => socket.write(msg))
  socket.on("data", echo.onData)
  return {
    ping: echo.ping,
    close: async () => {
      socket.destroy()
    }
  }
}

const effectPinger = async (backend: "native" | "noble", port: number): Promise<Pinger> => {
  const runtime = hostRuntime(backend)
  const scope = await Effect.runPromise(Scope.make())
  const identity = await makeIdentity(backend)
  const connection: Connection.Connection<Uint8Array> = await runtime.runPromise(
    Effect.gen(function* () {
      const tcp = yield* Tcp.connect({ host, port })
      return (yield* handshake(tcp, identity, false)).connection
    }).pipe(Scope.provide(scope))
  )
  const once = (msg: Uint8Array) =>
    Effect.gen(function* () {
      yield* connection.write(msg)
      return (yield* connection.read)[1]
    })
  const loop = (msg: Uint8Array, count: number) =>
    Effect.gen(function* () {
      const times: Array<number> = []
      for (let i = 0; i < count; i++) {
        const t0 = process.hrtime.bigint()
        yield* connection.write(msg)
        yield* connection.read
        times.push(Number(process.hrtime.bigint() - t0) / 1000)
      }
      return times
    })
  return {
    ping: (msg) => runtime.runPromise(once(msg)),
    times: (msg, count) => runtime.runPromise(loop(msg, count)),
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

const libp2pPinger = async (addr: string): Promise<Pinger> => {
  const client = await makeLibp2p("noise", false)
  const stream = await client.dialProtocol(multiaddr(addr), benchProtocol)
  const echo = echoWaiter((msg) => void streamSend(stream, msg))
  stream.addEventListener("message", (e) => echo.onData(chunksOf(e.data).slice()))
  return {
    ping: echo.ping,
    close: async () => {
      await client.stop()
    }
  }
}

/** Connects to the echo server; before returning, 500 round trips of warm-up whose echoes are compared. */
export const makePinger = async (kind: PingKind, target: { port: number; addr?: string | undefined }) => {
  const p =
    kind === "raw"
      ? await rawPinger(target.port)
      : kind === "libp2p-noise"
        ? await libp2pPinger(target.addr!)
        : await effectPinger(kind, target.port)
  const msg = payloadFor(64, 9)
  for (let i = 0; i < 500; i++) {
    if (Buffer.compare(await p.ping(msg), msg) !== 0) throw new Error(`${kind} ping-pong: echo differs`)
  }
  return p
}

/** `count` round trips of 64 bytes; their times in µs, in order. */
export const pingTimes = async (p: Pinger, count: number): Promise<Array<number>> => {
  const msg = payloadFor(64, 9)
  if (p.times !== undefined && !process.env.BENCH_PING_PROMISE) return p.times(msg, count)
  const times: Array<number> = []
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint()
    await p.ping(msg)
    times.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  return times
}
