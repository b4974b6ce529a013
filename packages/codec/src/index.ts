/**
 * @effect-p2p/codec
 *
 * @since 0.1.0
 */
export {}
