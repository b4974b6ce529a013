/**
 * The independent implementations each backend is checked against: never the backend itself.
 * libsodium (through `libsodium-wrappers`' own high-level functions, not the raw calls `WasmCrypto`
 * makes) for the noble backend; noble for the native and WebAssembly backends, which are libsodium.
 */
import { CryptoBackend } from "@effect-p2p/crypto"
import { Effect } from "effect"

/** The operations an oracle answers; `undefined` where it refuses (a low-order key, a wrong tag). */
export type Oracle = Pick<
  CryptoBackend.CryptoBackendShape,
  "name" | "x25519" | "publicKeyOf" | "precompute" | "seal" | "open" | "blake2b"
>

const orUndefined = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

/** libsodium 1.0.x compiled to WebAssembly, called through libsodium-wrappers' documented API. */
export const libsodium: Effect.Effect<Oracle> = Effect.promise(async () => {
  const sodium = (await import("libsodium-wrappers")).default
  await sodium.ready
  return {
    name: "libsodium-wrappers (oracle)",
    x25519: (sk, pk) => orUndefined(() => sodium.crypto_scalarmult(sk, pk)),
    publicKeyOf: (sk) => sodium.crypto_scalarmult_base(sk),
    precompute: (sk, pk) => orUndefined(() => sodium.crypto_box_beforenm(pk, sk)),
    seal: (key, nonce, m) => sodium.crypto_secretbox_easy(m, nonce, key),
    open: (key, nonce, c) => orUndefined(() => sodium.crypto_secretbox_open_easy(c, nonce, key)),
    blake2b: (data, outputLength) => sodium.crypto_generichash(outputLength, data, null)
  }
})

/** The pure-JS backend (`@noble/curves`, `@noble/ciphers`, `@noble/hashes`). */
export const noble: Effect.Effect<Oracle> = Effect.succeed({ ...CryptoBackend.noble, name: "noble (oracle)" })
