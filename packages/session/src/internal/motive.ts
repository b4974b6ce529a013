/**
 * The wire codes of rejection motives (Octez `P2p_rejection.encoding`, an int16), kept out of the
 * public API: users name motives, only the Ack encoding sees numbers.
 */
import * as Encoding from "@effect-p2p/codec/Encoding"
import type { Motive, Received } from "../Rejection.ts"

const byCode: ReadonlyArray<Motive> = [
  "NoMotive",
  "TooManyConnections",
  "UnknownChainName",
  "DeprecatedP2pVersion",
  "DeprecatedDistributedDbVersion",
  "AlreadyConnected"
]

const codes = new Map<Motive, number>(byCode.map((motive, code) => [motive, code]))

/** A motive as its int16 code; an unknown code decodes to `UnknownMotive` and encodes back as is. */
export const encoding: Encoding.Encoding<Received> = Encoding.conv(Encoding.int16, {
  decode: (code): Received => byCode[code] ?? { _tag: "UnknownMotive", code },
  encode: (motive) => (typeof motive === "string" ? codes.get(motive)! : motive.code)
})
