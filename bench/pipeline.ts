/**
 * In-process pipeline benchmark (no sockets): how fast one core pushes messages through a
 * connection's writer (encode, chunk, seal) and reader (reassemble, open, decode, queue, read),
 * beside the seal and open ceilings measured in the same run. For iterating on the connection's
 * hot paths: `tsx --conditions=source pipeline.ts [native|noble] [SIZE...]`.
 */
import { Encoding } from "@effect-p2p/codec"
import { ByteReader, ByteSocket, Connection } from "@effect-p2p/connection"
import { CryptoBackend } from "@effect-p2p/crypto"
import type { CryptoBackendShape } from "@effect-p2p/crypto/CryptoBackend"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { NativeCrypto } from "@effect-p2p/node"
import { Effect, Layer } from "effect"
import { median, payloadFor } from "./support.ts"

const kind = (process.argv[2] ?? "native") as "native" | "noble"
const sizes = process.argv.slice(3).map(Number)
const layer: Layer.Layer<CryptoBackend.CryptoBackend> =
  kind === "native" ? Layer.orDie(NativeCrypto.layer()) : CryptoBackend.layerNoble
const backend: CryptoBackendShape = Effect.runSync(
  Effect.provide(
    CryptoBackend.CryptoBackend.useSync((b) => b),
    layer
  )
)
const key = new Uint8Array(32).fill(1) as ChannelKey
const nonce = Nonce.zero()

const ceiling = (op: "seal" | "open", size: number) => {
  const msg = payloadFor(size + 4, 1)
  const pieces: Array<Uint8Array> = []
  for (let at = 0; at < msg.length; at += 65517) pieces.push(msg.subarray(at, Math.min(msg.length, at + 65517)))
  const boxes = pieces.map((p) => backend.seal(key, nonce, p))
  const t0 = performance.now()
  let n = 0
  while (performance.now() - t0 < 300) {
    if (op === "seal") for (const p of pieces) backend.seal(key, nonce, p)
    else for (const b of boxes) backend.open(key, nonce, b)
    n++
  }
  return (n * size) / ((performance.now() - t0) * 1000)
}

/** Writer: `count` writes into a sink socket; returns MB/s and the wire bytes. */
const send = (size: number, count: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const written: Array<Uint8Array> = []
      const sink: ByteSocket.ByteSocket = {
        read: Effect.never,
        write: (bytes) => Effect.sync(() => void written.push(bytes)),
        close: Effect.void
      }
      const connection = yield* Connection.make({
        reader: ByteReader.make(sink),
        channelKey: key,
        localNonce: nonce,
        remoteNonce: nonce,
        encoding: Encoding.bytes
      })
      const payload = payloadFor(size, 0)
      const t0 = performance.now()
      for (let i = 0; i < count - 1; i++) yield* connection.write(payload)
      yield* connection.writeSync(payload)
      const mbps = (size * count) / ((performance.now() - t0) * 1000)
      return [mbps, written] as const
    })
  ).pipe(Effect.provide(layer))

/** Reader: the wire bytes re-cut into 64 KiB pieces, read back; returns MB/s. */
const receive = (size: number, count: number, wire: ReadonlyArray<Uint8Array>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const all = Buffer.concat(wire)
      const pieces: Array<Uint8Array> = []
      for (let at = 0; at < all.length; at += 65536) pieces.push(all.subarray(at, Math.min(all.length, at + 65536)))
      const source = ByteSocket.fromBytes(pieces)
      const t0 = performance.now()
      const connection = yield* Connection.make({
        reader: ByteReader.make(source.socket),
        channelKey: key,
        localNonce: nonce,
        remoteNonce: nonce,
        encoding: Encoding.bytes
      })
      let bytes = 0
      for (let i = 0; i < count; i++) bytes += (yield* connection.read)[1].length
      if (bytes !== size * count) throw new Error("lost bytes")
      return (size * count) / ((performance.now() - t0) * 1000)
    })
  ).pipe(Effect.provide(layer))

const phase = process.env.PIPELINE_PHASE
if (phase !== undefined) {
  // Profiling: one phase only, several times over.
  const size = sizes[0] ?? 65536
  const count = Math.max(200, Math.round((64 * 1024 * 1024) / size))
  const [, wire] = await Effect.runPromise(send(size, count))
  for (let r = 0; r < 5; r++) {
    const measured: Effect.Effect<number, unknown> =
      phase === "send" ? Effect.map(send(size, count), ([m]) => m) : receive(size, count, wire)
    console.log(phase, await Effect.runPromise(measured))
  }
  process.exit(0)
}
for (const size of sizes.length > 0 ? sizes : [1024, 65536]) {
  const count = Math.max(200, Math.round((64 * 1024 * 1024) / size))
  const rows: Record<string, Array<number>> = { seal: [], open: [], send: [], receive: [] }
  for (let r = 0; r < 5; r++) {
    rows.seal!.push(ceiling("seal", size))
    rows.open!.push(ceiling("open", size))
    const [sendRate, wire] = await Effect.runPromise(send(size, count))
    rows.send!.push(sendRate)
    rows.receive!.push(await Effect.runPromise(receive(size, count, wire)))
  }
  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]))
  console.log(
    `${kind} ${size} B: seal ${m.seal!.toFixed(0)} open ${m.open!.toFixed(0)} | send ${m.send!.toFixed(0)} (${((100 * m.send!) / m.seal!).toFixed(0)} %) receive ${m.receive!.toFixed(0)} (${((100 * m.receive!) / m.open!).toFixed(0)} %) MB/s`
  )
}
process.exit(0)
