/**
 * The encrypted phase: the attacker completes as much of a real handshake as a case needs (with
 * the library's own framing, key agreement and sealing), then sends a short or huge chunk, flips
 * bits, replays or reorders chunks, announces an oversized message or a Nack with too many points.
 */
import { assert, describe, it } from "@effect/vitest"
import * as CodecError from "@effect-p2p/codec/CodecError"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import { Effect } from "effect"
import * as Attacker from "./support/attacker.ts"
import { attack, withListener } from "./support/checks.ts"
import * as Listener from "./support/listener.ts"
import type * as Raw from "./support/raw.ts"

const backend = CryptoBackend.noble
const decodeReason = (error: unknown) => (CodecError.isDecodeError(error) ? error.reason : "not a DecodeError")

type Stage = "metadata" | "ack" | "message"

/** Runs the handshake up to `stage` and returns the keys to seal the chunk of that stage with. */
const upTo = (stage: Stage, raw: Raw.Raw, identity: Parameters<typeof Attacker.step1>[1]) =>
  stage === "metadata"
    ? Attacker.step1(raw, identity)
    : stage === "ack"
      ? Attacker.step2(raw, identity)
      : Attacker.handshake(raw, identity)

const plaintextOf = (stage: Stage) =>
  stage === "metadata"
    ? Attacker.metadataPlaintext
    : stage === "ack"
      ? Attacker.ackPlaintext
      : Attacker.envelope(new Uint8Array(16).fill(7))

/** What the listener must report for a chunk of `stage` that does not authenticate. */
const tamperedTag = (stage: Stage) => (stage === "ack" ? "InvalidAuth" : "DecipherError")

/**
 * The expected outcome of flipping `bit` of a chunk whose body (tag and ciphertext) is `bodyLength`
 * bytes: a flip in the body or one that shortens the announced length fails to open; one that
 * announces fewer than 16 bytes is refused before reading; one that announces more leaves the
 * listener waiting for bytes that never come, until the attacker closes.
 */
const expectedFlip = (stage: Stage, bit: number, bodyLength: number) => {
  if (bit >= 16) return tamperedTag(stage)
  const announced = bodyLength ^ (1 << (15 - bit))
  if (announced < 16) return "InvalidIncomingCiphertextSize"
  if (announced < bodyLength) return tamperedTag(stage)
  return "ConnectionClosed"
}

const flipSweep = (stage: Stage, bits: (chunkBits: number) => ReadonlyArray<number>) =>
  withListener({}, (listener) =>
    Effect.gen(function* () {
      const identity = yield* Listener.makeIdentity
      const chunkLength = 2 + 16 + plaintextOf(stage).length
      const selected = bits(chunkLength * 8)
      const results = yield* Effect.forEach(
        selected,
        (bit) =>
          Effect.map(
            attack(listener, (raw) =>
              Effect.gen(function* () {
                const keys = yield* upTo(stage, raw, identity)
                const chunk = Attacker.seal(keys, plaintextOf(stage))
                chunk[bit >>> 3]! ^= 0x80 >>> (bit & 7)
                yield* raw.write(chunk)
                yield* raw.end
              })
            ),
            (outcome) => [bit, outcome.tag, expectedFlip(stage, bit, chunkLength - 2)] as const
          ),
        { concurrency: 4 }
      )
      const wrong = results.filter(([, got, want]) => got !== want)
      assert.deepStrictEqual(wrong, [], `${wrong.length} of ${results.length} flips gave the wrong outcome`)
      assert.strictEqual(results.length, selected.length)
    })
  )

const allBits = (n: number) => Array.from({ length: n }, (_, i) => i)

