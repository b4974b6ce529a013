/**
 * @effect-p2p/connection: the encrypted, chunked message connection with bounded queues,
 * statistics and fair bandwidth limits.
 *
 * @since 0.1.0
 */
export * as BoundedQueue from "./BoundedQueue.ts"
export * as ByteReader from "./ByteReader.ts"
export * as ByteSocket from "./ByteSocket.ts"
export * as Chunk from "./Chunk.ts"
export * as Connection from "./Connection.ts"
export * as ConnectionError from "./ConnectionError.ts"
/**
 * @since 0.2.0
 */
export * as GaugeWriter from "./GaugeWriter.ts"
export * as IoScheduler from "./IoScheduler.ts"
export * as Stat from "./Stat.ts"
export * as Trace from "./Trace.ts"
export * as WebSocketByteSocket from "./WebSocketByteSocket.ts"
