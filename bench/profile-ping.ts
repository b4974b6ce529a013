/** Profiling entry: `tsx profile-ping.ts KIND [COUNT]` measures 64-byte ping-pong (see cpuprofile.ts). */
import { pingOnly } from "./network.bench.ts"

const [kind, count] = process.argv.slice(2)
console.log(await pingOnly(kind as never, Number(count ?? 5000)))
process.exit(0)
