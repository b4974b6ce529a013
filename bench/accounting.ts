/**
 * What the memory accounting of issue 18 costs, measured A/B in one process: the connection of the
 * current tree against copies of the same package at earlier commits, built beforehand into
 * `packages/connection/build/old-<commit>/src` (ignored by git):
 *
 *   for c in f65503e 66a0a58; do mkdir -p packages/connection/build/old-$c &&
 *     git archive $c packages/connection/src | tar -x -C packages/connection/build/old-$c --strip-components=2; done
 *   cd bench && node --conditions=source --import tsx accounting.ts [ROUNDS] [MB]
 *
 * (`f65503e`: before issue 17's connection changes; `66a0a58`: after them, before the accounting.)
 * Each round sends MB of messages of 64 B, 1 KiB and 64 KiB over loopback TCP between two
 * connections of one variant in a process of its own (native crypto), the receiver reading every
 * message (MODE=replay: the receiver alone, reading sealed wire bytes replayed from memory;
 * MODE=send: the sender alone, writing into a socket that takes everything at once); the
 * variants alternate within each round, in a different order each time. Prints MB/s of payload and
 * CPU time per message (user + system of the measuring process: both ends, or the receiver alone),
 * min / median / max.
 */
import { spawnSync } from "node:child_process"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import * as Chunk from "@effect-p2p/connection/Chunk"
import * as CurrentConnection from "@effect-p2p/connection/Connection"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { NativeCrypto, Tcp } from "@effect-p2p/node"
import { Deferred, Effect, Fiber, Layer, ManagedRuntime } from "effect"

interface Conn {
  readonly read: Effect.Effect<readonly [number, Uint8Array], unknown>
  readonly write: (m: Uint8Array) => Effect.Effect<void, unknown>
}
type Make = (options: Record<string, unknown>) => Effect.Effect<Conn, unknown, never>

/** A copy of the package at packages/connection/build/<dir>/src (imported by path: not type-checked). */
const copy = async (dir: string): Promise<Make> => {
  const path = `../packages/connection/build/${dir}/src/Connection.ts`
  return (await import(path)).make as Make
}
// VARIANT=text keeps the variants whose name contains it; EXTRA=dir,dir adds copies by directory.
const variants: ReadonlyArray<readonly [string, Make]> = [
  ...(
    [
      ["before issue 17 (f65503e)", await copy("old-f65503e")],
      ["before accounting (66a0a58)", await copy("old-66a0a58")],
      ["with accounting (now)", CurrentConnection.make as unknown as Make]
    ] as const
  ).filter(([name]) => process.env.VARIANT === undefined || name.includes(process.env.VARIANT)),
  ...(await Promise.all(
    (process.env.EXTRA ?? "")
      .split(",")
      .filter((dir) => dir !== "")
      .map(async (dir) => [dir, await copy(dir)] as const)
  ))
]

const rounds = Number(process.argv[2] ?? 5)
const megabytes = Number(process.argv[3] ?? 32)
const sizes = (process.env.SIZES ?? "64,1024,65536").split(",").map(Number)
const key = new Uint8Array(32).fill(7) as ChannelKey
const nonceA = Nonce.zero()
const nonceB = Nonce.increment(Nonce.increment(nonceA))

const runtime = ManagedRuntime.make(Layer.orDie(NativeCrypto.layer()))

/** One transfer: `count` messages of `size` bytes from a dialled connection to an accepted one. */
const transfer = (make: Make, size: number, count: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* Tcp.listen({ port: 0, host: "127.0.0.1" })
      const accepted = yield* Deferred.make<Tcp.TcpSocket>()
      yield* Effect.forkScoped(server.run((socket) => Effect.andThen(Deferred.succeed(accepted, socket), Effect.never)))
      const dialled = yield* Tcp.connect({ host: "127.0.0.1", port: server.address.port })
      const receiverSocket = yield* Deferred.await(accepted)
      const common = { channelKey: key, encoding: Encoding.bytes }
      const sender = yield* make({
        ...common,
        reader: ByteReader.make(dialled.socket),
        localNonce: nonceA,
        remoteNonce: nonceB
      })
      const receiver = yield* make({
        ...common,
        reader: ByteReader.make(receiverSocket.socket),
        localNonce: nonceB,
        remoteNonce: nonceA
      })
      const message = new Uint8Array(size).fill(0x5a)
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      const writing = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (let i = 0; i < count; i++) yield* sender.write(message)
        })
      )
      for (let i = 0; i < count; i++) {
        const [, got] = yield* receiver.read
        if (got.length !== size) throw new Error(`got ${got.length} bytes, expected ${size}`)
      }
      yield* Fiber.join(writing)
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      return { mbps: (size * count) / (ms * 1000), cpuPerMessage: (cpu.user + cpu.system) / count }
    })
  )

/**
 * The receiving side alone, without sockets (MODE=replay): the wire of `count` messages, sealed
 * beforehand, replayed through `ByteSocket.fromBytes` in 64 KiB reads, every message read.
 */
