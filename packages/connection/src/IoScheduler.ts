/**
 * The I/O scheduler shared by all connections of a host (Octez `P2p_io_scheduler`). It counts every
 * byte each connection reads and writes, refreshes the moving averages every second, and, when a
 * global upload or download limit is set, shares that bandwidth fairly:
 *
 * - every second each connection's quota becomes `min(quota, 0) + globalAverage / connections`
 *   (unused quota is not carried over, overdraft is), and the global quota becomes
 *   `min(quota, 0) + maxSpeed`;
 * - a connection asking to move bytes waits in the high-priority queue if its quota is positive,
 *   in the low one otherwise; the high queue is served first, and service pauses while the global
 *   quota is negative until the next second.
 *
 * So connections that used less than their share go first, and the total rate is capped per
 * one-second window with overdraft carried into the next. Without limits a request is just two
 * additions.
 *
 * It also holds the host's **memory budget** for queued messages (see {@link MemoryAccount}): the
 * bytes all connections' incoming and outgoing queues hold together stay under `totalBytes`, and
 * one connection's two queues under `perConnectionBytes`. When the host is more than half full, a
 * connection already holding more than its fair share (`totalBytes / (connections + 1)`: one share
 * is kept for a connection that holds nothing yet) waits, so the rest stays for the others; when it
 * is full, everyone waits. A waiting reader stops reading its socket, so TCP pushes back on the
 * peer instead of our memory growing. Queues check and charge in one synchronous step, so the
 * total never passes `totalBytes` (`peakQueuedBytes` says how close it came).
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Metric, type Scope } from "effect"
import * as GaugeWriter from "./GaugeWriter.ts"
import * as Signal from "./internal/Signal.ts"
import * as Stat from "./Stat.ts"

/**
 * Default bound of what one connection's queues hold together: 20 MiB (bytes, each message
 * charged its size plus `BoundedQueue.elementOverhead`).
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultPerConnectionBytes = 20 * 1024 * 1024

/**
 * Default bound of what all connections' queues hold together: 512 MiB.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultTotalBytes = 512 * 1024 * 1024

/**
 * Global limits: bandwidth in bytes per second (absent means unlimited) and the memory budget of
 * the queues in bytes.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  readonly maxDownloadSpeed?: number
  readonly maxUploadSpeed?: number
  /** Bytes one connection's incoming and outgoing queues may hold together. Default {@link defaultPerConnectionBytes} (20 MiB). */
  readonly perConnectionBytes?: number
  /** Bytes all connections' queues may hold together. Default {@link defaultTotalBytes} (512 MiB). */
  readonly totalBytes?: number
}

/**
 * The memory bounds a scheduler applies, in bytes (what `effect-p2p listen --json` prints as its
 * `limits` event).
 *
 * @category models
 * @since 0.2.0
 */
export interface MemoryLimits {
  readonly perConnectionBytes: number
  readonly totalBytes: number
}

/**
 * One connection's share of the host's memory budget; its two queues charge and release through it.
 *
 * @category models
 * @since 0.2.0
 */
export interface MemoryAccount {
  /**
   * Whether `bytes` more may be charged. `alone`: the queue asking holds nothing (reservations
   * aside), so one message of any size is let through (Octez's rule) as long as the host budget has
   * room for it, or the host holds nothing at all. Checked and charged in one synchronous step by
   * the caller, so concurrent connections never pass the budget together.
   */
  readonly fits: (bytes: number, alone: boolean) => boolean
  readonly charge: (bytes: number) => void
  readonly release: (bytes: number) => void
  /** Bytes this connection's queues hold. */
  readonly held: () => number
  /** Notified whenever any connection releases bytes: a refused queue waits on it. */
  readonly room: Signal.Signal
}

/**
 * One connection's handle on the scheduler.
 *
 * @category models
 * @since 0.1.0
 */
export interface ScheduledConnection {
  /** Accounts `bytes` just read from the socket; waits for the download share when limited. */
  readonly download: (bytes: number) => Effect.Effect<void>
  /** Accounts `bytes` about to be written to the socket; waits for the upload share when limited. */
  readonly upload: (bytes: number) => Effect.Effect<void>
  readonly stat: () => Stat.Stat
  /** Whether a global upload limit applies (then writers should ask for each message, not for a batch). */
  readonly uploadLimited: boolean
  /** Whether a global download limit applies (then the reader asks before it decodes each chunk). */
  readonly downloadLimited: boolean
  /** Counts bytes that already went through without this scheduler (the handshake), never waiting. */
  readonly count: (direction: "download" | "upload", bytes: number) => void
  /** This connection's share of the host's memory budget. */
  readonly memory: MemoryAccount
}

/**
 * @category models
 * @since 0.1.0
 */
