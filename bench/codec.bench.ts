/**
 * Codec: encode and decode of a realistic ~1 KiB message (a block-header-like struct with 32-byte
 * hashes, strings and integers) with @effect-p2p/codec, against JSON.stringify / JSON.parse in the
 * same run, with two JSON baselines:
 *
 * - "JSON raw": JSON of the value with the hashes already as hex strings and the int64 as a decimal
 *   string (its natural form); encode is JSON.stringify alone, decode JSON.parse alone, whose result is
 *   *not* the codec's value (strings instead of bytes and bigint), which flatters JSON.
 * - "JSON same value": JSON round-tripping the very value the codec takes and returns: encode converts
 *   the 27 Uint8Arrays to hex and the bigint to a string, then JSON.stringify; decode is JSON.parse,
 *   then hex back to bytes and the string to a bigint. The conversions are the fastest found here:
 *   each direction picks, by timing them in this run, between a lookup-table loop and Node's Buffer
 *   (`hexSlice`, `Buffer.from(hex, "hex")`, left as Buffers, a Uint8Array subclass), and a hybrid.
 */
import { Binary, Encoding } from "@effect-p2p/codec"
import { withStructCodegen } from "@effect-p2p/codec/testing"
import { Result, Schema } from "effect"

const hash = Encoding.Fixed.bytes(32)
const message = () =>
  Encoding.struct({
    level: Encoding.int32,
    proto: Encoding.uint8,
    predecessor: hash,
    timestamp: Encoding.int64,
    validationPass: Encoding.uint8,
    operationsHash: hash,
    fitness: Encoding.list(Encoding.bytes),
    context: hash,
    chainName: Encoding.string,
    operations: Encoding.list(hash, { maxLength: 1000 }),
    peers: Encoding.list(Encoding.string, { maxLength: 100 }),
    protocolData: Encoding.bytes
  })
const Message = message()
type Message = Encoding.Type<typeof Message>
// the same struct built on the generic loops (what runs where `new Function` is not allowed)
const MessageGeneric = withStructCodegen(false, message)

// The same message as an Effect Schema, derived by Encoding.fromSchema: no transformation, and the
// checks a user would write (Int, isMaxLength), which the derived encoding runs on every value.
const Hash = Schema.Uint8Array.annotate(Encoding.binary(hash))
const MessageSchema = Schema.Struct({
  level: Schema.Int,
  proto: Schema.Number.annotate(Encoding.binary(Encoding.uint8)),
  predecessor: Hash,
  timestamp: Schema.BigInt.annotate(Encoding.binary(Encoding.int64)),
  validationPass: Schema.Number.annotate(Encoding.binary(Encoding.uint8)),
  operationsHash: Hash,
  fitness: Schema.Array(Schema.Uint8Array),
  context: Hash,
  chainName: Schema.String,
  operations: Schema.Array(Hash).check(Schema.isMaxLength(1000)),
  peers: Schema.Array(Schema.String).check(Schema.isMaxLength(100)),
  protocolData: Schema.Uint8Array
})
const FromSchema: Encoding.Encoding<Message> = Encoding.fromSchema(MessageSchema)

const bytes32 = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff)
const value: Message = {
  level: 5_123_456,
  proto: 19,
  predecessor: bytes32(1),
  timestamp: 1_732_233_600n,
  validationPass: 4,
  operationsHash: bytes32(2),
  fitness: [
    new Uint8Array([2]),
    new Uint8Array([0, 0, 0, 0x4e, 0x20]),
    new Uint8Array(0),
    new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    new Uint8Array(4)
  ],
  context: bytes32(3),
  chainName: "TEZOS_MAINNET",
  operations: Array.from({ length: 20 }, (_, i) => bytes32(10 + i)),
  peers: ["127.0.0.1:9732", "10.0.0.12:9732", "[2001:db8::1]:9732", "192.168.1.20:19732"],
  protocolData: Uint8Array.from({ length: 80 }, (_, i) => i)
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
const jsonValue = {
  ...value,
  predecessor: toHex(value.predecessor),
  timestamp: value.timestamp.toString(),
  operationsHash: toHex(value.operationsHash),
  fitness: value.fitness.map(toHex),
  context: toHex(value.context),
  operations: value.operations.map(toHex),
  protocolData: toHex(value.protocolData)
}

const encoded = Result.getOrThrow(Binary.encode(Message, value))
const text = JSON.stringify(jsonValue)

// --- JSON of the same value: the conversions, each in the fastest form we could find -------------

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))
const NIBBLE = new Int8Array(128).fill(-1)
for (let i = 0; i < 16; i++) {
  NIBBLE["0123456789abcdef".charCodeAt(i)] = i
  NIBBLE["0123456789ABCDEF".charCodeAt(i)] = i
}
const hexSlice = (Buffer.prototype as unknown as { hexSlice: (this: Uint8Array, s: number, e: number) => string })
  .hexSlice
