/**
 * @effect-p2p/cli
 *
 * @since 0.1.0
 */
export {}
