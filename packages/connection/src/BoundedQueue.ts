/**
 * A FIFO queue bounded by what its elements really cost in memory, with Octez's `Lwt_pipe`
 * acceptance rule: an element is accepted when the queue holds nothing or when it fits under the
 * limit. So one element larger than the limit still goes through (alone), and the queue never
 * holds more than `maxBytes` or that one element.
 *
 * Each element is charged its payload bytes plus {@link elementOverhead}, the per-message cost
 * measured on V8 (the queue slot, the message object and its own small buffer), so a flood of
 * empty messages is bounded as truly as one of large ones. A queue may also charge a
 * `MemoryAccount` of the host's budget (see `IoScheduler`): then an element is accepted only if
 * the account has room too, and a refused offer waits for any connection to free some.
 *
 * A charge only ever grows where there is room, checked and taken in one synchronous step (an
 * offer, `reserveNow`), or is turned from one charge into another (`putReserved`: a reservation
 * becomes an element's charge; `holdTaken`: a taken element's charge stays until its consumer is
 * done with it). So the queues sharing an account never pass its budget together.
 *
 * Closing the queue ends it: offers fail at once, takers drain what is left and then fail with
 * the close reason (or die with the defect, for a queue ended by `die`).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { MemoryAccount } from "./IoScheduler.ts"
import * as Signal from "./internal/Signal.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface BoundedQueue<A, E> {
  /** Waits while the queue is full; fails with the close error once closed. */
  readonly offer: (value: A, bytes: number) => Effect.Effect<void, E>
  /**
   * Queues at once an element whose charge (`bytes` plus the overhead) the caller already reserved
   * (`reserveNow`, `reserveWhenRoom`): the reservation becomes its charge, so the accounted total does
   * not change. False (and the reservation is released) once the queue is closed.
   */
  readonly putReserved: (value: A, bytes: number) => boolean
  /** Never waits: true if queued, false if the queue was full. */
  readonly offerNow: (value: A, bytes: number) => Effect.Effect<boolean, E>
  /**
   * Queues at once whatever the bounds say, charging nothing: for a marker that holds no memory worth
   * counting and must not wait for room, such as a flush on close. Fails only once closed.
   */
  readonly offerAlways: (value: A, bytes: number) => Effect.Effect<void, E>
  /** `offerNow` synchronously; false also when the queue is closed (use `offer` to learn why). */
  readonly offerUnsafe: (value: A, bytes: number) => boolean
  /** Waits for the next element; after close, drains then fails with the close error. */
  readonly take: Effect.Effect<A, E>
  /**
   * Waits until an element is queued (`pollUnsafe` then returns it), without taking it; after
   * close, once drained, fails with the close error. For a consumer that must take an element and
   * note that it holds it in one synchronous step.
   */
  readonly awaitItems: Effect.Effect<void, E>
  /**
   * For a `holdTaken: "untilReleased"` queue's element handed straight to the consumer while the
   * queue is empty, never queued: charges it as `offerNow` would, as if it were taken at once (held
   * until `releaseTaken`), if it fits. False, charging nothing, when it does not fit or the queue is
   * closed or not empty (it would pass the queued ones).
   */
  readonly chargeTaken: (bytes: number) => boolean
  /** The next element if there is one. */
  readonly poll: Effect.Effect<Option.Option<A>, E>
  /** The next element if there is one, synchronously (for a consumer batching what is already queued). */
  readonly pollUnsafe: () => A | undefined
  /** The next element without taking it, if there is one. */
  readonly peekUnsafe: () => A | undefined
  /** Ends the queue with `error`; only the first close counts. Elements already queued remain takeable. */
  readonly close: (error: E) => void
  /** Ends the queue with a defect: like `close`, but offers and takers die with `defect` (a bug, not a failure). */
  readonly die: (defect: unknown) => void
  /** Drops every queued element and returns them, so the caller can tell their owners. */
  readonly clear: () => ReadonlyArray<A>
  readonly isClosed: () => boolean
  /**
   * Current accounted size in bytes: queued elements with their overhead, what is reserved, and
   * what a consumer still holds (see `Options.holdTaken`).
   */
  readonly bytes: () => number
  /**
   * Reserves `bytes` held outside the queue's elements (a message being reassembled), if they fit
   * under the bound and the account, or if the queue holds nothing but reservations (so one oversized
   * element can grow alone): checked and charged in one step, so concurrent reservations never pass
   * the bounds together. False, charging nothing, when they do not fit.
   */
  readonly reserveNow: (bytes: number) => boolean
  /** `reserveNow`, waiting for room; once the queue is closed, returns without reserving anything. */
  readonly reserveWhenRoom: (bytes: number) => Effect.Effect<void>
  /**
   * Releases `bytes` of a reservation. Only ever lowers the charge: nothing is charged without room.
   */
  readonly unreserve: (bytes: number) => void
  /** Releases what a `holdTaken: "untilReleased"` queue's consumer took (payload plus overhead). */
  readonly releaseTaken: (bytes: number) => void
  readonly length: () => number
  /** Runs the consumers waiting for an element now, if there is one (see `Options.wakeTakers`). */
  readonly wakeTakers: () => void
  /** Resolves once the queue is empty (used to flush on close). */
  readonly awaitEmpty: Effect.Effect<void>
}

