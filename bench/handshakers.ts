/**
 * The client side of the handshake benchmark, run in a process of its own (`peer.ts hsc KIND`)
 * against a server process (`peer.ts hs KIND`), one per kind:
 *
 * - `native`, `noble`: `Tcp.connect` + `Session.authenticate` + `Session.accept` (the plain session API);
 * - `pool`: `Pool.connect` from a dialling pool to a listening one, both over `TcpTransport`
 *   (native backend), then `pool.disconnect`;
 * - `libp2p-noise`: `libp2p.dial(addr, { force: true })` (TCP, multistream-select, noise, yamux), then
 *   `close()`. Each in-flight worker has a node of its own: one node's concurrent dials to one peer
 *   share a connection, so 8 dials in flight on one node open far fewer than 8 connections;
 * - `tls`: `node:tls` TLS 1.3 with a self-signed P-256 certificate, until `secureConnect`.
 *
 * What a handshake costs and how many there were is counted on the server (sessions it accepted);
 * the client's own count is reported beside it so that a mismatch shows.
 */
import "./polyfill.ts"
import * as Tls from "node:tls"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Tcp from "@effect-p2p/node/Tcp"
import type * as Pool from "@effect-p2p/pool/Pool"
import { multiaddr } from "@multiformats/multiaddr"
import { Effect, Exit, Option, Scope, Stream } from "effect"
import type { Libp2p } from "libp2p"
import { streamSend } from "./senders.ts"
import { payloadFor } from "./support.ts"
import {
  type Backend,
  benchProtocol,
  chunksOf,
  handshake,
  hostRuntime,
  makeIdentity,
  makeLibp2p,
  makePool,
  type PoolData,
  tlsCert
} from "./transports.ts"

const host = "127.0.0.1"

export type HandshakeKind = "native" | "noble" | "pool" | "libp2p-noise" | "tls"
export const handshakeKinds: ReadonlyArray<HandshakeKind> = ["native", "noble", "pool", "libp2p-noise", "tls"]

/** Where the server listens: its port, a js-libp2p multiaddr or a pool point, its peer id. */
export interface Target {
  readonly port: number
  readonly addr?: string | undefined
  readonly peerId?: string | undefined
}

export interface Handshaker {
  /**
   * One full handshake on a new TCP connection, then closed, by in-flight worker `worker`; `check`
   * also sends a 1 KiB message through the new connection and compares the echo. Resolves to an
   * identity of the connection (to count distinct connections).
   */
  readonly once: (worker: number, check: boolean) => Promise<string>
  readonly close: () => Promise<void>
}

const probe = payloadFor(1024, 3)
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0
let serial = 0
const fresh = () => String(serial++)

const effectHandshaker = async (backend: Backend, target: Target): Promise<Handshaker> => {
  const identity = await makeIdentity(backend)
  const runtime = hostRuntime(backend)
  return {
    once: (_worker, check) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const tcp = yield* Tcp.connect({ host, port: target.port })
          const { info, connection } = yield* handshake(tcp, identity, false)
          if (PeerId.toBase58(info.peerId) !== target.peerId) throw new Error("handshake: wrong peer id")
          if (check) {
            yield* connection.write(probe)
            if (!sameBytes((yield* connection.read)[1], probe)) throw new Error("handshake: echo differs")
          }
          return fresh()
        }).pipe(Effect.scoped)
      ),
    close: () => runtime.dispose()
  }
}

/**
 * Dialling pools take turns, `perWorker` for each in-flight worker: the listening pool refuses a
 * peer it still holds as connected, and a pool notices a closed connection a moment after the
 * close, so a worker reconnects with another identity while the last one is being torn down.
 */
