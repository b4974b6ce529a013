/**
 * The senders of the throughput benchmark, one per transport. Each runs in a child process of its own
 * (`peer.ts send KIND`), so no transport measures in a process that the others' connections, nodes
 * and garbage have loaded.
 */
import "./polyfill.ts"
import * as Net from "node:net"
import * as Tcp from "@effect-p2p/node/Tcp"
import type { Stream } from "@libp2p/interface"
import { multiaddr } from "@multiformats/multiaddr"
import { Effect, Exit, Scope } from "effect"
import { payloadFor } from "./support.ts"
import { type Backend, benchProtocol, fixedKeyConnection, hostRuntime, makeLibp2p } from "./transports.ts"

const host = "127.0.0.1"
const run1 = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

export interface Sender {
  readonly send: (size: number, count: number, verify: boolean) => Promise<void>
  readonly close: () => Promise<void>
}

export type ThroughputKind = "raw" | "native" | "noble" | "libp2p-noise" | "libp2p-plaintext"
export const throughputKinds: ReadonlyArray<ThroughputKind> = [
  "raw",
  "native",
  "noble",
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

const effectSender = async (port: number, backend: Backend): Promise<Sender> => {
  const runtime = hostRuntime(backend)
  const scope = await run1(Scope.make())
  const connection = await runtime.runPromise(
    Effect.gen(function* () {
      const tcp = yield* Tcp.connect({ host, port })
      return yield* fixedKeyConnection(tcp, true)
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

export const makeSender = (
  kind: ThroughputKind,
  listening: { readonly port: number; readonly addr?: string | undefined }
): Promise<Sender> => {
  switch (kind) {
    case "raw":
      return rawSender(listening.port)
    case "native":
    case "noble":
      return effectSender(listening.port, kind)
    case "libp2p-noise":
      return libp2pSender(listening.addr!, "noise")
    case "libp2p-plaintext":
      return libp2pSender(listening.addr!, "plaintext")
  }
}