/**
 * What one element costs beyond its payload bytes unless the queue is made with another
 * `elementOverhead`: 256 bytes, what V8 (Node 20, x64) holds per queued outgoing message (the queue
 * slot, the message record, its encoded buffer's objects: about 200 B measured by
 * `packages/connection/test/memory/fill.ts`). The connection's incoming queue charges more
 * (`Connection.incomingMessageOverhead`); docs/LIMITS.md gives the figures.
 *
 * @category constants
 * @since 0.1.0
 */
export const elementOverhead = 256

/**
 * @category models
 * @since 0.2.0
 */
export interface Options {
  /** The host's memory budget to charge as well (see `IoScheduler.MemoryAccount`). */
  readonly account?: MemoryAccount
  /** Bytes charged per element on top of its payload. Default {@link elementOverhead}. */
  readonly elementOverhead?: number
  /**
   * How long a taken element stays charged, for a consumer that still holds what it took:
   *
   * - `"untilReleased"`: until the consumer calls `unreserve` with its bytes (payload plus
   *   overhead): a writer, until the socket is done with them. Releasing only then also spares
   *   waiting producers a wake-up per element taken;
   * - `"untilNextTake"`: until the consumer asks for the next element (`take`, `poll`), or the queue
   *   is cleared: an application holds the message it read while it handles it (an echo, while its
   *   write waits for room);
   * - `false` (the default): released when taken.
   */
  readonly holdTaken?: false | "untilReleased" | "untilNextTake"
  /**
   * Who wakes a consumer waiting for an element:
   *
   * - `"push"` (the default): every element queued, the consumer running after the producer's
   *   synchronous run (so a burst wakes it once);
   * - `"producer"`: only the producer's `wakeTakers`, which runs the consumer at once, inside the
   *   call. For a producer that queues a burst of elements and then calls it at a point where the
   *   consumer may run (the connection's reader, after each chunk); it must call it after every
   *   element it queued before it waits for anything, or a consumer may wait for good.
   */
  readonly wakeTakers?: "push" | "producer"
}

/**
 * Creates a queue holding at most about `maxBytes` (see the module doc for the exact rule).
 * `maxBytes` of `Infinity` makes it unbounded.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BoundedQueue } from "@effect-p2p/connection"
 *
 * const program = Effect.gen(function*() {
 *   const queue = BoundedQueue.make<string, Error>(64)
 *   yield* queue.offer("hello", 5)
 *   return yield* queue.take
 * })
 * ```
 */
