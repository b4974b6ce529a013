/** Profiling entry: `tsx profile-ping.ts KIND [COUNT]` measures 64-byte ping-pong (see cpuprofile.ts). */
import { type PingKind, pingOnly } from "./network.bench.ts"

const pingKinds: ReadonlyArray<PingKind> = ["raw", "native", "noble", "libp2p-noise"]
const [kind, count] = process.argv.slice(2)
const known = pingKinds.find((k) => k === kind)
if (known === undefined) throw new Error(`usage: profile-ping.ts ${pingKinds.join("|")} [COUNT]`)
console.log(await pingOnly(known, Number(count ?? 5000)))
process.exit(0)
