/**
 * Maintenance, as Octez's `p2p_maintenance.ml`: a worker that keeps the number of connections
 * between the bounds of {@link Limits.maintenanceBounds}.
 *
 * - It wakes on its first run, every idle period (`maintenance-idle-time`, 120 s), on an explicit
 *   {@link Maintenance.maintain}, and on the pool's `too_few_connections` / `too_many_connections`
 *   events (a connection closed below `min-connections`, one established at `max-connections`).
 * - Below `min_threshold` it dials toward `min_target` (never more than `max_target` at once): the
 *   best `Disconnected` candidates all in parallel, never-missed points first, then the oldest miss,
 *   skipping banned points, points in their back-off, points missed since the round began and (in
 *   private mode) untrusted ones. When no candidate is left it sends Bootstrap to every public
 *   connection and waits for a new point or peer (at most 5 s), then looks again.
 * - Above `max_threshold` it closes random connections down to `max_target`, never one that is both
 *   a private node and trusted.
 * - Octez's worker loop: a wake-up that finds the count out of the bounds runs a maintenance step
 *   (`maintenance_started` with its motive, then `maintenance_ended`) and looks again at once (motive
 *   `last_maintenance`); one that finds it inside proposes one swap (`pool.swap`: nothing in private
 *   mode or with swap disabled) and waits for the next wake-up.
 * - {@link Maintenance.maintain} returns once the step it triggered is done (Octez's `maintain`
 *   waits for the end of a maintenance step; here a swap proposal inside the bounds is a step too,
 *   so that `maintain` always returns).
 *
 * Disabled when `maintenance-idle-time` is null: no worker, and `maintain` fails
 * {@link MaintenanceDisabled}. All time comes from `Clock`, all choice from `Random`.
 *
 * @since 0.1.0
 */
import * as CodecPoint from "@effect-p2p/codec/Point"
import { Cause, Clock, Deferred, Effect, Queue, Random, Result, Schema, type Scope, Stream } from "effect"
import type * as Acl from "./Acl.ts"
import * as Limits from "./Limits.ts"
import type * as PeerState from "./PeerState.ts"
import * as PointState from "./PointState.ts"

/**
 * `maintain` on a pool whose maintenance is disabled (Octez `Maintenance_disabled`).
 *
 * @category errors
 * @since 0.1.0
 */
export class MaintenanceDisabled extends Schema.TaggedError<MaintenanceDisabled>()("MaintenanceDisabled", {}) {
  override get message(): string {
    return "p2p maintenance is disabled"
  }
}

/**
 * What maintenance uses of a pool (a part of `Pool.Pool`, so that any pool fits).
 *
 * @category models
 * @since 0.1.0
 */
export interface Target {
  readonly limits: Limits.Limits
  readonly connect: (point: string) => Effect.Effect<unknown, unknown>
  readonly disconnect: (peerId: string) => Effect.Effect<void, unknown>
  readonly connections: Effect.Effect<
    ReadonlyArray<{ readonly peerId: string; readonly point: string; readonly privateNode: boolean }>
  >
  readonly knownPoints: Effect.Effect<ReadonlyArray<PointState.Info>>
  readonly knownPeers: Effect.Effect<ReadonlyArray<PeerState.Info>>
  readonly bootstrap: Effect.Effect<number>
  readonly swap: Effect.Effect<boolean>
  readonly subscribe: Effect.Effect<Stream.Stream<{ readonly event: string }>, never, Scope.Scope>
  readonly acl: Acl.Acl
}

/**
 * What woke the worker, as Octez's `maintenance_started` names it (`motive.kind`).
 *
 * @category models
 * @since 0.1.0
 */
export type Motive =
  | "activation"
  | "last_maintenance"
  | "timer"
  | "external_event"
  | "too_few_connections"
  | "too_many_connections"

/**
 * Octez's maintenance event names (`P2p_events.P2p_maintainance`).
 *
 * @category models
 * @since 0.1.0
 */
export type EventName =
  | "maintenance_started"
  | "maintenance_ended"
  | "too_few_connections_maintenance"
  | "too_many_connections_maintenance"

/**
 * One maintenance event: `maintenance_started` (`reason`: the {@link Motive}, `count`: connections),
 * `maintenance_ended` (`count`: connections, `durationMillis`), `too_few_connections_maintenance`
 * (`count`: connections), `too_many_connections_maintenance` (`count`: connections it will close).
 *
 * @category models
 * @since 0.1.0
 */
export interface Event {
  readonly event: EventName
  readonly reason?: Motive | undefined
  readonly count?: number | undefined
  readonly durationMillis?: number | undefined
}

/**
 * A running maintenance.
 *
 * @category models
 * @since 0.1.0
 */
export interface Maintenance {
  readonly bounds: Limits.MaintenanceBounds
  /**
   * Wakes the worker (Octez `P2p.maintain`) and returns once the step it triggered is done: back
   * inside the bounds, or one swap proposed when already inside. Below the bounds with nobody left
   * to dial, that step goes on (asking for contacts every 5 s) until enough connections are made.
   */
  readonly maintain: Effect.Effect<void>
  /** Completed steps so far: one per wake-up inside the bounds, one per maintenance step outside. */
  readonly steps: Effect.Effect<number>
}

