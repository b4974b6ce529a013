/**
 * The `effect-p2p` command starts Node without V8's memory reducer, however it is launched: its
 * files' own `#!` line (a published install, or running the file), and pnpm's launcher in
 * node_modules/.bin (`pnpm effect-p2p`), which copies the flags from that line. Why: src/bin.ts.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { root } from "./cli-run.ts"

const flag = "--no-memory-reducer"
const launchers = [
  path.join(root, "packages", "cli", "src", "bin.ts"),
  path.join(root, "packages", "cli", "bin", "effect-p2p.js")
]

describe("the effect-p2p launcher", () => {
  it.each(launchers)("%s starts Node with --no-memory-reducer through its #! line", (file) => {
    const shebang = fs.readFileSync(file, "utf8").split("\n")[0]!
    expect(shebang).toBe(`#!/usr/bin/env -S node ${flag}`)
    // The line itself, run by the kernel and `env` as a user's shell would: Node gets the flag.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "launcher-"))
    try {
      const script = path.join(dir, "probe.mjs")
      fs.writeFileSync(script, `${shebang}\nconsole.log(JSON.stringify(process.execArgv))\n`, { mode: 0o755 })
      const execArgv = JSON.parse(execFileSync(script, { encoding: "utf8" })) as Array<string>
      expect(execArgv).toContain(flag)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("pnpm's launcher passes the flag to Node", () => {
    const shim = fs.readFileSync(path.join(root, "node_modules", ".bin", "effect-p2p"), "utf8")
    const execs = shim.split("\n").filter((line) => line.includes("exec ") && line.includes("effect-p2p.js"))
    expect(execs.length).toBeGreaterThan(0)
    for (const line of execs) expect(line).toContain(flag)
  })
})
