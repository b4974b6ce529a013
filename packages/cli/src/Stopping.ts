/**
 * How `listen` stops: every open connection gets a bounded time to flush what is queued for its
 * peer, then is closed without waiting (a peer that does not read cannot hold the process), and
 * the stop waits, also bounded, until the listener has reported each connection's close.
 *
 * @since 0.1.0
 */
import type { Connection } from "@effect-p2p/connection/Connection"
import { Deferred, Effect } from "effect"

/** What stopping needs of a connection. */
type Closable = Pick<Connection<never>, "close">

/**
 * The open connections of a listener, and the way to stop them.
 *
 * @category models
 * @since 0.1.0
 */
export interface Stopping {
  /**
   * Runs `body` for an accepted connection, registered so that {@link Stopping.stop} reaches it;
   * once stopping has begun, `body` is not run (the connection closes at once).
   */
  readonly serve: <E, R>(connection: Closable, body: Effect.Effect<void, E, R>) => Effect.Effect<void, E, R>
  /** To call on each `Accepted` event. */
  readonly accepted: Effect.Effect<void>
  /** To call on each `Closed` event, once it has been logged. */
  readonly closed: Effect.Effect<void>
  /**
   * Closes every open connection, flushing for at most `flushMillis`, then waits at most
   * `settleMillis` for their `Closed` events. Returns how many were open and how many could not
   * be flushed (what they had queued was dropped).
   */
  readonly stop: (options: {
    readonly reason: string
    readonly droppedReason: string
    readonly flushMillis: number
    readonly settleMillis: number
  }) => Effect.Effect<{ readonly open: number; readonly dropped: number }>
}

/**
 * A fresh registry.
 *
 * @example
 * ```ts
 * import { Stopping } from "@effect-p2p/cli"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const stopping = yield* Stopping.make
 *   return yield* stopping.stop({ reason: "stopped", droppedReason: "dropped", flushMillis: 1500, settleMillis: 500 })
 * }) // { open: 0, dropped: 0 }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<Stopping> = Effect.sync(() => {
  const connections = new Set<Closable>()
  let stopping = false
  // Connections accepted and not yet reported closed; `allClosed` completes when it reaches 0 while stopping.
  let open = 0
  let allClosed = Deferred.makeUnsafe<void>()
  const settle = () => {
    if (stopping && open === 0) Deferred.doneUnsafe(allClosed, Effect.void)
  }

  const stop: Stopping["stop"] = (options) =>
    Effect.gen(function* () {
      stopping = true
      allClosed = Deferred.makeUnsafe<void>()
      const before = open
      settle()
      const flushed = yield* Effect.forEach(
        [...connections],
        (connection) =>
          connection.close({ wait: true, reason: options.reason }).pipe(
            Effect.timeoutOption(options.flushMillis),
            Effect.flatMap((done) =>
              done._tag === "Some"
                ? Effect.succeed(true)
                : Effect.as(connection.close({ wait: false, reason: options.droppedReason }), false)
            )
          ),
        { concurrency: "unbounded" }
      )
      yield* Deferred.await(allClosed).pipe(Effect.timeoutOption(options.settleMillis))
      return { open: before, dropped: flushed.filter((ok) => !ok).length }
    })

  return {
    serve: (connection, body) =>
      Effect.suspend(() => {
        if (stopping) return Effect.void
        connections.add(connection)
        return Effect.ensuring(
          body,
          Effect.sync(() => connections.delete(connection))
        )
      }),
    accepted: Effect.sync(() => {
      open++
    }),
    closed: Effect.sync(() => {
      open--
      settle()
    }),
    stop
  }
})