/**
 * How long the worker waits for a new point or peer after asking for more contacts (Octez: 5 s).
 *
 * @category constants
 * @since 0.1.0
 */
export const askForMoreWait = 5_000

/**
 * The points worth dialling now, best first, at most `max` (Octez `connectable` and `classify`):
 * `Disconnected`, not `seen` this round, not banned, trusted in private mode, not missed since the
 * round began (`start`), out of their back-off; never-missed first, then the oldest miss.
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Maintenance, PointState } from "@effect-p2p/pool"
 * const points = [PointState.make("10.0.0.1:9732"), PointState.make("10.0.0.2:9732")]
 * Maintenance.candidates(points, { now: 0, start: 0, max: 1, seen: new Set(), privateMode: false, banned: () => false })
 * // ["10.0.0.1:9732"]
 * ```
 */
export const candidates = (
  points: ReadonlyArray<PointState.Info>,
  options: {
    readonly now: number
    readonly start: number
    readonly max: number
    readonly seen: ReadonlySet<string>
    readonly privateMode: boolean
    readonly banned: (point: PointState.Info) => boolean
  }
): ReadonlyArray<string> =>
  points
    .filter((info) => {
      if (info.state._tag !== "Disconnected" || options.seen.has(info.point)) return false
      if (options.privateMode && !info.trusted) return false
      const miss = PointState.lastMiss(info)
      if (miss !== undefined && miss > options.start) return false
      return !PointState.inBackOff(info, options.now) && !options.banned(info)
    })
    .map((info) => ({ point: info.point, miss: PointState.lastMiss(info) ?? Number.NEGATIVE_INFINITY }))
    .sort((a, b) => a.miss - b.miss)
    .slice(0, Math.max(0, options.max))
    .map((c) => c.point)

const hostOf = (point: string): string => {
  const parsed = CodecPoint.parse(point)
  return Result.isSuccess(parsed) ? parsed.success.host : point
}

