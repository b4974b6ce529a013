/**
 * The vector suite every `CryptoBackend` must pass, written once and called with each backend's
 * layer (noble here, native from packages/node/test). Besides the shared vectors it cross-checks
 * the backend against noble on random inputs.
 */

import { readdirSync, readFileSync } from "node:fs"
import { expect, layer } from "@effect/vitest"
import { Box, CryptoBackend, Identity, Keys, Nonce, PeerId, ProofOfWork } from "@effect-p2p/crypto"
import { Effect, type Layer, Result } from "effect"
import * as fc from "fast-check"
import { hex, p2pVectors, toHex, vectorPath } from "../../../test/support/vectors.ts"

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

const pk = (s: string) => hex(s) as Keys.PublicKey
const sk = (s: string) => hex(s) as Keys.SecretKey
const ck = (s: string) => hex(s) as Keys.ChannelKey
const nonce = (s: string) => hex(s) as Nonce.Nonce
const stamp = (s: string) => hex(s) as Keys.PowStamp

/** Runs the whole suite against one backend layer. */
export const backendSuite = <E>(name: string, backendLayer: Layer.Layer<CryptoBackend.CryptoBackend, E>): void => {
  layer(backendLayer)(`CryptoBackend ${name}: vectors`, (it) => {
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

    it.effect("agrees with noble on random inputs (blake2b of every length, X25519, seal)", () =>
      CryptoBackend.CryptoBackend.useSync((b) => {
        const ref = CryptoBackend.noble
        fc.assert(
          fc.property(
            fc.uint8Array({ maxLength: 300 }),
            fc.integer({ min: 1, max: 64 }),
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
            (data, outLen, secret) => {
              expect(toHex(b.blake2b(data, outLen))).toBe(toHex(ref.blake2b(data, outLen)))
              expect(toHex(b.publicKeyOf(secret))).toBe(toHex(ref.publicKeyOf(secret)))
              const peer = ref.publicKeyOf(data.length >= 32 ? data.subarray(0, 32) : secret)
              expect(toHex(b.precompute(secret, peer) ?? new Uint8Array(0))).toBe(
                toHex(ref.precompute(secret, peer) ?? new Uint8Array(0))
              )
              const n = ref.blake2b(secret, 24)
              expect(toHex(b.seal(secret, n, data))).toBe(toHex(ref.seal(secret, n, data)))
            }
          ),
          { numRuns: 30 }
        )
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
