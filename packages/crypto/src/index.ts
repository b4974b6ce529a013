/**
 * @effect-p2p/crypto: keys, channel key and box, nonces, proof of work, peer ids and identities
 * of the Tezos p2p session protocol, over a pluggable {@link CryptoBackend.CryptoBackend} service.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Box from "./Box.ts"
/** @since 0.1.0 */
export * as CryptoBackend from "./CryptoBackend.ts"
/** @since 0.1.0 */
export * as CryptoError from "./CryptoError.ts"
/** @since 0.1.0 */
export * as Identity from "./Identity.ts"
/** @since 0.1.0 */
export * as Keys from "./Keys.ts"
/** @since 0.1.0 */
export * as Nonce from "./Nonce.ts"
/** @since 0.1.0 */
export * as PeerId from "./PeerId.ts"
/** @since 0.1.0 */
export * as PowHash from "./PowHash.ts"
/** @since 0.1.0 */
export * as ProofOfWork from "./ProofOfWork.ts"
/** @since 0.1.0 */
export * as WasmCrypto from "./WasmCrypto.ts"
