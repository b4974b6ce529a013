import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { CryptoBackend, CryptoError, Identity, Keys, PeerId, ProofOfWork } from "@effect-p2p/crypto"
import { Effect, Schema } from "effect"
import { vectorPath } from "../../../test/support/vectors.ts"

const ocamlText = readFileSync(vectorPath("identities", "docker_identity_ocaml.json"), "utf8")
const ocaml = JSON.parse(ocamlText) as Record<string, string>
const withFields = (patch: Record<string, unknown>) => JSON.stringify({ ...ocaml, ...patch })

const provide = Effect.provide(CryptoBackend.layerNoble)

describe("Identity", () => {
  it.effect("toJson writes exactly what the OCaml node writes", () =>
    Effect.gen(function* () {
      const identity = yield* Identity.fromJson(ocamlText)
      expect(Identity.toJson(identity)).toBe(ocamlText)
      expect(Object.keys(JSON.parse(Identity.toJson(identity)))).toEqual([
        "peer_id",
        "public_key",
        "secret_key",
        "proof_of_work_stamp"
      ])
    }).pipe(provide)
  )

  it.effect("peer_id is optional on read and then computed", () =>
    Effect.gen(function* () {
      const { peer_id, ...rest } = ocaml
      const identity = yield* Identity.fromJson(JSON.stringify(rest))
      expect(PeerId.toBase58(identity.peerId)).toBe(peer_id)
    }).pipe(provide)
  )

  it.effect("wrong inputs fail with the right tagged error and a readable message", () =>
    Effect.gen(function* () {
      const otherPeer = "idsg2wkkDDv2cbEMK4zH49fjgyn7XT"
      const cases: ReadonlyArray<readonly [string, string, RegExp, number?]> = [
        ["not json", "InvalidIdentityFile", /invalid identity file/],
        ["[]", "InvalidIdentityFile", /invalid identity file/],
        [withFields({ public_key: "zz" }), "InvalidIdentityFile", /public_key/],
        [withFields({ secret_key: undefined }), "InvalidIdentityFile", /secret_key/],
        [withFields({ proof_of_work_stamp: "00" }), "InvalidIdentityFile", /24 bytes as 48 hex digits/],
        [withFields({ extra: 1 }), "InvalidIdentityFile", /extra/],
        [withFields({ peer_id: "nonsense" }), "InvalidPeerId", /invalid peer id/],
        [withFields({ peer_id: otherPeer }), "IdentityMismatch", /idsg2wkk.*idrRoknJ/],
        [withFields({ secret_key: "00".repeat(32) }), "KeysMismatch", /does not give the public key/],
        [ocamlText, "InsufficientProofOfWork", /expected difficulty 27, the stamp meets 26/, 27],
        [ocamlText, "InvalidDifficulty", /must be a number in \[0, 256\]/, 300]
      ]
      for (const [text, tag, message, expectedDifficulty] of cases) {
        const error = yield* Effect.flip(Identity.fromJson(text, { expectedDifficulty }))
        expect(error._tag, text).toBe(tag)
        expect(error.message, text).toMatch(message)
        expect(CryptoError.isCryptoError(error)).toBe(true)
      }
    }).pipe(provide)
  )

  it("the file Schema reports the failing field", () => {
    const result = Schema.decodeUnknownExit(Identity.IdentityFile)({ public_key: "00" })
    expect(String(result)).toMatch(/public_key|secret_key/)
  })

  it.effect("generate makes an identity that reads back and checks", () =>
    Effect.gen(function* () {
      const identity = yield* Identity.generate({ difficulty: 10 })
      yield* Identity.check(identity, 10)
      const back = yield* Identity.fromJson(Identity.toJson(identity), { expectedDifficulty: 10 })
      expect(Keys.toHex(back.secretKey)).toBe(Keys.toHex(identity.secretKey))
      expect(ProofOfWork.difficultyMet(back.publicKey, back.powStamp)).toBeGreaterThanOrEqual(10)
      const bad = yield* Effect.flip(Identity.generate({ difficulty: -1 }))
      expect(bad._tag).toBe("InvalidDifficulty")
    }).pipe(provide)
  )
})

describe("Keys", () => {
  it("constructors check lengths (a table of wrong sizes) and copy their input", () => {
    const table = [
      [Keys.publicKey, "PublicKey", 32],
      [Keys.secretKey, "SecretKey", 32],
      [Keys.channelKey, "ChannelKey", 32],
      [Keys.powStamp, "PowStamp", 24]
    ] as const
    for (const [make, what, size] of table) {
      for (const wrong of [0, size - 1, size + 1, 64]) {
        const r = make(new Uint8Array(wrong))
        expect(r._tag === "Failure" && r.failure.message).toBe(`${what} must be ${size} bytes, got ${wrong}`)
      }
      const input = new Uint8Array(size).fill(1)
      const r = make(input)
      input[0] = 9
      expect(r._tag === "Success" && r.success[0]).toBe(1)
    }
    expect(Keys.fromHex("0aFf")).toEqual(new Uint8Array([10, 255]))
    expect(Keys.fromHex("0g")).toBeUndefined()
    expect(Keys.fromHex("abc")).toBeUndefined()
  })

  it("generateWith gives a consistent key pair", () => {
    const keys = Keys.generateWith(CryptoBackend.noble)
    expect(Keys.toHex(CryptoBackend.noble.publicKeyOf(keys.secretKey))).toBe(Keys.toHex(keys.publicKey))
  })
})
