/**
 * @effect-p2p/node
 *
 * @since 0.1.0
 */

export * as Bridge from "./Bridge.ts"
export * as Dialer from "./Dialer.ts"
export * as IdentityStore from "./IdentityStore.ts"
export * as IdentityStoreError from "./IdentityStoreError.ts"
export * as Listener from "./Listener.ts"
/** @since 0.1.0 */
export * as NativeCrypto from "./NativeCrypto.ts"
/** @since 0.1.0 */
export * as PeersFile from "./PeersFile.ts"
/** @since 0.1.0 */
export * as PowWorkerProtocol from "./PowWorkerProtocol.ts"
/** @since 0.1.0 */
export * as ProofOfWorkPool from "./ProofOfWorkPool.ts"
export * as Tcp from "./Tcp.ts"
/** @since 0.1.0 */
export * as TcpAndWebSocketTransport from "./TcpAndWebSocketTransport.ts"
export * as TcpError from "./TcpError.ts"
export * as TcpSession from "./TcpSession.ts"
export * as TcpTransport from "./TcpTransport.ts"
export * as WebSocket from "./WebSocket.ts"
export * as WebSocketDialer from "./WebSocketDialer.ts"
export * as WebSocketTransport from "./WebSocketTransport.ts"
