/**
 * Hostile connection messages, the only plaintext of a session: wrong lengths, lying prefixes,
 * trailing bytes, too little proof of work and low-order public keys. Each case asserts the
 * listener's exact error and that it closed the connection, then that a good peer still gets
 * through and nothing leaked.
 */
import { assert, describe, it } from "@effect/vitest"
import * as CodecError from "@effect-p2p/codec/CodecError"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type { PowStamp, PublicKey } from "@effect-p2p/crypto/Keys"
import * as Keys from "@effect-p2p/crypto/Keys"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import { Effect } from "effect"
import * as Attacker from "./support/attacker.ts"
import { attack, withListener } from "./support/checks.ts"
import * as Listener from "./support/listener.ts"

const backend = CryptoBackend.noble
const framed = (body: Uint8Array) => {
  const out = new Uint8Array(2 + body.length)
  out[0] = body.length >>> 8
  out[1] = body.length & 0xff
  out.set(body, 2)
  return out
}
const decodeReason = (error: unknown) => (CodecError.isDecodeError(error) ? error.reason : "not a DecodeError")

/** A valid body from an honest identity, to be edited. */
const honestBody = Effect.map(Listener.makeIdentity, (identity) => Attacker.connectionMessage(identity).subarray(2))

/** Offset of the chain name's 4-byte length prefix inside the body. */
const chainNameAt = 2 + 32 + 24 + 24

