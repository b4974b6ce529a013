/**
 * The suite every `CryptoBackend` must pass, written once and called with each backend's layer
 * (noble and WebAssembly here, native from packages/node/test) and an oracle that is not the backend
 * itself (see oracles.ts): the Tezos vectors, RFC 7748, Wycheproof's 518 X25519 cases and NaCl's
 * classic box and secretbox vectors, then properties on random inputs checked against the oracle.
 */

import { readdirSync, readFileSync } from "node:fs"
import { expect, layer } from "@effect/vitest"
import { Box, CryptoBackend, Identity, Keys, Nonce, PeerId, ProofOfWork } from "@effect-p2p/crypto"
import { Effect, type Layer, Result } from "effect"
import * as fc from "fast-check"
import { hex, p2pVectors, readJsonVector, toHex, vectorPath } from "../../../test/support/vectors.ts"
import type { Oracle } from "./oracles.ts"

interface IdentityVector {
  readonly id: string
  readonly peer_id: string
  readonly peer_id_raw: string
  readonly public_key: string
  readonly secret_key: string
  readonly proof_of_work_stamp: string
  readonly pow_hash: string
  readonly max_integer_difficulty: number
}

const vectors = p2pVectors() as {
  blake2b: ReadonlyArray<{ input_utf8: string; out_len: number; hash: string }>
  nonce_derivation: ReadonlyArray<{ sent: string; recv: string; incoming: boolean; local: string; remote: string }>
  precompute: ReadonlyArray<{ public_key: string; secret_key: string; channel_key: string }>
  box: ReadonlyArray<{ channel_key: string; nonce: string; plaintext: string; boxed: string }>
  pow_check: ReadonlyArray<{ public_key: string; stamp: string; passes: Array<number>; fails: Array<number> }>
  peer_id: ReadonlyArray<{ public_key: string; raw: string; base58: string }>
  identities: ReadonlyArray<IdentityVector>
  session_transcript: {
    file: string
    local_identity: string
    incoming: boolean
    remote_public_key: string
    remote_peer_id: string
    channel_key: string
    initial_local_nonce: string
    initial_remote_nonce: string
  }
}

interface WycheproofX25519 {
  readonly numberOfTests: number
  readonly testGroups: ReadonlyArray<{
    readonly curve: string
    readonly tests: ReadonlyArray<{
      readonly tcId: number
      readonly comment: string
      readonly flags: ReadonlyArray<string>
      readonly public: string
      readonly private: string
      readonly shared: string
      readonly result: "valid" | "acceptable" | "invalid"
    }>
  }>
}
const wycheproof = readJsonVector<WycheproofX25519>("wycheproof", "x25519_test.json")

/** NaCl's classic vectors in their zero-padded form: `m` has 32 leading zero bytes, `c_from_16` is `tag || ciphertext`. */
const nacl = readJsonVector<{
  secretbox: { key: string; nonce: string; m: string; c_from_16: string }
  box: {
    alice_secret_key: string
    bob_public_key: string
    small_order_public_key: string
    nonce: string
    m: string
    c_from_16: string
  }
}>("nacl-classic.json")

/** Low-order u-coordinates (and non-canonical encodings of them): X25519 with any gives all zeros. */
const lowOrderPoints = [
  "00".repeat(32),
  `01${"00".repeat(31)}`,
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
]

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
/** Lengths around every Poly1305 block and Salsa20 block boundary, and longer ones. */
const textLength = fc.oneof(
  fc.constantFrom(0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129),
  fc.integer({ min: 0, max: 3000 })
)
const hexOrNone = (b: Uint8Array | undefined) => (b === undefined ? "refused" : toHex(b))
/** Never gives a plaintext: returns `undefined`, `false`, or throws. */
const refuses = (f: () => unknown): boolean => {
  try {
    const r = f()
    return r === undefined || r === false
  } catch {
    return true
  }
}

const pk = (s: string) => hex(s) as Keys.PublicKey
const sk = (s: string) => hex(s) as Keys.SecretKey
const ck = (s: string) => hex(s) as Keys.ChannelKey
const nonce = (s: string) => hex(s) as Nonce.Nonce
const stamp = (s: string) => hex(s) as Keys.PowStamp

