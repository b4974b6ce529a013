import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import * as PeerState from "../src/PeerState.ts"
import * as PointState from "../src/PointState.ts"

const ok = <A>(r: Result.Result<A, unknown>): A => Result.getOrThrow(r)

type PointEvent =
  | { readonly kind: "requested" }
  | { readonly kind: "accepted"; readonly peer: string }
  | { readonly kind: "running"; readonly peer: string }
  | { readonly kind: "disconnected"; readonly requested: boolean }

const pointEvent: fc.Arbitrary<PointEvent> = fc.oneof(
  fc.constant({ kind: "requested" as const }),
  fc.constantFrom("p1", "p2").map((peer) => ({ kind: "accepted" as const, peer })),
  fc.constantFrom("p1", "p2").map((peer) => ({ kind: "running" as const, peer })),
  fc.boolean().map((requested) => ({ kind: "disconnected" as const, requested }))
)

const applyPoint = (info: PointState.Info, e: PointEvent, now: number) => {
  switch (e.kind) {
    case "requested":
      return PointState.setRequested(info, now)
    case "accepted":
      return PointState.setAccepted(info, e.peer, now)
    case "running":
      return PointState.setRunning(info, e.peer, now)
    case "disconnected":
      return PointState.setDisconnected(info, now, { requested: e.requested })
  }
}

/** What Octez's state machine allows, written as a table independent of the implementation. */
const allowed = (from: PointState.State, e: PointEvent): boolean => {
  switch (e.kind) {
    case "requested":
      return from._tag === "Disconnected" || from._tag === "Requested"
    case "accepted":
      return from._tag === "Disconnected" || from._tag === "Requested"
    case "running":
      return (
        from._tag === "Disconnected" ||
        from._tag === "Requested" ||
        (from._tag === "Accepted" && from.peerId === e.peer)
      )
    case "disconnected":
      return from._tag !== "Disconnected"
  }
}

const checkPoint = (info: PointState.Info) => {
  const { delay, endTime } = info.reconnection
  assert.isAtLeast(delay, PointState.defaultReconnection.initialDelay)
  assert.isAtMost(delay, PointState.defaultReconnection.increaseCap)
  assert.isAtMost(info.events.length, PointState.logSize)
  if (info.state._tag === "Accepted" || info.state._tag === "Running") assert.isString(info.state.peerId)
  if (endTime !== undefined) assert.isAtLeast(endTime, PointState.lastMiss(info)!)
}

describe("PointState", () => {
  it("back-off: ×1.2 from 1 s after failures, 60 s and reset after a disconnection", () => {
    let info = PointState.make("10.0.0.1:9732")
    info = ok(PointState.setDisconnected(ok(PointState.setRequested(info, 0)), 10))
    assert.deepStrictEqual(info.reconnection, { delay: 1_200, endTime: 1_010 })
    assert.isTrue(PointState.inBackOff(info, 1_010))
    assert.isFalse(PointState.inBackOff(info, 1_011))
    info = ok(
      PointState.setDisconnected(
        ok(PointState.setAccepted(ok(PointState.setRequested(info, 2_000)), "p", 2_001)),
        2_002
      )
    )
    assert.deepStrictEqual(info.reconnection, { delay: 1_440, endTime: 3_202 })
    assert.strictEqual(info.lastRejectedConnection, 2_002)
    info = ok(PointState.setDisconnected(ok(PointState.setRunning(info, "p", 5_000)), 6_000, { requested: true }))
    assert.deepStrictEqual(info.reconnection, { delay: 1_000, endTime: 66_000 })
    assert.strictEqual(info.events.at(-1)?.kind, "disconnection")
  })

  it("the back-off is capped at 2 days", () => {
    let info = PointState.make("p")
    for (let i = 0; i < 200; i++) info = ok(PointState.setDisconnected(ok(PointState.setRequested(info, i)), i))
    assert.strictEqual(info.reconnection.delay, 172_800_000)
    assert.strictEqual(info.events.length, 100)
  })

  it("Disconnected → Disconnected is refused (Octez asserts)", () => {
    const r = PointState.setDisconnected(PointState.make("p"), 0)
    assert.isTrue(Result.isFailure(r) && r.failure._tag === "InvalidTransition")
  })

  it("random event sequences never reach an invalid state; refusals are exactly Octez's (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(pointEvent, fc.nat({ max: 100_000 })), { maxLength: 60 }), (events) => {
        let info = PointState.make("10.0.0.1:9732")
        let now = 0
        for (const [e, dt] of events) {
          now += dt
          const r = applyPoint(info, e, now)
          assert.strictEqual(Result.isSuccess(r), allowed(info.state, e), `${info.state._tag} + ${e.kind}`)
          if (Result.isSuccess(r)) info = r.success
          checkPoint(info)
        }
      })
    )
  })
})

type PeerEvent =
  | { readonly kind: "accepted"; readonly point: string }
  | { readonly kind: "running"; readonly point: string }
  | { readonly kind: "disconnected" }

describe("PeerState", () => {
  it("random event sequences never reach an invalid state (property)", () => {
    const event: fc.Arbitrary<PeerEvent> = fc.oneof(
      fc.constantFrom("a:1", "b:2").map((point) => ({ kind: "accepted" as const, point })),
      fc.constantFrom("a:1", "b:2").map((point) => ({ kind: "running" as const, point })),
      fc.constant({ kind: "disconnected" as const })
    )
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        let info = PeerState.make("idt", 0)
        let now = 0
        for (const e of events) {
          now++
          const from = info.state
          const r =
            e.kind === "accepted"
              ? PeerState.setAccepted(info, e.point, now)
              : e.kind === "running"
                ? PeerState.setRunning(info, e.point, now)
                : PeerState.setDisconnected(info, now)
          const expected =
            e.kind === "accepted"
              ? from._tag === "Disconnected"
              : e.kind === "running"
                ? from._tag === "Disconnected" || (from._tag === "Accepted" && from.point === e.point)
                : from._tag !== "Disconnected"
          assert.strictEqual(Result.isSuccess(r), expected)
          if (Result.isSuccess(r)) info = r.success
          assert.isAtMost(info.events.length, 100)
          if (info.state._tag === "Running") assert.strictEqual(info.lastPoint, info.state.point)
        }
      })
    )
  })
})
