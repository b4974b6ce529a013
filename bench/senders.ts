/**
 * The senders of the throughput benchmark, one per transport (effect-p2p's over a connection from
 * the plain session API: `Session.authenticate` + `Session.accept`, or from `Pool.connect`). Each runs in a child process of its own
 * (`peer.ts send KIND`), so no transport measures in a process that the others' connections, nodes
 * and garbage have loaded.
 */
import "./polyfill.ts"
import * as Net from "node:net"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Tcp from "@effect-p2p/node/Tcp"
import type { Stream } from "@libp2p/interface"
import { multiaddr } from "@multiformats/multiaddr"
import { Effect, Exit, Scope } from "effect"
import { payloadFor } from "./support.ts"
import {
  type Backend,
  benchProtocol,
  fixedKeyConnection,
  handshake,
  hostRuntime,
  makeIdentity,
  makeLibp2p,
  makePool
} from "./transports.ts"

const host = "127.0.0.1"
const run1 = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

export interface Sender {
  readonly send: (size: number, count: number, verify: boolean) => Promise<void>
  readonly close: () => Promise<void>
}

/** `pool`: a connection a dialling pool made to a listening one (native backend), messages `PoolData`. */
export type ThroughputKind = "raw" | "native" | "noble" | "pool" | "libp2p-noise" | "libp2p-plaintext"
export const throughputKinds: ReadonlyArray<ThroughputKind> = [
  "raw",
  "native",
  "noble",
  "pool",
  "libp2p-noise",
  "libp2p-plaintext"
]

const waitDrain = (emitter: { once: (e: "drain", f: () => void) => unknown }) =>
  new Promise<void>((resolve) => emitter.once("drain", resolve))

const rawSender = (port: number): Promise<Sender> =>
  new Promise((resolve, reject) => {
    const socket = Net.createConnection({ host, port }, () =>
      resolve({
        send: async (size, count, verify) => {
          const fixed = payloadFor(size, 0)
          for (let i = 0; i < count; i++) {
            if (!socket.write(verify ? payloadFor(size, i) : fixed)) await waitDrain(socket)
          }
        },
        close: async () => {
          socket.destroy()
        }
      })
    )
    socket.once("error", reject)
  })

/** `fixedKey`: `Connection.make` with the fixed key of `transports.ts` instead of a handshake (for `one-side.ts`). */
const effectSender = async (port: number, backend: Backend, fixedKey = false): Promise<Sender> => {
  const runtime = hostRuntime(backend)
  const scope = await run1(Scope.make())
  const identity = await makeIdentity(backend)
  const connection = await runtime.runPromise(
    Effect.gen(function* () {
      const tcp = yield* Tcp.connect({ host, port })
      if (fixedKey) return yield* fixedKeyConnection(tcp, true)
      return (yield* handshake(tcp, identity, false)).connection
    }).pipe(Scope.provide(scope))
  )
  return {
    send: (size, count, verify) =>
      run1(
        Effect.gen(function* () {
          const fixed = payloadFor(size, 0)
          for (let i = 0; i < count; i++) yield* connection.write(verify ? payloadFor(size, i) : fixed)
        })
      ),
    close: async () => {
      await run1(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

/** A pool that dials the receiving pool and sends it `PoolData` messages through `pool.send`. */
const poolSender = async (point: string): Promise<Sender> => {
  const runtime = hostRuntime("native")
  const scope = await run1(Scope.make())
  const { pool, peerId } = await runtime.runPromise(
    Effect.gen(function* () {
      const pool = yield* makePool(yield* Identity.generate({ difficulty: 0 }), false)
      const { peerId } = yield* pool.connect(point)
      return { pool, peerId }
    }).pipe(Scope.provide(scope))
  )
  return {
    send: (size, count, verify) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const fixed = { _tag: "Data", payload: payloadFor(size, 0) } as const
          for (let i = 0; i < count; i++)
            yield* pool.send(peerId, verify ? { _tag: "Data", payload: payloadFor(size, i) } : fixed)
        })
      ),
    close: async () => {
      await run1(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

/** Sends on a js-libp2p stream, waiting for its `drain` event whenever `send` says the buffer is full. */
export const streamSend = async (stream: Stream, bytes: Uint8Array) => {
  if (!stream.send(bytes)) {
    await new Promise<void>((resolve) => stream.addEventListener("drain", () => resolve(), { once: true }))
  }
}

const libp2pSender = async (addr: string, security: "noise" | "plaintext"): Promise<Sender> => {
  const node = await makeLibp2p(security, false)
  const stream = await node.dialProtocol(multiaddr(addr), benchProtocol)
  return {
    send: async (size, count, verify) => {
      const fixed = payloadFor(size, 0)
      for (let i = 0; i < count; i++) await streamSend(stream, verify ? payloadFor(size, i) : fixed)
    },
    close: async () => {
      await node.stop()
    }
  }
}

/** The benchmark's kinds, and the fixed-key connections `one-side.ts` feeds or drains without a handshake. */
export type SenderKind = ThroughputKind | "fixed-native" | "fixed-noble"

export const makeSender = (
  kind: SenderKind,
  listening: { readonly port: number; readonly addr?: string | undefined }
): Promise<Sender> => {
  switch (kind) {
    case "raw":
      return rawSender(listening.port)
    case "native":
    case "noble":
      return effectSender(listening.port, kind)
    case "fixed-native":
      return effectSender(listening.port, "native", true)
    case "fixed-noble":
      return effectSender(listening.port, "noble", true)
    case "pool":
      return poolSender(listening.addr!)
    case "libp2p-noise":
      return libp2pSender(listening.addr!, "noise")
    case "libp2p-plaintext":
      return libp2pSender(listening.addr!, "plaintext")
  }
}
