/**
 * The error and requirement types of the WebSocket and bridge entry points, pinned: a change to
 * what they can fail with shows here first (type-checked by `pnpm typecheck`).
 */
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
import type { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { InvalidDifficulty } from "@effect-p2p/crypto/CryptoError"
import * as Bridge from "@effect-p2p/node/Bridge"
import type { TcpError } from "@effect-p2p/node/TcpError"
import * as WebSocket from "@effect-p2p/node/WebSocket"
import type { Effect, Scope } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"

describe("WebSocket and bridge types", () => {
  it("pins what each entry point can fail with and needs", () => {
    expectTypeOf(WebSocketByteSocket.connect).returns.toEqualTypeOf<
      Effect.Effect<ByteSocket, WebSocketByteSocket.WebSocketError, Scope.Scope>
    >()
    expectTypeOf(WebSocketByteSocket.make).returns.toEqualTypeOf<Effect.Effect<ByteSocket, never, Scope.Scope>>()
    expectTypeOf(WebSocket.connect).returns.toEqualTypeOf<
      Effect.Effect<ByteSocket, WebSocketByteSocket.WebSocketError, Scope.Scope>
    >()
    expectTypeOf(WebSocket.listen).returns.toEqualTypeOf<Effect.Effect<WebSocket.Server, TcpError, Scope.Scope>>()
    expectTypeOf(Bridge.make).returns.toEqualTypeOf<
      Effect.Effect<Bridge.Bridge, InvalidDifficulty | TcpError, Scope.Scope | CryptoBackend>
    >()
    expect(Bridge.CloseCode.notEnoughProofOfWork).toBe(4003)
  })
})