const poolHandshaker = async (target: Target, maxInFlight: number): Promise<Handshaker> => {
  const perWorker = 4
  const runtime = hostRuntime("native")
  const scope = await Effect.runPromise(Scope.make())
  const pools: ReadonlyArray<Pool.Pool<PoolData>> = await runtime.runPromise(
    Effect.forEach(Array.from({ length: maxInFlight * perWorker }), () =>
      Effect.flatMap(Identity.generate({ difficulty: 0 }), (identity) => makePool(identity, false))
    ).pipe(Scope.provide(scope))
  )
  const turns: Array<number> = new Array(maxInFlight).fill(0)
  return {
    once: (worker, check) => {
      const turn = turns[worker]!
      turns[worker] = turn + 1
      const pool = pools[worker * perWorker + (turn % perWorker)]!
      return runtime.runPromise(
        Effect.gen(function* () {
          const summary = yield* pool.connect(target.addr!)
          if (summary.peerId !== target.peerId) throw new Error("pool: wrong peer id")
          if (check) {
            yield* pool.send(summary.peerId, { _tag: "Data", payload: probe })
            const echoed = yield* Stream.runHead(pool.messages)
            if (Option.isNone(echoed) || !sameBytes(echoed.value[1].payload, probe))
              throw new Error("pool: echo differs")
          }
          yield* pool.disconnect(summary.peerId)
          return fresh()
        })
      )
    },
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

const libp2pHandshaker = async (target: Target, maxInFlight: number): Promise<Handshaker> => {
  const nodes: ReadonlyArray<Libp2p> = await Promise.all(
    Array.from({ length: maxInFlight }, () => makeLibp2p("noise", false))
  )
  const ma = multiaddr(target.addr!)
  return {
    once: async (worker, check) => {
      const connection = await nodes[worker]!.dial(ma, { force: true })
      // The server sometimes already closes the previous connection from the same peer, so the
      // status may be "closing" rather than "open".
      if (connection.remotePeer.toString() !== target.peerId || connection.status === "closed") {
        throw new Error(
          `libp2p: connection ${connection.status} to ${connection.remotePeer}, expected ${target.peerId}`
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
      return connection.id
    },
    close: async () => {
      await Promise.all(nodes.map((node) => node.stop()))
    }
  }
}

const tlsHandshaker = (target: Target): Handshaker => {
  const { cert } = tlsCert()
  return {
    once: (_worker, check) =>
      new Promise<string>((resolve, reject) => {
        const socket = Tls.connect({ host, port: target.port, ca: cert, servername: "localhost" }, () => {
          if (!socket.authorized || socket.getProtocol() !== "TLSv1.3") {
            socket.destroy()
            return reject(new Error(`tls: not an authorized TLS 1.3 connection (${socket.getProtocol()})`))
          }
          if (!check) {
            // `end`, not `destroy`: the client's Finished must reach the server for it to count the session.
            socket.end()
            return resolve(fresh())
          }
          const parts: Array<Buffer> = []
          let n = 0
          socket.on("data", (d: Buffer) => {
            parts.push(d)
            n += d.length
            if (n >= probe.length) {
              socket.end()
              if (sameBytes(Buffer.concat(parts), probe)) resolve(fresh())
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

/** The client of one kind, able to run up to `maxInFlight` workers. `certDir`: the server's certificate (tls). */
export const makeHandshaker = (
  kind: HandshakeKind,
  target: Target,
  maxInFlight: number,
  certDir?: string
): Promise<Handshaker> => {
  switch (kind) {
    case "native":
    case "noble":
      return effectHandshaker(kind, target)
    case "pool":
      return poolHandshaker(target, maxInFlight)
    case "libp2p-noise":
      return libp2pHandshaker(target, maxInFlight)
    case "tls":
      tlsCert(certDir)
      return Promise.resolve(tlsHandshaker(target))
  }
}

export interface HandshakeTally {
  readonly completed: number
  readonly distinct: number
  readonly failed: number
  readonly firstFailure?: string | undefined
  readonly elapsedMs: number
}

/**
 * `inFlight` workers start handshakes until `ms` have passed, then wait for the last ones. A failed
 * attempt is counted (and the first one's message kept), never retried in place of a success.
 */
export const handshakeRate = async (h: Handshaker, inFlight: number, ms: number): Promise<HandshakeTally> => {
  let completed = 0
  let failed = 0
  let firstFailure: string | undefined
  const seen = new Set<string>()
  const t0 = performance.now()
  const worker = async (w: number) => {
    while (performance.now() - t0 < ms) {
      try {
        seen.add(await h.once(w, false))
        completed++
      } catch (e) {
        failed++
        firstFailure ??= e instanceof Error ? e.message : String(e)
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)))
  return { completed, distinct: seen.size, failed, firstFailure, elapsedMs: performance.now() - t0 }
}
