/**
 * `effect-p2p node --json` prints the maintenance as Octez names it: the bounds, then each step
 * (`maintenance_started` with its motive, `too_few_connections_maintenance`, `maintenance_ended` with
 * the connections and its duration); with `--disable-maintenance`, none of it.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import { afterAll, assert, describe, it } from "vitest"
import { exited, jsonLines, nodeArgs, start, tempDir, until, writeIdentities } from "./cli-run.ts"

const dir = tempDir()
const identityFiles = writeIdentities(dir, 3)
const children: Array<ChildProcess> = []

const node = (i: number, extra: ReadonlyArray<string>) => {
  const child = start(nodeArgs(identityFiles[i]!, [...extra]))
  children.push(child)
  return { child, events: jsonLines(child) }
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("effect-p2p node --json: maintenance events", () => {
  it("prints the bounds and each step; nothing of the kind with --disable-maintenance", async () => {
    const target = node(0, ["--disable-peer-discovery"])
    await until(() => target.events.some((e) => e.event === "listening"), "target listening")
    const port = target.events.find((e) => e.event === "listening")!.port as number
    const enabled = node(1, ["--connections", "2", "--bootstrap", `127.0.0.1:${port}`])
    const disabled = node(2, ["--connections", "2", "--disable-maintenance", "--bootstrap", `127.0.0.1:${port}`])
    await until(() => enabled.events.some((e) => e.event === "maintenance_ended"), "enabled: maintenance_ended")
    await until(
      () => disabled.events.some((e) => e.event === "connection_established"),
      "disabled: its one dial at start"
    )
    assert.deepStrictEqual(
      enabled.events.find((e) => e.event === "maintenance_bounds"),
      { event: "maintenance_bounds", min_threshold: 1, min_target: 1, max_target: 3, max_threshold: 3 }
    )
    const steps = enabled.events.filter(
      (e) => String(e.event).startsWith("maintenance_") || String(e.event).endsWith("_maintenance")
    )
    assert.deepStrictEqual(
      steps.slice(0, 3).map((e) => [e.event, e.reason, e.count]),
      [
        ["maintenance_bounds", undefined, undefined],
        ["maintenance_started", "activation", 0],
        ["too_few_connections_maintenance", undefined, 0]
      ]
    )
    const ended = enabled.events.find((e) => e.event === "maintenance_ended")!
    assert.strictEqual(ended.count, 1)
    assert.isAtLeast(ended.duration_ms as number, 0)
    assert.isFalse(disabled.events.some((e) => String(e.event).includes("maintenance")))
    for (const n of [target, enabled, disabled]) n.child.kill("SIGTERM")
    for (const n of [target, enabled, disabled]) assert.strictEqual((await exited(n.child)).code, 143)
  }, 60_000)
})
