/**
 * `effect-p2p node --ws-port`: the pool accepts a WebSocket peer (as a browser connects) beside
 * TCP; the peer completes the handshake against the node's peer id, and the node reports the
 * connection with Octez's event name.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as WebSocketDialer from "@effect-p2p/node/WebSocketDialer"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { jsonLines, start, tempDir, until, waitForLine } from "./cli-run.ts"

const generate = () =>
  Effect.runSync(Identity.generate({ difficulty: 0 }).pipe(Effect.provide(CryptoBackend.layerNoble)))
const dir = tempDir()
const children: Array<ReturnType<typeof start>> = []
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("effect-p2p node --ws-port", { timeout: 60_000 }, () => {
  it("a WebSocket peer joins the pool: handshake with the node's peer id, connection_established", async () => {
    const node = generate()
    const file = path.join(dir, "node.json")
    fs.writeFileSync(file, Identity.toJson(node), { mode: 0o600 })
    const args = ["node", "--json", "--port", "0", "--ws-port", "0", "--host", "127.0.0.1"]
    const child = start([...args, "--identity", file, "--expected-pow", "0"])
    children.push(child)
    const events = jsonLines(child)
    const [, wsPort] = await waitForLine(child, /"event":"listening_ws".*"port":(\d+)/)

    const peerId = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const peer = yield* WebSocketDialer.connect({
            url: `ws://127.0.0.1:${wsPort}/`,
            identity: generate(),
            expectedPeerId: PeerId.toBase58(node.peerId),
            expectedPow: 0,
            supported: { chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
            metadata: { disableMempool: false, privateNode: false },
            metadataEncoding: Metadata.octez,
            messageEncoding: P2pMessage.envelope
          })
          return PeerId.toBase58(peer.info.peerId)
        })
      ).pipe(Effect.provide(CryptoBackend.layerNoble))
    )
    expect(peerId).toBe(PeerId.toBase58(node.peerId))
    await until(() => events.some((e) => e.event === "connection_established"), "connection_established")
  })
})
