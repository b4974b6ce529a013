/**
 * Profiling entry: `tsx profile-handshake.ts KIND [IN_FLIGHT] [MS]` runs one handshake kind for MS
 * milliseconds (default 3000) with IN_FLIGHT handshakes at a time (default 8); with
 * `BENCH_CPU_PROF=dir` the server child is profiled too (see cpuprofile.ts).
 */
import { handshakeKinds, handshakeOnly } from "./network.bench.ts"

const [kind, inFlight, ms] = process.argv.slice(2)
const known = handshakeKinds.find((k) => k === kind)
if (known === undefined) throw new Error(`usage: profile-handshake.ts ${handshakeKinds.join("|")} [IN_FLIGHT] [MS]`)
console.log(await handshakeOnly(known, Number(inFlight ?? 8), Number(ms ?? 3000)))
process.exit(0)
