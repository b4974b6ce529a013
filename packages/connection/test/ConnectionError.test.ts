import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { ConnectionClosed } from "../src/ConnectionError.ts"

describe("ConnectionClosed", () => {
  it("is a tagged error with its reason and message, made without a stack trace", () => {
    const limit = Error.stackTraceLimit
    const error = new ConnectionClosed({ reason: "closed by peer" })
    assert.instanceOf(error, Error)
    assert.strictEqual(error._tag, "ConnectionClosed")
    assert.strictEqual(error.reason, "closed by peer")
    assert.strictEqual(error.message, "connection closed: closed by peer")
    assert.strictEqual(error.stack, "ConnectionClosed: connection closed: closed by peer")
    // The limit is only lowered during the construction.
    assert.strictEqual(Error.stackTraceLimit, limit)
    assert.isAbove(new Error("other").stack?.split("\n").length ?? 0, 1)
  })

  it.effect("can still be yielded and caught by tag", () =>
    Effect.gen(function* () {
      const error = new ConnectionClosed({ reason: "closing" })
      const exit = yield* Effect.exit(
        Effect.gen(function* () {
          return yield* error
        })
      )
      assert.deepStrictEqual(exit, Exit.fail(error))
      const reason = yield* new ConnectionClosed({ reason: "closing" }).pipe(
        Effect.catchTag("ConnectionClosed", (error) => Effect.succeed(error.reason))
      )
      assert.strictEqual(reason, "closing")
    })
  )
})
