import { assert, describe, it } from "@effect/vitest"
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import { Option, Result } from "effect"
import * as Negotiation from "../src/Negotiation.ts"
import * as Rejection from "../src/Rejection.ts"

const octez: Negotiation.Supported = {
  chainName: "TEZOS_MAINNET",
  distributedDbVersions: Negotiation.octezDistributedDbVersions,
  p2pVersions: Negotiation.octezP2pVersions
}

describe("Negotiation", () => {
  it("announces the greatest supported versions", () => {
    assert.deepStrictEqual(Negotiation.announced(octez), {
      chainName: "TEZOS_MAINNET",
      distributedDbVersion: 2,
      p2pVersion: 1
    })
  })

  const versionTable: ReadonlyArray<readonly [ReadonlyArray<number>, number, Option.Option<number>]> = [
    [[0, 1, 2], 2, Option.some(2)], // equal: ours
    [[0, 1, 2], 7, Option.some(2)], // peer newer: ours
    [[0, 1, 2], 1, Option.some(1)], // peer older and supported: theirs
    [[1, 2], 0, Option.none()], // peer older and unsupported
    [[], 0, Option.none()]
  ]
  for (const [supported, remote, expected] of versionTable) {
    it(`selectVersion([${supported}], ${remote})`, () => {
      assert.deepStrictEqual(Negotiation.selectVersion(supported, remote), expected)
    })
  }

  const selectTable: ReadonlyArray<readonly [string, NetworkVersion, Result.Result<NetworkVersion, Rejection.Motive>]> =
    [
      [
        "same chain, peer older",
        { chainName: "TEZOS_MAINNET", distributedDbVersion: 0, p2pVersion: 0 },
        Result.succeed({ chainName: "TEZOS_MAINNET", distributedDbVersion: 0, p2pVersion: 0 })
      ],
      [
        "same chain, peer newer",
        { chainName: "TEZOS_MAINNET", distributedDbVersion: 9, p2pVersion: 9 },
        Result.succeed({ chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 })
      ],
      [
        "other chain (checked first)",
        { chainName: "TEZOS", distributedDbVersion: 99, p2pVersion: 99 },
        Result.fail(Rejection.UnknownChainName)
      ]
    ]
  for (const [name, remote, expected] of selectTable) {
    it(`select: ${name}`, () => {
      assert.deepStrictEqual(Negotiation.select(octez, remote), expected)
    })
  }

  it("select: ddb is checked before p2p", () => {
    const picky: Negotiation.Supported = { chainName: "C", distributedDbVersions: [2], p2pVersions: [1] }
    assert.deepStrictEqual(
      Negotiation.select(picky, { chainName: "C", distributedDbVersion: 0, p2pVersion: 0 }),
      Result.fail(Rejection.DeprecatedDistributedDbVersion)
    )
    assert.deepStrictEqual(
      Negotiation.select(picky, { chainName: "C", distributedDbVersion: 2, p2pVersion: 0 }),
      Result.fail(Rejection.DeprecatedP2pVersion)
    )
  })

  const lists: ReadonlyArray<readonly [string, Partial<Negotiation.Supported>, string | undefined]> = [
    ["Octez's lists", {}, undefined],
    ["one version each", { distributedDbVersions: [2], p2pVersions: [0] }, undefined],
    ["the largest uint16", { p2pVersions: [65535] }, undefined],
    ["no distributed-db version", { distributedDbVersions: [] }, "distributedDbVersions"],
    ["no p2p version", { p2pVersions: [] }, "p2pVersions"],
    ["a negative version", { p2pVersions: [0, -1] }, "p2pVersions"],
    ["a version past uint16", { distributedDbVersions: [65536] }, "distributedDbVersions"],
    ["a fractional version", { distributedDbVersions: [1.5] }, "distributedDbVersions"],
    ["NaN", { p2pVersions: [Number.NaN] }, "p2pVersions"]
  ]
  for (const [name, change, failing] of lists) {
    it(`validate: ${name}`, () => {
      const supported = { ...octez, ...change }
      const result = Negotiation.validate(supported)
      if (failing === undefined) assert.deepStrictEqual(result, Result.succeed(supported))
      else {
        assert.isTrue(Result.isFailure(result))
        if (Result.isFailure(result)) {
          assert.strictEqual(result.failure._tag, "InvalidVersions")
          assert.strictEqual(result.failure.list, failing)
        }
      }
    })
  }

  it("motive names follow Octez, unknown codes are kept", () => {
    assert.strictEqual(Rejection.name(Rejection.DeprecatedP2pVersion), "Deprecated_p2p_version")
    assert.strictEqual(Rejection.name({ _tag: "UnknownMotive", code: -3 }), "Unknown_motive(-3)")
  })
})
