/**
 * A broadcast wake-up for fibers waiting on a condition that plain code changes (queue has room,
 * queue has items). A waiter gives its condition, which is checked when it registers and at every
 * notification, so an interrupted waiter simply leaves the set and no notification is ever missed.
 */
import { Effect } from "effect"

export interface Signal {
  /**
   * Waits until `ready()` holds. It is checked when the waiter registers, not only at the next
   * notification: the fiber may yield to the scheduler between the caller's own check and the
   * registration, and a notification in that gap (a socket callback releasing room) would
   * otherwise be missed for good (a sender waiting for room that was already freed, forever). It is
   * then checked inside `notifyAll`, so a waiter whose condition still fails costs a function call,
   * not a fiber wake-up (a reader waiting for room for a whole chunk while the application frees
   * it one message at a time).
   */
  readonly waitFor: (ready: () => boolean) => Effect.Effect<void>
  readonly notifyAll: () => void
}

export const make = (): Signal => {
  const waiters = new Set<() => void>()
  const waitFor = (ready: () => boolean) =>
    Effect.callback<void>((resume) => {
      if (ready()) {
        resume(Effect.void)
        return
      }
      const wake = () => {
        if (!ready()) return
        waiters.delete(wake)
        // Resuming runs the waiter at once, inside the notifier's call; yielding first puts it
        // behind the notifier instead, so a producer that queues many items in a row (a writer
        // loop, the reader's burst of decoded messages) wakes its consumer once, for all of them.
        resume(Effect.yieldNow)
      }
      waiters.add(wake)
      return Effect.sync(() => {
        waiters.delete(wake)
      })
    })
  return {
    waitFor,
    notifyAll: () => {
      if (waiters.size === 0) return
      for (const wake of [...waiters]) wake()
    }
  }
}
