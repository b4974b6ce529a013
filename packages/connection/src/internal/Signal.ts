/**
 * A broadcast wake-up for fibers waiting on a condition that plain code changes (queue has room,
 * queue has items). A waiter gives its condition, which is checked when it registers and at every
 * notification, so an interrupted waiter simply leaves the set and no notification is ever missed.
 */
import { Effect, Scheduler } from "effect"

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
  /**
   * Resumes the waiters whose condition holds inside this call (their fibers run before it
   * returns), for a notifier at a point where that is safe and that has nothing else to add
   * first (the connection's reader, once a chunk's messages are queued).
   */
  readonly notifyAllNow: () => void
}

/**
 * Runs `resume` once the notifier's synchronous run is over: in a microtask, which on a
 * request/response path puts the waiter (the application's `read`) right behind the reader that
 * queued the message instead of behind a whole event-loop turn (`Effect.yieldNow` is a
 * `setImmediate`: libuv polls the sockets again before it comes). Microtasks run before any I/O, so
 * fibers waking each other in a loop would never let the event loop go on: one wake-up in
 * `microtasksPerTurn + 1` goes through the scheduler (`Effect.yieldNow`) instead, which ends such a
 * chain until the next turn (and every chain runs into one within that many wake-ups of all).
 */
const deferred = (scheduler: Scheduler.Scheduler, resume: (effect: Effect.Effect<void>) => void) => {
  // Any other scheduler (`TestClock`'s, which tracks the work a clock adjustment wakes; a
  // simulator's) keeps its own say over when the waiter runs.
  if (!(scheduler instanceof Scheduler.MixedScheduler) || ++microtaskWakes > microtasksPerTurn) {
    microtaskWakes = 0
    resume(Effect.yieldNow)
    return
  }
  queueMicrotask(() => resume(Effect.void))
}
const microtasksPerTurn = 64
let microtaskWakes = 0

export const make = (): Signal => {
  const waiters = new Set<(now: boolean) => void>()
  const waitFor = (ready: () => boolean) =>
    Effect.callback<void>(function (this: Scheduler.Scheduler, resume) {
      if (ready()) {
        resume(Effect.void)
        return
      }
      const wake = (now: boolean) => {
        if (!ready()) return
        waiters.delete(wake)
        // Resuming runs the waiter at once, inside the notifier's call; deferring it puts it behind
        // the notifier instead, so a producer that queues many items in a row (a writer loop)
        // wakes its consumer once, for all of them.
        if (now) resume(Effect.void)
        else deferred(this, resume)
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
      for (const wake of [...waiters]) wake(false)
    },
    notifyAllNow: () => {
      if (waiters.size === 0) return
      for (const wake of [...waiters]) wake(true)
    }
  }
}
