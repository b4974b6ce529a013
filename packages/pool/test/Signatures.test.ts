/**
 * The pool's signatures, pinned: what each entry point can fail with and what it needs (tsc checks
 * these; the test bodies only make vitest collect them).
 */
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { InvalidDifficulty } from "@effect-p2p/crypto/CryptoError"
import type { AcceptError, AuthenticateError, InvalidVersions, Rejected } from "@effect-p2p/session/SessionError"
import type { Effect, Scope } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import type { InvalidLimits } from "../src/Limits.ts"
import type { PeersFileError } from "../src/PeersFile.ts"
import type * as Pool from "../src/Pool.ts"
import type * as PoolError from "../src/PoolError.ts"
import type { Transport, TransportError } from "../src/Transport.ts"

type Make = ReturnType<typeof Pool.make<string>>

describe("signatures", () => {
  it("Pool.make fails with InvalidLimits, InvalidDifficulty, InvalidVersions, TransportError or PeersFileError and needs crypto, a transport and a scope", () => {
    expectTypeOf<Effect.Error<Make>>().toEqualTypeOf<
      InvalidLimits | InvalidDifficulty | InvalidVersions | TransportError | PeersFileError
    >()
    expectTypeOf<Effect.Services<Make>>().toEqualTypeOf<CryptoBackend | Transport | Scope.Scope>()
    expectTypeOf<Effect.Success<Make>>().toEqualTypeOf<Pool.Pool<string>>()
    expect(true).toBe(true)
  })

  it("connect fails with the connect handler's errors and the session's, nothing else", () => {
    expectTypeOf<Effect.Error<ReturnType<Pool.Pool<string>["connect"]>>>().toEqualTypeOf<
      | PoolError.InvalidPoint
      | PoolError.PointBanned
      | PoolError.TooManyConnections
      | PoolError.PrivateMode
      | PoolError.PointNotDisconnected
      | PoolError.ReconnectionDelay
      | PoolError.ConnectionFailed
      | PoolError.PeerBanned
      | PoolError.IdentityCheckFailure
      | Rejected
      | AuthenticateError
      | AcceptError
    >()
    expectTypeOf<Effect.Error<ReturnType<Pool.Pool<string>["send"]>>>().toMatchTypeOf<
      PoolError.PeerNotConnected | { readonly _tag: string }
    >()
    expect(true).toBe(true)
  })
})
