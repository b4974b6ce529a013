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
