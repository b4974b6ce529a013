import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import * as Limits from "../src/Limits.ts"

describe("Limits", () => {
  it("has Octez's defaults (P2p_limits.default)", () => {
    const d = Limits.defaults
    assert.deepStrictEqual(
      [d.minConnections, d.expectedConnections, d.maxConnections, d.maxIncomingConnections, d.backlog],
      [10, 50, 100, 20, 20]
    )
    assert.deepStrictEqual([d.connectionTimeout, d.authenticationTimeout, d.greylistTimeout], [10, 5, 86_400])
    assert.deepStrictEqual(
      [d.maxKnownPoints, d.maxKnownPeerIds],
      [
        [400, 300],
        [400, 300]
      ]
    )
    assert.deepStrictEqual(
      [d.peerGreylistSize, d.ipGreylistSizeInKilobytes, d.ipGreylistCleanupDelay],
      [1023, 2048, 86_400]
    )
    assert.deepStrictEqual([d.swapLinger, d.maintenanceIdleTime, d.binaryChunksSize], [30, 120, null])
    assert.deepStrictEqual(
      [d.readBufferSize, d.incomingAppMessageQueueSize, d.outgoingMessageQueueSize],
      [16_384, 10, 8 << 20]
    )
  })

  it("reads Octez's JSON keys, and an absent connection-timeout is 5 s as in Octez's encoding", () => {
    const limits = Schema.decodeUnknownSync(Limits.Limits)({
      "max-connections": 30,
      "min-connections": 2,
      max_known_points: [80, 60],
      "swap-linger": null,
      ip_greylist_cleanup_delay: 60
    })
    assert.strictEqual(limits.maxConnections, 30)
    assert.strictEqual(limits.minConnections, 2)
    assert.deepStrictEqual(limits.maxKnownPoints, [80, 60])
    assert.strictEqual(limits.swapLinger, null)
    assert.strictEqual(limits.ipGreylistCleanupDelay, 60)
    assert.strictEqual(limits.connectionTimeout, 5)
    const json = Schema.encodeSync(Limits.Limits)(Limits.defaults) as Record<string, unknown>
    assert.strictEqual(json["connection-timeout"], 10)
    assert.strictEqual(json["max-incoming-connections"], 20)
    assert.deepStrictEqual(json.max_known_peer_ids, [400, 300])
    assert.deepStrictEqual(Schema.decodeUnknownSync(Limits.Limits)(json), Limits.defaults)
  })

  it("refuses ill-typed JSON with a schema error", () => {
    assert.isTrue(Result.isFailure(Schema.decodeUnknownResult(Limits.Limits)({ "max-connections": "many" })))
    assert.isTrue(Result.isFailure(Schema.decodeUnknownResult(Limits.Limits)({ max_known_points: [1] })))
  })

  it("maintenance bounds: 23/36/68/84 at defaults, 3/4/5/6/7/8/9 for expected 6 (tezt)", () => {
    assert.deepStrictEqual(Limits.maintenanceBounds(Limits.defaults), {
      minThreshold: 23,
      minTarget: 36,
      maxTarget: 68,
      maxThreshold: 84
    })
    const six = Limits.fromConnections(Limits.defaults, 6)
    assert.isTrue(Result.isSuccess(six))
    if (Result.isFailure(six)) return
    assert.deepStrictEqual([six.success.minConnections, six.success.maxConnections], [3, 9])
    assert.deepStrictEqual(Limits.maintenanceBounds(six.success), {
      minThreshold: 4,
      minTarget: 5,
      maxTarget: 7,
      maxThreshold: 8
    })
    assert.strictEqual(Limits.connectionsThreshold(Limits.defaults), 84)
    assert.strictEqual(Limits.connectionsThreshold({ ...Limits.defaults, maintenanceIdleTime: null }), 100)
  })

  it("--connections N scales as Octez: N/2, N, 3N/2, tables (8N, 6N); 1 gives min 1; over 100 refused", () => {
    const at = (n: number) => Result.getOrThrow(Limits.fromConnections(Limits.defaults, n))
    const twenty = at(20)
    assert.deepStrictEqual(
      [
        twenty.minConnections,
        twenty.expectedConnections,
        twenty.maxConnections,
        twenty.maxKnownPoints,
        twenty.maxKnownPeerIds
      ],
      [10, 20, 30, [160, 120], [160, 120]]
    )
    const one = at(1)
    assert.deepStrictEqual(
      [one.minConnections, one.expectedConnections, one.maxConnections, one.maxKnownPoints],
      [1, 1, 1, [8, 6]]
    )
    const seven = at(7)
    assert.deepStrictEqual([seven.minConnections, seven.maxConnections, seven.maxKnownPoints], [3, 10, [56, 42]])
    for (const bad of [0, -1, 101, 2.5]) {
      const r = Limits.fromConnections(Limits.defaults, bad)
      assert.isTrue(Result.isFailure(r) && r.failure._tag === "InvalidLimits", `${bad}`)
    }
  })

  it("validate refuses min > expected and expected > max (config_validation)", () => {
    assert.isTrue(Result.isFailure(Limits.validate({ ...Limits.defaults, minConnections: 51 })))
    assert.isTrue(Result.isFailure(Limits.validate({ ...Limits.defaults, expectedConnections: 101 })))
    assert.isTrue(Result.isFailure(Limits.validate({ ...Limits.defaults, maxKnownPoints: [10, 20] })))
    assert.isTrue(Result.isSuccess(Limits.validate(Limits.defaults)))
  })
})
