/**
 * A peer's address as Octez writes it on the wire (`P2p_point.Id`): the string `a.b.c.d:port` for
 * IPv4 or `[v6addr]:port` for IPv6, encoded as a length-prefixed string of at most 51 bytes
 * including the 4-byte prefix.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import * as Encoding from "./Encoding.ts"

/**
 * @example
 * ```ts
 * import { Point } from "@effect-p2p/codec"
 * const p: Point.Point = "127.0.0.1:9732"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Point = string

/**
 * Maximum encoded size of a point, length prefix included (so at most 47 characters).
 *
 * @example
 * ```ts
 * import { Point } from "@effect-p2p/codec"
 * Point.maxEncodedSize // 51
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const maxEncodedSize = 51

/**
 * `check_size 51 string`.
 *
 * @example
 * ```ts
 * import { Binary, Point } from "@effect-p2p/codec"
 * Binary.encode(Point.encoding, "127.0.0.1:9832") // 0000000e3132372e302e302e313a39383332
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encoding: Encoding.Encoding<Point> = Encoding.checkSize(maxEncodedSize, Encoding.string)

/**
 * Formats a host and port; IPv6 hosts (containing `:`) are bracketed.
 *
 * @example
 * ```ts
 * import { Point } from "@effect-p2p/codec"
 * Point.format("::1", 9732) // "[::1]:9732"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const format = (host: string, port: number): Point =>
  host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`

/**
 * Splits a point into host and port; fails with a message if there is no port or it is not in
 * 0..65535.
 *
 * @example
 * ```ts
 * import { Point } from "@effect-p2p/codec"
 * Point.parse("[::1]:9732") // Success({ host: "::1", port: 9732 })
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const parse = (point: Point): Result.Result<{ readonly host: string; readonly port: number }, string> => {
  const colon = point.lastIndexOf(":")
  if (colon < 0) return Result.fail(`no port in "${point}"`)
  const portText = point.slice(colon + 1)
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
  if (!(port >= 0 && port <= 65535)) return Result.fail(`invalid port in "${point}"`)
  let host = point.slice(0, colon)
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1)
  else if (host.includes(":")) return Result.fail(`IPv6 host must be bracketed in "${point}"`)
  if (host.length === 0) return Result.fail(`empty host in "${point}"`)
  return Result.succeed({ host, port })
}
