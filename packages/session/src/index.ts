/**
 * @effect-p2p/session
 *
 * @since 0.1.0
 */
export {}
