/**
 * Floods: more connections than the cap, a peer that never reads our writes, and a peer that
 * writes faster than we read. The listener must refuse cleanly over the cap, and bound what it
 * buffers by its queues (backpressure reaches the attacker through TCP), not by what it is sent.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "@effect-p2p/connection/Chunk"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Dialer from "@effect-p2p/node/Dialer"
import { Deferred, Effect } from "effect"
import * as Attacker from "./support/attacker.ts"
import { attack, withListener } from "./support/checks.ts"
import { floodUntilStalled, kernelBuffers, memory } from "./support/flood.ts"
import * as Listener from "./support/listener.ts"

const queues = { incomingQueueSize: 64 * 1024, outgoingQueueSize: 64 * 1024 }
const cap = 64 * 1024 * 1024
/** What the listener may hold beyond its queues: kernel-side copies, parsers, one chunk in flight, GC slack. */
const margin = 48 * 1024 * 1024

describe("adversarial: floods", () => {
  it.live("over maxConnections, connections are refused at once; the sessions under the cap complete", () =>
    withListener({ maxConnections: 20, timeout: 10_000 }, (listener) =>
      Effect.gen(function* () {
        const total = 60
        const identities = yield* Effect.forEach(Array.from({ length: total }), () => Listener.makeIdentity)
        const release = yield* Deferred.make<void>()
        let settled = 0
        const settle = Effect.sync(() => {
          settled++
          if (settled === total) Deferred.doneUnsafe(release, Effect.void)
        })
        const results = yield* Effect.forEach(
          identities,
          (identity) =>
            Effect.scoped(
              Effect.gen(function* () {
                const peer = yield* Dialer.connect(
                  Listener.dialOptions(listener, identity, { timeout: "10 seconds" })
                ).pipe(Effect.tapError(() => settle))
                yield* settle
                // Hold the session until every dialler has been answered, so the cap is really reached.
                yield* Deferred.await(release)
                return peer.info.peerId.length
              })
            ).pipe(
              Effect.match({ onSuccess: () => "Success", onFailure: (error) => (error as { _tag: string })._tag })
            ),
          { concurrency: "unbounded" }
        )
        const count = (tag: string) => results.filter((r) => r === tag).length
        assert.strictEqual(count("Success"), 20)
        assert.strictEqual(count("ConnectionClosed"), total - 20, `outcomes: ${[...new Set(results)]}`)
        assert.strictEqual(listener.stats().refused, total - 20)
      }).pipe(Effect.provide(CryptoBackend.layerNoble))
    )
  )

  it.live("a peer that never reads while we echo: our buffers stay bounded, backpressure stalls it", () =>
    withListener({ connection: queues }, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const before = memory()
        let result = { sent: 0, stalled: false }
        let peak = 0
        const outcome = yield* attack(listener, (raw) =>
          Effect.gen(function* () {
            const keys = yield* Attacker.handshake(raw, identity)
            raw.pause()
            result = yield* floodUntilStalled(raw, keys, cap)
            peak = memory() - before
            yield* raw.destroy
          })
        )
        assert.isTrue(result.stalled, `sent ${result.sent} bytes without being slowed down`)
        assert.isBelow(peak, margin, `memory grew by ${peak} bytes`)
        assert.strictEqual(outcome.tag, "ConnectionClosed")
      })
    )
  )

  it.live(
    "a peer that writes as fast as it can while we read slowly: what we hold stays within the queue and kernel bounds, TCP slows it down, and after its reset the connection ends once drained",
    () => {
      const incomingQueueSize = 256 * 1024
      // 64 KiB messages (two chunks each), one read every 20 ms: a few MiB per second, while the
      // attacker could send far more.
      const plaintext = Attacker.envelope(new Uint8Array(64 * 1024).fill(0x5a))
      const wirePerMessage = plaintext.length + 2 * (Chunk.headerLength + Chunk.tagLength)
      let attackerId = ""
      let consumed = 0
      const slowReader = (peer: Listener.Peer) =>
        PeerId.toBase58(peer.info.peerId) === attackerId
          ? Effect.forever(
              peer.connection.read.pipe(
                Effect.andThen(
                  Effect.sync(() => {
                    consumed++
                  })
                ),
                Effect.andThen(Effect.sleep(20))
              )
            )
          : Listener.echo(peer)
      return withListener(
        { connection: { incomingQueueSize, outgoingQueueSize: 64 * 1024 }, serve: slowReader },
        (listener) =>
          Effect.gen(function* () {
            const identity = yield* Listener.makeIdentity
            attackerId = PeerId.toBase58(identity.peerId)
            // What may sit between the attacker's Node buffer and our application: both kernels'
            // socket buffers at their largest, our queue, and a few chunks in Node's stream, the byte
            // reader, the decoder and the reader fiber.
            const bound = kernelBuffers() + incomingQueueSize + 8 * Chunk.maxChunkSize
            const before = memory()
            let peakHeld = 0
            let peakMemory = 0
            let attempted = 0
            let refusals = 0
            let atReset = 0
            const outcome = yield* attack(
              listener,
              (raw) =>
                Effect.gen(function* () {
                  const keys = yield* Attacker.handshake(raw, identity)
                  // Long enough that a listener without backpressure would take far more than `bound`.
                  while (consumed < 96) {
                    // As fast as it can: write until Node says its buffer is over the mark...
                    while (raw.writeNoWait(Attacker.seal(keys, plaintext))) attempted += wirePerMessage
                    attempted += wirePerMessage
                    refusals++
                    peakHeld = Math.max(peakHeld, raw.accepted() - consumed * wirePerMessage)
                    peakMemory = Math.max(peakMemory, memory() - before)
                    // ...then wait for room, which only our reading makes.
                    yield* raw.drained
                  }
                  atReset = consumed
                  yield* raw.destroy
                }),
              "60 seconds"
            )
            assert.isAtLeast(refusals, 1, "the attacker's writes were never held back")
            assert.isAtMost(peakHeld, bound, `the attacker got ${peakHeld} bytes past us (bound ${bound})`)
            assert.isBelow(
              peakMemory,
              incomingQueueSize + margin,
              `memory grew by ${peakMemory} bytes while ${attempted} were attempted`
            )
            // Messages received before the reset stay readable: the application read on, then the
            // reset surfaced as the end of the connection.
            assert.strictEqual(outcome.tag, "ConnectionClosed")
            assert.isAbove(consumed, atReset, "nothing was read after the reset")
          })
      )
    },
    120_000
  )
})
