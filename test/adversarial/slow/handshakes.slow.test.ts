/**
 * 1,000 handshakes at once on loopback against the real listener: under a cap of 1,000 every one
 * completes; under a cap of 100 the first 100 complete and the other 900 are closed at once and
 * counted as refused. Identities need no proof of work (difficulty 0) and both sides use the
 * native crypto backend (noble where sodium-native is missing), so the run is dominated by the
 * sessions themselves. Afterwards a good peer still gets through and nothing leaked.
 */
import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Dialer from "@effect-p2p/node/Dialer"
import * as NativeCrypto from "@effect-p2p/node/NativeCrypto"
import { Deferred, Effect } from "effect"
import { withListener } from "../support/checks.ts"
import * as Listener from "../support/listener.ts"

const total = 1000

/**
 * Dials `total` sessions at once. Each that completes holds its session until every dialler has
 * been answered (so the cap is really reached), then has one message echoed. Returns each
 * dialler's outcome: `"Success"` or the tag of its error.
 */
const dialAll = (listener: Listener.Listener) =>
  Effect.gen(function* () {
    const identities = yield* Effect.forEach(Array.from({ length: total }), () => Identity.generate({ difficulty: 0 }))
    const release = yield* Deferred.make<void>()
    let settled = 0
    const settle = Effect.sync(() => {
      settled++
      if (settled === total) Deferred.doneUnsafe(release, Effect.void)
    })
    return yield* Effect.forEach(
      identities,
      (identity, i) =>
        Effect.scoped(
          Effect.gen(function* () {
            // Generous timeout: on a loaded machine 1,000 handshakes queue behind each other.
            const peer = yield* Dialer.connect(
              Listener.dialOptions(listener, identity, { timeout: "120 seconds", powDifficulty: 0 })
            ).pipe(Effect.tapError(() => settle))
            yield* settle
            yield* Deferred.await(release)
            const body = Uint8Array.of(i >>> 8, i & 0xff)
            yield* peer.connection.write({ tag: 0x10, body })
            const [, echoed] = yield* peer.connection.read
            assert.deepStrictEqual(echoed.body, body)
          })
        ).pipe(
          Effect.match({
            onSuccess: () => "Success",
            onFailure: (error) => (error as { readonly _tag: string })._tag
          })
        ),
      { concurrency: "unbounded" }
    )
  })

const count = (results: ReadonlyArray<string>, tag: string) => results.filter((r) => r === tag).length

const run = (maxConnections: number) =>
  Effect.gen(function* () {
    const crypto = yield* CryptoBackend.CryptoBackend
    return yield* withListener({ maxConnections, difficulty: 0, timeout: 120_000, backlog: 2048, crypto }, (listener) =>
      Effect.gen(function* () {
        const results = yield* dialAll(listener).pipe(Effect.provideService(CryptoBackend.CryptoBackend, crypto))
        const admitted = Math.min(total, maxConnections)
        assert.strictEqual(count(results, "Success"), admitted, `outcomes: ${[...new Set(results)]}`)
        assert.strictEqual(count(results, "ConnectionClosed"), total - admitted, `outcomes: ${[...new Set(results)]}`)
        const stats = listener.stats()
        assert.strictEqual(stats.established, admitted)
        assert.strictEqual(stats.refused, total - admitted)
        assert.strictEqual(stats.handshakeFailed, 0)
      })
    )
  }).pipe(Effect.provide(NativeCrypto.layerWithFallback))

describe("adversarial (slow): 1,000 concurrent handshakes", () => {
  it.live("with a cap of 1,000, all 1,000 complete", () => run(1000), 300_000)

  it.live("with a cap of 100, 100 complete and the other 900 are refused at once", () => run(100), 300_000)
})
