/**
 * The simulator's per-second invariant check (`Simulator.checkSecond`) on hand-made connection
 * lists: each invariant is reported when broken, and only then. The simulation tests only show runs
 * without violations; these show the check would see one.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Simulator from "../src/Simulator.ts"

const peer = (i: number) => `peer-${i}`
const point = (i: number) => `10.0.0.${i + 1}:9732`

/** Nodes 0..n-1; `links[i]` lists the nodes node i is connected to. */
const nodes = (
  links: ReadonlyArray<ReadonlyArray<number>>,
  banned: ReadonlyMap<number, ReadonlySet<string>> = new Map()
): ReadonlyArray<Simulator.CheckedNode> =>
  links.map((to, index) => ({
    index,
    peerId: peer(index),
    connections: to.map((j) => ({ peerId: peer(j), point: point(j) })),
    anyBanned: (banned.get(index)?.size ?? 0) > 0,
    isBanned: (host) => banned.get(index)?.has(host) ?? false
  }))

const check = (
  second: number,
  checked: ReadonlyArray<Simulator.CheckedNode>,
  state: Simulator.CheckState = Simulator.initialCheckState,
  options: { readonly crossesPartition?: (a: number, b: number) => boolean } = {}
) =>
  Simulator.checkSecond({
    second,
    nodes: checked,
    maxThreshold: 2,
    hardLimit: 3,
    grace: 5,
    crossesPartition: options.crossesPartition ?? (() => false),
    state
  })

const kinds = (result: ReturnType<typeof check>) => result.violations.map((v) => `${v.node} ${v.invariant}`)

describe("Simulator.checkSecond", () => {
  it("a symmetric network inside its bounds breaks nothing", () => {
    const result = check(
      0,
      nodes([
        [1, 2],
        [0, 2],
        [0, 1]
      ])
    )
    assert.deepStrictEqual(result.violations, [])
  })

  it("a link one end lists and the other does not is reported at the second check in a row, not the first", () => {
    const oneSided = nodes([[1], [], []])
    const first = check(0, oneSided)
    assert.deepStrictEqual(first.violations, [])
    const second = check(1, oneSided, first.state)
    assert.deepStrictEqual(kinds(second), ["0 asymmetric-link"])
    // Healed in between: nothing.
    const healed = check(1, nodes([[1], [0], []]), first.state)
    assert.deepStrictEqual(healed.violations, [])
  })

  it("a connection to a peer that is not a running node is not a one-sided link", () => {
    const withStranger = [{ ...nodes([[]])[0]!, connections: [{ peerId: "stranger", point: "10.9.9.9:9732" }] }]
    const first = check(1, withStranger)
    assert.deepStrictEqual(first.violations, [])
    assert.deepStrictEqual(check(2, withStranger, first.state).violations, [])
  })

  it("above max_threshold longer than the grace is reported, and the count restarts", () => {
    const crowded = nodes([[1, 2, 3], [0], [0], [0]])
    let state = Simulator.initialCheckState
    for (let second = 0; second <= 5; second++) {
      const result = check(second, crowded, state)
      assert.deepStrictEqual(result.violations, [], `second ${second}`)
      state = result.state
    }
    const late = check(6, crowded, state)
    assert.deepStrictEqual(kinds(late), ["0 above-max-threshold"])
    assert.deepStrictEqual(check(7, crowded, late.state).violations, [])
    // Back inside the bounds: the count starts again from zero.
    const inside = check(7, nodes([[1, 2], [0], [0], []]), state)
    assert.deepStrictEqual(check(12, crowded, inside.state).violations, [])
  })

  it("above the hard limit is reported at once", () => {
    const result = check(0, nodes([[1, 2, 3, 4], [0], [0], [0], [0]]))
    assert.deepStrictEqual(kinds(result), ["0 above-max-threshold"])
  })

  it("a connection to a host the node banned is reported, and only by that node", () => {
    const result = check(0, nodes([[1], [0]], new Map([[0, new Set(["10.0.0.2"])]])))
    assert.deepStrictEqual(kinds(result), ["0 banned-point"])
  })

  it("a link across the partition is reported by both ends", () => {
    const sideB = new Set([1])
    const result = check(0, nodes([[1], [0]]), Simulator.initialCheckState, {
      crossesPartition: (a, b) => sideB.has(a) !== sideB.has(b)
    })
    assert.deepStrictEqual(kinds(result), ["0 partition", "1 partition"])
  })
})
