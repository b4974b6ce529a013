/**
 * What flows on a pool connection (Octez `P2p_message.t`): the P2P layer's own messages
 * (`Disconnect`, `Bootstrap`, `Advertise`, `Swap_request`, `Swap_ack`, tags 0x01–0x05) beside the
 * application's messages, in one envelope: `u32 length ‖ u16 tag ‖ body`. The application brings its
 * messages as an Effect Schema or an `Encoding` of that same envelope shape with tags from 0x10
 * (`Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" })` on a union of tagged structs);
 * the pool decides by the tag which side decodes a frame.
 *
 * @since 0.1.0
 */
import { type Encoding, make, type SchemaOrEncoding, toEncoding } from "@effect-p2p/codec/Encoding"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import type { Point } from "@effect-p2p/codec/Point"

/**
 * The P2P layer's own messages. `Advertise` carries at most {@link maxAdvertised} points; a peer
 * sending more gets a `DecodeError` (and is greylisted by the pool, as Octez does).
 *
 * @category models
 * @since 0.1.0
 */
export type P2p =
  | { readonly _tag: "Disconnect" }
  | { readonly _tag: "Bootstrap" }
  | { readonly _tag: "Advertise"; readonly points: ReadonlyArray<Point> }
  | { readonly _tag: "SwapRequest"; readonly point: Point; readonly peerId: Uint8Array }
  | { readonly _tag: "SwapAck"; readonly point: Point; readonly peerId: Uint8Array }

/**
 * A message of a pool connection: one of the P2P layer's, or the application's wrapped in `Message`
 * (Octez `Message of 'msg`).
 *
 * @category models
 * @since 0.1.0
 */
export type PoolMessage<Msg> = P2p | { readonly _tag: "Message"; readonly message: Msg }

/**
 * Most points in one Advertise (Octez `Variable.list ~max_length:100`).
 *
 * @category constants
 * @since 0.1.0
 */
export const maxAdvertised = 100

/**
 * Wraps an application message.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { PoolMessage } from "@effect-p2p/pool"
 * PoolMessage.message({ _tag: "Ping" }) // { _tag: "Message", message: { _tag: "Ping" } }
 * ```
 */
export const message = <Msg>(m: Msg): PoolMessage<Msg> => ({ _tag: "Message", message: m })

/** Offset of the tag in a frame: after the u32 length. */
const tagOffset = 4

/**
 * The wire encoding of a pool connection: frames with a tag below `P2pMessage.firstApplicationTag`
 * are the P2P layer's (decoded by `P2pMessage.encoding`, so an unknown low tag or an Advertise of
 * 101 points is a `DecodeError`), the others are handed to the application's encoding whole.
 *
 * @category encoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { PoolMessage } from "@effect-p2p/pool"
 * import { Schema } from "effect"
 *
 * const App = Schema.Union([
 *   Schema.TaggedStruct("Ping", {}).annotate(Encoding.binary({ tag: 0x10 }))
 * ]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))
 * const wire = PoolMessage.encoding(App)
 * Binary.encode(wire, { _tag: "Bootstrap" }) // 000000020002
 * Binary.encode(wire, PoolMessage.message({ _tag: "Ping" as const })) // 000000020010
 * ```
 */
export const encoding = <Msg>(application: SchemaOrEncoding<Msg>): Encoding<PoolMessage<Msg>> => {
  const app = toEncoding(application)
  const p2p = P2pMessage.encoding
  return make<PoolMessage<Msg>>({
    size: { _tag: "Dynamic" },
    sizeOf: (m) => (m._tag === "Message" ? app.sizeOf(m.message) : p2p.sizeOf(m)),
    write: (w, m) => (m._tag === "Message" ? app.write(w, m.message) : p2p.write(w, m)),
    read: (r) => {
      r.need(tagOffset + 2)
      const tag = r.view.getUint16(r.pos + tagOffset)
      if (tag >= P2pMessage.firstApplicationTag) return { _tag: "Message", message: app.read(r) }
      // Tags 0x01..0x05 decode; other low tags fail with UnknownTag. Application never comes out.
      return p2p.read(r) as P2p
    }
  })
}