/** Runs the whole suite against one backend layer, checked against `oracle`, which must be another implementation. */
export const backendSuite = <E>(
  name: string,
  backendLayer: Layer.Layer<CryptoBackend.CryptoBackend, E>,
  oracle: Effect.Effect<Oracle>
): void => {
  layer(backendLayer)(`CryptoBackend ${name}: vectors`, (it) => {
    it.effect("the oracle is another implementation", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        const o = yield* oracle
        for (const op of ["x25519", "publicKeyOf", "precompute", "seal", "open", "blake2b"] as const)
          expect(o[op], op).not.toBe(b[op])
      })
    )

    it.effect(
      "RFC 7748: the scalar multiplication vectors (5.2), 1 and 1,000 iterations, the Diffie-Hellman example (6.1)",
      () =>
        CryptoBackend.CryptoBackend.useSync((b) => {
          const x = (k: string, u: string) => hexOrNone(b.x25519(hex(k), hex(u)))
          expect(
            x(
              "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
              "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"
            )
          ).toBe("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
          // A u-coordinate with its top bit set, which X25519 masks.
          expect(
            x(
              "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
              "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"
            )
          ).toBe("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")
          let k = hex(`09${"00".repeat(31)}`)
          let u = k
          for (let i = 1; i <= 1000; i++) {
            const next = b.x25519(k, u)!
            u = k
            k = next
            if (i === 1) expect(toHex(k)).toBe("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
          }
          expect(toHex(k)).toBe("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
          const alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
          const bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
          expect(toHex(b.publicKeyOf(alice))).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
          expect(toHex(b.publicKeyOf(bob))).toBe("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
          const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
          expect(hexOrNone(b.x25519(alice, b.publicKeyOf(bob)))).toBe(shared)
          expect(hexOrNone(b.x25519(bob, b.publicKeyOf(alice)))).toBe(shared)
        })
    )

    it.effect("Wycheproof X25519: every case gives its shared secret, and every all-zero one is refused", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        const cases = wycheproof.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, curve: g.curve })))
        expect(cases.length).toBe(518)
        expect(wycheproof.numberOfTests).toBe(518)
        let zero = 0
        for (const t of cases) {
          const what = `tcId ${t.tcId} (${t.comment}; ${t.flags.join(", ")})`
          expect(t.curve, what).toBe("curve25519")
          expect(["valid", "acceptable"], what).toContain(t.result)
          if (t.shared === "00".repeat(32)) {
            zero++
            expect(b.x25519(hex(t.private), hex(t.public)), what).toBeUndefined()
            const error = yield* Effect.flip(Box.precompute(sk(t.private), pk(t.public)))
            expect(error._tag, what).toBe("InvalidPublicKey")
          } else {
            expect(hexOrNone(b.x25519(hex(t.private), hex(t.public))), what).toBe(t.shared)
          }
        }
        expect(zero).toBe(31)
      })
    )

    it.effect("NaCl classic vectors: crypto_secretbox, crypto_box, and the small-order key beforenm refuses", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        const s = nacl.secretbox
        const m = hex(s.m).subarray(32)
        expect(toHex(b.seal(hex(s.key), hex(s.nonce), m))).toBe(s.c_from_16)
        expect(hexOrNone(b.open(hex(s.key), hex(s.nonce), hex(s.c_from_16)))).toBe(toHex(m))
        const x = nacl.box
        const key = yield* Box.precompute(sk(x.alice_secret_key), pk(x.bob_public_key))
        const boxed = yield* Box.seal(key, nonce(x.nonce), hex(x.m).subarray(32))
        expect(toHex(boxed)).toBe(x.c_from_16)
        expect(toHex(yield* Box.open(key, nonce(x.nonce), hex(x.c_from_16)))).toBe(toHex(hex(x.m).subarray(32)))
        expect(b.precompute(hex(x.alice_secret_key), hex(x.small_order_public_key))).toBeUndefined()
        const error = yield* Effect.flip(Box.precompute(sk(x.alice_secret_key), pk(x.small_order_public_key)))
        expect(error._tag).toBe("InvalidPublicKey")
      })
    )

    it.effect("blake2b with 16- and 32-byte outputs", () =>
      CryptoBackend.CryptoBackend.useSync((b) => {
        for (const v of vectors.blake2b) {
          expect(toHex(b.blake2b(new TextEncoder().encode(v.input_utf8), v.out_len))).toBe(v.hash)
        }
      })
    )

    it.effect("channel key (crypto_box_beforenm)", () =>
      Effect.gen(function* () {
        for (const v of vectors.precompute) {
          const key = yield* Box.precompute(sk(v.secret_key), pk(v.public_key))
          expect(toHex(key)).toBe(v.channel_key)
        }
      })
    )

    it.effect("seal gives tag || ciphertext and open inverts it", () =>
      Effect.gen(function* () {
        for (const v of vectors.box) {
          const boxed = yield* Box.seal(ck(v.channel_key), nonce(v.nonce), hex(v.plaintext))
          expect(toHex(boxed)).toBe(v.boxed)
          const opened = yield* Box.open(ck(v.channel_key), nonce(v.nonce), hex(v.boxed))
          expect(toHex(opened)).toBe(v.plaintext)
        }
      })
    )

    it.effect("nonce derivation from the framed connection messages, both roles", () =>
      Effect.gen(function* () {
        for (const v of vectors.nonce_derivation) {
          const n = yield* Nonce.fromConnectionMessages({
            incoming: v.incoming,
            sent: hex(v.sent),
            received: hex(v.recv)
          })
          expect(toHex(n.local)).toBe(v.local)
          expect(toHex(n.remote)).toBe(v.remote)
        }
      })
    )

    it.effect("proof-of-work check", () =>
      Effect.gen(function* () {
        for (const v of vectors.pow_check) {
          for (const d of v.passes)
            expect(yield* ProofOfWork.check(pk(v.public_key), stamp(v.stamp), ProofOfWork.target(d))).toBe(true)
          for (const d of v.fails)
            expect(yield* ProofOfWork.check(pk(v.public_key), stamp(v.stamp), ProofOfWork.target(d))).toBe(false)
        }
      })
    )

    it.effect("peer id", () =>
      Effect.gen(function* () {
        for (const v of vectors.peer_id) {
          const id = yield* PeerId.fromPublicKey(pk(v.public_key))
          expect(toHex(id)).toBe(v.raw)
          expect(PeerId.toBase58(id)).toBe(v.base58)
        }
      })
    )

    it.effect("the 11 identities: peer id, key pair, PoW hash, highest difficulty met and the next one failed", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        expect(vectors.identities.length).toBe(11)
        for (const v of vectors.identities) {
          const publicKey = pk(v.public_key)
          const powStamp = stamp(v.proof_of_work_stamp)
          const id = yield* PeerId.fromPublicKey(publicKey)
          expect(toHex(id), v.id).toBe(v.peer_id_raw)
          expect(PeerId.toBase58(id), v.id).toBe(v.peer_id)
          expect(toHex(b.publicKeyOf(sk(v.secret_key))), v.id).toBe(v.public_key)
          expect(toHex(b.blake2b(hex(v.public_key + v.proof_of_work_stamp), 32)), v.id).toBe(v.pow_hash)
          const d = v.max_integer_difficulty
          expect(yield* ProofOfWork.check(publicKey, powStamp, ProofOfWork.target(d)), v.id).toBe(true)
          expect(yield* ProofOfWork.check(publicKey, powStamp, ProofOfWork.target(d + 1)), v.id).toBe(false)
          expect(ProofOfWork.difficultyMet(publicKey, powStamp), v.id).toBe(d)
          const identity = yield* Identity.fromJson(
            JSON.stringify({
              peer_id: v.peer_id,
              public_key: v.public_key,
              secret_key: v.secret_key,
              proof_of_work_stamp: v.proof_of_work_stamp
            }),
            { expectedDifficulty: d }
          )
          expect(PeerId.toBase58(identity.peerId)).toBe(v.peer_id)
        }
      })
    )

    it.effect("every identity file in vectors/identities loads and checks at difficulty 26", () =>
      Effect.gen(function* () {
        const files = readdirSync(vectorPath("identities")).filter((f) => f.endsWith(".json"))
        expect(files.length).toBeGreaterThanOrEqual(10)
        for (const file of files) {
          const text = readFileSync(vectorPath("identities", file), "utf8")
          const identity = yield* Identity.fromJson(text, { expectedDifficulty: 26 })
          expect(PeerId.toBase58(identity.peerId)).toBe(JSON.parse(text).peer_id)
        }
      })
    )

    it.effect("recorded session: channel key, initial nonces, and the first sent chunk opens", () =>
      Effect.gen(function* () {
        const t = vectors.session_transcript
        const local = yield* Identity.fromJson(readFileSync(vectorPath(t.local_identity), "utf8"))
        const key = yield* Box.precompute(local.secretKey, pk(t.remote_public_key))
        expect(toHex(key)).toBe(t.channel_key)
        const remoteId = yield* PeerId.fromPublicKey(pk(t.remote_public_key))
        expect(PeerId.toBase58(remoteId)).toBe(t.remote_peer_id)
        const rows = readFileSync(vectorPath(t.file), "utf8")
          .trim()
          .split("\n")
          .slice(1)
          .map((line) => line.split(","))
        const sent = rows.filter((r) => r[0] === "Sent").map((r) => hex(r[1]!))
        const received = rows.filter((r) => r[0] === "Received").map((r) => hex(r[1]!))
        const n = yield* Nonce.fromConnectionMessages({ incoming: t.incoming, sent: sent[0]!, received: received[0]! })
        expect(toHex(n.local)).toBe(t.initial_local_nonce)
        expect(toHex(n.remote)).toBe(t.initial_remote_nonce)
        // Second sent row: u16 length, then the metadata chunk sealed with the initial local nonce.
        const chunk = sent[1]!
        expect(chunk.length).toBe(2 + ((chunk[0]! << 8) | chunk[1]!))
        const metadata = yield* Box.open(key, n.local, chunk.subarray(2))
        expect(metadata.length).toBe(chunk.length - 2 - Box.tagLength)
        const firstReceived = received[1]!
        yield* Box.open(key, n.remote, firstReceived.subarray(2))
      })
    )
  })

  layer(backendLayer)(`CryptoBackend ${name}: properties`, (it) => {
    it.effect("open(seal(m)) = m, and the box is 16 bytes longer", () =>
      CryptoBackend.CryptoBackend.useSync((b) =>
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
            fc.uint8Array({ minLength: 24, maxLength: 24 }),
            fc.uint8Array({ maxLength: 2000 }),
            (key, n, m) => {
              const boxed = b.seal(key, n, m)
              expect(boxed.length).toBe(m.length + Box.tagLength)
              expect(b.open(key, n, boxed)).toEqual(m)
            }
          ),
          { numRuns: 100 }
        )
      )
    )

    it.effect("sealInPlace and openInPlace give the same bytes as seal and open, and refuse a flipped bit", () =>
      CryptoBackend.CryptoBackend.useSync((b) =>
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
            fc.uint8Array({ minLength: 24, maxLength: 24 }),
            fc.uint8Array({ maxLength: 2000 }),
            fc.nat(),
            (key, n, m, where) => {
              // Inside a larger buffer, as the connection uses them: the bytes around must not change.
              const buffer = new Uint8Array(m.length + Box.tagLength + 8).fill(0xa5)
              const box = buffer.subarray(4, 4 + Box.tagLength + m.length)
              box.set(m, Box.tagLength)
              CryptoBackend.sealInPlace(b, key, n, box)
              expect(toHex(box)).toBe(toHex(b.seal(key, n, m)))
              const sealed = box.slice()
              expect(CryptoBackend.openInPlace(b, key, n, box)).toBe(true)
              expect(toHex(box.subarray(Box.tagLength))).toBe(toHex(m))
              expect([...buffer.subarray(0, 4), ...buffer.subarray(buffer.length - 4)]).toEqual(Array(8).fill(0xa5))
              const bit = where % (sealed.length * 8)
              sealed[bit >>> 3]! ^= 1 << (bit & 7)
              expect(CryptoBackend.openInPlace(b, key, n, sealed)).toBe(false)
            }
          ),
          { numRuns: 100 }
        )
      )
    )

    it.effect("openInPlace refuses a box shorter than the tag", () =>
      CryptoBackend.CryptoBackend.useSync((b) => {
        expect(CryptoBackend.openInPlace(b, new Uint8Array(32), Nonce.zero(), new Uint8Array(15))).toBe(false)
      })
    )

    it.effect("flipping any bit of a sealed box fails with DecipherError", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
            fc.uint8Array({ minLength: 24, maxLength: 24 }),
            fc.uint8Array({ maxLength: 300 }),
            fc.nat(),
            (key, n, m, where) => {
              const boxed = b.seal(key, n, m)
              const bit = where % (boxed.length * 8)
              boxed[bit >>> 3]! ^= 1 << (bit & 7)
              const result = Effect.runSync(
                Effect.result(Box.open(ck(toHex(key)), nonce(toHex(n)), boxed)).pipe(
                  Effect.provideService(CryptoBackend.CryptoBackend, b)
                )
              )
              expect(Result.isFailure(result) && result.failure._tag).toBe("DecipherError")
            }
          ),
          { numRuns: 200 }
        )
        // A box shorter than the tag is refused too, never thrown.
        const short = yield* Effect.flip(Box.open(ck("00".repeat(32)), Nonce.zero(), new Uint8Array(15)))
        expect(short._tag).toBe("DecipherError")
      })
    )

    it.effect("both ends compute the same channel key; low-order peer keys fail with InvalidPublicKey", () =>
      Effect.gen(function* () {
        const a = yield* Keys.generate
        const c = yield* Keys.generate
        const k1 = yield* Box.precompute(a.secretKey, c.publicKey)
        const k2 = yield* Box.precompute(c.secretKey, a.publicKey)
        expect(toHex(k1)).toBe(toHex(k2))
        // The all-zero point and the point of order 8 "e0eb7a7c…" both give an all-zero shared secret.
        for (const low of [
          "00".repeat(32),
          `01${"00".repeat(31)}`,
          "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"
        ]) {
          const error = yield* Effect.flip(Box.precompute(a.secretKey, pk(low)))
          expect(error._tag).toBe("InvalidPublicKey")
          expect((yield* CryptoBackend.CryptoBackend).x25519(a.secretKey, pk(low))).toBeUndefined()
        }
      })
    )

    it.effect("agrees with the oracle on random inputs: blake2b of every length, X25519, precompute, seal, open", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        const o = yield* oracle
        fc.assert(
          fc.property(
            fc.uint8Array({ maxLength: 300 }),
            fc.integer({ min: 1, max: 64 }),
            bytes(32),
            (data, outLen, secret) => {
              expect(toHex(b.blake2b(data, outLen))).toBe(toHex(o.blake2b(data, outLen)))
              expect(toHex(b.publicKeyOf(secret))).toBe(toHex(o.publicKeyOf(secret)))
              const peer = o.publicKeyOf(data.length >= 32 ? data.subarray(0, 32) : secret)
              expect(hexOrNone(b.x25519(secret, peer))).toBe(hexOrNone(o.x25519(secret, peer)))
              expect(hexOrNone(b.precompute(secret, peer))).toBe(hexOrNone(o.precompute(secret, peer)))
              const n = o.blake2b(secret, 24)
              const boxed = o.seal(secret, n, data)
              expect(toHex(b.seal(secret, n, data))).toBe(toHex(boxed))
              expect(hexOrNone(b.open(secret, n, boxed))).toBe(toHex(data))
            }
          ),
          { numRuns: 30 }
        )
      })
    )

    it.effect(
      "X25519 agrees with the oracle on any 32 bytes as u (non-canonical, top bit set, off the curve) and refuses low-order points",
      () =>
        Effect.gen(function* () {
          const b = yield* CryptoBackend.CryptoBackend
          const o = yield* oracle
          fc.assert(
            fc.property(bytes(32), bytes(32), (scalar, u) => {
              const [s, p] = [toHex(scalar), toHex(u)]
              expect(hexOrNone(b.x25519(scalar, u))).toBe(hexOrNone(o.x25519(scalar, u)))
              expect([toHex(scalar), toHex(u)]).toEqual([s, p]) // inputs untouched
            }),
            { numRuns: 40 }
          )
          const scalar = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
          for (const low of lowOrderPoints) {
            expect(b.x25519(scalar, hex(low)), low).toBeUndefined()
            expect(b.precompute(scalar, hex(low)), low).toBeUndefined()
            expect(o.x25519(scalar, hex(low)), low).toBeUndefined()
          }
        })
    )

    it.effect("seals in place and not to the oracle's bytes at every block boundary, and opens them back", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        const o = yield* oracle
        fc.assert(
          fc.property(bytes(32), bytes(24), textLength, fc.integer({ min: 0, max: 255 }), (key, n, length, seed) => {
            const text = Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)
            const expected = toHex(o.seal(key, n, text))
            expect(toHex(b.seal(key, n, text))).toBe(expected)
            const box = new Uint8Array(16 + length)
            box.set(text, 16)
            CryptoBackend.sealInPlace(b, key, n, box)
            expect(toHex(box)).toBe(expected)
            expect(CryptoBackend.openInPlace(b, key, n, box)).toBe(true)
            expect(toHex(box.subarray(16))).toBe(toHex(text))
          }),
          { numRuns: 200 }
        )
      })
    )

    it.effect("gives the oracle's boxes on extreme inputs (all-zero and all-ones keys, nonces and texts)", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        const o = yield* oracle
        for (const fill of [0x00, 0xff]) {
          for (const n of [0, 16, 17, 64, 1000, 4096, 65519]) {
            const key = new Uint8Array(32).fill(fill)
            const nonce24 = new Uint8Array(24).fill(fill)
            const text = new Uint8Array(n).fill(0xff)
            const box = new Uint8Array(16 + n).fill(0xff)
            CryptoBackend.sealInPlace(b, key, nonce24, box)
            expect(toHex(box)).toBe(toHex(o.seal(key, nonce24, text)))
          }
        }
      })
    )

    it.effect("opens the oracle's boxes at any offset in a larger buffer, leaving the bytes around untouched", () =>
      Effect.gen(function* () {
        const b = yield* CryptoBackend.CryptoBackend
        const o = yield* oracle
        fc.assert(
          fc.property(bytes(32), bytes(24), fc.uint8Array({ maxLength: 2000 }), fc.nat(7), (key, n, text, offset) => {
            const box = o.seal(key, n, text)
            const outer = new Uint8Array(offset + box.length + 3).fill(0xa5)
            outer.set(box, offset)
            expect(CryptoBackend.openInPlace(b, key, n, outer.subarray(offset, offset + box.length))).toBe(true)
            expect(toHex(outer.subarray(offset + 16, offset + box.length))).toBe(toHex(text))
            expect([...outer.subarray(0, offset), ...outer.subarray(offset + box.length)]).toEqual(
              Array(offset + 3).fill(0xa5)
            )
          }),
          { numRuns: 100 }
        )
      })
    )

    it.effect(
      "seals and opens in place boxes of any size (up to 200,000 bytes) in any order, as seal and open do",
      () =>
        CryptoBackend.CryptoBackend.useSync((b) => {
          const key = new Uint8Array(32).fill(3)
          fc.assert(
            fc.property(
              fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 5 }),
              fc.integer({ min: 0, max: 255 }),
              (sizes, fill) => {
                const n = Nonce.zero()
                const boxes = sizes.map((size, i) => {
                  const box = new Uint8Array(size + 16)
                  box.fill((fill + i) & 0xff, 16)
                  const plaintext = box.slice(16)
                  CryptoBackend.sealInPlace(b, key, n, box)
                  expect(toHex(box)).toBe(toHex(b.seal(key, n, plaintext)))
                  return [box, plaintext] as const
                })
                for (const [box, plaintext] of boxes.reverse()) {
                  expect(CryptoBackend.openInPlace(b, key, n, box)).toBe(true)
                  expect(toHex(box.subarray(16))).toBe(toHex(plaintext))
                }
              }
            ),
            { numRuns: 10 }
          )
        })
    )

    it.effect("refuses a wrong key or nonce, and never uses a key or nonce of the wrong length", () =>
      CryptoBackend.CryptoBackend.useSync((b) => {
        const key = new Uint8Array(32).fill(1)
        const n = new Uint8Array(24).fill(2)
        const box = b.seal(key, n, new Uint8Array([1, 2, 3]))
        expect(b.open(new Uint8Array(32).fill(3), n, box)).toBeUndefined()
        expect(b.open(key, new Uint8Array(24), box)).toBeUndefined()
        expect(CryptoBackend.openInPlace(b, new Uint8Array(32).fill(3), n, box.slice())).toBe(false)
        for (const [k, v] of [
          [new Uint8Array(31), n],
          [new Uint8Array(33), n],
          [key, new Uint8Array(23)],
          [key, new Uint8Array(25)]
        ] as const) {
          // A key or nonce read zero-padded or truncated would open this box made with the padded one.
          const padded = b.seal(
            Uint8Array.from({ length: 32 }, (_, i) => k[i] ?? 0),
            Uint8Array.from({ length: 24 }, (_, i) => v[i] ?? 0),
            new Uint8Array([7])
          )
          expect(() => b.seal(k, v, new Uint8Array([1]))).toThrow()
          expect(refuses(() => b.open(k, v, padded))).toBe(true)
          expect(refuses(() => CryptoBackend.openInPlace(b, k, v, padded.slice()))).toBe(true)
        }
      })
    )

    it.effect("randomBytes gives the requested length, including more than 64 KiB", () =>
      CryptoBackend.CryptoBackend.useSync((b) => {
        expect(b.randomBytes(0).length).toBe(0)
        expect(b.randomBytes(24).length).toBe(24)
        const big = b.randomBytes(70_000)
        expect(big.length).toBe(70_000)
        expect(big.subarray(65_536).some((x) => x !== 0)).toBe(true)
        expect(toHex(b.randomBytes(32))).not.toBe(toHex(b.randomBytes(32)))
      })
    )
  })
}
