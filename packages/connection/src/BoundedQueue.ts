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
   * `offer` for an element whose charge (`bytes` plus the overhead) the caller already reserved, so
   * it stays counted while it waits for room; queuing it turns the reservation into its charge.
   */
  readonly offerReserved: (value: A, bytes: number) => Effect.Effect<void, E>
  /** Never waits: true if queued, false if the queue was full. */
  readonly offerNow: (value: A, bytes: number) => Effect.Effect<boolean, E>
  /**
   * Queues at once whatever the bounds say (still charged); fails only once closed. For a marker
   * that must not wait for room, such as a flush on close.
   */
  readonly offerAlways: (value: A, bytes: number) => Effect.Effect<void, E>
  /** `offerNow` synchronously; false also when the queue is closed (use `offer` to learn why). */
  readonly offerUnsafe: (value: A, bytes: number) => boolean
  /** Waits for the next element; after close, drains then fails with the close error. */
  readonly take: Effect.Effect<A, E>
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
  /** Current accounted size in bytes: queued elements with their overhead, plus what is reserved. */
  readonly bytes: () => number
  /**
   * Charges `bytes` held outside the queue's elements (a message being reassembled), so the bound
   * covers them; `unreserve` when they are gone (also how a `holdTaken` queue's consumer releases
   * what it took).
   */
  readonly reserve: (bytes: number) => void
  readonly unreserve: (bytes: number) => void
  /**
   * Waits until `bytes` more could be reserved: they fit under the bound and the account, or the
   * queue has no element (reservations aside), which lets one oversized element grow alone.
   */
  readonly awaitRoom: (bytes: number) => Effect.Effect<void>
  /** Whether `awaitRoom(bytes)` would return at once. */
  readonly hasRoomFor: (bytes: number) => boolean
  readonly length: () => number
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
   * Taken elements stay charged until the consumer calls `unreserve` with their bytes (payload plus
   * overhead): for a consumer that still holds what it took (a writer until the socket has it).
   * Releasing only then also spares waiting producers a wake-up per element taken. Default `false`.
   */
  readonly holdTaken?: boolean
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
  const items: Array<{ readonly value: A; readonly bytes: number }> = []
  let head = 0
  let size = 0
  // What offers and takers get once the queue is ended: a failure, or a defect.
  let closedWith: Effect.Effect<never, E> | undefined
  const hasRoom = Signal.make()
  const hasItems = Signal.make()
  // With an account, room can come from any connection releasing bytes: wait on the host's signal.
  const room = account?.room ?? hasRoom

  const count = () => items.length - head
  // `credit`: bytes already reserved for this element (see `offerReserved`), counted as free.
  const fits = (bytes: number, credit = 0) => {
    const charge = bytes + overhead
    const before = size - credit
    if (before === 0) return account === undefined || account.fits(charge, true, credit)
    return before + charge <= maxBytes && (account === undefined || account.fits(charge, false, credit))
  }
  const hasRoomFor = (bytes: number) => {
    if (count() === 0) return account === undefined || account.fits(bytes, true)
    return size + bytes <= maxBytes && (account === undefined || account.fits(bytes, false))
  }
  const charge = (bytes: number) => {
    size += bytes
    account?.charge(bytes)
  }
  const release = (bytes: number) => {
    size -= bytes
    if (account === undefined) hasRoom.notifyAll()
    else account.release(bytes)
  }
  const push = (value: A, bytes: number) => {
    items.push({ value, bytes })
    charge(bytes + overhead)
    hasItems.notifyAll()
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
    if (!holdTaken) release(item.bytes + overhead)
    return item.value
  }

  const end = (ended: Effect.Effect<never, E>) => {
    if (closedWith) return
    closedWith = ended
    hasItems.notifyAll()
    room.notifyAll()
  }

  // The element's charge was reserved by the caller: queue it without charging again.
  const offerReserved = (value: A, bytes: number): Effect.Effect<void, E> =>
    Effect.suspend(() => {
      const charge = bytes + overhead
      if (closedWith) {
        release(charge)
        return closedWith
      }
      if (fits(bytes, charge)) {
        items.push({ value, bytes })
        hasItems.notifyAll()
        return Effect.void
      }
      return Effect.flatMap(room.wait, () => offerReserved(value, bytes))
    })

  const offer = (value: A, bytes: number): Effect.Effect<void, E> =>
    Effect.suspend(() => {
      if (closedWith) return closedWith
      if (fits(bytes)) {
        push(value, bytes)
        return Effect.void
      }
      return Effect.flatMap(room.wait, () => offer(value, bytes))
    })

  const take: Effect.Effect<A, E> = Effect.suspend(() => {
    if (count() > 0) return Effect.succeed(shift())
    if (closedWith) return closedWith
    return Effect.flatMap(hasItems.wait, () => take)
  })

  const awaitRoom = (bytes: number): Effect.Effect<void> =>
    Effect.suspend(() =>
      closedWith !== undefined || hasRoomFor(bytes) ? Effect.void : Effect.flatMap(room.wait, () => awaitRoom(bytes))
    )

  const awaitEmpty: Effect.Effect<void> = Effect.suspend(() =>
    count() === 0 ? Effect.void : Effect.flatMap(room.wait, () => awaitEmpty)
  )

  return {
    offer,
    offerNow: (value, bytes) =>
      Effect.suspend(() => {
        if (closedWith) return closedWith
        if (!fits(bytes)) return Effect.succeed(false)
        push(value, bytes)
        return Effect.succeed(true)
      }),
    offerReserved,
    offerAlways: (value, bytes) =>
      Effect.suspend(() => {
        if (closedWith) return closedWith
        push(value, bytes)
        return Effect.void
      }),
    offerUnsafe: (value, bytes) => {
      if (closedWith || !fits(bytes)) return false
      push(value, bytes)
      return true
    },
    take,
    poll: Effect.suspend(() => {
      if (count() > 0) return Effect.succeed(Option.some(shift()))
      if (closedWith) return closedWith
      return Effect.succeed(Option.none())
    }),
    pollUnsafe: () => (count() > 0 ? shift() : undefined),
    peekUnsafe: () => (count() > 0 ? items[head]!.value : undefined),
    close: (error) => end(Effect.fail(error)),
    die: (defect) => end(Effect.die(defect)),
    clear: () => {
      const dropped = items.slice(head)
      items.length = 0
      head = 0
      let freed = 0
      for (const item of dropped) freed += item.bytes + overhead
      release(freed)
      return dropped.map((item) => item.value)
    },
    isClosed: () => closedWith !== undefined,
    bytes: () => size,
    reserve: charge,
    unreserve: release,
    awaitRoom,
    hasRoomFor,
    length: count,
    awaitEmpty
  }
}
