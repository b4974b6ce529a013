import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import { Effect } from "effect"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import { host, identities, rawPeer, startPool, until, waitFor } from "./harness.ts"

const ids = identities(3)

describe("throttled P2P messages (Octez throttle_callbacks)", () => {
  it.effect("a connection closed while its reader waits out a cooldown is torn down at once, not after 60 s", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const pool = yield* startPool(network, ids[0]!, 0)
      const events = yield* pool.subscribe
      const raw = yield* rawPeer(network, ids[1]!, host(1), { host: host(0), port: 9732 })
      yield* until(Effect.map(pool.connections, (cs) => cs.length === 1))
      // Two Swap_requests: the second waits Swap_request's 60 s cooldown before it is handled.
      const request = { _tag: "SwapRequest", point: "10.9.9.9:9732", peerId: ids[2]!.peerId } as const
      yield* raw.connection.write(request)
      yield* waitFor(events, (e) => e.event === "swap_request_received")
      yield* raw.connection.write(request)
      yield* raw.connection.close({ wait: true })
      // No clock moves: the reader's wait ends with the connection.
      const gone = yield* waitFor(events, (e) => e.event === "external_disconnection")
      assert.strictEqual(gone?.peerId, PeerId.toBase58(ids[1]!.peerId))
      assert.strictEqual((yield* pool.connections).length, 0)
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
})
