/**
 * The third step of the handshake (Octez `P2p_socket.Ack`): `Ack` accepts the connection, `Nack`
 * refuses it with a motive and points to try instead, `Nack_v_0` refuses it for peers of p2p
 * version 0. A union with a 1-byte tag: Ack = 0x00, Nack = 0x01, Nack_v_0 = 0xff.
 *
 * @since 0.1.0
 */
import * as Encoding from "./Encoding.ts"
import * as Point from "./Point.ts"

/**
 * @example
 * ```ts
 * import { AckMessage } from "@effect-p2p/codec"
 * const m: AckMessage.AckMessage = { _tag: "Nack", motive: 1, alternativePoints: [] }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type AckMessage =
  | { readonly _tag: "Ack" }
  | { readonly _tag: "NackV0" }
  | { readonly _tag: "Nack"; readonly motive: number; readonly alternativePoints: ReadonlyArray<Point.Point> }

/**
 * Rejection motives (Octez `P2p_rejection`), an int16 on the wire; other values are preserved as is.
 *
 * @example
 * ```ts
 * import { AckMessage } from "@effect-p2p/codec"
 * AckMessage.Motive.TooManyConnections // 1
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export const Motive = {
  NoMotive: 0,
  TooManyConnections: 1,
  UnknownChainName: 2,
  DeprecatedP2pVersion: 3,
  DeprecatedDistributedDbVersion: 4,
  AlreadyConnected: 5
} as const

/**
 * At most this many alternative points in a Nack (Octez's decoder refuses more).
 *
 * @example
 * ```ts
 * import { AckMessage } from "@effect-p2p/codec"
 * AckMessage.maxAlternativePoints // 100
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const maxAlternativePoints = 100

/**
 * @example
 * ```ts
 * import { AckMessage, Binary } from "@effect-p2p/codec"
 * Binary.encode(AckMessage.encoding, AckMessage.nack(3, ["127.0.0.1:9832"]))
 * // 010003000000120000000e3132372e302e302e313a39383332
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encoding: Encoding.Encoding<AckMessage> = Encoding.taggedUnion({
  Ack: { tag: 0x00, encoding: Encoding.struct({}) },
  Nack: {
    tag: 0x01,
    encoding: Encoding.struct({
      motive: Encoding.int16,
      alternativePoints: Encoding.list(Point.encoding, { maxLength: maxAlternativePoints })
    })
  },
  NackV0: { tag: 0xff, encoding: Encoding.struct({}) }
})

/**
 * @example
 * ```ts
 * import { AckMessage } from "@effect-p2p/codec"
 * AckMessage.ack // { _tag: "Ack" }
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const ack: AckMessage = { _tag: "Ack" }

/**
 * @example
 * ```ts
 * import { AckMessage } from "@effect-p2p/codec"
 * AckMessage.nackV0 // { _tag: "NackV0" }
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const nackV0: AckMessage = { _tag: "NackV0" }

/**
 * @example
 * ```ts
 * import { AckMessage } from "@effect-p2p/codec"
 * AckMessage.nack(AckMessage.Motive.AlreadyConnected, [])
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const nack = (motive: number, alternativePoints: ReadonlyArray<Point.Point> = []): AckMessage => ({
  _tag: "Nack",
  motive,
  alternativePoints
})
