/**
 * `effect-p2p listen --ws-port` and `effect-p2p bridge` as a user runs them: child processes, real
 * sockets, a Node WebSocket peer dialling them.
 */
import { type ChildProcess, execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as WebSocketDialer from "@effect-p2p/node/WebSocketDialer"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { jsonLines, root, start, tempDir, until, waitForLine } from "./cli-run.ts"

const dir = tempDir()
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill()
  fs.rmSync(dir, { recursive: true, force: true })
})

const generate = (difficulty: number) =>
  Effect.runSync(Identity.generate({ difficulty }).pipe(Effect.provide(CryptoBackend.layerNoble)))
const writeIdentity = (name: string, identity: Identity.Identity) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, Identity.toJson(identity), { mode: 0o600 })
  return file
}

/** Starts the command and collects its JSON lines; resolves once a line matches `ready`. */
const startJson = async (args: ReadonlyArray<string>, ready: RegExp) => {
  const child = start(args)
  children.push(child)
  const lines = jsonLines(child)
  const match = await waitForLine(child, ready)
  return { child, match, port: Number(match[1]), lines }
}

const session = (url: string, identity: Identity.Identity, expectedPeerId: string) =>
  WebSocketDialer.connect({
    url,
    identity,
    expectedPeerId,
    expectedPow: 8,
    supported: { chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
    metadata: { disableMempool: false, privateNode: false },
    metadataEncoding: Metadata.octez,
    messageEncoding: P2pMessage.envelope
  })

/** Dials, sends `sizes` messages, checks each echo; returns the peer id seen. */
const echoOver = (url: string, identity: Identity.Identity, expectedPeerId: string, sizes: Array<number>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const peer = yield* session(url, identity, expectedPeerId)
        for (const size of sizes) {
          const sent = { tag: 0x10, body: Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff) }
          yield* peer.connection.write(sent)
          const [, back] = yield* peer.connection.read
          expect(back).toEqual(sent)
        }
        return PeerId.toBase58(peer.info.peerId)
      })
    ).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

describe("effect-p2p listen --ws-port", { timeout: 90_000 }, () => {
  const serverIdentity = generate(8)
  const server = writeIdentity("server.json", serverIdentity)
  const client = generate(8)

  it("accepts a WebSocket peer beside TCP and echoes its messages", async () => {
    const { lines, match } = await startJson(
      [
        "listen",
        "--port",
        "0",
        "--ws-port",
        "0",
        "--host",
        "127.0.0.1",
        "--json",
        "--echo",
        "--identity",
        server,
        "--expected-pow",
        "8"
      ],
      /"event":"listening_ws","host":"[^"]+","port":(\d+)/
    )
    const url = `ws://127.0.0.1:${match[1]}/`
    const serverId = PeerId.toBase58(serverIdentity.peerId)
    expect(await echoOver(url, client, serverId, [1, 65536])).toBe(serverId)
    await until(() => lines.some((l) => l.event === "closed"), "the event")
    const accepted = lines.find((l) => l.event === "accepted")
    expect(accepted?.peer_id).toBe(PeerId.toBase58(client.peerId))
    expect(lines.filter((l) => l.event === "message")).toHaveLength(2)
  })
})

/** An identity whose stamp does not meet `difficulty`. */
const weakIdentity = (difficulty: number) => {
  while (true) {
    const identity = generate(0)
    const met = ProofOfWork.checkWith(
      CryptoBackend.noble,
      identity.publicKey,
      identity.powStamp,
      ProofOfWork.target(difficulty)
    )
    if (!met) return identity
  }
}

