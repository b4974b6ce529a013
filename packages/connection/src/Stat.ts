/**
 * Bandwidth statistics shaped like Octez's `P2p_stat`: total bytes sent and received on the wire
 * (chunk headers, tags and the handshake included) and the current inflow and outflow in bytes per
 * second, an exponential moving average refreshed every second.
 *
 * @since 0.1.0
 */

/**
 * A snapshot of one connection's (or the whole host's) traffic.
 *
 * @category models
 * @since 0.1.0
 */
export interface Stat {
  /** Bytes written to the wire since the start. */
  readonly totalSent: number
  /** Bytes read from the wire since the start. */
  readonly totalRecv: number
  /** Moving average of bytes read per second. */
  readonly currentInflow: number
  /** Moving average of bytes written per second. */
  readonly currentOutflow: number
}

/**
 * An all-zero snapshot.
 *
 * @category constructors
 * @since 0.1.0
 */
export const empty: Stat = { totalSent: 0, totalRecv: 0, currentInflow: 0, currentOutflow: 0 }

/**
 * One direction's counter: a running total and Octez's moving average (`Moving_average`).
 *
 * @category models
 * @since 0.1.0
 */
export interface MovingAverage {
  total: number
  /** Bytes counted since the last `refresh`. */
  pending: number
  /** Bytes per second. */
  average: number
}

/**
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Stat } from "@effect-p2p/connection"
 *
 * const counter = Stat.makeMovingAverage() // { total: 0, pending: 0, average: 0 }
 * ```
 */
export const makeMovingAverage = (): MovingAverage => ({ total: 0, pending: 0, average: 0 })

/**
 * Counts `bytes` that just went through.
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Stat } from "@effect-p2p/connection"
 *
 * const counter = Stat.makeMovingAverage()
 * Stat.add(counter, 100)
 * counter.total // 100
 * ```
 */
export const add = (counter: MovingAverage, bytes: number): void => {
  counter.total += bytes
  counter.pending += bytes
}

/**
 * Octez's update with alpha = 0.2 in integer per-mille arithmetic:
 * `average ← 200 × pending ÷ elapsedMs + 800 × average ÷ 1000`, then `pending ← 0`.
 * Integer divisions truncate, as in OCaml, so a quiet counter decays to exactly 0.
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Stat } from "@effect-p2p/connection"
 *
 * const counter = Stat.makeMovingAverage()
 * Stat.add(counter, 10_000)
 * Stat.refresh(counter, 1000)
 * counter.average // 2000
 * ```
 */
export const refresh = (counter: MovingAverage, elapsedMs: number): void => {
  const elapsed = Math.max(1, Math.floor(elapsedMs))
  counter.average = Math.trunc((200 * counter.pending) / elapsed) + Math.trunc((800 * counter.average) / 1000)
  counter.pending = 0
}

/**
 * Builds a snapshot from the two directions' counters.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Stat } from "@effect-p2p/connection"
 *
 * const down = Stat.makeMovingAverage()
 * const up = Stat.makeMovingAverage()
 * Stat.add(up, 10)
 * Stat.fromCounters(down, up) // { totalSent: 10, totalRecv: 0, currentInflow: 0, currentOutflow: 0 }
 * ```
 */
export const fromCounters = (download: MovingAverage, upload: MovingAverage): Stat => ({
  totalSent: upload.total,
  totalRecv: download.total,
  currentInflow: download.average,
  currentOutflow: upload.average
})
