import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect, Stream } from "effect"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import { identities, point, startPool, until } from "./harness.ts"

const ids = identities(12)
const withCrypto = Effect.provide(CryptoBackend.layerNoble)

describe("Pool scenarios (Octez p2p-connection-pool, in memory)", () => {
  it.effect("simple: everyone connects to everyone, pings everyone, reads every ping", () =>
    Effect.gen(function* () {
      const n = 5
      const network = yield* MemoryNetwork.make()
      const pools = yield* Effect.forEach(ids.slice(0, n), (id, i) => startPool(network, id, i))
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) yield* pools[i]!.connect(point(j))
      }
      for (const pool of pools) yield* until(Effect.map(pool.connections, (c) => c.length === n - 1))
      for (const [i, pool] of pools.entries()) {
        const conns = yield* pool.connections
        assert.sameMembers(
          conns.map((c) => c.peerId),
          pools.filter((_, j) => j !== i).map((p) => p.peerId)
        )
        for (const c of conns) yield* pool.send(c.peerId, { _tag: "Ping", n: i })
      }
      for (const [i, pool] of pools.entries()) {
        const got = yield* Stream.runCollect(Stream.take(pool.messages, n - 1))
        assert.sameMembers(
          got.map(([from, m]) => `${from}:${m._tag === "Ping" ? m.n : -1}`),
          pools.flatMap((p, j) => (j === i ? [] : [`${p.peerId}:${j}`]))
        )
      }
      for (const pool of pools) {
        for (const c of yield* pool.connections) yield* pool.disconnect(c.peerId)
      }
      for (const pool of pools) yield* until(Effect.map(pool.connections, (c) => c.length === 0))
    }).pipe(withCrypto)
  )
})