type ToHex = (b: Uint8Array) => string
type FromHex = (h: string) => Uint8Array
const toHexWays: Record<string, ToHex> = {
  "table loop": (b) => {
    let s = ""
    for (let i = 0; i < b.length; i++) s += HEX[b[i]!]
    return s
  },
  "Buffer hexSlice": (b) => hexSlice.call(b, 0, b.length)
}
const fromHexTable: FromHex = (h) => {
  const n = h.length >> 1
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (NIBBLE[h.charCodeAt(2 * i)]! << 4) | NIBBLE[h.charCodeAt(2 * i + 1)]!
  return out
}
const fromHexBuffer: FromHex = (h) => Buffer.from(h, "hex")
const fromHexWays: Record<string, FromHex> = {
  "table loop": fromHexTable,
  "Buffer.from(hex)": fromHexBuffer,
  "table loop up to 32 bytes, else Buffer.from(hex)": (h) => (h.length <= 64 ? fromHexTable(h) : fromHexBuffer(h))
}

type Json = Omit<
  Message,
  "predecessor" | "timestamp" | "operationsHash" | "fitness" | "context" | "operations" | "protocolData"
> & {
  predecessor: string
  timestamp: string
  operationsHash: string
  fitness: Array<string>
  context: string
  operations: Array<string>
  protocolData: string
}
const stringifySame =
  (hex: ToHex) =>
  (v: Message): string => {
    const fitness = new Array<string>(v.fitness.length)
    for (let i = 0; i < fitness.length; i++) fitness[i] = hex(v.fitness[i]!)
    const operations = new Array<string>(v.operations.length)
    for (let i = 0; i < operations.length; i++) operations[i] = hex(v.operations[i]!)
    return JSON.stringify({
      level: v.level,
      proto: v.proto,
      predecessor: hex(v.predecessor),
      timestamp: v.timestamp.toString(),
      validationPass: v.validationPass,
      operationsHash: hex(v.operationsHash),
      fitness,
      context: hex(v.context),
      chainName: v.chainName,
      operations,
      peers: v.peers,
      protocolData: hex(v.protocolData)
    } satisfies Json)
  }
const parseSame =
  (bytes: FromHex) =>
  (s: string): Message => {
    const j = JSON.parse(s) as Json
    const fitness = new Array<Uint8Array>(j.fitness.length)
    for (let i = 0; i < fitness.length; i++) fitness[i] = bytes(j.fitness[i]!)
    const operations = new Array<Uint8Array>(j.operations.length)
    for (let i = 0; i < operations.length; i++) operations[i] = bytes(j.operations[i]!)
    return {
      level: j.level,
      proto: j.proto,
      predecessor: bytes(j.predecessor),
      timestamp: BigInt(j.timestamp),
      validationPass: j.validationPass,
      operationsHash: bytes(j.operationsHash),
      fitness,
      context: bytes(j.context),
      chainName: j.chainName,
      operations,
      peers: j.peers,
      protocolData: bytes(j.protocolData)
    }
  }

