/**
 * The 24-byte session nonce: a 192-bit big-endian counter incremented after every chunk, and its
 * derivation from the two framed connection messages (Octez `Crypto_box.generate_nonces`).
 *
 * @since 0.1.0
 */
import type { Result } from "effect"
import type * as Brand from "effect/Brand"
import { CryptoBackend } from "./CryptoBackend.ts"
import type { InvalidLength } from "./CryptoError.ts"
import { fixed, incrementInPlace as incrementBytesInPlace } from "./internal/bytes.ts"

/**
 * A 24-byte XSalsa20 nonce.
 *
 * @category models
 * @since 0.1.0
 */
export type Nonce = Uint8Array & Brand.Brand<"Nonce">

/** @category models @since 0.1.0 */
export const length = 24

/**
 * Checks and brands 24 bytes (copied).
 *
 * @example
 * ```ts
 * import { Nonce } from "@effect-p2p/crypto"
 * Nonce.fromBytes(new Uint8Array(24))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromBytes = (bytes: Uint8Array): Result.Result<Nonce, InvalidLength> => fixed("Nonce", length, bytes)

/**
 * The all-zero nonce.
 *
 * @example
 * ```ts
 * import { Nonce } from "@effect-p2p/crypto"
 * Nonce.zero() // 24 zero bytes
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const zero = (): Nonce => new Uint8Array(length) as Nonce

/**
 * The next nonce, as a new value: big-endian +1 modulo 2^192 (all-`ff` wraps to zero).
 *
 * @example
 * ```ts
 * import { Nonce } from "@effect-p2p/crypto"
 * Nonce.increment(Nonce.zero())[23] // 1
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const increment = (nonce: Nonce): Nonce => {
  const next = Uint8Array.from(nonce) as Nonce
  incrementBytesInPlace(next)
  return next
}

/**
 * {@link increment} in place, for a connection that owns its nonce buffer (no allocation).
 *
 * @example
 * ```ts
 * import { Nonce } from "@effect-p2p/crypto"
 * const n = Nonce.zero(); Nonce.incrementInPlace(n)
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const incrementInPlace = (nonce: Nonce): void => incrementBytesInPlace(nonce)

/**
 * The two connection messages and this side's role.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectionMessages {
  /** True when this side accepted the connection, false when it dialled. */
  readonly incoming: boolean
  /** The framed connection message this side sent (2-byte length prefix included). */
  readonly sent: Uint8Array
  /** The framed connection message this side received (2-byte length prefix included). */
  readonly received: Uint8Array
}

/**
 * The initial nonces: `local` seals what this side sends, `remote` opens what it receives.
 *
 * @category models
 * @since 0.1.0
 */
export interface Nonces {
  readonly local: Nonce
  readonly remote: Nonce
}

const initToResp = new TextEncoder().encode("Init -> Resp")
const respToInit = new TextEncoder().encode("Resp -> Init")

/**
 * Pure nonce derivation given a BLAKE2b function (e.g. a backend's `blake2b`).
 *
 * The messages are ordered by role (dialler first), and the assignment looks crossed: the
 * dialler's local nonce is the "Resp -> Init" hash. This is what Octez does; swapping it breaks
 * interoperability.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * // The framed connection messages (length prefix included) as the dialler sent and received them
 * const sent = new Uint8Array([0, 2, 1, 2]), received = new Uint8Array([0, 2, 3, 4])
 * const dialler = Nonce.deriveWith(CryptoBackend.noble.blake2b, { incoming: false, sent, received })
 * const acceptor = Nonce.deriveWith(CryptoBackend.noble.blake2b, { incoming: true, sent: received, received: sent })
 * // dialler.local equals acceptor.remote, dialler.remote equals acceptor.local
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const deriveWith = (
  blake2b: (data: Uint8Array, outputLength: number) => Uint8Array,
  { incoming, received, sent }: ConnectionMessages
): Nonces => {
  const [init, resp] = incoming ? [received, sent] : [sent, received]
  const hash = (seed: Uint8Array): Nonce => {
    const input = new Uint8Array(init.length + resp.length + seed.length)
    input.set(init, 0)
    input.set(resp, init.length)
    input.set(seed, init.length + resp.length)
    return blake2b(input, 32).slice(0, length) as Nonce
  }
  const nIr = hash(initToResp)
  const nRi = hash(respToInit)
  return incoming ? { local: nIr, remote: nRi } : { local: nRi, remote: nIr }
}

/**
 * {@link deriveWith} using the `CryptoBackend` service.
 *
 * @example
 * ```ts
 * import { CryptoBackend, Nonce } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * const sent = new Uint8Array([0, 2, 1, 2]), received = new Uint8Array([0, 2, 3, 4])
 * const nonces = Nonce.fromConnectionMessages({ incoming: false, sent, received }) // Effect<{ local, remote }>
 * Effect.runSync(Effect.provide(nonces, CryptoBackend.layerNoble)).local.length // 24
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromConnectionMessages = (messages: ConnectionMessages) =>
  CryptoBackend.useSync((backend) => deriveWith(backend.blake2b, messages))