const replay = (make: Make, size: number, count: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const backend = yield* CryptoBackend.CryptoBackend
      const encoded = new Uint8Array(size + 4)
      new DataView(encoded.buffer).setUint32(0, size)
      encoded.fill(0x5a, 4)
      const nonce = { current: nonceA }
      const batch = Math.max(1, Math.floor((256 * 1024) / encoded.length))
      const wire: Array<Uint8Array> = []
      for (let i = 0; i < count; i += batch) {
        const messages = Array.from({ length: Math.min(batch, count - i) }, () => encoded)
        wire.push(Chunk.sealMessages(backend, key, nonce, messages, Chunk.maxContentLength, true))
      }
      const all = new Uint8Array(wire.reduce((n, w) => n + w.length, 0))
      let at = 0
      for (const w of wire) {
        all.set(w, at)
        at += w.length
      }
      const reads: Array<Uint8Array> = []
      for (let i = 0; i < all.length; i += 65536) reads.push(all.subarray(i, i + 65536))
      const { socket } = ByteSocket.fromBytes(reads)
      const receiver = yield* make({
        channelKey: key,
        encoding: Encoding.bytes,
        reader: ByteReader.make(socket),
        localNonce: nonceB,
        remoteNonce: nonceA
      })
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      for (let i = 0; i < count; i++) {
        const [, got] = yield* receiver.read
        if (got.length !== size) throw new Error(`got ${got.length} bytes, expected ${size}`)
      }
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      return { mbps: (size * count) / (ms * 1000), cpuPerMessage: (cpu.user + cpu.system) / count }
    })
  )
/** The sending side alone (MODE=send): `count` writes into a socket that takes everything at once. */
const send = (make: Make, size: number, count: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      let wire = 0
      const sink: ByteSocket.ByteSocket = {
        read: Effect.never,
        write: (bytes) =>
          Effect.sync(() => {
            wire += bytes.length
          }),
        close: Effect.void
      }
      const sender = yield* make({
        channelKey: key,
        encoding: Encoding.bytes,
        reader: ByteReader.make(sink),
        localNonce: nonceA,
        remoteNonce: nonceB
      })
      const message = new Uint8Array(size).fill(0x5a)
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      for (let i = 0; i < count - 1; i++) yield* sender.write(message)
      yield* (sender as unknown as { writeSync: (m: Uint8Array) => Effect.Effect<void> }).writeSync(message)
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      if (wire < size * count) throw new Error(`only ${wire} wire bytes for ${size * count} of payload`)
      return { mbps: (size * count) / (ms * 1000), cpuPerMessage: (cpu.user + cpu.system) / count }
    })
  )
const measureOne = process.env.MODE === "replay" ? replay : process.env.MODE === "send" ? send : transfer

// Each measurement runs in a process of its own (so one variant's garbage is not collected on
// another's time), the variants alternating within each round, in a different order each time.
if (process.env.CHILD !== undefined) {
  const [name, size, count] = JSON.parse(process.env.CHILD) as [string, number, number]
  const make = variants.find(([n]) => n === name)![1]
  const r = await runtime.runPromise(measureOne(make, size, count))
  await runtime.dispose()
  process.stdout.write(`${JSON.stringify(r)}\n`)
  process.exit(0)
}
await runtime.dispose()

const results = new Map<string, Array<{ mbps: number; cpuPerMessage: number }>>()
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse()
  for (const size of sizes) {
    const count = Math.max(1000, Math.round((megabytes * 1e6) / size / (size < 1024 ? 8 : 1)))
    for (const [name] of order) {
      const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        env: { ...process.env, CHILD: JSON.stringify([name, size, count]) },
        encoding: "utf8"
      })
      if (child.status !== 0) throw new Error(child.stderr)
      const r = JSON.parse(child.stdout.trim().split("\n").pop()!) as { mbps: number; cpuPerMessage: number }
      const k = `${size}\u0000${name}`
      results.set(k, [...(results.get(k) ?? []), r])
    }
  }
  process.stderr.write(`round ${round + 1}/${rounds}\n`)
}

const stats = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! }
}
const fmt = (x: { min: number; median: number; max: number }, digits: number) =>
  `${x.median.toFixed(digits)} (${x.min.toFixed(digits)}–${x.max.toFixed(digits)})`
// Against the first variant, round by round (both sides of a ratio from the same moment).
const [baseline] = variants[0]!
console.log(
  `| message | variant | MB/s, median (min–max) | CPU µs per message, median (min–max) | MB/s ÷ ${baseline}, median of rounds | CPU ÷ ${baseline} |`
)
console.log("| --- | --- | --- | --- | --- | --- |")
for (const size of sizes) {
  const base = results.get(`${size}\u0000${baseline}`)!
  for (const [name] of variants) {
    const rs = results.get(`${size}\u0000${name}`)!
    const mbpsRatio = stats(rs.map((r, i) => r.mbps / base[i]!.mbps)).median
    const cpuRatio = stats(rs.map((r, i) => r.cpuPerMessage / base[i]!.cpuPerMessage)).median
    console.log(
      `| ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} | ${name} | ${fmt(stats(rs.map((r) => r.mbps)), 1)} | ${fmt(stats(rs.map((r) => r.cpuPerMessage)), 2)} | ${mbpsRatio.toFixed(3)} | ${cpuRatio.toFixed(3)} |`
    )
  }
}
