/**
 * @effect-p2p/node
 *
 * @since 0.1.0
 */
export {}
/** @since 0.1.0 */
export * as NativeCrypto from "./NativeCrypto.ts"
/** @since 0.1.0 */
export * as ProofOfWorkPool from "./ProofOfWorkPool.ts"
/** @since 0.1.0 */
export * as PowWorkerProtocol from "./PowWorkerProtocol.ts"
