/**
 * @effect-p2p/pool: many peers at once, as Octez's P2P layer does it: limits, the P2P messages, the
 * transport service and an in-memory network, ACLs, point and peer state machines, the connect
 * handler, the pool and its maintenance.
 *
 * @since 0.1.0
 */

export * as Acl from "./Acl.ts"
export * as ConnectHandler from "./ConnectHandler.ts"
export * as Graph from "./Graph.ts"
export * as Limits from "./Limits.ts"
export * as Maintenance from "./Maintenance.ts"
export * as MemoryNetwork from "./MemoryNetwork.ts"
export * as PeerState from "./PeerState.ts"
export * as PeersFile from "./PeersFile.ts"
export * as PointState from "./PointState.ts"
export * as Pool from "./Pool.ts"
export * as PoolError from "./PoolError.ts"
export * as PoolMessage from "./PoolMessage.ts"
export * as Simulator from "./Simulator.ts"
export * as Transport from "./Transport.ts"
