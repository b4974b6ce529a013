/** Builds connected pairs of connections for the tests, over any pair of byte sockets. */
import type { Encoding } from "@effect-p2p/codec/Encoding"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Effect } from "effect"
import * as ByteReader from "../src/ByteReader.ts"
import * as ByteSocket from "../src/ByteSocket.ts"
import * as Connection from "../src/Connection.ts"

export const channelKey = new Uint8Array(32).map((_, i) => i * 7 + 1) as ChannelKey
export const nonceA = Nonce.zero()
export const nonceB = Nonce.increment(Nonce.increment(Nonce.zero()).fill(0xab) as Nonce.Nonce)

export const connectionsOver = <Msg>(
  sockets: readonly [ByteSocket.ByteSocket, ByteSocket.ByteSocket],
  encoding: Encoding<Msg>,
  options: Connection.Options = {},
  rightOptions: Connection.Options = options
) =>
  Effect.all([
    Connection.make({
      ...options,
      reader: ByteReader.make(sockets[0]),
      channelKey,
      localNonce: nonceA,
      remoteNonce: nonceB,
      encoding
    }),
    Connection.make({
      ...rightOptions,
      reader: ByteReader.make(sockets[1]),
      channelKey,
      localNonce: nonceB,
      remoteNonce: nonceA,
      encoding
    })
  ])

export const inMemory = <Msg>(
  encoding: Encoding<Msg>,
  options: Connection.Options = {},
  pair: ByteSocket.PairOptions = {}
) => connectionsOver(ByteSocket.makePair(pair), encoding, options)

export const randomBytes = (n: number): Uint8Array => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 31 + n) & 0xff
  return out
}
