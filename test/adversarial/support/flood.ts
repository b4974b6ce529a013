/** Writers that push as much as the listener will take, and a heap probe with margins. */
import { Effect, Option } from "effect"
import * as Attacker from "./attacker.ts"
import type * as Raw from "./raw.ts"

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc

/** Heap plus array buffers (socket data lives there), after a collection when `--expose-gc` is on. */
export const memory = () => {
  gc?.()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

/**
 * Writes sealed 16 KiB messages until one write has not reached the kernel within `stall` ms (the
 * listener stopped reading: backpressure reached us) or `cap` bytes were sent. Returns the bytes sent.
 */
export const floodUntilStalled = (raw: Raw.Raw, keys: Attacker.Keys, cap: number, stall = 1000) =>
  Effect.gen(function* () {
    const body = new Uint8Array(16 * 1024).fill(0x5a)
    let sent = 0
    while (sent < cap) {
      const chunk = Attacker.seal(keys, Attacker.envelope(body))
      const done = yield* Effect.timeoutOption(raw.write(chunk), stall)
      if (Option.isNone(done)) return { sent, stalled: true }
      sent += chunk.length
    }
    return { sent, stalled: false }
  })
