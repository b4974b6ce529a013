/**
 * Peers that stall: silence after connecting, one byte per second, and 200 of them at once while a
 * good peer connects. The listener's handshake budget ends each with `HandshakeTimeout`; no
 * assertion is made on how long that took.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Attacker from "./support/attacker.ts"
import { attack, goodPeer, withListener } from "./support/checks.ts"
import * as Listener from "./support/listener.ts"
import * as Raw from "./support/raw.ts"

describe("adversarial: slowloris", () => {
  it.live("silence after connecting ends with HandshakeTimeout", () =>
    withListener({ timeout: 1000 }, (listener) =>
      Effect.gen(function* () {
        const outcome = yield* attack(listener, () => Effect.void)
        assert.strictEqual(outcome.tag, "HandshakeTimeout")
      })
    )
  )

  it.live("a connection message at one byte per second ends with HandshakeTimeout", () =>
    withListener({ timeout: 1000 }, (listener) =>
      Effect.gen(function* () {
        const message = Attacker.connectionMessage(yield* Listener.makeIdentity)
        const outcome = yield* attack(listener, (raw) =>
          Effect.forkScoped(
            Effect.forEach(message, (byte) => Effect.andThen(raw.write(new Uint8Array([byte])), Effect.sleep(1000)), {
              discard: true
            })
          ).pipe(Effect.asVoid)
        )
        assert.strictEqual(outcome.tag, "HandshakeTimeout")
      })
    )
  )

  it.live("metadata at one byte per second ends with HandshakeTimeout", () =>
    withListener({ timeout: 1000 }, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const outcome = yield* attack(listener, (raw) =>
          Effect.gen(function* () {
            const keys = yield* Attacker.step1(raw, identity)
            const chunk = Attacker.seal(keys, Attacker.metadataPlaintext)
            yield* Effect.forkScoped(
              Effect.forEach(chunk, (byte) => Effect.andThen(raw.write(new Uint8Array([byte])), Effect.sleep(1000)), {
                discard: true
              })
            )
          })
        )
        assert.strictEqual(outcome.tag, "HandshakeTimeout")
      })
    )
  )

  it.live("an Ack that never comes ends with HandshakeTimeout in the accept step", () =>
    withListener({ timeout: 1000 }, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const outcome = yield* attack(listener, (raw) => Effect.asVoid(Attacker.step2(raw, identity)))
        assert.strictEqual(outcome.tag, "HandshakeTimeout")
        assert.strictEqual((outcome.error as { step: string }).step, "accept")
      })
    )
  )

  it.live("200 silent connections at once do not stop a good peer; each ends with HandshakeTimeout", () =>
    withListener({ timeout: 3000 }, (listener) =>
      Effect.scoped(
        Effect.gen(function* () {
          const raws = yield* Effect.forEach(Array.from({ length: 200 }), () => Raw.connect(listener.port), {
            concurrency: 50
          })
          while ((yield* listener.live) < 200) yield* Effect.sleep(10)
          yield* goodPeer(listener)
          // The good session ran while all 200 were still pending.
          assert.isAtLeast(yield* listener.live, 200)
          const tags = yield* Effect.forEach(
            raws,
            (raw) => Effect.map(listener.outcomeOf(raw.localPort), (o) => o.tag),
            {
              concurrency: "unbounded"
            }
          )
          assert.deepStrictEqual(new Set(tags), new Set(["HandshakeTimeout"]))
          assert.strictEqual(tags.length, 200)
          yield* Effect.forEach(raws, (raw) => raw.ended, { discard: true })
        })
      )
    )
  )
})
