import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { run, tempDir, vectorsDir } from "./cli-run.ts"

const dir = tempDir()
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("effect-p2p identity", { timeout: 90_000 }, () => {
  const vectors = fs.readdirSync(vectorsDir).filter((f) => f.endsWith(".json"))

  it("finds the Octez and TezEdge identity vectors", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10)
  })

  it("check accepts every vector identity", async () => {
    const files = vectors.map((name) => path.join(vectorsDir, name))
    const result = await run(["identity", "check", ...files])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split("\n")
    expect(lines).toHaveLength(files.length)
    files.forEach((file, i) => {
      const expected = JSON.parse(fs.readFileSync(file, "utf8")).peer_id as string
      expect(lines[i]).toMatch(
        new RegExp(
          `^${file}: Peer_id: ${expected}\\. Proof of work is higher than 26\\.00 \\(the stamp meets difficulty \\d+\\)\\.$`
        )
      )
    })
  })

  it("generate at a low difficulty, then check and show; refuses to overwrite", async () => {
    const file = path.join(dir, "identity.json")
    const generated = await run(["identity", "generate", "8", "--output", file])
    expect(generated.code).toBe(0)
    const [, peerId] = /Stored the new identity \((id\w{28})\) into '(.+)'\./.exec(generated.stdout) ?? []
    expect(peerId).toBeDefined()
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)

    // Independent commands: run them side by side to keep the test short.
    const before = fs.readFileSync(file, "utf8")
    const [checked, shown, shownJson, again] = await Promise.all([
      run(["identity", "check", file, "--difficulty", "8"]),
      run(["identity", "show", file]),
      run(["identity", "show", "--json", file]),
      run(["identity", "generate", "0", "--output", file])
    ])
    expect(checked.code).toBe(0)
    expect(checked.stdout).toContain(`Peer_id: ${peerId}.`)
    expect(shown.stdout.trim()).toBe(`Peer_id: ${peerId}.`)
    const json = JSON.parse(shownJson.stdout)
    expect(json.peer_id).toBe(peerId)
    expect(json).not.toHaveProperty("secret_key")
    expect(Object.keys(json).sort()).toEqual(["difficulty", "peer_id", "proof_of_work_stamp", "public_key"])

    expect(again.code).toBe(1)
    expect(again.stderr).toContain("refusing to overwrite")
    expect(fs.readFileSync(file, "utf8")).toBe(before)
  })

  const bad = (name: string, contents: string) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, contents)
    return file
  }
  const ocaml = JSON.parse(fs.readFileSync(path.join(vectorsDir, "docker_identity_ocaml.json"), "utf8"))
  const other = JSON.parse(fs.readFileSync(path.join(vectorsDir, "drone_identity_1.json"), "utf8"))

  it("check rejects bad files, each with a clear reason, and exits 1", async () => {
    const cases = [
      [path.join(dir, "absent.json"), /absent\.json: no identity file at .*absent\.json/],
      [bad("garbage.json", "{ nope"), /garbage\.json: invalid identity file/],
      [
        bad("short.json", JSON.stringify({ ...ocaml, public_key: "abcd" })),
        /short\.json: invalid identity file: .*public_key/s
      ],
      [
        bad("keys.json", JSON.stringify({ ...ocaml, peer_id: undefined, secret_key: other.secret_key })),
        /keys\.json: keys mismatch/
      ],
      [bad("peer.json", JSON.stringify({ ...ocaml, peer_id: other.peer_id })), /peer\.json: identity mismatch/],
      [fs.mkdtempSync(path.join(dir, "a-directory-")), /a-directory-\w+: cannot read identity file/]
    ] as const
    const good = path.join(vectorsDir, "drone_identity_1.json")
    const result = await run(["identity", "check", good, ...cases.map(([file]) => file)])
    expect(result.code).toBe(1)
    for (const [, message] of cases) expect(result.stderr).toMatch(message)
    expect(result.stderr).toContain(`${cases.length} of ${cases.length + 1} identity files failed the check`)
    expect(result.stdout).toContain(`${good}: Peer_id: idt6jzf5Sj4MVXTzxtwXUmJpsHR1bf.`)
  })

  it("check rejects insufficient proof of work, saying what the stamp meets", async () => {
    const result = await run([
      "identity",
      "check",
      path.join(vectorsDir, "docker_identity_ocaml.json"),
      "--difficulty",
      "40"
    ])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/insufficient proof of work: expected difficulty 40, the stamp meets 26/)
    expect(result.stdout).toBe("")
  })
})
