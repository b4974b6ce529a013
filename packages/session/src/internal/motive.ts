/**
 * The wire codes of rejection motives (Octez `P2p_rejection.encoding`, an int16), kept out of the
 * public API: users name motives, only the Ack encoding sees numbers.
 */
import * as Encoding from "@effect-p2p/codec/Encoding"
import type { Motive, Received } from "../Rejection.ts"

/** The named motives, each at the index of its wire code (protocol.md §6.3, Octez `P2p_rejection`). */
export const byCode = [
  "NoMotive",
  "TooManyConnections",
  "UnknownChainName",
  "DeprecatedP2pVersion",
  "DeprecatedDistributedDbVersion",
  "AlreadyConnected"
] as const

const codes = new Map<Motive, number>(byCode.map((motive, code) => [motive, code] as const))

/** A motive as its int16 code; an unknown code decodes to `UnknownMotive` and encodes back as is. */
export const encoding: Encoding.Encoding<Received> = Encoding.conv(Encoding.int16, {
  decode: (code): Received => (byCode as ReadonlyArray<Motive>)[code] ?? { _tag: "UnknownMotive", code },
  encode: (motive) => (typeof motive === "string" ? codes.get(motive)! : motive.code)
})
