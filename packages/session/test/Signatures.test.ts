/**
 * Type tests: what each effectful function of the package declares it can fail with and needs.
 * Checked by `pnpm typecheck` (tsc -b includes this file); the runtime test only makes vitest
 * collect it. A change to an error union shows up here as a type error, so it is a decision.
 */
import type { DecodeError } from "@effect-p2p/codec/CodecError"
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import type { ByteReader } from "@effect-p2p/connection/ByteReader"
import type { Connection } from "@effect-p2p/connection/Connection"
import type { ConnectionClosed, InvalidIncomingCiphertextSize } from "@effect-p2p/connection/ConnectionError"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { DecipherError } from "@effect-p2p/crypto/CryptoError"
import type { Effect, Result, Scope } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import type * as Ack from "../src/Ack.ts"
import type * as ConnectionMessage from "../src/ConnectionMessage.ts"
import type * as Metadata from "../src/Metadata.ts"
import type * as Negotiation from "../src/Negotiation.ts"
import type * as Rejection from "../src/Rejection.ts"
import type * as Session from "../src/Session.ts"
import type * as SessionError from "../src/SessionError.ts"

type Meta = { readonly nickname: string }
type Msg = { readonly _tag: "Hello"; readonly text: string }
type Tags<E> = E extends { readonly _tag: infer T } ? T : never

describe("declared signatures", () => {
  it("Session.authenticate fails with AuthenticateError and needs a CryptoBackend and a Scope", () => {
    expectTypeOf<ReturnType<typeof Session.authenticate<Meta>>>().toEqualTypeOf<
      Effect.Effect<
        readonly [Session.ConnectionInfo<Meta>, Session.AuthenticatedConnection<Meta>],
        SessionError.AuthenticateError,
        CryptoBackend | Scope.Scope
      >
    >()
    expectTypeOf<Tags<SessionError.AuthenticateError>>().toEqualTypeOf<
      | "InvalidDifficulty"
      | "ConnectionClosed"
      | "EncodeError"
      | "InvalidMessageSize"
      | "DecodeError"
      | "NotEnoughProofOfWork"
      | "InvalidPublicKey"
      | "InvalidIncomingCiphertextSize"
      | "DecipherError"
      | "Myself"
      | "HandshakeTimeout"
    >()
    expect(true).toBe(true)
  })

  it("Session.accept fails with AcceptError, Session.nack only with AlreadyUsed", () => {
    expectTypeOf<ReturnType<typeof Session.accept<Meta, Msg>>>().toEqualTypeOf<
      Effect.Effect<Connection<Msg>, SessionError.AcceptError, CryptoBackend | Scope.Scope>
    >()
    expectTypeOf<Tags<SessionError.AcceptError>>().toEqualTypeOf<
      | "AlreadyUsed"
      | "InvalidChunksSize"
      | "UnframedEncoding"
      | "ConnectionClosed"
      | "InvalidIncomingCiphertextSize"
      | "InvalidAuth"
      | "DecodeError"
      | "RejectedByNack"
      | "HandshakeTimeout"
    >()
    expectTypeOf<ReturnType<typeof Session.nack<Meta>>>().toEqualTypeOf<
      Effect.Effect<void, SessionError.NackError, CryptoBackend>
    >()
    expectTypeOf<SessionError.NackError>().toEqualTypeOf<SessionError.AlreadyUsed>()
  })

  it("the wire readers declare their errors and need nothing", () => {
    expectTypeOf<ReturnType<typeof ConnectionMessage.read>>().toEqualTypeOf<
      Effect.Effect<ConnectionMessage.Received, ConnectionClosed | DecodeError>
    >()
    expectTypeOf<ReturnType<typeof Metadata.read<Meta>>>().toEqualTypeOf<
      Effect.Effect<Meta, ConnectionClosed | InvalidIncomingCiphertextSize | DecipherError | DecodeError>
    >()
    expectTypeOf<ReturnType<typeof Ack.read>>().toEqualTypeOf<
      Effect.Effect<
        Ack.AckMessage,
        ConnectionClosed | InvalidIncomingCiphertextSize | SessionError.InvalidAuth | DecodeError
      >
    >()
    expectTypeOf<Parameters<typeof Ack.read>[3]>().toEqualTypeOf<ByteReader>()
  })

  it("motives are names: what we send, and what a peer's Nack may carry", () => {
    expectTypeOf<Rejection.Motive>().toEqualTypeOf<
      | "NoMotive"
      | "TooManyConnections"
      | "UnknownChainName"
      | "DeprecatedP2pVersion"
      | "DeprecatedDistributedDbVersion"
      | "AlreadyConnected"
    >()
    expectTypeOf<Rejection.Received>().toEqualTypeOf<Rejection.Motive | Rejection.UnknownMotive>()
    expectTypeOf<SessionError.RejectedByNack["motive"]>().toEqualTypeOf<Rejection.Received>()
    expectTypeOf<SessionError.Rejected["motive"]>().toEqualTypeOf<Rejection.Motive>()
    expectTypeOf<NonNullable<Session.NackOptions["motive"]>>().toEqualTypeOf<Rejection.Motive>()
    expectTypeOf<ReturnType<typeof Negotiation.select>>().toEqualTypeOf<
      Result.Result<NetworkVersion, Rejection.Motive>
    >()
  })

  it("options take a difficulty and plain version arrays", () => {
    expectTypeOf<Session.AuthenticateOptions<Meta>["expectedPow"]>().toEqualTypeOf<number>()
    expectTypeOf<Negotiation.Supported["p2pVersions"]>().toEqualTypeOf<ReadonlyArray<number>>()
    expectTypeOf<ReturnType<typeof Negotiation.validate>>().toEqualTypeOf<
      Result.Result<Negotiation.Supported, SessionError.InvalidVersions>
    >()
  })
})
