/**
 * A typed view of the part of `sodium-native` we use (the package ships no types), and its
 * loader. It is an optional dependency: loading may fail on a platform without a prebuilt binary.
 */
import { createRequire } from "node:module"

/** The `sodium-native` functions used by the native backend and the PoW workers. */
export interface Sodium {
  readonly crypto_scalarmult: (q: Uint8Array, n: Uint8Array, p: Uint8Array) => void
  readonly crypto_scalarmult_base: (q: Uint8Array, n: Uint8Array) => void
  readonly crypto_secretbox_easy: (c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array) => void
  readonly crypto_secretbox_open_easy: (m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array) => boolean
  readonly crypto_generichash: (out: Uint8Array, input: Uint8Array, key?: Uint8Array) => void
  readonly randombytes_buf: (buffer: Uint8Array) => void
}

/** Loads `sodium-native`, or returns the reason it cannot be loaded. */
export const loadSodium = (): { readonly sodium: Sodium } | { readonly error: string } => {
  try {
    const sodium = createRequire(import.meta.url)("sodium-native") as Sodium
    if (typeof sodium.crypto_generichash !== "function") return { error: "sodium-native has an unexpected shape" }
    return { sodium }
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) }
  }
}
