/**
 * Ten `effect-p2p node` processes on loopback, each given the same bootstrap point: all connect to
 * it and each learns every other node's point through Bootstrap / Advertise. Then every node stops
 * on SIGTERM, saving its peers file, and the bootstrap node restarted on the same file knows the
 * nine points again.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { collect, nodeArgs, run, start, tempDir, writeIdentities } from "./cli-run.ts"

const nodes = 10
const dir = tempDir()
const identityFiles = writeIdentities(dir, nodes)
const peersFile = (i: number) => path.join(dir, `peers-${i}.json`)

interface Node {
  readonly child: ChildProcess
  readonly events: Array<Record<string, unknown>>
  readonly port: Promise<number>
}

const children: Array<ChildProcess> = []

const startNode = (i: number, extra: ReadonlyArray<string>): Node => {
  const child = start(nodeArgs(identityFiles[i]!, ["--peers-file", peersFile(i), ...extra]))
  children.push(child)
  const events: Array<Record<string, unknown>> = []
  let buffer = ""
  const port = new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      buffer += d.toString()
      const lines = buffer.split("\n")
      buffer = lines.pop() ?? ""
      for (const line of lines) {
        const event = JSON.parse(line) as Record<string, unknown>
        events.push(event)
        if (event.event === "listening") resolve(event.port as number)
      }
    })
    child.on("close", (code) => reject(new Error(`node ${i} exited with ${code}`)))
  })
  return { child, events, port }
}

/** Polls `check` every 100 ms until it holds or `ms` pass (then fails with `what`). */
const eventually = async (check: () => boolean, ms: number, what: () => string) => {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms: ${what()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const stop = async (node: Node) => {
  const done = collect(node.child)
  node.child.kill("SIGTERM")
  return (await done).code
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("effect-p2p node over TCP", () => {
  it("ten nodes with one bootstrap point learn every other node's point; the peers file survives a restart", async () => {
    const bootstrap = startNode(0, [])
    const bootstrapPort = await bootstrap.port
    const others = Array.from({ length: nodes - 1 }, (_, k) =>
      startNode(k + 1, ["--bootstrap", `127.0.0.1:${bootstrapPort}`])
    )
    const ports = [bootstrapPort, ...(await Promise.all(others.map((n) => n.port)))]
    const points = ports.map((p) => `127.0.0.1:${p}`)
    const all = [bootstrap, ...others]
    // What a node knows: the points it started with, then each new_point event.
    const learned = (i: number) =>
      new Set(
        all[i]!.events.flatMap((e) =>
          e.event === "new_point" ? [e.point as string] : e.event === "known_points" ? (e.points as Array<string>) : []
        )
      )
    const missing = () =>
      all
        .map((_, i) => `${i}: ${points.filter((p, j) => j !== i && !learned(i).has(p)).join(" ")}`)
        .filter((line) => !line.endsWith(": "))
        .join("; ")
    await eventually(() => missing() === "", 40_000, missing)
    // Everyone reached the bootstrap node, and learned the others through Advertise.
    assert.strictEqual(bootstrap.events.filter((e) => e.event === "connection_established").length, nodes - 1)
    for (const node of others) {
      assert.isTrue(node.events.some((e) => e.event === "advertise_received"))
      assert.isFalse(learned(all.indexOf(node)).has(points[all.indexOf(node)]!), "a node never registers its own point")
    }

    const codes = await Promise.all(all.map(stop))
    assert.deepStrictEqual(codes, Array(nodes).fill(143))
    const saved = JSON.parse(fs.readFileSync(peersFile(0), "utf8")) as Array<{
      last_seen?: [{ port?: number }, string]
    }>
    assert.sameMembers(
      saved.map((r) => r.last_seen?.[0].port),
      ports.slice(1)
    )
    const restarted = startNode(0, [])
    await restarted.port
    await eventually(
      () => restarted.events.some((e) => e.event === "known_points"),
      10_000,
      () => "no known_points"
    )
    const known = restarted.events.find((e) => e.event === "known_points")!.points as Array<string>
    assert.sameMembers(known, points.slice(1))
    assert.strictEqual(await stop(restarted), 143)
  }, 90_000)

  it("refuses bad input with exit code 1 and a message naming the flag", async () => {
    for (const [args, flag] of [
      [["--bootstrap", "nonsense"], "--bootstrap"],
      [["--peer", "127.0.0.1:9732#notAnId"], "--peer"],
      [["--connections", "101"], "--connections"],
      [["--host", "not a host"], "--host"]
    ] as const) {
      const result = await run(["node", "--identity", identityFiles[0]!, "--port", "0", ...args])
      assert.strictEqual(result.code, 1, `${args.join(" ")}: ${result.stderr}`)
      assert.include(result.stderr + result.stdout, flag)
    }
  }, 60_000)
})
