/**
 * How `listen` and `connect` report what happens: one line per event, as text for people or as
 * JSON objects (one per line) for programs.
 *
 * @since 0.1.0
 */
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import type { Stat } from "@effect-p2p/connection/Stat"
import { Console, type Effect } from "effect"

/**
 * One event: a name and its fields (plain JSON values).
 *
 * @category models
 * @since 0.1.0
 */
export interface Event {
  readonly event: string
  readonly [field: string]: unknown
}

/**
 * `chain ddb N p2p M`.
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.version({ chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }) // "TEZOS_MAINNET ddb 2 p2p 1"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const version = (v: NetworkVersion): string => `${v.chainName} ddb ${v.distributedDbVersion} p2p ${v.p2pVersion}`

/**
 * The JSON form of a version (Octez field names).
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.versionJson({ chainName: "TEZOS", distributedDbVersion: 1, p2pVersion: 0 }).chain_name // "TEZOS"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const versionJson = (v: NetworkVersion) => ({
  chain_name: v.chainName,
  distributed_db_version: v.distributedDbVersion,
  p2p_version: v.p2pVersion
})

/**
 * The JSON form of connection stats (Octez `P2p_stat` names).
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.statJson({ totalSent: 1, totalRecv: 2, currentInflow: 0, currentOutflow: 0 }).total_recv // 2
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const statJson = (s: Stat) => ({
  total_sent: s.totalSent,
  total_recv: s.totalRecv,
  current_inflow: s.currentInflow,
  current_outflow: s.currentOutflow
})

/**
 * Stats as text.
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.stat({ totalSent: 10, totalRecv: 20, currentInflow: 0, currentOutflow: 0 }) // "sent 10 B, received 20 B, ..."
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const stat = (s: Stat): string =>
  `sent ${s.totalSent} B, received ${s.totalRecv} B, inflow ${s.currentInflow} B/s, outflow ${s.currentOutflow} B/s`

/**
 * A duration as people write it: `230 µs`, `4.9 ms`, `49 ms`, `1.2 s`, `42 s`, `3 min 20 s`,
 * `2 h 5 min` (two or three significant figures below a minute, whole units above).
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.duration(1234) // "1.2 s"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const duration = (millis: number): string => {
  if (!Number.isFinite(millis) || millis < 0) return "unknown"
  const oneDecimal = (value: number) => String(Number(value.toFixed(1)))
  if (Math.round(millis * 1000) < 1000) return `${Math.round(millis * 1000)} µs`
  if (Number(millis.toFixed(1)) < 10) return `${oneDecimal(millis)} ms`
  if (Math.round(millis) < 1000) return `${Math.round(millis)} ms`
  const seconds = millis / 1000
  if (Number(seconds.toFixed(1)) < 10) return `${oneDecimal(seconds)} s`
  const whole = Math.round(seconds)
  if (whole < 60) return `${whole} s`
  if (whole < 3600) return whole % 60 === 0 ? `${whole / 60} min` : `${Math.floor(whole / 60)} min ${whole % 60} s`
  const minutes = Math.round(seconds / 60)
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/**
 * How many bytes of a message body a log line shows at most.
 *
 * @category constants
 * @since 0.1.0
 */
export const hexPrefixBytes = 64

/**
 * A byte count as people write it: `100 B`, `1.5 KiB`, `4 MiB`, `512 MiB`, `2 GiB` (binary units,
 * at most one decimal).
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.bytes(20 * 1024 * 1024) // "20 MiB"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const bytes = (count: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let value = count
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${units[unit]}`
}

/**
 * The first bytes of a message body as hex, at most `limit` of them (64 by default), so a log line
 * stays short whatever the peer sends; `…` marks a cut.
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.hexPrefix(new Uint8Array(100), 2) // "0000…"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const hexPrefix = (bytes: Uint8Array, limit = hexPrefixBytes): string =>
  bytes.length <= limit ? hex(bytes) : `${hex(bytes.subarray(0, limit))}…`

/**
 * Lower-case hex.
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * Output.hex(new Uint8Array([0, 255])) // "00ff"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex")

/**
 * A printer: `text` renders the event for people; with `json`, the event object is printed instead.
 *
 * @example
 * ```ts
 * import { Output } from "@effect-p2p/cli"
 * const print = Output.make(false)
 * print({ event: "listening", port: 9732 }, "listening on port 9732")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make =
  (json: boolean) =>
  (event: Event, text: string): Effect.Effect<void> =>
    Console.log(json ? JSON.stringify(event) : text)
