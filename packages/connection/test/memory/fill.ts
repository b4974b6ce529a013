/**
 * Memory of full queues, measured in a process of its own (`node --expose-gc --conditions=source
 * --import tsx fill.ts ...`; `Memory.test.ts` starts it so): what V8 really holds per queued message, and whether a connection whose reader never
 * drains stays within what its queues account.
 *
 * `measure ENCODING SIDE N`: N empty messages (ENCODING `bytes`: 4 bytes encoded, `envelope`: the P2p
 * envelope's 6-byte Bootstrap) held in an incoming queue (SIDE `incoming`: a receiver that never
 * reads) or an outgoing one (`outgoing`: a writer whose socket never completes a write); prints the
 * heap plus array buffer growth per message, beyond its encoded bytes (`PAYLOAD=n` in the environment:
 * `bytes` messages of n bytes instead of empty ones).
 *
 * `fill JSON` (or `fill -`, the JSON on stdin): `{ sizes, queueSize }`: a sender writes messages of these sizes (bytes, `Encoding.bytes`)
 * as fast as it can to a receiver that never reads, over an in-memory pair that buffers at most
 * 64 KiB; once nothing moves any more, prints the queues' accounted bytes (sampled all along) and
 * the heap growth.
 */
import { readFileSync } from "node:fs"
import { Encoding, P2pMessage } from "@effect-p2p/codec"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Effect, Fiber } from "effect"
import * as ByteReader from "../../src/ByteReader.ts"
import * as ByteSocket from "../../src/ByteSocket.ts"
import * as Connection from "../../src/Connection.ts"
import * as IoScheduler from "../../src/IoScheduler.ts"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

/** Heap plus array buffers after two full collections. */
const heldNow = () => {
  gc()
  gc()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

const key = new Uint8Array(32).fill(9) as ChannelKey
const nonceA = Nonce.zero()
const nonceB = Nonce.increment(Nonce.increment(nonceA))
const huge = 1 << 30

const connect = <Msg>(
  socket: ByteSocket.ByteSocket,
  encoding: Encoding.Encoding<Msg>,
  mine: boolean,
  options: Connection.Options
) =>
  Connection.make({
    ...options,
    reader: ByteReader.make(socket),
    channelKey: key,
    localNonce: mine ? nonceA : nonceB,
    remoteNonce: mine ? nonceB : nonceA,
    encoding
  })

const measure = (which: string, side: string, count: number) =>
  Effect.gen(function* () {
    const empty =
      which === "envelope"
        ? {
            encoding: P2pMessage.envelope as Encoding.Encoding<unknown>,
            message: { tag: 2, body: new Uint8Array(0) } as unknown,
            encoded: 6
          }
        : {
            encoding: Encoding.bytes as Encoding.Encoding<unknown>,
            message: new Uint8Array(Number(process.env.PAYLOAD ?? 0)) as unknown,
            encoded: 4 + Number(process.env.PAYLOAD ?? 0)
          }
    const big = { incomingQueueSize: huge, outgoingQueueSize: huge }
    const budget = IoScheduler.layer({ perConnectionBytes: 4 * huge, totalBytes: 4 * huge })

    // Incoming: the receiver never reads; the sender's queue drains into it.
    const incoming = Effect.scoped(
      Effect.gen(function* () {
        const [a, b] = ByteSocket.makePair()
        // PACK=0: one message per chunk, as Octez's writer (and a flooding peer) may send them.
        const sender = yield* connect(a, empty.encoding, true, { ...big, packMessages: process.env.PACK !== "0" })
        const receiver = yield* connect(b, empty.encoding, false, big)
        const before = heldNow()
        for (let i = 0; i < count; i++) yield* sender.writeNow(empty.message)
        let queued = yield* receiver.queued
        for (let i = 0; i < 2000 && queued.incomingMessages < count; i++) {
          yield* Effect.sleep(5)
          queued = yield* receiver.queued
        }
        if (queued.incomingMessages !== count) throw new Error(`only ${queued.incomingMessages} of ${count} arrived`)
        const growth = heldNow() - before
        return growth / count - empty.encoded
      }).pipe(Effect.provide(budget))
    )

    // Outgoing: a socket whose writes never complete holds the writer on its first batch.
    const outgoing = Effect.scoped(
      Effect.gen(function* () {
        const stuck: ByteSocket.ByteSocket = { read: Effect.never, write: () => Effect.never, close: Effect.void }
        const sender = yield* connect(stuck, empty.encoding, true, big)
        const before = heldNow()
        for (let i = 0; i < count; i++) yield* sender.writeNow(empty.message)
        yield* Effect.sleep(10)
        const growth = heldNow() - before
        return growth / count - empty.encoded
      }).pipe(Effect.provide(budget))
    )
    const perMessage = yield* side === "incoming" ? incoming : outgoing
    return { encoding: which, side, count, perMessage: Math.round(perMessage) }
  })

const fill = (sizes: ReadonlyArray<number>, queueSize: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair({ capacity: 64 * 1024 })
      const options = { incomingQueueSize: queueSize, outgoingQueueSize: queueSize }
      const sender = yield* connect(a, Encoding.bytes, true, options)
      const receiver = yield* connect(b, Encoding.bytes, false, options)
      const before = heldNow()
      let maxIncoming = 0
      let maxOutgoing = 0
      const sample = Effect.gen(function* () {
        const r = yield* receiver.queued
        const s = yield* sender.queued
        maxIncoming = Math.max(maxIncoming, r.incomingBytes)
        maxOutgoing = Math.max(maxOutgoing, s.outgoingBytes)
        return r.incomingMessages + s.outgoingMessages
      })
      // Each message is made when it is written, so only what the connections keep counts.
      const writing = yield* Effect.forkChild(
        Effect.forEach(sizes, (n) => sender.write(new Uint8Array(n).fill(n & 0xff)), { discard: true })
      )
      // Sample until nothing has changed for 50 ms (the writer waits on full queues, or is done).
      let last = -1
      let still = 0
      while (still < 50) {
        const held = yield* sample
        still = held === last ? still + 1 : 0
        last = held
        yield* Effect.sleep(1)
      }
      const growth = heldNow() - before
      const r = yield* receiver.queued
      const s = yield* sender.queued
      yield* Fiber.interrupt(writing)
      return { maxIncoming, maxOutgoing, incoming: r, outgoing: s, growth }
    })
  )

const [mode, arg1, arg2] = process.argv.slice(2)
const program =
  mode === "measure"
    ? measure(arg1 ?? "bytes", arg2 ?? "incoming", Number(process.argv[5] ?? 100_000))
    : (() => {
        // `-`: the JSON comes on stdin (a long list of sizes does not fit in one argument).
        const text = arg1 === "-" ? readFileSync(0, "utf8") : (arg1 ?? "{}")
        const input = JSON.parse(text) as { sizes: ReadonlyArray<number>; queueSize: number }
        return fill(input.sizes, input.queueSize)
      })()
const result = await Effect.runPromise(
  (program as Effect.Effect<unknown, never, CryptoBackend.CryptoBackend>).pipe(Effect.provide(CryptoBackend.layerNoble))
)
process.stdout.write(`${JSON.stringify(result)}\n`)