/**
 * Starts the maintenance of `pool` in the current scope. `idleTime` (ms) defaults to the pool's
 * `maintenance-idle-time`; without either, nothing runs and `maintain` fails.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  pool: Target,
  options: {
    readonly privateMode?: boolean | undefined
    readonly idleTime?: number | undefined
    /** Where the maintenance events go (`Pool` passes its event hub). Default: nowhere. */
    readonly emit?: ((event: Event) => Effect.Effect<void>) | undefined
  } = {}
): Effect.Effect<Maintenance, MaintenanceDisabled, Scope.Scope> =>
  Effect.gen(function* () {
    const limits = pool.limits
    const idle =
      options.idleTime ?? (limits.maintenanceIdleTime === null ? undefined : limits.maintenanceIdleTime * 1000)
    if (idle === undefined) return yield* new MaintenanceDisabled()
    const privateMode = options.privateMode ?? false
    const bounds = Limits.maintenanceBounds(limits)
    const emit = options.emit ?? (() => Effect.void)
    // One pending wake-up is enough: the worker looks at the whole pool each time.
    const wake = yield* Queue.sliding<Motive>(1)
    const contacts = yield* Queue.sliding<void>(1)
    let steps = 0
    /** `maintain` callers waiting for the next step to end. */
    let waiting: Array<Deferred.Deferred<void>> = []
    let stopped = false

    const count = Effect.map(pool.connections, (c) => c.length)

    const banned = (now: number) => (info: PointState.Info) =>
      pool.acl.isAddressBanned(hostOf(info.point), now) ||
      (info.lastPeerId !== undefined && pool.acl.isPeerBanned(info.lastPeerId))

    /** Octez `try_to_contact`: true once `minToContact` connections were made, false when no candidate is left. */
    const tryToContact = (minToContact: number, maxToContact: number) =>
      Effect.gen(function* () {
        const start = yield* Clock.currentTimeMillis
        const seen = new Set<string>()
        let min = minToContact
        let max = maxToContact
        while (min > 0) {
          const now = yield* Clock.currentTimeMillis
          const chosen = candidates(yield* pool.knownPoints, {
            now,
            start,
            max,
            seen,
            privateMode,
            banned: banned(now)
          })
          if (chosen.length === 0) return false
          for (const point of chosen) seen.add(point)
          // A failed dial is counted out (its back-off is the pool's); a defect is not a failed dial.
          const results = yield* Effect.forEach(chosen, (point) => Effect.result(pool.connect(point)), {
            concurrency: "unbounded"
          })
          const established = results.filter(Result.isSuccess).length
          min -= established
          max -= established
        }
        return true
      })

    /** Octez `ask_for_more_contacts`: Bootstrap to every public peer, then a new point or peer, or 5 s. */
    const askForMoreContacts = Effect.gen(function* () {
      if (privateMode) return yield* Effect.sleep(askForMoreWait)
      yield* Queue.clear(contacts)
      yield* pool.bootstrap
      yield* Effect.raceFirst(Queue.take(contacts), Effect.sleep(askForMoreWait))
    })

    /** Octez `random_connections`: `n` random connections, none both private and trusted. */
    const trim = (n: number) =>
      Effect.gen(function* () {
        const trustedPoints = new Set((yield* pool.knownPoints).filter((p) => p.trusted).map((p) => p.point))
        const trustedPeers = new Set((yield* pool.knownPeers).filter((p) => p.trusted).map((p) => p.peerId))
        const removable = (yield* pool.connections).filter(
          (c) => !(c.privateNode && (trustedPoints.has(c.point) || trustedPeers.has(c.peerId)))
        )
        const chosen = new Set((yield* Random.shuffle(removable)).slice(0, n).map((c) => c.peerId))
        // A close ends its connection asynchronously: wait until they are all gone before counting
        // again, or the next round would close more than `n`.
        const gone = Effect.map(pool.connections, (cs) => !cs.some((c) => chosen.has(c.peerId)))
        const events = yield* pool.subscribe
        yield* Effect.forEach(chosen, (peerId) => Effect.ignore(pool.disconnect(peerId)), { discard: true })
        if (!(yield* gone)) yield* Stream.runDrain(Stream.takeUntilEffect(events, () => gone))
        return chosen.size
      }).pipe(Effect.scoped)

    /** Octez `do_maintain`: until inside `[min_threshold, max_threshold]`. */
    /** Octez `do_maintain`: until inside `[min_threshold, max_threshold]`; false if stuck above them. */
    const doMaintain = Effect.gen(function* () {
      for (;;) {
        const n = yield* count
        if (n < bounds.minThreshold) {
          yield* emit({ event: "too_few_connections_maintenance", count: n })
          const enough = yield* tryToContact(bounds.minTarget - n, bounds.maxTarget - n)
          if (!enough) yield* askForMoreContacts
        } else if (n > bounds.maxThreshold) {
          yield* emit({ event: "too_many_connections_maintenance", count: n - bounds.maxTarget })
          // Nothing to close (all private and trusted): stop rather than spin.
          if ((yield* trim(n - bounds.maxTarget)) === 0) return false
        } else return true
      }
    })

    const outOfBounds = (n: number) => n < bounds.minThreshold || n > bounds.maxThreshold

    /** Ends the step: counts it and releases the `maintain` calls it served. */
    const stepDone = (served: ReadonlyArray<Deferred.Deferred<void>>) =>
      Effect.suspend(() => {
        steps++
        return Effect.forEach(served, (d) => Deferred.succeed(d, undefined), { discard: true })
      })

    /** The next wake-up: the idle timer, `maintain`, or the pool's too-few / too-many triggers. */
    const nextWakeUp = Effect.raceFirst(Queue.take(wake), Effect.as(Effect.sleep(idle), "timer" as const))

    // The pool's triggers: too few or too many wake the worker; a new point or peer ends the wait
    // for contacts.
    const events = yield* pool.subscribe
    yield* Stream.runForEach(events, (e) => {
      switch (e.event) {
        case "too_few_connections":
        case "too_many_connections":
          return Queue.offer(wake, e.event)
        case "new_point":
        case "new_peer":
          return Queue.offer(contacts, undefined)
        default:
          return Effect.void
      }
    }).pipe(Effect.forkScoped)

    // Octez's `worker_loop`: the first run at once (`activation`). Out of the bounds, a maintenance
    // step, then at once another look (`last_maintenance`); inside them, one swap proposal, then the
    // first of the idle timer and a wake-up.
    yield* Effect.gen(function* () {
      let motive: Motive = "activation"
      for (;;) {
        // This look at the pool answers every wake-up and `maintain` call made before it.
        yield* Queue.clear(wake)
        const served = waiting
        waiting = []
        const n = yield* count
        if (outOfBounds(n)) {
          yield* emit({ event: "maintenance_started", reason: motive, count: n })
          const start = yield* Clock.currentTimeMillis
          const inside = yield* doMaintain
          const end = yield* Clock.currentTimeMillis
          yield* emit({ event: "maintenance_ended", count: yield* count, durationMillis: end - start })
          yield* stepDone(served)
          if (inside) {
            motive = "last_maintenance"
            continue
          }
        } else {
          yield* pool.swap
          yield* stepDone(served)
        }
        motive = yield* nextWakeUp
      }
    }).pipe(
      // A defect here is a bug: logged, never silent (the pool goes on without maintenance).
      Effect.tapCause((cause) => (Cause.hasDies(cause) ? Effect.logError("maintenance died", cause) : Effect.void)),
      // Stopped (or dead): nobody waits for a step that will never come (Octez's `shutdown`).
      Effect.ensuring(
        Effect.suspend(() => {
          stopped = true
          const served = waiting
          waiting = []
          return Effect.forEach(served, (d) => Deferred.succeed(d, undefined), { discard: true })
        })
      ),
      Effect.forkScoped
    )

    return {
      bounds,
      maintain: Effect.gen(function* () {
        if (stopped) return
        const done = yield* Deferred.make<void>()
        waiting.push(done)
        yield* Queue.offer(wake, "external_event")
        yield* Deferred.await(done)
      }),
      steps: Effect.sync(() => steps)
    }
  })
