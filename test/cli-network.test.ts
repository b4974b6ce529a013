import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { run, start, tempDir, waitForLine } from "./cli-run.ts"

const dir = tempDir()
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill()
  fs.rmSync(dir, { recursive: true, force: true })
})

const writeIdentity = (name: string, identity: Identity.Identity) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, Identity.toJson(identity), { mode: 0o600 })
  return file
}
const generate = (difficulty: number) =>
  Effect.runSync(Identity.generate({ difficulty }).pipe(Effect.provide(CryptoBackend.layerNoble)))

/** An identity whose stamp meets `below - 1` at most. */
const weakIdentity = (below: number) => {
  const target = ProofOfWork.target(below)
  while (true) {
    const identity = generate(0)
    if (!ProofOfWork.checkWith(CryptoBackend.noble, identity.publicKey, identity.powStamp, target)) return identity
  }
}

const listen = async (args: ReadonlyArray<string>) => {
  const child = start(["listen", "--port", "0", "--host", "127.0.0.1", "--json", ...args])
  children.push(child)
  const lines: Array<Record<string, unknown>> = []
  child.stdout?.on("data", (d: Buffer) => {
    for (const line of d.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line))
  })
  const [, port] = await waitForLine(child, /"port":(\d+)/)
  return { child, port: Number(port), lines }
}

const until = async (predicate: () => boolean) => {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe("effect-p2p listen / connect / demo", { timeout: 90_000 }, () => {
  const server = writeIdentity("server.json", generate(8))
  const client = generate(8)
  const clientFile = writeIdentity("client.json", client)

  it("listen --echo (under bandwidth limits) and connect --send round trip, echoed byte for byte", async () => {
    const { port, lines } = await listen([
      "--identity",
      server,
      "--expected-pow",
      "8",
      "--echo",
      "--max-download-speed",
      "1024",
      "--max-upload-speed",
      "1024"
    ])
    const messages = ["000000050010aabbcc", "000000020011", `00000102001f${"5a".repeat(256)}`]
    const result = await run([
      "connect",
      `127.0.0.1:${port}`,
      "--identity",
      clientFile,
      "--expected-pow",
      "8",
      // The 1,024 B/s limits let each reply wait for the next second's share; on a loaded machine
      // that can pass the default 2 s per reply, and timing is not what this test checks.
      "--wait",
      "30",
      ...messages.flatMap((m) => ["--send", m])
    ])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const received = [...result.stdout.matchAll(/^received ([0-9a-f]+)$/gm)].map((m) => m[1])
    expect(received).toEqual(messages)
    expect(result.stdout).toMatch(/^connected to 127\.0\.0\.1:\d+: peer id\w+, version TEZOS_MAINNET ddb 2 p2p 1$/m)
    expect(result.stdout).toMatch(/^stats: sent \d+ B, received \d+ B/m)

    await until(() => lines.some((l) => l.event === "closed"))
    const clientId = PeerId.toBase58(client.peerId)
    const accepted = lines.find((l) => l.event === "accepted")
    expect(accepted).toMatchObject({
      peer_id: clientId,
      version: { chain_name: "TEZOS_MAINNET", distributed_db_version: 2, p2p_version: 1 }
    })
    expect(lines.filter((l) => l.event === "message").map((l) => l.tag)).toEqual([0x10, 0x11, 0x1f])
    expect(lines.find((l) => l.event === "closed")).toMatchObject({
      peer_id: clientId,
      reason: expect.stringMatching(/^(closed|reset) by peer$/)
    })
  })

  it("listen rejects a peer whose proof of work is below --expected-pow, and keeps serving", async () => {
    const { port, lines } = await listen(["--identity", server, "--expected-pow", "8", "--echo"])
    const weak = writeIdentity("weak.json", weakIdentity(8))
    const [rejected, good] = await Promise.all([
      run(["connect", `127.0.0.1:${port}`, "--identity", weak, "--expected-pow", "0"]),
      run(["connect", `127.0.0.1:${port}`, "--identity", clientFile, "--expected-pow", "8", "--send", "000000020010"])
    ])
    expect(rejected.code).toBe(2)
    // The listener closes with our metadata unread, so we see a clean close or a reset.
    expect(rejected.stderr).toMatch(/connection closed: (closed|reset) by peer during the handshake/)
    expect(good.code).toBe(0)
    expect(good.stdout).toMatch(/^received 000000020010$/m)
    await until(() => lines.some((l) => l.event === "handshake_failed"))
    expect(lines.find((l) => l.event === "handshake_failed")).toMatchObject({ error: "NotEnoughProofOfWork" })
  })

  it("connect reports a nack with its motive (other chain name), and bad input, with non-zero exit codes", async () => {
    const { port } = await listen(["--identity", server, "--expected-pow", "8"])
    const [nacked, unreachable, badHex, badSpeed] = await Promise.all([
      run(["connect", `127.0.0.1:${port}`, "--identity", clientFile, "--expected-pow", "8", "--chain-name", "OTHER"]),
      run(["connect", "127.0.0.1:1", "--identity", clientFile]),
      run(["connect", `127.0.0.1:${port}`, "--identity", clientFile, "--send", "0011"]),
      run(["listen", "--port", "0", "--identity", server, "--max-download-speed", "0"])
    ])
    expect(badSpeed.code).toBe(1)
    expect(badSpeed.stderr).toMatch(/Invalid value for flag --max-download-speed: "0"/)
    expect(nacked.code).toBe(3)
    expect(nacked.stderr).toMatch(/Unknown_chain_name/)
    expect(unreachable.code).toBe(2)
    expect(unreachable.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1: connection refused \(ECONNREFUSED\)/)
    expect(badHex.code).toBe(1)
    expect(badHex.stderr).toMatch(/--send 0011: not a P2p envelope/)
  })

  it("demo exits 0 after the handshake, the messages and the stats", async () => {
    const result = await run(["demo", "--difficulty", "6", "--pings", "3"])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/alice connected: handshake in .*negotiated version EFFECT_P2P_DEMO ddb 2 p2p 1/)
    expect(result.stdout).toMatch(/ping round trips \(3\)/)
    expect(result.stdout).toMatch(/bob stats: {3}sent \d+ B/)
  })
})
