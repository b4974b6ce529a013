import { describe, expect, it } from "@effect/vitest"
import { NativeCrypto } from "@effect-p2p/node"
import { Effect } from "effect"
import { backendSuite } from "../../crypto/test/backendSuite.ts"
import * as Oracles from "../../crypto/test/oracles.ts"

// Checked against the pure-JS noble backend, an implementation independent of libsodium and OpenSSL.
backendSuite("native (sodium X25519)", NativeCrypto.layer(), Oracles.noble)
backendSuite("native (node:crypto X25519)", NativeCrypto.layer({ x25519: "node:crypto" }), Oracles.noble)

describe("NativeCrypto", () => {
  it.effect("loads sodium-native here and names itself", () =>
    Effect.gen(function* () {
      const backend = yield* NativeCrypto.make()
      expect(backend.name).toMatch(/^native/)
    })
  )

  it("SodiumUnavailable says what failed", () => {
    expect(new NativeCrypto.SodiumUnavailable({ reason: "no binary" }).message).toBe(
      "the native crypto backend needs sodium-native, which failed to load: no binary"
    )
  })
})
