/**
 * @effect-p2p/node
 *
 * @since 0.1.0
 */
export {}
