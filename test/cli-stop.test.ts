/**
 * Stopping `effect-p2p listen`: SIGTERM exits 143 and SIGINT 130, each after logging the `closed`
 * event of every open connection, even when the peers never read (what they did not read is
 * dropped, and the log says so). And `pnpm effect-p2p` runs the built command in its own process:
 * stdout holds only the command's JSON lines, and a signal to the PID pnpm gave stops it. Exit
 * deadlines here are generous bounds against a hang, not timing assertions.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as Attacker from "./adversarial/support/attacker.ts"
import * as CliListener from "./adversarial/support/cliListener.ts"
import { floodUntilStalled } from "./adversarial/support/flood.ts"
import * as AdversarialListener from "./adversarial/support/listener.ts"
import * as Raw from "./adversarial/support/raw.ts"
import { exited, root, until, waitForLine } from "./cli-run.ts"

const scope = Effect.runSync(Scope.make())
const children: Array<ChildProcess> = []
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL")
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const listen = async () => {
  const listener = await CliListener.start()
  children.push(listener.child)
  return listener
}

/**
 * A peer that completes the handshake, stops reading, and sends 16 KiB messages until TCP stops
 * taking them: the listener's echo then has more queued for it than it will ever read. The socket
 * stays open until the test's scope closes.
 */
const nonReadingPeer = (port: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const identity = yield* AdversarialListener.makeIdentity
      const raw = yield* Raw.connect(port)
      const keys = yield* Attacker.handshake(raw, identity)
      raw.pause()
      const flood = yield* floodUntilStalled(raw, keys, 256 * 1024 * 1024)
      return flood.stalled
    }).pipe(Scope.provide(scope))
  )

/** Whether a process runs (a zombie waiting for a reaper that never comes, in a container, does not). */
const isRunning = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return !/^\S+ \(.*\) [ZX]/.test(stat)
  } catch {
    if (fs.existsSync("/proc/self/stat")) return false
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
}

describe("effect-p2p listen: stopping", { timeout: 120_000 }, () => {
  it("SIGTERM with five peers that never read: every connection logs its close, then exit 143", async () => {
    const { child, events, port } = await listen()
    const stalled = await Promise.all(Array.from({ length: 5 }, () => nonReadingPeer(port)))
    expect(stalled).toEqual([true, true, true, true, true])
    await until(() => events.filter((e) => e.event === "accepted").length === 5, "five accepted events")
    child.kill("SIGTERM")
    const exit = await Promise.race([
      exited(child),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("still running 20 s after SIGTERM")), 20_000))
    ])
    expect(exit).toEqual({ code: 143, signal: null })
    const closed = events.filter((e) => e.event === "closed")
    expect(closed).toHaveLength(5)
    for (const event of closed)
      expect(event.reason).toMatch(/^stopped by SIGTERM; what the peer had not read within .* was dropped$/)
    expect(events.find((e) => e.event === "stopped")).toMatchObject({
      reason: "stopped by SIGTERM",
      connections: 5,
      dropped: 5
    })
  })

  it("SIGINT exits 130 after logging the close of an idle connection", async () => {
    const { child, events, port } = await listen()
    await Effect.runPromise(
      Effect.gen(function* () {
        const raw = yield* Raw.connect(port)
        yield* Attacker.handshake(raw, yield* AdversarialListener.makeIdentity)
      }).pipe(Scope.provide(scope))
    )
    await until(() => events.some((e) => e.event === "accepted"), "the accepted event")
    child.kill("SIGINT")
    expect(await exited(child)).toEqual({ code: 130, signal: null })
    expect(events.filter((e) => e.event === "closed").map((e) => e.reason)).toEqual(["stopped by SIGINT"])
    expect(events.find((e) => e.event === "stopped")).toMatchObject({ connections: 1, dropped: 0 })
  })

  it("pnpm effect-p2p runs the built command: only JSON lines on stdout, and SIGTERM to pnpm's PID stops it", async () => {
    // From a directory inside the repository (pnpm finds the workspace's bin from there), relative paths included.
    const cwd = fs.mkdtempSync(path.join(root, "build-cli-"))
    try {
      CliListener.writeIdentity(cwd, "id.json")
      const pnpm = spawn("pnpm", ["effect-p2p", ...CliListener.listenArgs("id.json")], {
        cwd,
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      children.push(pnpm)
      let stdout = ""
      pnpm.stdout.on("data", (d: Buffer) => {
        stdout += d.toString()
      })
      const [, pid] = await waitForLine(pnpm, /"pid":(\d+)/)
      await until(() => stdout.includes('"event":"limits"'), "the limits event")
      // The command runs in a process of its own, not inside pnpm's.
      expect(Number(pid)).not.toBe(pnpm.pid)
      const stdoutClosed = new Promise((resolve) => pnpm.stdout.once("close", resolve))
      pnpm.kill("SIGTERM")
      await exited(pnpm)
      // The listener shares pnpm's stdout: it is closed once the listener has gone too.
      await stdoutClosed
      expect(isRunning(Number(pid))).toBe(false)
      const lines = stdout.split("\n").filter((line) => line !== "")
      const parsed = lines.map((line) => JSON.parse(line) as { event: string })
      expect(parsed.map((e) => e.event).slice(0, 2)).toEqual(["listening", "limits"])
      expect(parsed.at(-1)?.event).toBe("stopped")
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true })
    }
  })
})
