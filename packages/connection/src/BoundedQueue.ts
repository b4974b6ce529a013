/**
 * A FIFO queue bounded by an estimate of its size in bytes, with Octez's `Lwt_pipe` acceptance
 * rule: an element is accepted when the queue is empty or when it fits under the limit. So one
 * element larger than the limit still goes through (alone), and the queue never holds more than
 * `maxBytes` plus one element.
 *
 * Closing the queue ends it: offers fail at once, takers drain what is left and then fail with
 * the close reason (or die with the defect, for a queue ended by `die`).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import * as Signal from "./internal/Signal.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface BoundedQueue<A, E> {
  /** Waits while the queue is full; fails with the close error once closed. */
  readonly offer: (value: A, bytes: number) => Effect.Effect<void, E>
  /** Never waits: true if queued, false if the queue was full. */
  readonly offerNow: (value: A, bytes: number) => Effect.Effect<boolean, E>
  /** `offerNow` synchronously; false also when the queue is closed (use `offer` to learn why). */
  readonly offerUnsafe: (value: A, bytes: number) => boolean
  /** Waits for the next element; after close, drains then fails with the close error. */
  readonly take: Effect.Effect<A, E>
  /** The next element if there is one. */
  readonly poll: Effect.Effect<Option.Option<A>, E>
  /** The next element if there is one, synchronously (for a consumer batching what is already queued). */
  readonly pollUnsafe: () => A | undefined
  /** Ends the queue with `error`; only the first close counts. Elements already queued remain takeable. */
  readonly close: (error: E) => void
  /** Ends the queue with a defect: like `close`, but offers and takers die with `defect` (a bug, not a failure). */
  readonly die: (defect: unknown) => void
  /** Drops every queued element and returns them, so the caller can tell their owners. */
  readonly clear: () => ReadonlyArray<A>
  readonly isClosed: () => boolean
  /** Current accounted size in bytes. */
  readonly bytes: () => number
  readonly length: () => number
  /** Resolves once the queue is empty (used to flush on close). */
  readonly awaitEmpty: Effect.Effect<void>
}

/**
 * Per-element bookkeeping counted on top of its payload, as Octez counts a few machine words per
 * queued element, so a flood of empty messages is bounded too.
 *
 * @category constants
 * @since 0.1.0
 */
export const elementOverhead = 32

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
export const make = <A, E>(maxBytes: number): BoundedQueue<A, E> => {
  const items: Array<{ readonly value: A; readonly bytes: number }> = []
  let head = 0
  let size = 0
  // What offers and takers get once the queue is ended: a failure, or a defect.
  let closedWith: Effect.Effect<never, E> | undefined
  const hasRoom = Signal.make()
  const hasItems = Signal.make()

  const count = () => items.length - head
  const fits = (bytes: number) => count() === 0 || size + bytes + elementOverhead <= maxBytes
  const push = (value: A, bytes: number) => {
    items.push({ value, bytes })
    size += bytes + elementOverhead
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
    size -= item.bytes + elementOverhead
    if (count() === 0) {
      items.length = 0
      head = 0
      size = 0
    }
    hasRoom.notifyAll()
    return item.value
  }

  const end = (ended: Effect.Effect<never, E>) => {
    if (closedWith) return
    closedWith = ended
    hasItems.notifyAll()
    hasRoom.notifyAll()
  }

  const offer = (value: A, bytes: number): Effect.Effect<void, E> =>
    Effect.suspend(() => {
      if (closedWith) return closedWith
      if (fits(bytes)) {
        push(value, bytes)
        return Effect.void
      }
      return Effect.flatMap(hasRoom.wait, () => offer(value, bytes))
    })

  const take: Effect.Effect<A, E> = Effect.suspend(() => {
    if (count() > 0) return Effect.succeed(shift())
    if (closedWith) return closedWith
    return Effect.flatMap(hasItems.wait, () => take)
  })

  const awaitEmpty: Effect.Effect<void> = Effect.suspend(() =>
    count() === 0 ? Effect.void : Effect.flatMap(hasRoom.wait, () => awaitEmpty)
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
    close: (error) => end(Effect.fail(error)),
    die: (defect) => end(Effect.die(defect)),
    clear: () => {
      const dropped = items.slice(head).map((item) => item.value)
      items.length = 0
      head = 0
      size = 0
      hasRoom.notifyAll()
      return dropped
    },
    isClosed: () => closedWith !== undefined,
    bytes: () => size,
    length: count,
    awaitEmpty
  }
}
