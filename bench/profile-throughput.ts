/**
 * Profiling entry: `tsx profile-throughput.ts KIND SIZE [SECONDS] [REPEAT]` runs one transport for
 * about SECONDS (default 3), REPEAT times on the same connection (see cpuprofile.ts).
 */

import { throughputOnly } from "./network.bench.ts"
import { throughputKinds } from "./senders.ts"

const [kind, size, seconds, repeat] = process.argv.slice(2)
const known = throughputKinds.find((k) => k === kind)
if (known === undefined)
  throw new Error(`usage: profile-throughput.ts ${throughputKinds.join("|")} SIZE [SECONDS] [REPEAT]`)
console.log(await throughputOnly(known, Number(size), Number(seconds ?? 3), Number(repeat ?? 1)))
process.exit(0)
