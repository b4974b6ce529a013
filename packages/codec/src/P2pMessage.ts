/**
 * The Octez P2p message envelope (`P2p_message`): `check_size(100 MiB)(uint30 length || uint16 tag
 * || body)`, where the length counts tag and body. Two views of it:
 *
 * - `envelope`: any tag, the body as raw bytes (what the connection layer needs to frame messages
 *   without knowing the application's messages);
 * - `encoding`: the p2p layer's own messages (Disconnect, Bootstrap, Advertise, Swap_request,
 *   Swap_ack) decoded, and application messages (tags ≥ 0x10) kept as tag and raw body.
 *
 * @since 0.1.0
 */
import * as Encoding from "./Encoding.ts"
import { DecodeFailure, decodePath, EncodeFailure, encodePath } from "./internal/cursor.ts"
import * as Point from "./Point.ts"

/**
 * Maximum size of an encoded message, length prefix included: 100 MiB.
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * P2pMessage.maxSize // 104857600
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const maxSize = 100 * 1024 * 1024

/**
 * A message seen through the generic envelope.
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * const bootstrap: P2pMessage.Envelope = { tag: 0x0002, body: new Uint8Array() }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Envelope {
  readonly tag: number
  readonly body: Uint8Array
}

/**
 * `check_size 100 MiB (dynamic_size (obj2 (tag: uint16) (body: Variable.bytes)))`.
 *
 * @example
 * ```ts
 * import { Binary, P2pMessage } from "@effect-p2p/codec"
 * Binary.encode(P2pMessage.envelope, { tag: 2, body: new Uint8Array() }) // 000000020002
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const envelope: Encoding.Encoding<Envelope> = Encoding.checkSize(
  maxSize,
  Encoding.dynamicSize(Encoding.struct({ tag: Encoding.uint16, body: Encoding.Variable.bytes }))
)

/**
 * The p2p layer's messages, plus application messages as raw tag and body.
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * const m: P2pMessage.P2pMessage = { _tag: "Advertise", points: ["127.0.0.1:9732"] }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type P2pMessage =
  | { readonly _tag: "Disconnect" }
  | { readonly _tag: "Bootstrap" }
  | { readonly _tag: "Advertise"; readonly points: ReadonlyArray<Point.Point> }
  | { readonly _tag: "SwapRequest"; readonly point: Point.Point; readonly peerId: Uint8Array }
  | { readonly _tag: "SwapAck"; readonly point: Point.Point; readonly peerId: Uint8Array }
  | { readonly _tag: "Application"; readonly tag: number; readonly body: Uint8Array }

/**
 * Smallest tag of the application (distributed DB) messages.
 *
 * @example
 * ```ts
 * import { P2pMessage } from "@effect-p2p/codec"
 * P2pMessage.firstApplicationTag // 16
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const firstApplicationTag = 0x10

const swap = Encoding.struct({ point: Point.encoding, peerId: Encoding.Fixed.bytes(16) })

const core: ReadonlyMap<string, { readonly tag: number; readonly encoding: Encoding.Encoding<unknown> }> = new Map<
  string,
  { readonly tag: number; readonly encoding: Encoding.Encoding<unknown> }
>([
  ["Disconnect", { tag: 0x01, encoding: Encoding.struct({}) }],
  ["Bootstrap", { tag: 0x02, encoding: Encoding.struct({}) }],
  [
    "Advertise",
    { tag: 0x03, encoding: Encoding.struct({ points: Encoding.Variable.list(Point.encoding, { maxLength: 100 }) }) }
  ],
  ["SwapRequest", { tag: 0x04, encoding: swap }],
  ["SwapAck", { tag: 0x05, encoding: swap }]
])
const coreByTag = new Map([...core].map(([name, c]) => [c.tag, { name, encoding: c.encoding }]))

// a union with a catch-all for the application's tags, which the combinators' unions do not express
const body: Encoding.Encoding<P2pMessage> = Encoding.make<P2pMessage>({
  size: { _tag: "Variable" },
  sizeOf: (m) => {
    if (m._tag === "Application") {
      if (!Number.isInteger(m.tag) || m.tag < firstApplicationTag || m.tag > 0xffff) {
        throw new EncodeFailure("InvalidValue", `application tag must be in [0x10, 0xffff], got ${m.tag}`)
      }
      return 2 + Encoding.Variable.bytes.sizeOf(m.body)
    }
    const c = core.get(m._tag)
    if (c === undefined) throw new EncodeFailure("NoMatchingCase", `unknown message ${String(m._tag)}`)
    try {
      return 2 + c.encoding.sizeOf(m)
    } catch (e) {
      throw encodePath(e, m._tag)
    }
  },
  write: (w, m) => {
    if (m._tag === "Application") {
      w.view.setUint16(w.pos, m.tag)
      w.pos += 2
      Encoding.Variable.bytes.write(w, m.body)
      return
    }
    const c = core.get(m._tag)!
    w.view.setUint16(w.pos, c.tag)
    w.pos += 2
    try {
      c.encoding.write(w, m)
    } catch (e) {
      throw encodePath(e, m._tag)
    }
  },
  read: (r) => {
    const tag = r.u16()
    const c = coreByTag.get(tag)
    if (c !== undefined) {
      const at = r.pos
      try {
        return { _tag: c.name, ...(c.encoding.read(r) as object) } as P2pMessage
      } catch (e) {
        throw decodePath(e, c.name, at)
      }
    }
    if (tag < firstApplicationTag) {
      throw new DecodeFailure("UnknownTag", r.pos - 2, `unknown p2p message tag 0x${tag.toString(16).padStart(4, "0")}`)
    }
    return { _tag: "Application", tag, body: Encoding.Variable.bytes.read(r) }
  }
})

/**
 * The envelope with the p2p layer's own messages decoded (Advertise's points have no list length
 * prefix and run to the end of the message; at most 100).
 *
 * @example
 * ```ts
 * import { Binary, P2pMessage } from "@effect-p2p/codec"
 * Binary.decode(P2pMessage.encoding, new Uint8Array([0, 0, 0, 2, 0, 2])) // Success({ _tag: "Bootstrap" })
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encoding: Encoding.Encoding<P2pMessage> = Encoding.checkSize(maxSize, Encoding.dynamicSize(body))
