import { describe, expect, it } from "vitest"
import { p2pVectors, vectorPath } from "./support/vectors.ts"

describe("shared vectors", () => {
  it("loads p2p.json with every section the suites rely on", () => {
    const vectors = p2pVectors()
    for (const section of ["blake2b", "nonce_derivation", "precompute", "box", "pow_target", "identities", "ack"]) {
      expect(vectors, `p2p.json has no "${section}" section`).toHaveProperty(section)
    }
  })

  it("fails clearly when a vector file is missing", () => {
    expect(() => vectorPath("no-such-vector.json")).toThrow(/Test vector not found/)
  })
})
