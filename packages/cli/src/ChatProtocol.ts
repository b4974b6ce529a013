/**
 * The small typed protocol of `effect-p2p demo`, written as an application would write its own:
 * three messages in the shape of Octez application messages (`u30 length, u16 tag, body`, tags
 * from 0x10), so any Octez-compatible peer can carry them.
 *
 * @since 0.1.0
 */
import * as Encoding from "@effect-p2p/codec/Encoding"

const stamp = Encoding.struct({
  /** Sequence number of the ping. */
  seq: Encoding.uint16,
  /** Sender's clock when the ping left, in milliseconds (echoed by the pong). */
  sentAt: Encoding.float
})

/**
 * `Ping` asks for a `Pong` with the same fields; `Chat` carries text.
 *
 * @example
 * ```ts
 * import { Binary } from "@effect-p2p/codec"
 * import { ChatProtocol } from "@effect-p2p/cli"
 * Binary.encode(ChatProtocol.Message, { _tag: "Chat", text: "hi" }) // Success: 000000080012000000026869
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const Message = Encoding.dynamicSize(
  Encoding.taggedUnion(
    {
      Ping: { tag: 0x10, encoding: stamp },
      Pong: { tag: 0x11, encoding: stamp },
      Chat: { tag: 0x12, encoding: Encoding.struct({ text: Encoding.string }) }
    },
    { tagSize: "uint16" }
  )
)

/**
 * A message of the protocol.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = Encoding.Type<typeof Message>
