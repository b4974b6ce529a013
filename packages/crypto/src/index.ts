/**
 * @effect-p2p/crypto
 *
 * @since 0.1.0
 */
export {}