/** Byte-wise equality of two messages (a Buffer equals a Uint8Array with the same bytes). */
const sameMessage = (a: Message, b: Message): boolean => {
  const eqBytes = (x: Uint8Array, y: Uint8Array) => x.length === y.length && x.every((v, i) => v === y[i])
  const eqList = (x: ReadonlyArray<Uint8Array>, y: ReadonlyArray<Uint8Array>) =>
    x.length === y.length && x.every((v, i) => eqBytes(v, y[i]!))
  return (
    a.level === b.level &&
    a.proto === b.proto &&
    eqBytes(a.predecessor, b.predecessor) &&
    typeof b.timestamp === "bigint" &&
    a.timestamp === b.timestamp &&
    a.validationPass === b.validationPass &&
    eqBytes(a.operationsHash, b.operationsHash) &&
    eqList(a.fitness, b.fitness) &&
    eqBytes(a.context, b.context) &&
    a.chainName === b.chainName &&
    eqList(a.operations, b.operations) &&
    a.peers.length === b.peers.length &&
    a.peers.every((p, i) => p === b.peers[i]) &&
    eqBytes(a.protocolData, b.protocolData) &&
    b.predecessor instanceof Uint8Array &&
    b.operations.every((o) => o instanceof Uint8Array)
  )
}

// CPU time (user + system, this process) per call of the last `rate`, in ns: steadier than ops/s
// on this shared machine, where other jobs take the cores away for whole rounds
let lastCpuNs = 0

/** Calls `f` in batches of 64 for about `ms`; returns ops/s (and sets `lastCpuNs`). */
const rate = (f: () => unknown, ms: number): number => {
  const batch = 64
  let ops = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const until = start + ms
  let now = start
  while (now < until) {
    for (let i = 0; i < batch; i++) f()
    ops += batch
    now = performance.now()
  }
  const used = process.cpuUsage(cpu)
  lastCpuNs = ((used.user + used.system) * 1000) / ops
  return (ops * 1000) / (now - start)
}

const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * Measures the functions in rounds that rotate their order (so that load from other jobs on the machine
 * hits all alike); returns the median ops/s of each and the median of the per-round ratios of the first
 * to each of the others.
 */
const compare = (fns: ReadonlyArray<() => unknown>, { quick }: { quick: boolean }) => {
  const warm = quick ? 100 : 500
  for (const f of fns) rate(f, warm)
  const round = quick ? 100 : 700
  const rates = fns.map(() => [] as Array<number>)
  const ratios = fns.map(() => [] as Array<number>)
  const cpus = fns.map(() => [] as Array<number>)
  const cpuRatios = fns.map(() => [] as Array<number>)
  const rounds = quick ? 3 : 9
  for (let i = 0; i < rounds; i++) {
    const got = new Array<number>(fns.length)
    const cpu = new Array<number>(fns.length)
    for (let k = 0; k < fns.length; k++) {
      const at = (k + i) % fns.length
      got[at] = rate(fns[at]!, round)
      cpu[at] = lastCpuNs
    }
    got.forEach((r, k) => {
      rates[k]!.push(r)
      ratios[k]!.push(got[0]! / r)
      cpus[k]!.push(cpu[k]!)
      cpuRatios[k]!.push(cpu[k]! / cpu[0]!)
    })
  }
  return {
    rates: rates.map(median),
    ratios: ratios.map(median),
    cpuNs: cpus.map(median),
    cpuRatios: cpuRatios.map(median),
    cpuRatioRounds: cpuRatios
  }
}

/** The fastest of `ways` for `use` (a short rotating race), so that JSON gets its best conversion. */
const fastest = <F>(ways: Record<string, F>, use: (f: F) => () => unknown): [string, F] => {
  const names = Object.keys(ways)
  const { rates } = compare(
    names.map((n) => use(ways[n]!)),
    { quick: true }
  )
  const best = rates.indexOf(Math.max(...rates))
  return [names[best]!, ways[names[best]!]!]
}

const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`benchmark check failed: ${what}`)
}

