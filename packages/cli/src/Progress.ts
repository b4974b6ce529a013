/**
 * The live line `identity generate` shows on a terminal while it searches for a proof-of-work
 * stamp: attempts so far, hashes per second and the expected time remaining.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import * as Output from "./Output.ts"

/**
 * Formats a duration in seconds as `850 ms`, `1.2 s`, `42 s`, `3 min 20 s` or `2 h 5 min`
 * (`Output.duration`; `unknown` when infinite).
 *
 * @example
 * ```ts
 * import { Progress } from "@effect-p2p/cli"
 * Progress.formatSeconds(200) // "3 min 20 s"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const formatSeconds = (seconds: number): string => Output.duration(seconds * 1000)

/**
 * Formats a rate as `950 H/s`, `312.4 kH/s` or `1.21 MH/s`.
 *
 * @example
 * ```ts
 * import { Progress } from "@effect-p2p/cli"
 * Progress.formatRate(312_400) // "312.4 kH/s"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const formatRate = (perSecond: number): string =>
  perSecond >= 1e6
    ? `${(perSecond / 1e6).toFixed(2)} MH/s`
    : perSecond >= 1e3
      ? `${(perSecond / 1e3).toFixed(1)} kH/s`
      : `${Math.round(perSecond)} H/s`

/**
 * The text of one progress line. The search is memoryless (each attempt succeeds with the same
 * probability), so the expected time remaining is always `expected attempts ÷ rate`, however long
 * the search has already run.
 *
 * @example
 * ```ts
 * import { Progress } from "@effect-p2p/cli"
 * Progress.line({ attempts: 1_000_000, elapsedMs: 2000, expectedAttempts: 67_108_864 })
 * // "1,000,000 attempts, 500.0 kH/s, expected time remaining 2 min 14 s"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const line = (state: {
  readonly attempts: number
  readonly elapsedMs: number
  readonly expectedAttempts: number
}): string => {
  const rate = state.elapsedMs > 0 ? (state.attempts * 1000) / state.elapsedMs : 0
  const remaining = rate > 0 ? formatSeconds(state.expectedAttempts / rate) : "unknown"
  return `${state.attempts.toLocaleString("en-US")} attempts, ${formatRate(rate)}, expected time remaining ${remaining}`
}

/**
 * A progress reporter.
 *
 * @category models
 * @since 0.1.0
 */
export interface Reporter {
  /** Records the attempts so far; redraws the line at most every `intervalMs`. */
  readonly update: (attempts: number) => Effect.Effect<void>
  /** Clears the line. */
  readonly finish: Effect.Effect<void>
}

/**
 * A reporter writing to `stream` (standard error by default) when it is a terminal, and silent
 * otherwise, so logs and pipes get no carriage returns.
 *
 * @example
 * ```ts
 * import { Progress } from "@effect-p2p/cli"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const progress = yield* Progress.make({ expectedAttempts: 1 << 20 })
 *   yield* progress.update(10_000)
 *   yield* progress.finish
 * })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: {
  readonly expectedAttempts: number
  readonly stream?: NodeJS.WriteStream
  readonly intervalMs?: number
}): Effect.Effect<Reporter> =>
  Effect.gen(function* () {
    const stream = options.stream ?? process.stderr
    const interval = options.intervalMs ?? 250
    const start = yield* Clock.currentTimeMillis
    let lastDraw = start
    let drawn = false
    if (!stream.isTTY) return { update: () => Effect.void, finish: Effect.void } satisfies Reporter
    return {
      update: (attempts: number) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            if (now - lastDraw < interval) return
            lastDraw = now
            drawn = true
            const text = line({ attempts, elapsedMs: now - start, expectedAttempts: options.expectedAttempts })
            stream.write(`\r\x1b[2K${text}`)
          })
        ),
      finish: Effect.sync(() => {
        if (drawn) stream.write("\r\x1b[2K")
      })
    }
  })
