/**
 * The small typed protocol of `effect-p2p demo`, written as an application would write its own: an
 * Effect Schema of three messages, annotated into the shape of Octez application messages (`u30
 * length, u16 tag, body`, tags from 0x10), so any Octez-compatible peer can carry them. The session
 * derives the binary encoding from the schema (`Encoding.fromSchema`).
 *
 * @since 0.1.0
 */
import * as Encoding from "@effect-p2p/codec/Encoding"
import { Schema } from "effect"

const stamp = {
  /** Sequence number of the ping. */
  seq: Schema.Int.annotate(Encoding.binary(Encoding.uint16)),
  /** Sender's clock when the ping left, in milliseconds (echoed by the pong). */
  sentAt: Schema.Number
}

/**
 * `Ping` asks for a `Pong` with the same fields; `Chat` carries text.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { ChatProtocol } from "@effect-p2p/cli"
 * Binary.encode(Encoding.fromSchema(ChatProtocol.Message), { _tag: "Chat", text: "hi" }) // Success: 000000080012000000026869
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const Message = Schema.Union([
  Schema.TaggedStruct("Ping", stamp).annotate(Encoding.binary({ tag: 0x10 })),
  Schema.TaggedStruct("Pong", stamp).annotate(Encoding.binary({ tag: 0x11 })),
  Schema.TaggedStruct("Chat", { text: Schema.String }).annotate(Encoding.binary({ tag: 0x12 }))
]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))

/**
 * A message of the protocol.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof Message.Type
