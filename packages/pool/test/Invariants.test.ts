/**
 * The simulator's per-second invariant check (`Simulator.checkSecond`) on hand-made connection
 * lists: each invariant is reported when broken, and only then. The simulation tests only show runs
 * without violations; these show the check would see one.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
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

  it("a node back inside max_threshold between two checks starts its time above it again", () => {
    // Above at every check, but trimmed to the threshold between seconds 5 and 6 (then new
    // connections came): the time above restarts at 6, so nothing is reported at 7 or 11.
    const crowded = nodes([[1, 2, 3], [0], [0], [0]])
    let state = Simulator.initialCheckState
    for (let second = 0; second <= 5; second++) state = check(second, crowded, state).state
    const dipped = [{ ...crowded[0]!, lowestSinceLastCheck: 2 }, ...crowded.slice(1)]
    const afterDip = check(6, dipped, state)
    assert.deepStrictEqual(afterDip.violations, [])
    assert.deepStrictEqual(check(11, crowded, afterDip.state).violations, [])
    assert.deepStrictEqual(kinds(check(12, crowded, afterDip.state)), ["0 above-max-threshold"])
    // A dip that stayed above the threshold changes nothing.
    const stillAbove = [{ ...crowded[0]!, lowestSinceLastCheck: 3 }, ...crowded.slice(1)]
    assert.deepStrictEqual(kinds(check(6, stillAbove, state)), ["0 above-max-threshold"])
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

  it("a node's links resolved at one check are reused at the next while its list and the running nodes are the same", () => {
    const checked = nodes([[1], [0]])
    const first = check(0, checked)
    const second = check(1, checked, first.state)
    assert.strictEqual(second.state.resolved.get(0), first.state.resolved.get(0))
    // A new list (a connection opened or closed) is resolved again.
    const changed = [{ ...checked[0]!, connections: [...checked[0]!.connections] }, checked[1]!]
    assert.notStrictEqual(check(2, changed, second.state).state.resolved.get(0), first.state.resolved.get(0))
  })

  it("a node that stops is no longer an end of the links still listed in an unchanged list", () => {
    // Node 1 stops; node 0 has not noticed yet and returns the same list: peer-1 is now a stranger,
    // not a one-sided link (resolving against the old running nodes would report one at the next check).
    const before = nodes([[1], [0]])
    let state = check(0, before).state
    for (const second of [1, 2, 3]) {
      const result = check(second, [before[0]!], state)
      assert.deepStrictEqual(result.violations, [], `second ${second}`)
      state = result.state
    }
  })

  it("property: reusing resolved links never changes what the check reports", () => {
    // Each step: a random graph on up to 6 nodes, some nodes not running, and each running node
    // keeping its previous list object when its links did not change (as a pool does).
    const step = fc.record({
      running: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      links: fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 5 }), { minLength: 6, maxLength: 6 })
    })
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        let cached = Simulator.initialCheckState
        let fresh = Simulator.initialCheckState
        let lists: Array<Simulator.CheckedNode["connections"] | undefined> = []
        steps.forEach(({ running, links }, second) => {
          const checked: Array<Simulator.CheckedNode> = []
          lists = links.map((to, i) => {
            const connections = to.filter((j) => j !== i).map((j) => ({ peerId: peer(j), point: point(j) }))
            const old = lists[i]
            const same = old !== undefined && JSON.stringify(old) === JSON.stringify(connections)
            return same ? old : connections
          })
          running.forEach((up, index) => {
            if (up) {
              checked.push({
                index,
                peerId: peer(index),
                connections: lists[index]!,
                anyBanned: false,
                isBanned: () => false
              })
            }
          })
          const a = check(second, checked, cached)
          const b = check(second, checked, { ...fresh, resolved: new Map(), members: [] })
          assert.deepStrictEqual(a.violations, b.violations)
          cached = a.state
          fresh = b.state
        })
      }),
      { seed: 21, numRuns: 300 }
    )
  })
})
