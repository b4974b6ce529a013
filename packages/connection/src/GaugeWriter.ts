/**
 * Writes a fixed list of gauges, each only when its value changed since this writer last wrote it.
 * A `Metric.update` costs a registry lookup; the scheduler's second and a pool's events would
 * otherwise write unchanged values thousands of times per second in a simulation. The one copy the
 * connection scheduler and the pool use.
 *
 * @since 0.2.0
 */
import { Effect, Metric } from "effect"

/**
 * A writer for `gauges`: call it with their current values, in the same order.
 *
 * @category constructors
 * @since 0.2.0
 * @example
 * ```ts
 * import { GaugeWriter } from "@effect-p2p/connection"
 * import { Metric } from "effect"
 *
 * const write = GaugeWriter.make([Metric.gauge("open"), Metric.gauge("queued")])
 * const first = write([3, 0]) // writes both
 * const again = write([3, 0]) // writes nothing
 * ```
 */
export const make = (
  gauges: ReadonlyArray<Metric.Metric<number, unknown>>
): ((values: ReadonlyArray<number>) => Effect.Effect<void>) => {
  const written: Array<number | undefined> = gauges.map(() => undefined)
  return (values) => {
    const changed: Array<Effect.Effect<void>> = []
    for (let i = 0; i < gauges.length; i++) {
      if (written[i] === values[i]) continue
      written[i] = values[i]
      changed.push(Metric.update(gauges[i]!, values[i]!))
    }
    return changed.length === 0 ? Effect.void : Effect.all(changed, { discard: true })
  }
}