export interface IoSchedulerShape {
  /** Registers a connection for the lifetime of the scope. */
  readonly register: Effect.Effect<ScheduledConnection, never, Scope.Scope>
  /** Traffic of every connection, past and present, together. */
  readonly globalStat: () => Stat.Stat
  /** Number of registered connections. */
  readonly connections: () => number
  /** The memory bounds in force. */
  readonly limits: MemoryLimits
  /** Bytes all connections' queues hold now. */
  readonly queuedBytes: () => number
  /** The most bytes all connections' queues held at any moment since the scheduler was made. */
  readonly peakQueuedBytes: () => number
}

/**
 * @category services
 * @since 0.1.0
 */
export class IoScheduler extends Context.Service<IoScheduler, IoSchedulerShape>()(
  "@effect-p2p/connection/IoScheduler"
) {}

/** Effect metrics mirroring the global stat, refreshed every second. */
const metrics = {
  sent: Metric.counter("p2p_connection_sent_bytes_total", { description: "bytes written to the wire" }),
  received: Metric.counter("p2p_connection_received_bytes_total", { description: "bytes read from the wire" }),
  inflow: Metric.gauge("p2p_connection_inflow_bytes_per_second", { description: "moving average of bytes read/s" }),
  outflow: Metric.gauge("p2p_connection_outflow_bytes_per_second", {
    description: "moving average of bytes written/s"
  }),
  connections: Metric.gauge("p2p_connection_open", { description: "registered connections" }),
  queued: Metric.gauge("p2p_connection_queued_bytes", {
    description: "bytes held by all connections' queues (messages plus their per-message overhead)"
  })
}

/**
 * The metrics the scheduler updates every second: `p2p_connection_sent_bytes_total`,
 * `p2p_connection_received_bytes_total`, `p2p_connection_inflow_bytes_per_second`,
 * `p2p_connection_outflow_bytes_per_second`, `p2p_connection_open`, `p2p_connection_queued_bytes`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const Metrics = metrics

interface Waiter {
  readonly entry: Entry
  readonly bytes: number
  readonly resume: () => void
}

interface Entry {
  readonly counter: Stat.MovingAverage
  quota: number
}

/** One direction (read or write) of Octez's scheduler. */
const makeDirection = (maxSpeed: number | undefined) => {
  const counter = Stat.makeMovingAverage()
  const entries = new Set<Entry>()
  let quota = 0
  let high: Array<Waiter> = []
  let low: Array<Waiter> = []

  const serve = () => {
    while (quota >= 0) {
      const fromHigh = high.length > 0
      const waiter = fromHigh ? high.shift() : low.shift()
      if (waiter === undefined) return
      quota -= waiter.bytes
      if (fromHigh) waiter.entry.quota -= waiter.bytes
      account(waiter.entry, waiter.bytes)
      waiter.resume()
    }
  }

  const account = (entry: Entry, bytes: number) => {
    Stat.add(counter, bytes)
    Stat.add(entry.counter, bytes)
  }

  const request = (entry: Entry, bytes: number): Effect.Effect<void> => {
    if (maxSpeed === undefined) {
      return Effect.sync(() => account(entry, bytes))
    }
    return Effect.callback<void>((resume) => {
      const waiter: Waiter = { entry, bytes, resume: () => resume(Effect.void) }
      if (entry.quota > 0) high.push(waiter)
      else low.push(waiter)
      serve()
      return Effect.sync(() => {
        high = high.filter((w) => w !== waiter)
        low = low.filter((w) => w !== waiter)
      })
    })
  }

  const tick = (elapsedMs: number) => {
    Stat.refresh(counter, elapsedMs)
    for (const entry of entries) {
      // A quiet counter (nothing pending, average 0) stays as it is: most of a large pool's are.
      if (entry.counter.pending !== 0 || entry.counter.average !== 0) Stat.refresh(entry.counter, elapsedMs)
    }
    if (maxSpeed === undefined) return
    const fair = entries.size > 0 ? Math.trunc(counter.average / entries.size) : 0
    for (const entry of entries) entry.quota = Math.min(entry.quota, 0) + fair
    quota = Math.min(quota, 0) + maxSpeed
    const promoted = low.filter((w) => w.entry.quota > 0)
    if (promoted.length > 0) {
      low = low.filter((w) => w.entry.quota <= 0)
      high = high.concat(promoted)
    }
    serve()
  }

  const add = (): Entry => {
    const entry: Entry = { counter: Stat.makeMovingAverage(), quota: 0 }
    entries.add(entry)
    return entry
  }

  const remove = (entry: Entry) => {
    entries.delete(entry)
    high = high.filter((w) => w.entry !== entry)
    low = low.filter((w) => w.entry !== entry)
  }

  return { counter, request, account, tick, add, remove, size: () => entries.size }
}

