/**
 * How effect-p2p makes its spans: as `Effect.fn` does, without the call-site stack trace it also
 * captures on every call (15–20 µs each on the handshake path). Spans cost nothing more when
 * `TracerEnabled` is off. The one copy every package's `Effect.withSpan(name, undefined, spanOptions)` uses.
 *
 * @since 0.2.0
 */
import type { Tracer } from "effect"

/**
 * Trace options without a captured stack trace.
 *
 * @category constants
 * @since 0.2.0
 * @example
 * ```ts
 * import { Trace } from "@effect-p2p/connection"
 * import { Effect } from "effect"
 *
 * const step = Effect.succeed(1).pipe(Effect.withSpan("my.step", undefined, Trace.spanOptions))
 * ```
 */
export const spanOptions: Tracer.TraceOptions = { captureStackTrace: false }
