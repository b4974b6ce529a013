/**
 * @effect-p2p/codec: Data_encoding-compatible binary encodings for Effect programs, and the
 * encodings of the Tezos p2p session protocol.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Binary from "./Binary.ts"
/**
 * @since 0.1.0
 */
export * as CodecError from "./CodecError.ts"
/**
 * @since 0.2.0
 */
export * as Cursor from "./Cursor.ts"
/**
 * @since 0.1.0
 */
export * as Encoding from "./Encoding.ts"
/**
 * @since 0.2.0
 */
export * as FromSchema from "./FromSchema.ts"
/**
 * @since 0.1.0
 */
export * as NetworkVersion from "./NetworkVersion.ts"
/**
 * @since 0.1.0
 */
export * as P2pMessage from "./P2pMessage.ts"
/**
 * @since 0.1.0
 */
export * as Point from "./Point.ts"
/**
 * @since 0.1.0
 */
export * as StreamDecoder from "./StreamDecoder.ts"
