/**
 * @effect-p2p/session: the Tezos p2p handshake (connection message and proof of work, metadata,
 * Ack or Nack) over any byte socket, and the helpers an Octez node uses to decide between Ack and
 * Nack.
 *
 * @since 0.1.0
 */
export * as Ack from "./Ack.ts"
export * as ConnectionMessage from "./ConnectionMessage.ts"
export * as Metadata from "./Metadata.ts"
export * as Negotiation from "./Negotiation.ts"
export * as Rejection from "./Rejection.ts"
export * as Session from "./Session.ts"
export * as SessionError from "./SessionError.ts"
