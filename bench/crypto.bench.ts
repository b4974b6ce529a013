/**
 * Crypto: BLAKE2b-256 of 56 bytes (noble generic, specialised pure JS, libsodium), X25519 +
 * HSalsa20 precompute, XSalsa20-Poly1305 seal/open at 1 KiB and 64 KiB (noble and native side by
 * side), and the parallel PoW generator with 1 and 2 workers (rate, expected time at difficulty 26).
 * Every implementation's output is checked against noble before it is timed.
 */

import { createRequire } from "node:module"
import { CryptoBackend, Keys, PowHash } from "@effect-p2p/crypto"
import { NativeCrypto, ProofOfWorkPool } from "@effect-p2p/node"
import { Effect, Fiber } from "effect"

interface Sodium {
  readonly crypto_generichash: (out: Uint8Array, input: Uint8Array) => void
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const check = (what: string, a: Uint8Array | undefined, b: Uint8Array | undefined) => {
  if (a === undefined || b === undefined || hex(a) !== hex(b)) throw new Error(`${what}: outputs differ`)
}

/** Median ops/s over `rounds` rounds of `roundMs`, calling `op` `inner` times between clock reads. */
const measure = (op: () => void, o: { quick: boolean; inner?: number }): number => {
  const inner = o.inner ?? 16
  const rounds = o.quick ? 3 : 7
  const roundMs = o.quick ? 150 : 600
  const warm = performance.now()
  while (performance.now() - warm < (o.quick ? 100 : 400)) for (let i = 0; i < inner; i++) op()
  const rates: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    let n = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < roundMs) {
      for (let i = 0; i < inner; i++) op()
      n += inner
      t = performance.now()
    }
    rates.push((n * 1000) / (t - t0))
  }
  rates.sort((a, b) => a - b)
  return rates[Math.floor(rates.length / 2)]!
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")

const powRate = (workers: number, hash: "sodium" | "js", ms: number) =>
  Effect.gen(function* () {
    const keys = Keys.generateWith(CryptoBackend.noble)
    let last: ProofOfWorkPool.Progress | undefined
    const fiber = yield* Effect.forkChild(
      ProofOfWorkPool.generate(keys.publicKey, 0n, {
        workers,
        hash,
        progressIntervalMillis: 0,
        onProgress: (p) =>
          Effect.sync(() => {
            last = p
          })
      })
    )
    // Measure between two reports after start-up, so thread start (tsx) is not counted.
    yield* Effect.sleep("2500 millis")
    const first = last
    yield* Effect.sleep(`${ms} millis`)
    const second = last
    yield* Fiber.interrupt(fiber)
    if (first === undefined || second === undefined) throw new Error("no progress reported")
    return ((second.attempts - first.attempts) * 1000) / (second.elapsedMillis - first.elapsedMillis)
  })

