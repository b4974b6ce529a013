import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import * as ConnectionError from "../src/ConnectionError.ts"

const { ConnectionClosed } = ConnectionError

describe("ConnectionClosed", () => {
  it("is a tagged error with its reason and message, made without a stack trace", () => {
    const limit = Error.stackTraceLimit
    const error = ConnectionClosed.byPeer()
    assert.instanceOf(error, Error)
    assert.strictEqual(error._tag, "ConnectionClosed")
    assert.deepStrictEqual(error.reason, { _tag: "ClosedByPeer" })
    assert.strictEqual(error.message, "connection closed: closed by peer")
    assert.strictEqual(error.stack, "ConnectionClosed: connection closed: closed by peer")
    // The limit is only lowered during the construction.
    assert.strictEqual(Error.stackTraceLimit, limit)
    assert.isAbove(new Error("other").stack?.split("\n").length ?? 0, 1)
  })

  it.effect("can still be yielded and caught by tag, and matched on its reason", () =>
    Effect.gen(function* () {
      const error = ConnectionClosed.locally("closing")
      const exit = yield* Effect.exit(
        Effect.gen(function* () {
          return yield* error
        })
      )
      assert.deepStrictEqual(exit, Exit.fail(error))
      const tag = yield* ConnectionClosed.reset().pipe(
        Effect.catchTag("ConnectionClosed", (error) => Effect.succeed(error.reason._tag))
      )
      assert.strictEqual(tag, "ResetByPeer")
    })
  )

  it("every reason has its words, and the reason round-trips through its schema", () => {
    const cases: ReadonlyArray<readonly [ConnectionError.CloseReason, string]> = [
      [{ _tag: "ClosedLocally" }, "closed locally"],
      [{ _tag: "ClosedLocally", detail: "handler finished" }, "handler finished"],
      [{ _tag: "ClosedByPeer" }, "closed by peer"],
      [{ _tag: "ClosedByPeer", code: 4003, detail: "pow" }, "closed by peer (code 4003: pow)"],
      [{ _tag: "ClosedByPeer", code: 4000 }, "closed by peer (code 4000)"],
      [{ _tag: "ResetByPeer" }, "reset by peer"],
      [{ _tag: "SocketError", code: "EHOSTUNREACH", detail: "x" }, "socket error: EHOSTUNREACH"],
      [{ _tag: "SocketError", code: "UNKNOWN" }, "socket error"],
      [{ _tag: "ReadFailed", error: "DecodeError", detail: "bad" }, "bad"],
      [{ _tag: "WriteFailed", error: "Defect", detail: "Error: boom" }, "Error: boom"]
    ]
    for (const [reason, words] of cases) {
      assert.strictEqual(ConnectionError.describe(reason), words)
      const encoded = Schema.encodeSync(ConnectionError.CloseReason)(reason)
      assert.deepStrictEqual(Schema.decodeUnknownSync(ConnectionError.CloseReason)(encoded), reason)
    }
  })

  it("one mapping from socket error codes: resets are ResetByPeer, the rest SocketError with the code", () => {
    for (const code of ["ECONNRESET", "EPIPE", "ECONNABORTED"]) {
      assert.isTrue(ConnectionError.isResetCode(code))
      const error = Object.assign(new Error("x"), { code })
      assert.deepStrictEqual(ConnectionClosed.fromSocketError(error).reason, { _tag: "ResetByPeer" })
    }
    assert.isFalse(ConnectionError.isResetCode(undefined))
    const other = ConnectionClosed.fromSocketError(Object.assign(new Error("no route"), { code: "EHOSTUNREACH" }))
    assert.deepStrictEqual(other.reason, { _tag: "SocketError", code: "EHOSTUNREACH", detail: "no route" })
    const noCode = ConnectionClosed.fromSocketError("weird")
    assert.deepStrictEqual(noCode.reason, { _tag: "SocketError", code: "UNKNOWN", detail: "weird" })
    assert.strictEqual(noCode.description, "socket error: weird")
  })

  it("isConnectionClosed tells it apart", () => {
    assert.isTrue(ConnectionError.isConnectionClosed(ConnectionClosed.locally()))
    assert.isFalse(ConnectionError.isConnectionClosed(new Error("x")))
  })
})