/** The host's memory budget: the total held, the connections sharing it, one wake-up for all. */
const makeBudget = (limits: MemoryLimits) => {
  let total = 0
  let peak = 0
  let connections = 0
  const room = Signal.make()
  const add = () => {
    connections += 1
    let held = 0
    // Once the connection is gone, what its queues still hold (messages left to read) is no longer
    // counted against the host.
    let detached = false
    const memory: MemoryAccount = {
      fits: (bytes, alone) => {
        const after = total + bytes
        if (after > limits.totalBytes) return alone && total === 0
        const mine = held + bytes
        if (!alone && mine > limits.perConnectionBytes) return false
        // Past half the budget, only a connection under its fair share may take more. The share
        // counts one connection more than there are, so one share always stays free for a
        // connection that holds nothing yet (a new peer): a flood on all the others never fills the
        // host to the last byte.
        return after <= limits.totalBytes / 2 || mine <= limits.totalBytes / (connections + 1)
      },
      charge: (bytes) => {
        held += bytes
        if (detached) return
        total += bytes
        if (total > peak) peak = total
      },
      release: (bytes) => {
        held -= bytes
        if (detached) return
        total -= bytes
        room.notifyAll()
      },
      held: () => held,
      room
    }
    const detach = () => {
      connections -= 1
      detached = true
      total -= held
      room.notifyAll()
    }
    return { memory, detach }
  }
  return { add, total: () => total, peak: () => peak }
}

/**
 * Creates a scheduler whose refresh fiber lives in the current scope.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { IoScheduler } from "@effect-p2p/connection"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const scheduler = yield* IoScheduler.make({ maxUploadSpeed: 1024 * 1024 })
 *   const conn = yield* scheduler.register
 *   yield* conn.upload(1000)
 *   return conn.stat().totalSent // 1000
 * }))
 * ```
 */
export const make = (options: Options = {}): Effect.Effect<IoSchedulerShape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const down = makeDirection(options.maxDownloadSpeed)
    const up = makeDirection(options.maxUploadSpeed)
    const limits: MemoryLimits = {
      perConnectionBytes: options.perConnectionBytes ?? defaultPerConnectionBytes,
      totalBytes: options.totalBytes ?? defaultTotalBytes
    }
    const budget = makeBudget(limits)
    let reported = { sent: 0, received: 0 }
    // Only what changed is written (a registry lookup each): an idle host's second costs nothing
    // more than its tick, and a simulation runs a thousand schedulers.
    const writeGauges = GaugeWriter.make([metrics.inflow, metrics.outflow, metrics.connections, metrics.queued])
    const refresh = Effect.suspend(() => {
      down.tick(1000)
      up.tick(1000)
      const updates: Array<Effect.Effect<void>> = []
      const sent = up.counter.total - reported.sent
      const received = down.counter.total - reported.received
      if (sent !== 0) updates.push(Metric.update(metrics.sent, sent))
      if (received !== 0) updates.push(Metric.update(metrics.received, received))
      reported = { sent: up.counter.total, received: down.counter.total }
      updates.push(writeGauges([down.counter.average, up.counter.average, down.size(), budget.total()]))
      return Effect.all(updates, { discard: true })
    })
    const refreshEverySecond = Effect.andThen(Effect.sleep(Duration.seconds(1)), refresh).pipe(Effect.forever)
    // Started at once, so the refresh timer exists as soon as the scheduler does (nothing appears later).
    yield* Effect.forkScoped(refreshEverySecond, { startImmediately: true })

    return {
      register: Effect.acquireRelease(
        Effect.sync(() => {
          const d = down.add()
          const u = up.add()
          const { memory, detach } = budget.add()
          return {
            handle: {
              download: (bytes: number) => down.request(d, bytes),
              upload: (bytes: number) => up.request(u, bytes),
              stat: () => Stat.fromCounters(d.counter, u.counter),
              uploadLimited: options.maxUploadSpeed !== undefined,
              downloadLimited: options.maxDownloadSpeed !== undefined,
              count: (direction: "download" | "upload", bytes: number) =>
                direction === "download" ? down.account(d, bytes) : up.account(u, bytes),
              memory
            } satisfies ScheduledConnection,
            d,
            u,
            detach
          }
        }),
        ({ d, u, detach }) =>
          Effect.sync(() => {
            down.remove(d)
            up.remove(u)
            detach()
          })
      ).pipe(Effect.map(({ handle }) => handle)),
      globalStat: () => Stat.fromCounters(down.counter, up.counter),
      connections: () => down.size(),
      limits,
      queuedBytes: budget.total,
      peakQueuedBytes: budget.peak
    }
  })

/**
 * The scheduler as a layer: one per host, shared by every connection made under it.
 *
 * @category layers
 * @since 0.1.0
 * @example
 * ```ts
 * import { IoScheduler } from "@effect-p2p/connection"
 * import { Effect } from "effect"
 *
 * // Every connection made under this layer shares 1 MiB/s of upload.
 * const program = Effect.gen(function* () {
 *   const scheduler = yield* IoScheduler.IoScheduler
 *   return scheduler.globalStat()
 * }).pipe(Effect.provide(IoScheduler.layer({ maxUploadSpeed: 1024 * 1024 })))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<IoScheduler> =>
  Layer.effect(IoScheduler, Effect.map(make(options), IoScheduler.of))
