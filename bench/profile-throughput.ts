/** Profiling entry: `tsx profile-throughput.ts KIND SIZE` runs one transport for about 3 s (see cpuprofile.ts). */
import { throughputOnly } from "./network.bench.ts"

const [kind, size] = process.argv.slice(2)
console.log(
  await throughputOnly(kind as never, Number(size), Number(process.argv[4] ?? 3), Number(process.argv[5] ?? 1))
)
process.exit(0)
