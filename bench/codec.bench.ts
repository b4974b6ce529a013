/**
 * Codec: encode and decode of a realistic ~1 KiB message (a block-header-like struct with 32-byte
 * hashes, strings and integers) with @effect-p2p/codec, against JSON.stringify / JSON.parse of the
 * same value in the same run. JSON gets the hashes as hex strings and the int64 as a decimal string
 * (its natural form); its parse is not even converted back to bytes, which only flatters JSON.
 */
import { Binary, Encoding } from "@effect-p2p/codec"
import { Result } from "effect"

const hash = Encoding.Fixed.bytes(32)
const Message = Encoding.struct({
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
type Message = Encoding.Type<typeof Message>

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

/** Calls `f` in batches of 64 for about `ms`; returns ops/s. */
const rate = (f: () => unknown, ms: number): number => {
  const batch = 64
  let ops = 0
  const start = performance.now()
  const until = start + ms
  let now = start
  while (now < until) {
    for (let i = 0; i < batch; i++) f()
    ops += batch
    now = performance.now()
  }
  return (ops * 1000) / (now - start)
}

const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * Measures `codec` against `json` in alternating rounds (order swapped every round), so that load
 * from other jobs on the machine hits both alike; returns the median ops/s of each and the median of
 * the per-round ratios.
 */
const compare = (codec: () => unknown, json: () => unknown, { quick }: { quick: boolean }) => {
  const warm = quick ? 100 : 500
  rate(codec, warm)
  rate(json, warm)
  const round = quick ? 100 : 700
  const c: Array<number> = []
  const j: Array<number> = []
  const ratios: Array<number> = []
  for (let i = 0; i < (quick ? 3 : 9); i++) {
    let x: number
    let y: number
    if (i % 2 === 0) {
      x = rate(codec, round)
      y = rate(json, round)
    } else {
      y = rate(json, round)
      x = rate(codec, round)
    }
    c.push(x)
    j.push(y)
    ratios.push(x / y)
  }
  return { codec: median(c), json: median(j), ratio: median(ratios) }
}

const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`benchmark check failed: ${what}`)
}

export const run = ({ quick }: { quick: boolean }) => {
  // check results before timing anything
  const decoded = Result.getOrThrow(Binary.decode(Message, encoded))
  check(toHex(Result.getOrThrow(Binary.encode(Message, decoded))) === toHex(encoded), "codec round trip")
  check(decoded.operations.length === 20 && decoded.timestamp === value.timestamp, "codec decoded value")
  check(JSON.stringify(JSON.parse(text)) === text, "JSON round trip")
  console.log(`message: ${encoded.length} bytes binary, ${text.length} bytes JSON; node ${process.version}`)

  let sink = 0
  const rows = [
    [
      "encode",
      () => (sink += Result.getOrThrow(Binary.encode(Message, value)).length),
      () => (sink += JSON.stringify(jsonValue).length)
    ],
    [
      "decode",
      () => (sink += Result.getOrThrow(Binary.decode(Message, encoded)).level),
      () => (sink += (JSON.parse(text) as { level: number }).level)
    ]
  ] as const
  console.log("| operation | codec (ops/s) | JSON (ops/s) | codec / JSON |")
  console.log("| --- | ---: | ---: | ---: |")
  for (const [name, codec, json] of rows) {
    const r = compare(codec, json, { quick })
    console.log(
      `| ${name} | ${Math.round(r.codec).toLocaleString("en")} | ${Math.round(r.json).toLocaleString("en")} | ${r.ratio.toFixed(2)}× |`
    )
  }
  if (sink === 0) console.log("")
}
