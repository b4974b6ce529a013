/** Writers that push as much as the listener will take, and a heap probe with margins. */
import * as Fs from "node:fs"
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

/**
 * The most a loopback connection's two kernel buffers can hold: the receive buffer of one end and
 * the send buffer of the other at the largest TCP autotuning may make them (Linux `tcp_rmem` and
 * `tcp_wmem` maxima; 8 MiB each where those cannot be read).
 */
export const kernelBuffers = (): number => {
  const largest = (file: string) => {
    try {
      const value = Number(Fs.readFileSync(file, "utf8").trim().split(/\s+/)[2])
      return Number.isFinite(value) && value > 0 ? value : 8 * 1024 * 1024
    } catch {
      return 8 * 1024 * 1024
    }
  }
  return largest("/proc/sys/net/ipv4/tcp_rmem") + largest("/proc/sys/net/ipv4/tcp_wmem")
}
