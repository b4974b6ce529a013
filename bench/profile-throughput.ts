/**
 * Profiling entry: `tsx profile-throughput.ts KIND SIZE [SECONDS] [REPEAT]` runs one transport for
 * about SECONDS (default 3), REPEAT times on the same connection (see cpuprofile.ts).
 */

import { lastTransferBusy, throughputOnly } from "./network.bench.ts"
import { throughputKinds } from "./senders.ts"

const [kind, size, seconds, repeat] = process.argv.slice(2)
const known = throughputKinds.find((k) => k === kind)
if (known === undefined)
  throw new Error(`usage: profile-throughput.ts ${throughputKinds.join("|")} SIZE [SECONDS] [REPEAT]`)
console.log(await throughputOnly(known, Number(size), Number(seconds ?? 3), Number(repeat ?? 1)))
// CPU time over elapsed time of the last transfer: which side is saturated.
console.log(
  `busy: sender ${(100 * lastTransferBusy.sender).toFixed(0)} %, receiver ${(100 * lastTransferBusy.receiver).toFixed(0)} %`
)
process.exit(0)
