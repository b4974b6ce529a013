/**
 * The command as a newcomer meets it: every flag's default in `--help`, numbers refused at parse
 * time, paths relative to where the command was run and printed absolute, the output directory
 * checked before a proof-of-work search, a malformed host as bad input (exit 1), and `connect`
 * failing when a reply does not come within `--wait`.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { jsonLines, run, start, tempDir, until, waitForLine } from "./cli-run.ts"

const dir = tempDir()
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

const writeIdentity = (name: string) => {
  const identity = Effect.runSync(Identity.generate({ difficulty: 4 }).pipe(Effect.provide(CryptoBackend.layerNoble)))
  const file = path.join(dir, name)
  fs.writeFileSync(file, Identity.toJson(identity), { mode: 0o600 })
  return file
}

/** The flag lines of a command's help (its FLAGS section, not the global flags). */
const flagLines = (help: string): Array<string> => {
  const section = /\nFLAGS\n([\s\S]*?)\n\n/.exec(`${help}\n\n`)
  return (section?.[1] ?? "").split("\n").filter((line) => /^\s+--/.test(line))
}

describe("effect-p2p usage", { timeout: 90_000 }, () => {
  it("--help gives every flag's default (or what happens without it)", async () => {
    const commands = [
      ["identity", "generate"],
      ["identity", "check"],
      ["identity", "show"],
      ["listen"],
      ["connect"],
      ["demo"],
      ["node"]
    ]
    const helps = await Promise.all(commands.map((command) => run([...command, "--help"])))
    helps.forEach((help, i) => {
      expect(help.code, commands[i]!.join(" ")).toBe(0)
      const lines = flagLines(help.stdout)
      expect(lines.length, `${commands[i]!.join(" ")} has flags`).toBeGreaterThan(0)
      for (const line of lines) expect(line, commands[i]!.join(" ")).toMatch(/\(default: [^)]+\)/)
    })
    const listen = flagLines(helps[3]!.stdout).join("\n")
    expect(listen).toMatch(/--max-message-size .*\(default: 4194304 = 4 MiB\)/)
    expect(listen).toMatch(/--backlog .*\(default: 511\)/)
    expect(listen).toMatch(/--stop-timeout .*\(default: 2\)/)
  })

  it("--workers must be a whole number from 1 to 256, refused before any search", async () => {
    const results = await Promise.all(
      ["0", "-2", "1.5", "257", "many"].map((workers) =>
        run(["identity", "generate", "60", "--workers", workers, "--output", path.join(dir, `w${workers}.json`)])
      )
    )
    for (const result of results) {
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/Invalid value for flag --workers/)
    }
    const ok = await run(["identity", "generate", "2", "--workers", "2", "--output", path.join(dir, "w2.json")])
    expect(ok.code).toBe(0)
  })

  it("relative paths mean the directory the command runs in, and are printed absolute", async () => {
    const cwd = fs.mkdtempSync(path.join(dir, "cwd-"))
    fs.mkdirSync(path.join(cwd, "sub"))
    const generated = await run(["identity", "generate", "2", "--output", "sub/id.json"], { cwd })
    expect(generated.code).toBe(0)
    const file = path.join(cwd, "sub", "id.json")
    expect(fs.existsSync(file)).toBe(true)
    expect(generated.stdout).toContain(`into '${file}'.`)
    const [checked, missing] = await Promise.all([
      run(["identity", "check", "sub/id.json", "sub/id.json", "--difficulty", "2"], { cwd }),
      run(["identity", "show", "absent.json"], { cwd })
    ])
    expect(checked.code).toBe(0)
    expect(checked.stdout.split("\n")[0]).toMatch(new RegExp(`^${file}: Peer_id: id\\w+\\.`))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`${path.join(cwd, "absent.json")}: no identity file`)
  })

  it("the output's directory is checked before a proof-of-work search starts", async () => {
    // Difficulty 60 would search for years: these can only finish because nothing was searched.
    const aFile = writeIdentity("a-file.json")
    const [noDirectory, underAFile] = await Promise.all([
      run(["identity", "generate", "60", "--output", path.join(dir, "missing", "id.json")]),
      run(["identity", "generate", "60", "--output", path.join(aFile, "id.json")])
    ])
    expect(noDirectory.code).toBe(1)
    expect(noDirectory.stderr).toContain(`no directory ${path.join(dir, "missing")}`)
    expect(underAFile.code).toBe(1)
    expect(underAFile.stderr).toContain(`${aFile} is not a directory`)
    expect(noDirectory.stderr + underAFile.stderr).not.toMatch(/Generating/)
  })

  it("a malformed host is bad input (exit 1), not a network error", async () => {
    const identity = writeIdentity("host.json")
    const results = await Promise.all([
      run(["listen", "--port", "0", "--identity", identity, "--host", "1.2.3.4.5"]),
      run(["listen", "--port", "0", "--identity", identity, "--host", "bad host"]),
      run(["connect", "300.1.1.1:9732", "--identity", identity]),
      run(["connect", "under_score:9732", "--identity", identity])
    ])
    for (const result of results) {
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toMatch(/is not an IP address or a host name/)
    }
  })

  it("connect fails (exit 2) and says so when a reply does not come within --wait", async () => {
    const server = writeIdentity("server.json")
    const client = writeIdentity("client.json")
    // No --echo: the listener never answers.
    const listener = start([
      "listen",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--json",
      "--identity",
      server,
      "--expected-pow",
      "4"
    ])
    children.push(listener)
    const events = jsonLines(listener)
    const [, port] = await waitForLine(listener, /"port":(\d+)/)
    const result = await run([
      "connect",
      `127.0.0.1:${port}`,
      "--identity",
      client,
      "--expected-pow",
      "4",
      "--send",
      "000000020010",
      "--wait",
      "0.5"
    ])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/no reply within 500 ms \(--wait\): got 0 of 1 replies/)
    expect(result.stdout).toMatch(/^stats: /m)
    await until(() => events.some((e) => e.event === "message"), "the listener's message event")
    expect(events.find((e) => e.event === "message")).toMatchObject({ size: 6, tag: 0x10, body: "", truncated: false })
  })
})
