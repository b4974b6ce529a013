import { describe, expect, it } from "vitest"
import * as SimulateCommand from "../src/SimulateCommand.ts"

const MiB = 2 ** 20

describe("SimulateCommand.heapNote", () => {
  it("N = 1,000 under Octez's defaults does not fit comfortably in Node 20's default 4 GiB heap: the note says which limit to give", () => {
    const note = SimulateCommand.heapNote(1000, 84, 4288 * MiB)
    expect(note).toBeDefined()
    expect(note).toContain("--max-old-space-size=9216")
    expect(note).toContain("3.3 GiB of connections")
  })

  it("no note when the run fits in half the limit", () => {
    expect(SimulateCommand.heapNote(100, 84, 4288 * MiB)).toBeUndefined()
    expect(SimulateCommand.heapNote(300, 84, 4288 * MiB)).toBeUndefined()
    expect(SimulateCommand.heapNote(1000, 84, 12_052 * MiB)).toBeUndefined()
  })

  it("a small network's connections are bounded by its size, not by the threshold", () => {
    // 50 peers can hold at most 49 connections each (about 98 MiB), whatever max_threshold says (84: 168 MiB).
    expect(SimulateCommand.heapNote(50, 84, 250 * MiB)).toBeUndefined()
    expect(SimulateCommand.heapNote(50, 84, 190 * MiB)).toBeDefined()
  })
})
