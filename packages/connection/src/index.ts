/**
 * @effect-p2p/connection
 *
 * @since 0.1.0
 */
export {}