describe("adversarial: encrypted phase", () => {
  for (const stage of ["metadata", "message"] as const) {
    it.live(`a ${stage} chunk announcing fewer than 16 bytes fails with InvalidIncomingCiphertextSize`, () =>
      withListener({}, (listener) =>
        Effect.gen(function* () {
          const identity = yield* Listener.makeIdentity
          for (const length of [0, 1, 15]) {
            const outcome = yield* attack(listener, (raw) =>
              Effect.gen(function* () {
                yield* upTo(stage, raw, identity)
                const chunk = new Uint8Array(2 + length)
                chunk[1] = length
                yield* raw.write(chunk)
              })
            )
            assert.strictEqual(outcome.tag, "InvalidIncomingCiphertextSize")
            assert.strictEqual((outcome.error as { size: number }).size, length)
          }
        })
      )
    )

    it.live(`a ${stage} chunk announcing 65535 bytes, then a close, fails with ConnectionClosed`, () =>
      withListener({}, (listener) =>
        Effect.gen(function* () {
          const identity = yield* Listener.makeIdentity
          const outcome = yield* attack(listener, (raw) =>
            Effect.gen(function* () {
              yield* upTo(stage, raw, identity)
              const chunk = new Uint8Array(2 + 1000)
              chunk.set([0xff, 0xff])
              chunk.set(backend.randomBytes(1000), 2)
              yield* raw.write(chunk)
              yield* raw.end
            })
          )
          assert.strictEqual(outcome.tag, "ConnectionClosed")
        })
      )
    )
  }

  it.live("every bit of the metadata chunk flipped in turn: DecipherError (or the header's own outcome)", () =>
    flipSweep("metadata", allBits)
  )

  it.live("every bit of the Ack chunk flipped in turn: InvalidAuth (or the header's own outcome)", () =>
    flipSweep("ack", allBits)
  )

  it.live("every bit of a message chunk flipped in turn: DecipherError (or the header's own outcome)", () =>
    flipSweep("message", allBits)
  )

  it.live("a replayed message chunk fails with DecipherError", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const outcome = yield* attack(listener, (raw) =>
          Effect.gen(function* () {
            const keys = yield* Attacker.handshake(raw, identity)
            const message = Attacker.envelope(backend.randomBytes(32))
            const chunk = Attacker.seal(keys, message)
            yield* raw.write(chunk)
            assert.deepStrictEqual(yield* Attacker.readChunk(raw, keys), message)
            yield* raw.write(chunk)
          })
        )
        assert.strictEqual(outcome.tag, "DecipherError")
      })
    )
  )

  it.live("two message chunks sent in reverse order fail with DecipherError", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const outcome = yield* attack(listener, (raw) =>
          Effect.gen(function* () {
            const keys = yield* Attacker.handshake(raw, identity)
            const first = Attacker.seal(keys, Attacker.envelope(new Uint8Array([1])))
            const second = Attacker.seal(keys, Attacker.envelope(new Uint8Array([2])))
            yield* raw.write(second)
            yield* raw.write(first)
          })
        )
        assert.strictEqual(outcome.tag, "DecipherError")
      })
    )
  )

  it.live("a message announcing more than the envelope's 100 MiB bound fails with DecodeError after 4 bytes", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        for (const prefix of [
          [0x06, 0x40, 0x00, 0x01],
          [0x3f, 0xff, 0xff, 0xff],
          [0xff, 0xff, 0xff, 0xff]
        ]) {
          const outcome = yield* attack(listener, (raw) =>
            Effect.gen(function* () {
              const keys = yield* Attacker.handshake(raw, identity)
              yield* raw.write(Attacker.seal(keys, new Uint8Array(prefix)))
            })
          )
          assert.strictEqual(outcome.tag, "DecodeError", `prefix ${prefix}`)
        }
      })
    )
  )

  it.live(
    "with maxMessageSize 64 KiB, a message announcing 64 KiB + 1 fails with DecodeError (SizeLimitExceeded)",
    () =>
      withListener({ connection: { maxMessageSize: 65536 } }, (listener) =>
        Effect.gen(function* () {
          const identity = yield* Listener.makeIdentity
          const outcome = yield* attack(listener, (raw) =>
            Effect.gen(function* () {
              const keys = yield* Attacker.handshake(raw, identity)
              // envelope length 65533: 4 + 65533 = 65537 bytes in all
              yield* raw.write(Attacker.seal(keys, new Uint8Array([0, 0, 0xff, 0xfd, 0, 0x10])))
            })
          )
          assert.strictEqual(outcome.tag, "DecodeError")
          assert.strictEqual(decodeReason(outcome.error), "SizeLimitExceeded")
        })
      )
  )

  const nackWith = (points: number) => {
    const point = new TextEncoder().encode("10.0.0.1:9732")
    const list = new Uint8Array(points * (4 + point.length))
    const view = new DataView(list.buffer)
    for (let i = 0; i < points; i++) {
      view.setUint32(i * (4 + point.length), point.length)
      list.set(point, i * (4 + point.length) + 4)
    }
    const out = new Uint8Array(1 + 2 + 4 + list.length)
    const outView = new DataView(out.buffer)
    out[0] = 0x01
    outView.setInt16(1, 1)
    outView.setUint32(3, list.length)
    out.set(list, 7)
    return out
  }

  it.live("a Nack with 101 points fails with DecodeError (ListTooLong); with 100 it is RejectedByNack", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const run = (points: number) =>
          attack(listener, (raw) =>
            Effect.gen(function* () {
              const keys = yield* Attacker.step2(raw, identity)
              yield* raw.write(Attacker.seal(keys, nackWith(points)))
            })
          )
        const tooMany = yield* run(101)
        assert.strictEqual(tooMany.tag, "DecodeError")
        assert.strictEqual(decodeReason(tooMany.error), "ListTooLong")
        const most = yield* run(100)
        assert.strictEqual(most.tag, "RejectedByNack")
        const rejected = most.error as { motive: unknown; alternativePoints: { value: ReadonlyArray<string> } }
        assert.strictEqual(rejected.motive, "TooManyConnections")
        assert.strictEqual(rejected.alternativePoints.value.length, 100)
      })
    )
  )

  it.live("a valid session, then garbage, fails with DecipherError", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const outcome = yield* attack(listener, (raw) =>
          Effect.gen(function* () {
            const keys = yield* Attacker.handshake(raw, identity)
            const message = Attacker.envelope(backend.randomBytes(64))
            yield* raw.write(Attacker.seal(keys, message))
            assert.deepStrictEqual(yield* Attacker.readChunk(raw, keys), message)
            const garbage = backend.randomBytes(50)
            garbage.set([0, 48])
            yield* raw.write(garbage)
          })
        )
        assert.strictEqual(outcome.tag, "DecipherError")
      })
    )
  )
})