export const run = async (o: { quick: boolean }): Promise<void> => {
  const noble = CryptoBackend.noble
  const native = await Effect.runPromise(NativeCrypto.make())
  const nativeNode = await Effect.runPromise(NativeCrypto.make({ x25519: "node:crypto" }))
  const sodium = createRequire(import.meta.url)("sodium-native") as Sodium

  // --- BLAKE2b-256 of 56 bytes
  const input = noble.randomBytes(56)
  const hasher = PowHash.make(input.subarray(0, 32))
  const stamp = input.slice(32)
  const limbs = new Uint32Array(8)
  const out32 = new Uint8Array(32)
  check("specialised", PowHash.blake2b32(input), noble.blake2b(input, 32))
  sodium.crypto_generichash(out32, input)
  check("sodium", out32, noble.blake2b(input, 32))
  const blake = {
    noble: measure(() => noble.blake2b(input, 32), o),
    specialised: measure(() => {
      stamp[23] = (stamp[23]! + 1) & 0xff
      hasher.hashInto(stamp, limbs)
    }, o),
    nativeBackend: measure(() => native.blake2b(input, 32), o),
    sodiumInPlace: measure(() => {
      input[55] = (input[55]! + 1) & 0xff
      sodium.crypto_generichash(out32, input)
    }, o)
  }
  console.log("\n## BLAKE2b-256 of 56 bytes (hashes/s)")
  console.log("| implementation | hashes/s | vs noble |\n| --- | ---: | ---: |")
  for (const [k, v] of Object.entries(blake)) console.log(`| ${k} | ${fmt(v)} | ${(v / blake.noble).toFixed(2)}× |`)

  // --- precompute
  const a = Keys.generateWith(noble)
  const b = Keys.generateWith(noble)
  check("native precompute", native.precompute(a.secretKey, b.publicKey), noble.precompute(a.secretKey, b.publicKey))
  check("node precompute", nativeNode.precompute(a.secretKey, b.publicKey), noble.precompute(a.secretKey, b.publicKey))
  const peers = Array.from({ length: 64 }, () => Keys.generateWith(noble).publicKey)
  let p = 0
  const precompute = {
    noble: measure(() => noble.precompute(a.secretKey, peers[p++ & 63]!), { ...o, inner: 2 }),
    "native, X25519 via sodium": measure(() => native.precompute(a.secretKey, peers[p++ & 63]!), o),
    "native, X25519 via node:crypto (JWK peer key, cached private KeyObject)": measure(
      () => nativeNode.precompute(a.secretKey, peers[p++ & 63]!),
      o
    )
  }
  console.log("\n## precompute (X25519 + HSalsa20), ops/s")
  console.log("| implementation | ops/s |\n| --- | ---: |")
  for (const [k, v] of Object.entries(precompute)) console.log(`| ${k} | ${fmt(v)} |`)

  // --- seal / open
  const key = noble.randomBytes(32)
  const nonce = noble.randomBytes(24)
  console.log("\n## XSalsa20-Poly1305 (MB/s)")
  console.log("| size | noble seal | native seal | noble open | native open | native/noble (seal) |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |")
  for (const size of [1024, 65536]) {
    const msg = noble.randomBytes(size)
    const boxed = noble.seal(key, nonce, msg)
    check("native seal", native.seal(key, nonce, msg), boxed)
    check("native open", native.open(key, nonce, boxed), msg)
    const inner = size > 4096 ? 2 : 16
    const mb = (ops: number) => (ops * size) / 1e6
    const ns = mb(measure(() => noble.seal(key, nonce, msg), { ...o, inner }))
    const xs = mb(measure(() => native.seal(key, nonce, msg), { ...o, inner }))
    const no = mb(measure(() => noble.open(key, nonce, boxed), { ...o, inner }))
    const xo = mb(measure(() => native.open(key, nonce, boxed), { ...o, inner }))
    console.log(
      `| ${size / 1024} KiB | ${ns.toFixed(1)} | ${xs.toFixed(1)} | ${no.toFixed(1)} | ${xo.toFixed(1)} | ${(xs / ns).toFixed(2)}× |`
    )
  }

  // --- PoW generator
  console.log("\n## PoW generator (worker threads), hashes/s and expected time at difficulty 26")
  console.log("| workers | hash | hashes/s | expected s for 2^26 |\n| --- | --- | ---: | ---: |")
  const ms = o.quick ? 1000 : 4000
  const rates: Record<string, number> = {}
  for (const hash of ["sodium", "js"] as const) {
    for (const workers of [1, 2]) {
      const rate = await Effect.runPromise(powRate(workers, hash, ms))
      rates[`${hash}${workers}`] = rate
      console.log(`| ${workers} | ${hash} | ${fmt(rate)} | ${(2 ** 26 / rate).toFixed(1)} |`)
    }
  }
  console.log(
    `\nscaling 2 vs 1 worker: sodium ${(rates.sodium2! / rates.sodium1!).toFixed(2)}×, js ${(rates.js2! / rates.js1!).toFixed(2)}×`
  )
}
