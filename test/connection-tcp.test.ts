/**
 * The connection over real loopback TCP, and over loopback WebSockets (binary frames), both
 * directions: small, chunked and oversized messages, and FIFO order with no loss or duplication
 * for generated write sequences. The same cases for each byte transport.
 */

import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import * as Connection from "@effect-p2p/connection/Connection"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import type { Scope } from "effect"
import { Effect, Fiber } from "effect"
import * as fc from "fast-check"
import { tcpPair } from "./support/tcp.ts"
import { wsPair } from "./support/websocket.ts"

type Pair = Effect.Effect<readonly [ByteSocket, ByteSocket], unknown, Scope.Scope>

const key = new Uint8Array(32).fill(3) as ChannelKey
const n1 = Nonce.zero()
const n2 = Nonce.increment(n1)

const connections = (pair: Pair, options: Connection.Options) =>
  Effect.gen(function* () {
    const [client, server] = yield* pair
    return yield* Effect.all([
      Connection.make({
        ...options,
        reader: ByteReader.make(client),
        channelKey: key,
        localNonce: n1,
        remoteNonce: n2,
        encoding: Encoding.bytes
      }),
      Connection.make({
        ...options,
        reader: ByteReader.make(server),
        channelKey: key,
        localNonce: n2,
        remoteNonce: n1,
        encoding: Encoding.bytes
      })
    ])
  })

const pattern = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + salt) & 0xff)

const bothWays = (pair: Pair, size: number, count: number, options: Connection.Options) =>
  Effect.gen(function* () {
    const [client, server] = yield* connections(pair, options)
    const messages = Array.from({ length: count }, (_, i) => pattern(size, i))
    const sending = yield* Effect.forkChild(
      Effect.all([Effect.forEach(messages, client.writeSync), Effect.forEach(messages, server.write)], {
        concurrency: 2
      })
    )
    for (const m of messages) {
      assert.deepStrictEqual((yield* server.read)[1], m)
      assert.deepStrictEqual((yield* client.read)[1], m)
    }
    yield* Fiber.join(sending)
    const stat = yield* client.stat
    assert.isAbove(stat.totalSent, count * size)
    assert.isAbove(stat.totalRecv, count * size)
  }).pipe(Effect.provide(CryptoBackend.layerNoble))

for (const [transport, pair] of [
  ["loopback TCP", tcpPair],
  ["loopback WebSockets", wsPair]
] as const) {
  describe(`Connection over ${transport}`, () => {
    it.live("simple-message", () => bothWays(pair, 16, 10, {}))
    it.live("chunked-message (binaryChunksSize 21, 256-byte messages)", () =>
      bothWays(pair, 256, 10, { binaryChunksSize: 21 })
    )
    it.live("oversized-message (128 KiB)", () => bothWays(pair, 128 * 1024, 4, {}))

    it.live("FIFO, no loss, no duplication for generated write sequences", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 20 }),
            fc.integer({ min: 512, max: 65535 }),
            (sizes, binaryChunksSize) =>
              Effect.runPromise(
                Effect.scoped(
                  Effect.gen(function* () {
                    const [client, server] = yield* connections(pair, { binaryChunksSize })
                    const messages = sizes.map((n, i) => pattern(n, i))
                    const sending = yield* Effect.forkChild(Effect.forEach(messages, client.write))
                    for (const m of messages) assert.deepStrictEqual((yield* server.read)[1], m)
                    yield* Fiber.join(sending)
                  })
                ).pipe(Effect.provide(CryptoBackend.layerNoble))
              )
          ),
          { numRuns: 15 }
        )
      )
    )
  })
}
