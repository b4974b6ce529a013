import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { type CryptoBackend, CryptoError, Nonce, WasmCrypto } from "@effect-p2p/crypto"
import { Effect, type Layer } from "effect"
import { backendSuite } from "./backendSuite.ts"
import * as Oracles from "./oracles.ts"

backendSuite("wasm", WasmCrypto.layer, Oracles.noble)

/** Where `needle` occurs in `haystack`, or -1. */
const indexOf = (haystack: Uint8Array, needle: Uint8Array): number => {
  outer: for (
    let i = haystack.indexOf(needle[0]!);
    i >= 0 && i <= haystack.length - needle.length;
    i = haystack.indexOf(needle[0]!, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

describe("WasmCrypto", () => {
  it.effect("names itself", () =>
    Effect.gen(function* () {
      const backend = yield* WasmCrypto.make
      expect(backend.name).toMatch(/^wasm/)
    })
  )

  it.effect("leaves no key, shared secret, channel key or plaintext in libsodium's memory after a call", () =>
    Effect.gen(function* () {
      const backend = yield* WasmCrypto.make
      // The same module instance as the backend's (one import per process).
      const sodium = (yield* Effect.promise(() => import("libsodium-wrappers"))).default
      const heap = () => (sodium as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8
      const secret = backend.randomBytes(32)
      const peer = backend.publicKeyOf(backend.randomBytes(32))
      const shared = backend.x25519(secret, peer)!
      const channelKey = backend.precompute(secret, peer)!
      const plaintext = backend.randomBytes(5000)
      const box = new Uint8Array(16 + plaintext.length)
      box.set(plaintext, 16)
      backend.sealInPlace!(channelKey, Nonce.zero(), box)
      expect(backend.openInPlace!(channelKey, Nonce.zero(), box)).toBe(true)
      backend.open(channelKey, Nonce.zero(), backend.seal(channelKey, Nonce.zero(), plaintext))
      for (const [what, secretBytes] of [
        ["secret key", secret],
        ["shared secret", shared],
        ["channel key", channelKey],
        ["plaintext", plaintext.subarray(0, 64)]
      ] as const) {
        expect(indexOf(heap(), secretBytes), what).toBe(-1)
      }
    })
  )

  it("declares what can fail", () => {
    expectTypeOf(WasmCrypto.layer).toEqualTypeOf<
      Layer.Layer<CryptoBackend.CryptoBackend, CryptoError.WasmUnavailable>
    >()
    expectTypeOf(WasmCrypto.make).toEqualTypeOf<
      Effect.Effect<CryptoBackend.CryptoBackendShape, CryptoError.WasmUnavailable>
    >()
  })

  it("WasmUnavailable says what failed", () => {
    expect(new CryptoError.WasmUnavailable({ reason: "no WebAssembly" }).message).toBe(
      "the WebAssembly crypto backend (libsodium-wrappers) failed to start: no WebAssembly"
    )
    expect(CryptoError.isCryptoError(new CryptoError.WasmUnavailable({ reason: "x" }))).toBe(true)
  })
})
