/**
 * One side of a connection at a time, to see which side limits throughput and what each costs:
 * `tsx one-side.ts recv|send [native|noble] [SIZE] [SECONDS]` (after `pnpm build`).
 *
 * - `recv`: an effect-p2p receiver (`peer.ts recv fixed-KIND`: the fixed key, no handshake) fed by plain `net` writes of wire bytes sealed
 *   beforehand in this process, so the sending side costs next to nothing;
 * - `send`: an effect-p2p sender (`peer.ts send fixed-KIND`) into a plain `net` sink (`peer.ts recv raw`).
 *
 * Prints MB/s of payload, the CPU time of each process over the elapsed time (all threads, so
 * GC helper threads count: above 100 % is possible) and the measured side's CPU time per message.
 */
import * as Net from "node:net"
import { Encoding } from "@effect-p2p/codec"
import { ByteReader, type ByteSocket, Connection } from "@effect-p2p/connection"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Effect } from "effect"
import { type FromChild, payloadFor, spawnPeer } from "./support.ts"
import { hostRuntime } from "./transports.ts"

const [mode, kindArg, sizeArg, secArg] = process.argv.slice(2)
const kind = kindArg === "noble" ? "noble" : "native"
const size = Number(sizeArg ?? 65536)
const seconds = Number(secArg ?? 2)
const key = new Uint8Array(32).fill(7) as ChannelKey
const nonceA = Nonce.zero()
const nonceB = Nonce.increment(Nonce.increment(nonceA))
// CPU time per message varies far less from run to run than MB/s on a shared machine: compare that.
const cpuPerMessage = (cpuMs: number, count: number) => ((1000 * cpuMs) / count).toFixed(1)

if (mode === "recv") {
  const mb = (kind === "native" ? 320 : 40) * seconds
  const count = Math.round((mb * 1e6) / size)
  const runtime = hostRuntime(kind)
  const wire: Array<Uint8Array> = []
  await runtime.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const sink: ByteSocket.ByteSocket = {
          read: Effect.never,
          write: (bytes) => Effect.sync(() => void wire.push(bytes)),
          close: Effect.void
        }
        const c = yield* Connection.make({
          reader: ByteReader.make(sink),
          channelKey: key,
          localNonce: nonceA,
          remoteNonce: nonceB,
          encoding: Encoding.bytes
        })
        const p = payloadFor(size, 0)
        for (let i = 0; i < count - 1; i++) yield* c.write(p)
        yield* c.writeSync(p)
      })
    )
  )
  const all = Buffer.concat(wire)
  console.log(`wire ${(all.length / 1e6).toFixed(0)} MB for ${count} messages`)
  const child = await spawnPeer("recv", `fixed-${kind}`)
  const listening = (await child.next("listening")) as FromChild & { type: "listening" }
  const sock = Net.connect({ port: listening.port, host: "127.0.0.1" })
  await new Promise((r) => sock.once("connect", r))
  child.send({ type: "expect", bytes: size * count, verify: false })
  await child.next("ready")
  const t0 = performance.now()
  for (let at = 0; at < all.length; at += 1 << 20) {
    if (!sock.write(all.subarray(at, Math.min(all.length, at + (1 << 20)))))
      await new Promise((r) => sock.once("drain", r))
  }
  const done = (await child.next("done", 600_000)) as FromChild & { type: "done" }
  const ms = performance.now() - t0
  console.log(
    `${kind} receiver alone: ${((size * count) / (ms * 1000)).toFixed(0)} MB/s, receiver busy ${((100 * done.cpuMs) / ms).toFixed(0)} %, ${cpuPerMessage(done.cpuMs, count)} µs CPU per message`
  )
  sock.destroy()
  await child.stop()
  await runtime.dispose()
} else if (mode === "send") {
  const child = await spawnPeer("recv", "raw")
  const listening = (await child.next("listening")) as FromChild & { type: "listening" }
  const sender = await spawnPeer("send", `fixed-${kind}`)
  sender.send({ type: "connect", port: listening.port })
  await sender.next("connected")
  const count = Math.round(((kind === "native" ? 300 : 40) * seconds * 1e6) / size)
  child.send({ type: "expect", bytes: size * count, verify: false })
  await child.next("ready")
  const t0 = performance.now()
  sender.send({ type: "send", size, count, verify: false })
  const sent = (await sender.next("sent", 600_000)) as FromChild & { type: "sent" }
  const done = (await child.next("done", 600_000)) as FromChild & { type: "done" }
  const ms = performance.now() - t0
  console.log(
    `${kind} sender alone: ${((size * count) / (ms * 1000)).toFixed(0)} MB/s, sender busy ${((100 * sent.cpuMs) / ms).toFixed(0)} % (${cpuPerMessage(sent.cpuMs, count)} µs CPU per message), sink busy ${((100 * done.cpuMs) / ms).toFixed(0)} %`
  )
  await sender.stop()
  await child.stop()
} else {
  throw new Error("usage: one-side.ts recv|send [native|noble] [SIZE] [SECONDS]")
}
process.exit(0)
