/**
 * Issue 21 over TCP: twenty `effect-p2p node` processes on loopback, three of them bootstrap points
 * that the seventeen others are given, converge inside their maintenance bounds (read from each
 * node's `maintenance_bounds` line); then five of them stop on SIGTERM and the fifteen left recover,
 * back inside their bounds with no connection to a stopped node.
 *
 * `--connections 8` gives bounds 5 / 6 / 10 / 11 (min 4, max 12), which twenty nodes can fill;
 * `--maintenance-idle-time 5` (Octez's limit, 120 s by default) keeps the run short: a node that
 * drops under its minimum threshold without dropping under `min-connections` (4) waits for the
 * timer, as Octez does. A connection is counted from the `connection_established` and
 * `disconnection` / `external_disconnection` events of each node's `--json` output.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import { afterAll, assert, describe, it } from "vitest"
import { exited, jsonLines, nodeArgs, start, tempDir, until, writeIdentities } from "./cli-run.ts"

const total = 20
const bootstrapCount = 3
const dir = tempDir()
const identityFiles = writeIdentities(dir, total)

interface Node {
  readonly index: number
  readonly child: ChildProcess
  readonly events: Array<Record<string, unknown>>
}

const children: Array<ChildProcess> = []

const startNode = (index: number, bootstrap: ReadonlyArray<number>): Node => {
  const child = start(
    nodeArgs(identityFiles[index]!, [
      "--connections",
      "8",
      "--maintenance-idle-time",
      "5",
      ...bootstrap.flatMap((port) => ["--bootstrap", `127.0.0.1:${port}`])
    ])
  )
  children.push(child)
  return { index, child, events: jsonLines(child) }
}

const first = (node: Node, event: string) => node.events.find((e) => e.event === event)

/** The peers a node is connected to now, from its events. */
const neighbours = (node: Node): Set<string> => {
  const peers = new Set<string>()
  for (const e of node.events) {
    if (e.event === "connection_established") peers.add(e.peer_id as string)
    else if (e.event === "disconnection" || e.event === "external_disconnection") peers.delete(e.peer_id as string)
  }
  return peers
}

const bounds = (node: Node) => {
  const b = first(node, "maintenance_bounds")!
  return { min: b.min_threshold as number, max: b.max_threshold as number }
}

const inside = (node: Node) => {
  const n = neighbours(node).size
  const { min, max } = bounds(node)
  return n >= min && n <= max
}

/** True when the nodes' connections form one connected graph. */
const connected = (nodes: ReadonlyArray<Node>) => {
  const byId = new Map(nodes.map((n) => [first(n, "listening")!.peer_id as string, n]))
  const start = nodes[0]!
  const seen = new Set([start])
  const queue = [start]
  while (queue.length > 0) {
    for (const id of neighbours(queue.shift()!)) {
      const next = byId.get(id)
      if (next !== undefined && !seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
    }
  }
  return seen.size === nodes.length
}

const report = (nodes: ReadonlyArray<Node>) => nodes.map((n) => `${n.index}:${neighbours(n).size}`).join(" ")

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("effect-p2p node maintenance over TCP", () => {
  it("twenty nodes with three bootstrap points converge inside their bounds; five stop and the rest recover", async () => {
    // The bootstrap nodes know the ones started before them; the others know all three.
    const ports: Array<number> = []
    const bootstraps: Array<Node> = []
    for (let i = 0; i < bootstrapCount; i++) {
      const node = startNode(i, [...ports])
      bootstraps.push(node)
      await until(() => first(node, "listening") !== undefined, `node ${i} listening`)
      ports.push(first(node, "listening")!.port as number)
    }
    const others = Array.from({ length: total - bootstrapCount }, (_, k) => startNode(bootstrapCount + k, ports))
    const nodes = [...bootstraps, ...others]
    await until(() => nodes.every((n) => first(n, "maintenance_bounds") !== undefined), "every node started", 90_000)
    assert.deepStrictEqual(bounds(nodes[0]!), { min: 5, max: 11 })

    await until(
      () => nodes.every(inside) && connected(nodes),
      `convergence inside [5, 11], connected (${report(nodes)})`,
      90_000
    )
    // Maintenance did it: each node's first step began at activation, from no connection, and ends.
    for (const node of nodes) {
      const started = first(node, "maintenance_started")
      assert.deepStrictEqual([started?.reason, started?.count], ["activation", 0])
    }
    await until(() => nodes.every((n) => first(n, "maintenance_ended") !== undefined), "every first step ended")
    assert.isTrue(others.some((n) => n.events.some((e) => e.event === "advertise_received")))

    // Five of the others stop.
    const stopped = others.filter((_, k) => k % 3 === 0).slice(0, 5)
    assert.strictEqual(stopped.length, 5)
    const stoppedIds = new Set(stopped.map((n) => first(n, "listening")!.peer_id as string))
    const rest = nodes.filter((n) => !stopped.includes(n))
    const before = new Map(rest.map((n) => [n, n.events.length]))
    for (const node of stopped) node.child.kill("SIGTERM")
    for (const node of stopped) assert.strictEqual((await exited(node.child)).code, 143)

    const lost = () =>
      rest.filter((n) =>
        n.events
          .slice(before.get(n))
          .some((e) => e.event === "external_disconnection" && stoppedIds.has(e.peer_id as string))
      )
    await until(() => lost().length > 0, "a disconnection from a stopped node")
    await until(
      () => rest.every((n) => inside(n) && ![...neighbours(n)].some((id) => stoppedIds.has(id))) && connected(rest),
      `recovery inside [5, 11] (${report(rest)})`,
      90_000
    )
    for (const node of rest) {
      assert.strictEqual(node.child.exitCode, null, `node ${node.index} still runs`)
      node.child.kill("SIGTERM")
    }
    for (const node of rest) assert.strictEqual((await exited(node.child)).code, 143)
  }, 240_000)
})
