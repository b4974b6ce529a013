/**
 * A broadcast wake-up for fibers waiting on a condition that plain code changes (queue has room,
 * queue has items). Waiters re-check their condition after waking, so spurious wake-ups are fine,
 * and an interrupted waiter simply leaves the set.
 */
import { Effect } from "effect"

export interface Signal {
  readonly wait: Effect.Effect<void>
  /**
   * Waits until `ready()` holds at a notification (not checked at once: the caller just did). The
   * condition is checked inside `notifyAll`, so a waiter whose condition still fails costs a
   * function call, not a fiber wake-up (a reader waiting for room for a whole chunk while the
   * application frees it one message at a time).
   */
  readonly waitFor: (ready: () => boolean) => Effect.Effect<void>
  readonly notifyAll: () => void
}

export const make = (): Signal => {
  const waiters = new Set<() => void>()
  const waitFor = (ready: (() => boolean) | undefined) =>
    Effect.callback<void>((resume) => {
      const wake = () => {
        if (ready !== undefined && !ready()) return
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
    wait: waitFor(undefined),
    waitFor,
    notifyAll: () => {
      if (waiters.size === 0) return
      for (const wake of [...waiters]) wake()
    }
  }
}
