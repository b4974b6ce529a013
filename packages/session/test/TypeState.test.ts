/**
 * The handshake's type-state, checked by the compiler: `tsc -b` type-checks this file, and each
 * `@ts-expect-error` below fails the build if the misuse it marks ever compiles. This is the one
 * place the project uses `@ts-expect-error`: to prove that something does not type-check.
 */

import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "@effect-p2p/codec/Encoding"
import type { Connection } from "@effect-p2p/connection/Connection"
import { Effect } from "effect"
import * as Session from "../src/Session.ts"

declare const auth: Session.AuthenticatedConnection<void>
declare const connection: Connection<Uint8Array>

// Only referenced inside a function that never runs: these lines exist for the compiler.
const misuses = () => {
  // @ts-expect-error an authenticated connection cannot be read before accept
  void auth.read
  // @ts-expect-error nor written to
  void auth.write(new Uint8Array(1))
  // @ts-expect-error an open connection is not something to accept again
  void Session.accept(connection, { messageEncoding: Encoding.bytes })
  // @ts-expect-error nor to nack
  void Session.nack(connection)
  // @ts-expect-error a plain object is not an authenticated connection
  void Session.nack({ info: auth.info })
  // What accept returns can read and write.
  return Session.accept(auth, { messageEncoding: Encoding.bytes }).pipe(
    Effect.flatMap((c) => Effect.andThen(c.write(new Uint8Array(1)), c.read))
  )
}

describe("type-state", () => {
  it("the misuse examples above are type errors (checked by tsc -b)", () => {
    assert.isFunction(misuses)
  })

  it("a value not made by authenticate is not pending", () => {
    assert.isFalse(Session.isPending({ info: {} }))
    assert.isFalse(Session.isPending(null))
  })
})