describe("effect-p2p bridge", { timeout: 90_000 }, () => {
  const serverIdentity = generate(8)
  const server = writeIdentity("bridge-target.json", serverIdentity)

  it("relays a WebSocket peer to a TCP listener, and refuses a weak proof of work without dialling", async () => {
    const tcp = await startJson(
      ["listen", "--port", "0", "--host", "127.0.0.1", "--json", "--echo", "--identity", server, "--expected-pow", "8"],
      /"event":"listening","host":"[^"]+","port":(\d+)/
    )
    const bridge = await startJson(
      [
        "bridge",
        "--ws-port",
        "0",
        "--host",
        "127.0.0.1",
        "--to",
        `127.0.0.1:${tcp.match[1]}`,
        "--expected-pow",
        "8",
        "--json"
      ],
      /"event":"bridging","host":"[^"]+","port":(\d+)/
    )
    const url = `ws://127.0.0.1:${bridge.match[1]}/`
    const serverId = PeerId.toBase58(serverIdentity.peerId)
    const client = generate(8)
    expect(await echoOver(url, client, serverId, [1, 65536])).toBe(serverId)
    await until(() => bridge.lines.some((l) => l.event === "closed"), "the event")
    expect(bridge.lines.find((l) => l.event === "relaying")?.peer_id).toBe(PeerId.toBase58(client.peerId))
    expect(tcp.lines.find((l) => l.event === "accepted")?.peer_id).toBe(PeerId.toBase58(client.peerId))

    await expect(echoOver(url, weakIdentity(8), serverId, [1])).rejects.toThrow(/code 4003: proof of work too low/)
    await until(() => bridge.lines.some((l) => l.event === "refused"), "the event")
    expect(bridge.lines.find((l) => l.event === "refused")?.code).toBe(4003)
    // The listener saw one session only: the weak peer never reached it.
    expect(tcp.lines.filter((l) => l.event === "accepted" || l.event === "handshake_failed")).toHaveLength(1)
  })

  it("refuses a malformed --to", async () => {
    const result = await startJson(["bridge", "--ws-port", "0", "--to", "nowhere"], /never/).catch((e: Error) => e)
    expect(String(result)).toMatch(/--to: expected HOST:PORT/)
  })
})

describe("effect-p2p demo --browser", { timeout: 90_000 }, () => {
  it("serves the built page (and nothing outside it) with a WebSocket echo peer and a bridged one", async () => {
    const page = path.join(dir, "page")
    execFileSync(path.join(root, "node_modules", ".bin", "tsx"), [
      path.join(root, "examples", "browser", "build.ts"),
      page
    ])
    const child = start(["demo", "--browser", "--page", page, "--http-port", "0", "--difficulty", "4"])
    children.push(child)
    const [, direct, bridged] = await waitForLine(
      child,
      /WebSocket: +(http:\S+)\n +through the TCP bridge: +(http:\S+)/
    )
    const html = await fetch(direct!)
    expect(html.status).toBe(200)
    expect(html.headers.get("content-type")).toMatch(/^text\/html/)
    expect(await html.text()).toContain("effect-p2p")
    const origin = new URL(direct!).origin
    expect((await fetch(`${origin}/main.js`)).status).toBe(200)
    expect((await fetch(`${origin}/identity-worker.js`)).status).toBe(200)
    // A path that decodes to outside the page directory is not served.
    expect((await fetch(`${origin}/%2e%2e/package.json`)).status).toBe(404)
    // Both peers the URLs name complete a session and echo (the demo's chain and difficulty).
    for (const url of [direct!, bridged!]) {
      const query = new URL(url).searchParams
      const identity = generate(4)
      const peerId = query.get("peer")!
      const seen = await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const peer = yield* WebSocketDialer.connect({
              url: query.get("url")!,
              identity,
              expectedPeerId: peerId,
              expectedPow: Number(query.get("pow")),
              supported: { chainName: query.get("chain")!, distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
              metadata: { disableMempool: false, privateNode: false },
              metadataEncoding: Metadata.octez,
              messageEncoding: P2pMessage.envelope
            })
            const sent = { tag: 0x10, body: Uint8Array.of(1, 2, 3) }
            yield* peer.connection.write(sent)
            const [, back] = yield* peer.connection.read
            expect(back).toEqual(sent)
            return PeerId.toBase58(peer.info.peerId)
          })
        ).pipe(Effect.provide(CryptoBackend.layerNoble))
      )
      expect(seen).toBe(peerId)
    }
  })
})
