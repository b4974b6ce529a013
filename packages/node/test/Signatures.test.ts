/**
 * Type tests: what the TCP entry points declare they can fail with and need. Checked by
 * `pnpm typecheck` (tsc -b includes this file); the runtime test only makes vitest collect it.
 */
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type * as ConnectHandler from "@effect-p2p/pool/ConnectHandler"
import type { AcceptError, AuthenticateError, InvalidVersions, Rejected } from "@effect-p2p/session/SessionError"
import type { Effect, Layer, Scope } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import type * as Dialer from "../src/Dialer.ts"
import type * as Listener from "../src/Listener.ts"
import type * as Tcp from "../src/Tcp.ts"
import type { TcpError, UnexpectedPeerId } from "../src/TcpError.ts"
import type * as TcpSession from "../src/TcpSession.ts"

type Meta = { readonly nickname: string }
type Msg = { readonly _tag: "Hello"; readonly text: string }
type Tags<E> = E extends { readonly _tag: infer T } ? T : never
interface Db {
  readonly _: unique symbol
}

describe("declared signatures", () => {
  it("Dialer.connect fails with ConnectError, which has no AlreadyUsed", () => {
    expectTypeOf<ReturnType<typeof Dialer.connect<Meta, Msg>>>().toEqualTypeOf<
      Effect.Effect<TcpSession.Peer<Meta, Msg>, Dialer.ConnectError, CryptoBackend | Scope.Scope>
    >()
    expectTypeOf<Dialer.ConnectError>().toEqualTypeOf<TcpError | TcpSession.EstablishError>()
    expectTypeOf<Extract<Dialer.ConnectError, { readonly _tag: "AlreadyUsed" }>>().toBeNever()
    expectTypeOf<Tags<Dialer.ConnectError>>().toEqualTypeOf<
      | "TcpError"
      | "InvalidDifficulty"
      | "InvalidVersions"
      | Exclude<Tags<AuthenticateError | AcceptError>, "AlreadyUsed">
      | "Rejected"
      | "UnexpectedPeerId"
    >()
    expect(true).toBe(true)
  })

  it("TcpSession: establish and validateOptions", () => {
    expectTypeOf<ReturnType<typeof TcpSession.establish<Meta, Msg>>>().toEqualTypeOf<
      Effect.Effect<TcpSession.Peer<Meta, Msg>, TcpSession.EstablishError, CryptoBackend | Scope.Scope>
    >()
    expectTypeOf<Tags<TcpSession.OptionsError>>().toEqualTypeOf<"InvalidDifficulty" | "InvalidVersions">()
    expectTypeOf<Extract<TcpSession.EstablishError, Rejected | UnexpectedPeerId | InvalidVersions>>().toEqualTypeOf<
      Rejected | UnexpectedPeerId | InvalidVersions
    >()
    expectTypeOf<TcpSession.SessionOptions<Meta, Msg>["expectedPow"]>().toEqualTypeOf<number>()
    // The pool's policy hook, run by the same connect handler.
    expectTypeOf<TcpSession.SessionOptions<Meta, Msg>["policy"]>().toEqualTypeOf<
      ConnectHandler.Policy<Meta> | undefined
    >()
  })

  it("Listener.make fails with MakeError; the handler's own needs pass through, its errors do not", () => {
    expectTypeOf<ReturnType<typeof Listener.make<Meta, Msg, "HandlerError", Db | Scope.Scope>>>().toEqualTypeOf<
      Effect.Effect<Listener.Listener, Listener.MakeError, CryptoBackend | Scope.Scope | Db>
    >()
    expectTypeOf<Listener.MakeError>().toEqualTypeOf<TcpError | TcpSession.OptionsError>()
    expectTypeOf<ReturnType<typeof Listener.fromServer<Meta, Msg, "HandlerError", Db>>>().toEqualTypeOf<
      Effect.Effect<Listener.Listener, TcpSession.OptionsError, CryptoBackend | Scope.Scope | Db>
    >()
    expectTypeOf<ReturnType<typeof Listener.layer<Meta, Msg, never, never>>>().toEqualTypeOf<
      Layer.Layer<Listener.ListenerService, Listener.MakeError, CryptoBackend>
    >()
  })

  it("Tcp.connect and Tcp.listen fail with TcpError and need a Scope", () => {
    expectTypeOf<ReturnType<typeof Tcp.connect>>().toEqualTypeOf<Effect.Effect<Tcp.TcpSocket, TcpError, Scope.Scope>>()
    expectTypeOf<ReturnType<typeof Tcp.listen>>().toEqualTypeOf<Effect.Effect<Tcp.Server, TcpError, Scope.Scope>>()
  })
})