export const run = ({ quick }: { quick: boolean }) => {
  // check results before timing anything
  const decoded = Result.getOrThrow(Binary.decode(Message, encoded))
  check(toHex(Result.getOrThrow(Binary.encode(Message, decoded))) === toHex(encoded), "codec round trip")
  check(sameMessage(value, decoded), "codec decoded value")
  check(JSON.stringify(JSON.parse(text)) === text, "JSON round trip")
  for (const [name, hex] of Object.entries(toHexWays)) {
    for (const [name2, bytes] of Object.entries(fromHexWays)) {
      check(sameMessage(value, parseSame(bytes)(stringifySame(hex)(value))), `JSON same value (${name}, ${name2})`)
    }
  }
  check(stringifySame(toHexWays["table loop"]!)(value) === text, "JSON same value gives the raw JSON text")
  for (const [name, other] of [
    ["fromSchema", FromSchema],
    ["generic struct", MessageGeneric]
  ] as const) {
    check(toHex(Result.getOrThrow(Binary.encode(other, value))) === toHex(encoded), `${name} encodes the same bytes`)
    check(sameMessage(value, Result.getOrThrow(Binary.decode(other, encoded))), `${name} decoded value`)
  }
  console.log(`message: ${encoded.length} bytes binary, ${text.length} bytes JSON; node ${process.version}`)

  let sink = 0
  const [toHexName, hex] = fastest(toHexWays, (h) => {
    const f = stringifySame(h)
    return () => (sink += f(value).length)
  })
  const [fromHexName, bytes] = fastest(fromHexWays, (b) => {
    const f = parseSame(b)
    return () => (sink += f(text).operations.length)
  })
  console.log(`JSON same value: bytes to hex by ${toHexName}, hex to bytes by ${fromHexName} (fastest here)`)
  const stringify = stringifySame(hex)
  const parse = parseSame(bytes)
  const rows = [
    [
      "encode",
      () => (sink += Result.getOrThrow(Binary.encode(Message, value)).length),
      () => (sink += JSON.stringify(jsonValue).length),
      () => (sink += stringify(value).length)
    ],
    [
      "decode",
      () => (sink += Result.getOrThrow(Binary.decode(Message, encoded)).level),
      () => (sink += (JSON.parse(text) as { level: number }).level),
      () => (sink += parse(text).level)
    ]
  ] as const
  console.log(
    "| operation | codec (ops/s) | JSON raw (ops/s) | codec / JSON raw | JSON same value (ops/s) | codec / JSON same value |"
  )
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |")
  for (const [name, codec, raw, same] of rows) {
    const r = compare([codec, raw, same], { quick })
    const ops = (x: number) => Math.round(x).toLocaleString("en")
    console.log(
      `| ${name} | ${ops(r.rates[0]!)} | ${ops(r.rates[1]!)} | ${r.ratios[1]!.toFixed(2)}× | ${ops(r.rates[2]!)} | ${r.ratios[2]!.toFixed(2)}× |`
    )
  }
  const vsHand = (title: string, other: Encoding.Encoding<Message>) => {
    console.log(
      `\n| ${title} | hand-written (CPU ns/msg) | ${title} (CPU ns/msg) | ${title} / hand-written CPU time: median (min–max of ${quick ? 3 : 9} rounds) | same, wall-clock |`
    )
    console.log("| --- | ---: | ---: | ---: | ---: |")
    for (const [name, hand, them] of [
      [
        "encode",
        () => (sink += Result.getOrThrow(Binary.encode(Message, value)).length),
        () => (sink += Result.getOrThrow(Binary.encode(other, value)).length)
      ],
      [
        "decode",
        () => (sink += Result.getOrThrow(Binary.decode(Message, encoded)).level),
        () => (sink += Result.getOrThrow(Binary.decode(other, encoded)).level)
      ]
    ] as const) {
      const r = compare([hand, them], { quick })
      const rounds = r.cpuRatioRounds[1]!
      console.log(
        `| ${name} | ${r.cpuNs[0]!.toFixed(0)} | ${r.cpuNs[1]!.toFixed(0)} | ${r.cpuRatios[1]!.toFixed(2)}× (${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)}) | ${r.ratios[1]!.toFixed(2)}× |`
      )
    }
  }
  vsHand("fromSchema", FromSchema)
  vsHand("generic struct", MessageGeneric)
  if (sink === 0) console.log("")
}
