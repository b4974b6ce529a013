import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as IdentityStore from "@effect-p2p/node/IdentityStore"
import { Effect, Exit, Layer } from "effect"

const TestLayer = Layer.merge(NodeServices.layer, CryptoBackend.layerNoble)

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "identity-store-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const failureTag = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>): string | undefined =>
  Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error._tag : undefined

describe("IdentityStore", () => {
  it.effect("writes a file with mode 0600 that reads back to the same identity", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "nested", "identity.json")
      const identity = yield* Identity.generate({ difficulty: 2 })
      yield* IdentityStore.write(file, identity)
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
      assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700)
      const back = yield* IdentityStore.read(file, { expectedDifficulty: 2 })
      assert.strictEqual(PeerId.toBase58(back.peerId), PeerId.toBase58(identity.peerId))
      assert.deepStrictEqual(back.secretKey, identity.secretKey)
      // no temporary file is left behind
      assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ["identity.json"])
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("refuses to overwrite an existing file and leaves it untouched", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "identity.json")
      fs.writeFileSync(file, "precious")
      const identity = yield* Identity.generate({ difficulty: 0 })
      const exit = yield* Effect.exit(IdentityStore.write(file, identity))
      assert.strictEqual(failureTag(exit), "IdentityFileExists")
      assert.strictEqual(fs.readFileSync(file, "utf8"), "precious")
      assert.deepStrictEqual(fs.readdirSync(dir), ["identity.json"])
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("lets exactly one of two concurrent writers win", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "identity.json")
      const a = yield* Identity.generate({ difficulty: 0 })
      const b = yield* Identity.generate({ difficulty: 0 })
      const exits = yield* Effect.all([IdentityStore.write(file, a), IdentityStore.write(file, b)].map(Effect.exit), {
        concurrency: 2
      })
      assert.strictEqual(exits.filter(Exit.isSuccess).length, 1)
      assert.strictEqual(failureTag(exits.find(Exit.isFailure)!), "IdentityFileExists")
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect.each([
    ["missing file", null, "IdentityFileNotFound"],
    ["invalid JSON", "{ not json", "InvalidIdentityFile"],
    [
      "short public key",
      JSON.stringify({ public_key: "00", secret_key: "00".repeat(32), proof_of_work_stamp: "00".repeat(24) }),
      "InvalidIdentityFile"
    ]
  ] as const)("rejects a %s", ([, contents, tag]) =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "identity.json")
      if (contents !== null) fs.writeFileSync(file, contents)
      const exit = yield* Effect.exit(IdentityStore.read(file))
      assert.strictEqual(failureTag(exit), tag)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("rejects a directory as unreadable", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const exit = yield* Effect.exit(IdentityStore.read(dir))
      assert.strictEqual(failureTag(exit), "IdentityFileUnreadable")
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("readOrCreate creates on first use, then reads the same identity", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "identity.json")
      let created = 0
      const create = Identity.generate({ difficulty: 1 }).pipe(Effect.tap(() => Effect.sync(() => created++)))
      const first = yield* IdentityStore.readOrCreate(file, { create })
      const second = yield* IdentityStore.readOrCreate(file, { create })
      assert.strictEqual(created, 1)
      assert.deepStrictEqual(second.publicKey, first.publicKey)
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("readOrCreate never replaces an invalid file", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "identity.json")
      fs.writeFileSync(file, "{}")
      const exit = yield* Effect.exit(
        IdentityStore.readOrCreate(file, { create: Identity.generate({ difficulty: 0 }) })
      )
      assert.strictEqual(failureTag(exit), "InvalidIdentityFile")
      assert.strictEqual(fs.readFileSync(file, "utf8"), "{}")
    }).pipe(Effect.provide(TestLayer))
  )
})