export const make = <A, E>(maxBytes: number, options: Options = {}): BoundedQueue<A, E> => {
  const account = options.account
  const overhead = options.elementOverhead ?? elementOverhead
  const holdTaken = options.holdTaken ?? false
  const items: Array<{ readonly value: A; readonly charge: number }> = []
  let head = 0
  // Everything charged: elements, reservations, and what a consumer still holds.
  let size = 0
  // Of `size`, what reservations hold (`reserveNow`, `reserveWhenRoom`): the queue is "alone" (may
  // take one element or reservation of any size) when it holds nothing else.
  let reserved = 0
  // With `holdTaken: "untilNextTake"`: the charge of the element the consumer took last.
  let lastTaken = 0
  // What offers and takers get once the queue is ended: a failure, or a defect.
  let closedWith: Effect.Effect<never, E> | undefined
  const hasRoom = Signal.make()
  const hasItems = Signal.make()
  // With an account, room can come from any connection releasing bytes: wait on the host's signal.
  const room = account?.room ?? hasRoom

  const count = () => items.length - head
  // One rule for elements and reservations: `charge` more fits under the bound and the account, or
  // the queue holds nothing but reservations (Octez's rule: one element of any size, alone).
  const fits = (charge: number) => {
    if (size - reserved === 0) return account === undefined || account.fits(charge, true)
    return size + charge <= maxBytes && (account === undefined || account.fits(charge, false))
  }
  const charge = (bytes: number) => {
    size += bytes
    account?.charge(bytes)
  }
  const release = (bytes: number) => {
    if (bytes === 0) return
    size -= bytes
    if (account === undefined) hasRoom.notifyAll()
    else account.release(bytes)
  }
  const releaseLastTaken = () => {
    if (lastTaken === 0) return
    const bytes = lastTaken
    lastTaken = 0
    release(bytes)
  }
  const wakeOnPush = (options.wakeTakers ?? "push") === "push"
  const push = (value: A, bytes: number) => {
    items.push({ value, charge: bytes })
    if (wakeOnPush) hasItems.notifyAll()
  }
  const shift = (): A => {
    const item = items[head]!
    // Drop the reference so a taken message can be collected; the slot is never read again.
    items[head] = undefined as never
    head++
    if (head > 1024 && head * 2 > items.length) {
      items.splice(0, head)
      head = 0
    }
    if (count() === 0) {
      items.length = 0
      head = 0
    }
    if (holdTaken === false) release(item.charge)
    else if (holdTaken === "untilNextTake") lastTaken = item.charge
    return item.value
  }

  const end = (ended: Effect.Effect<never, E>) => {
    if (closedWith) return
    closedWith = ended
    hasItems.notifyAll()
    room.notifyAll()
  }

  // The conditions waiters give their signal (checked when they register and at each notification).
  const itemsOrClosed = () => count() > 0 || closedWith !== undefined
  const empty = () => count() === 0
  const offer = (value: A, bytes: number): Effect.Effect<void, E> =>
    Effect.suspend(() => {
      if (closedWith) return closedWith
      const cost = bytes + overhead
      if (fits(cost)) {
        charge(cost)
        push(value, cost)
        return Effect.void
      }
      return Effect.flatMap(
        room.waitFor(() => closedWith !== undefined || fits(cost)),
        () => offer(value, bytes)
      )
    })

  const take: Effect.Effect<A, E> = Effect.suspend(() => {
    releaseLastTaken()
    if (count() > 0) return Effect.succeed(shift())
    if (closedWith) return closedWith
    return Effect.flatMap(hasItems.waitFor(itemsOrClosed), () => take)
  })

  const awaitItems: Effect.Effect<void, E> = Effect.suspend(() => {
    if (count() > 0) return Effect.void
    if (closedWith) return closedWith
    return Effect.flatMap(hasItems.waitFor(itemsOrClosed), () => awaitItems)
  })

  const reserveNow = (bytes: number): boolean => {
    if (!fits(bytes)) return false
    charge(bytes)
    reserved += bytes
    return true
  }

  const reserveWhenRoom = (bytes: number): Effect.Effect<void> =>
    Effect.suspend(() =>
      closedWith !== undefined || reserveNow(bytes)
        ? Effect.void
        : Effect.flatMap(
            room.waitFor(() => closedWith !== undefined || fits(bytes)),
            () => reserveWhenRoom(bytes)
          )
    )

  const awaitEmpty: Effect.Effect<void> = Effect.suspend(() =>
    count() === 0 ? Effect.void : Effect.flatMap(room.waitFor(empty), () => awaitEmpty)
  )

  return {
    offer,
    offerNow: (value, bytes) =>
      Effect.suspend(() => {
        if (closedWith) return closedWith
        const cost = bytes + overhead
        if (!fits(cost)) return Effect.succeed(false)
        charge(cost)
        push(value, cost)
        return Effect.succeed(true)
      }),
    putReserved: (value, bytes) => {
      const cost = bytes + overhead
      reserved -= cost
      if (closedWith) {
        release(cost)
        return false
      }
      push(value, cost)
      return true
    },
    offerAlways: (value) =>
      Effect.suspend(() => {
        if (closedWith) return closedWith
        push(value, 0)
        return Effect.void
      }),
    offerUnsafe: (value, bytes) => {
      const cost = bytes + overhead
      if (closedWith || !fits(cost)) return false
      charge(cost)
      push(value, cost)
      return true
    },
    take,
    awaitItems,
    chargeTaken: (bytes) => {
      const cost = bytes + overhead
      if (closedWith || count() > 0 || !fits(cost)) return false
      charge(cost)
      return true
    },
    poll: Effect.suspend(() => {
      releaseLastTaken()
      if (count() > 0) return Effect.succeed(Option.some(shift()))
      if (closedWith) return closedWith
      return Effect.succeed(Option.none())
    }),
    pollUnsafe: () => {
      releaseLastTaken()
      return count() > 0 ? shift() : undefined
    },
    peekUnsafe: () => (count() > 0 ? items[head]!.value : undefined),
    close: (error) => end(Effect.fail(error)),
    die: (defect) => end(Effect.die(defect)),
    clear: () => {
      const dropped = items.slice(head)
      items.length = 0
      head = 0
      let freed = 0
      for (const item of dropped) freed += item.charge
      release(freed)
      releaseLastTaken()
      return dropped.map((item) => item.value)
    },
    isClosed: () => closedWith !== undefined,
    bytes: () => size,
    reserveNow,
    reserveWhenRoom,
    unreserve: (bytes) => {
      reserved -= bytes
      release(bytes)
    },
    releaseTaken: release,
    length: count,
    awaitEmpty,
    wakeTakers: hasItems.notifyAllNow
  }
}