describe("adversarial: connection message", () => {
  it.live("a length of 0 fails with DecodeError (NotEnoughBytes)", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const outcome = yield* attack(listener, (raw) => raw.write(new Uint8Array([0, 0])))
        assert.strictEqual(outcome.tag, "DecodeError")
        assert.strictEqual(decodeReason(outcome.error), "NotEnoughBytes")
      })
    )
  )

  it.live("a length of 1 fails with DecodeError (NotEnoughBytes)", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const outcome = yield* attack(listener, (raw) => raw.write(new Uint8Array([0, 1, 0x2a])))
        assert.strictEqual(outcome.tag, "DecodeError")
        assert.strictEqual(decodeReason(outcome.error), "NotEnoughBytes")
      })
    )
  )

  it.live("a length of 65535 with a well-formed body (65445-byte chain name) is read whole, then nacked", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const sent = Attacker.connectionMessage(identity, {
          version: { chainName: "A".repeat(65535 - 90), distributedDbVersion: 1, p2pVersion: 1 }
        })
        assert.strictEqual(sent.length, 65537)
        let nack: Uint8Array | undefined
        const outcome = yield* attack(listener, (raw) =>
          Effect.gen(function* () {
            yield* raw.write(sent)
            const received = yield* Attacker.readConnectionMessage(raw)
            const keys = Attacker.keysOf(identity, sent, received.bytes, received.message.publicKey)
            yield* raw.write(Attacker.seal(keys, Attacker.metadataPlaintext))
            assert.isDefined(yield* Attacker.readChunk(raw, keys))
            nack = yield* Attacker.readChunk(raw, keys)
          })
        )
        assert.strictEqual(outcome.tag, "Rejected")
        // Nack, motive 2 (Unknown_chain_name), no points.
        assert.deepStrictEqual(nack, new Uint8Array([0x01, 0x00, 0x02, 0, 0, 0, 0]))
      })
    )
  )

  it.live("a length of 65535 with a garbage body fails with DecodeError", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const body = backend.randomBytes(65535)
        // a chain name prefix that cannot fit what is left
        body.set([0x3f, 0xff, 0xff, 0xff], chainNameAt)
        const outcome = yield* attack(listener, (raw) => raw.write(framed(body)))
        assert.strictEqual(outcome.tag, "DecodeError")
      })
    )
  )

  it.live("a length larger than what follows, then silence, fails with HandshakeTimeout", () =>
    withListener({ timeout: 300 }, (listener) =>
      Effect.gen(function* () {
        const outcome = yield* attack(listener, (raw) => raw.write(new Uint8Array([0x01, 0x00, 1, 2, 3, 4, 5])))
        assert.strictEqual(outcome.tag, "HandshakeTimeout")
      })
    )
  )

  it.live("a length larger than what follows, then a close, fails with ConnectionClosed", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const outcome = yield* attack(listener, (raw) =>
          Effect.andThen(raw.write(new Uint8Array([0x01, 0x00, 1, 2, 3])), raw.end)
        )
        assert.strictEqual(outcome.tag, "ConnectionClosed")
      })
    )
  )

  it.live("trailing bytes inside the frame fail with DecodeError (TrailingBytes)", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const body = yield* honestBody
        const longer = new Uint8Array(body.length + 1)
        longer.set(body)
        const outcome = yield* attack(listener, (raw) => raw.write(framed(longer)))
        assert.strictEqual(outcome.tag, "DecodeError")
        assert.strictEqual(decodeReason(outcome.error), "TrailingBytes")
      })
    )
  )

  it.live("garbage right behind a valid frame is read as the metadata chunk: DecipherError", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const identity = yield* Listener.makeIdentity
        const garbage = new Uint8Array(2 + 40)
        garbage.set([0, 40])
        garbage.set(backend.randomBytes(40), 2)
        const message = Attacker.connectionMessage(identity)
        const both = new Uint8Array(message.length + garbage.length)
        both.set(message)
        both.set(garbage, message.length)
        const outcome = yield* attack(listener, (raw) => raw.write(both))
        assert.strictEqual(outcome.tag, "DecipherError")
      })
    )
  )

  for (const [name, prefix, reason] of [
    ["the uint30 maximum", [0x3f, 0xff, 0xff, 0xff], "NotEnoughBytes"],
    ["more than a uint30", [0xff, 0xff, 0xff, 0xff], undefined],
    ["one byte more than there is", undefined, "NotEnoughBytes"],
    ["fewer bytes than there are", [0, 0, 0, 2], undefined]
  ] as const) {
    it.live(`a chain name prefix announcing ${name} fails with DecodeError`, () =>
      withListener({}, (listener) =>
        Effect.gen(function* () {
          const body = yield* honestBody
          const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
          const actual = view.getUint32(chainNameAt)
          if (prefix === undefined) view.setUint32(chainNameAt, actual + 1)
          else body.set(prefix, chainNameAt)
          const outcome = yield* attack(listener, (raw) => raw.write(framed(body)))
          assert.strictEqual(outcome.tag, "DecodeError")
          if (reason !== undefined) assert.strictEqual(decodeReason(outcome.error), reason)
        })
      )
    )
  }

  it.live("a stamp below the target fails with NotEnoughProofOfWork before anything encrypted is sent", () =>
    withListener({}, (listener) =>
      Effect.gen(function* () {
        const target = ProofOfWork.target(Listener.difficulty)
        const keys = Keys.generateWith(backend)
        let stamp = backend.randomBytes(24) as PowStamp
        while (ProofOfWork.checkWith(backend, keys.publicKey, stamp, target))
          stamp = backend.randomBytes(24) as PowStamp
        const identity = { ...(yield* Listener.makeIdentity), publicKey: keys.publicKey, powStamp: stamp }
        let afterMessage = -1
        const outcome = yield* attack(listener, (raw) =>
          Effect.gen(function* () {
            yield* raw.write(Attacker.connectionMessage(identity))
            const received = yield* Attacker.readConnectionMessage(raw)
            yield* raw.ended
            afterMessage = raw.received() - received.bytes.length
          })
        )
        assert.strictEqual(outcome.tag, "NotEnoughProofOfWork")
        assert.strictEqual(afterMessage, 0, "the listener sent bytes after its connection message")
      })
    )
  )

  const lowOrder: ReadonlyArray<readonly [string, string]> = [
    ["all zeros", "00".repeat(32)],
    ["one (order 4 on the twist)", `01${"00".repeat(31)}`],
    ["a point of order 8", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"],
    ["another point of order 8", "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"],
    ["p - 1", `ec${"ff".repeat(30)}7f`],
    ["p", `ed${"ff".repeat(30)}7f`],
    ["p + 1", `ee${"ff".repeat(30)}7f`]
  ]
  for (const [name, hex] of lowOrder) {
    it.live(`a low-order public key (${name}) fails with InvalidPublicKey`, () =>
      withListener({}, (listener) =>
        Effect.gen(function* () {
          const publicKey = Keys.fromHex(hex) as PublicKey
          const stamp = yield* ProofOfWork.generate(publicKey, ProofOfWork.target(Listener.difficulty))
          const identity = { ...(yield* Listener.makeIdentity), publicKey, powStamp: stamp }
          const outcome = yield* attack(listener, (raw) => raw.write(Attacker.connectionMessage(identity)))
          assert.strictEqual(outcome.tag, "InvalidPublicKey")
        }).pipe(Effect.provide(CryptoBackend.layerNoble))
      )
    )
  }
})
