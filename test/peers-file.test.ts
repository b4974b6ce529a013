/**
 * The peers file on disk (`@effect-p2p/node` `PeersFile`): a missing file loads as no peers, a save
 * is read back equal, a save replaces the file by rename (no temporary file left, the old content
 * whole until then), and a file that is not the expected JSON fails with `PeersFileError`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { it } from "@effect/vitest"
import * as PeersFile from "@effect-p2p/node/PeersFile"
import type { PeerRecord } from "@effect-p2p/pool/PeersFile"
import { Effect } from "effect"
import { afterAll, assert, describe } from "vitest"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-p2p-peers-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const record = (i: number): PeerRecord => ({
  peer_id: `idt${i}`,
  created: "2026-12-03T09:00:00.000Z",
  last_seen: [{ addr: "127.0.0.1", port: 9732 + i }, "2026-12-03T09:01:00.000Z"]
})

describe("PeersFile (Node)", () => {
  it.effect("a missing file is no peers; a save reads back equal, by rename, with no temporary file left", () =>
    Effect.gen(function* () {
      const file = path.join(dir, "peers.json")
      const store = PeersFile.make(file)
      assert.deepStrictEqual(yield* store.load, [])
      yield* store.save([record(1), record(2)])
      assert.deepStrictEqual(yield* store.load, [record(1), record(2)])
      const inode = fs.statSync(file).ino
      yield* store.save([record(3)])
      assert.notStrictEqual(fs.statSync(file).ino, inode, "replaced by a rename, not rewritten in place")
      assert.deepStrictEqual(yield* store.load, [record(3)])
      assert.deepStrictEqual(fs.readdirSync(dir), ["peers.json"])
      // Octez's field names on disk.
      assert.match(
        fs.readFileSync(file, "utf8"),
        /"peer_id":"idt3".*"last_seen":\[\{"addr":"127\.0\.0\.1","port":9735\}/
      )
    })
  )

  it.effect("a file that is not a list of peers fails with PeersFileError naming the file", () =>
    Effect.gen(function* () {
      for (const [name, text] of [
        ["garbage.json", "not json"],
        ["object.json", '{"peer_id":"x"}'],
        ["fields.json", '[{"peer_id":1,"created":"x"}]']
      ] as const) {
        const file = path.join(dir, name)
        fs.writeFileSync(file, text)
        const error = yield* Effect.flip(PeersFile.make(file).load)
        assert.strictEqual(error._tag, "PeersFileError")
        assert.strictEqual(error.operation, "load")
        assert.include(error.message, file)
      }
    })
  )

  it.effect("a save into a directory that does not exist fails with PeersFileError and leaves nothing", () =>
    Effect.gen(function* () {
      const file = path.join(dir, "missing", "peers.json")
      const error = yield* Effect.flip(PeersFile.make(file).save([record(1)]))
      assert.strictEqual(error.operation, "save")
      assert.isFalse(fs.existsSync(path.join(dir, "missing")))
    })
  )
})
