/**
 * Shared by the network benchmarks and their child processes: payloads and checksums, the child
 * protocol, statistics, and spawning a child under tsx.
 */
import { type ChildProcess, fork } from "node:child_process"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"

export const here = dirname(fileURLToPath(import.meta.url))

/** Messages between the parent (sender, client) and a child (receiver, server). */
export type ToChild =
  | { readonly type: "expect"; readonly bytes: number; readonly verify: boolean }
  | { readonly type: "measure" }
  | { readonly type: "stop" }
  | { readonly type: "connect"; readonly port: number; readonly addr?: string; readonly peerId?: string }
  | { readonly type: "send"; readonly size: number; readonly count: number; readonly verify: boolean }
  /** Starts a measuring window: the child notes its CPU time and its count of accepted sessions. */
  | { readonly type: "mark" }
  /** Ends the window: the child answers `window` with what it spent and accepted since `mark`. */
  | { readonly type: "window" }
  /** To a handshake client (`hsc`): `inFlight` handshakes at a time for `ms`, then `handshook`. */
  | { readonly type: "handshakes"; readonly inFlight: number; readonly ms: number; readonly check: boolean }
  /** To a ping client (`pingc`): `count` round trips, then `pinged`. */
  | { readonly type: "ping"; readonly count: number }

export type FromChild =
  | { readonly type: "listening"; readonly port: number; readonly addr?: string; readonly peerId?: string }
  | { readonly type: "ready" }
  | { readonly type: "connected" }
  | { readonly type: "sent"; readonly cpuMs: number }
  | {
      readonly type: "done"
      readonly bytes: number
      readonly checksum: number
      readonly messages: number
      /** CPU time (user + system, all threads) the receiving process used since `expect`. */
      readonly cpuMs: number
    }
  | { readonly type: "memory"; readonly connections: number; readonly live: number; readonly usage: MemorySample }
  | { readonly type: "marked" }
  | {
      readonly type: "window"
      /** CPU time (user + system, all threads) of this process since `mark`, ms. */
      readonly cpuMs: number
      /** Sessions (connections) this server completed and accepted since `mark`. */
      readonly accepted: number
    }
  | {
      readonly type: "handshook"
      /** Handshakes the client saw complete (calls that resolved). */
      readonly completed: number
      /** Distinct connections among them (js-libp2p may hand two dials the same one). */
      readonly distinct: number
      /** Attempts refused or failed (each counted, none retried silently). */
      readonly failed: number
      readonly firstFailure?: string | undefined
      readonly elapsedMs: number
      readonly cpuMs: number
    }
  | { readonly type: "pinged"; readonly times: ReadonlyArray<number> }
  | { readonly type: "error"; readonly message: string }

export interface MemorySample {
  readonly rss: number
  readonly heapUsed: number
  readonly external: number
  readonly arrayBuffers: number
}

/** FNV-1a over a byte stream, chunk by chunk (so chunking does not change the result). */
export const fnv = (h: number, bytes: Uint8Array): number => {
  let x = h
  for (let i = 0; i < bytes.length; i++) x = Math.imul(x ^ bytes[i]!, 16777619)
  return x >>> 0
}
export const fnvStart = 2166136261

/** Message `i` of a verification run: distinct content per message, so loss, duplication or reordering shows. */
export const payloadFor = (size: number, i: number): Uint8Array => {
  const out = new Uint8Array(size)
  for (let j = 0; j < size; j++) out[j] = (i * 131 + j * 7) & 0xff
  out[0] = i & 0xff
  out[1] = (i >>> 8) & 0xff
  return out
}

/** Checksum of what a sender of `count` messages of `size` bytes sends in a verification run. */
export const expectedChecksum = (size: number, count: number): number => {
  let h = fnvStart
  for (let i = 0; i < count; i++) h = fnv(h, payloadFor(size, i))
  return h
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** Min, median and max of per-round figures. */
export interface Spread {
  readonly min: number
  readonly median: number
  readonly max: number
}
export const spread = (xs: ReadonlyArray<number>): Spread => ({
  min: Math.min(...xs),
  median: median(xs),
  max: Math.max(...xs)
})

/** CPU time (user + system, all threads) of this process since `start`, ms. */
export const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** A child process running `bench/peer.ts` with a role and a kind, and a mailbox of its messages. */
export interface Child {
  readonly process: ChildProcess
  readonly next: (type: FromChild["type"], timeoutMs?: number) => Promise<FromChild>
  readonly send: (message: ToChild) => void
  readonly stop: () => Promise<void>
}

/**
 * V8 flags of every peer process, whatever its stack: `--no-memory-reducer` unless `BENCH_NODE_FLAGS`
 * gives others (space-separated; empty for none). A peer waits while the other stacks take their
 * turn, and V8's memory reducer, which shrinks the heap of a process that looks idle, left a process
 * that then received or sent 64 KiB messages in a slow state, most often for the rest of the run (docs/benchmarks.md,
 * "64 KiB: the slow level comes after idle periods"; `bench/after-idle.ts` reproduces it). Long-running
 * peers are better started without it, as the simulator benchmark is.
 */
export const peerNodeFlags = (): ReadonlyArray<string> =>
  (process.env.BENCH_NODE_FLAGS ?? "--no-memory-reducer").split(" ").filter(Boolean)

export const spawnPeer = async (role: string, kind: string, extra: ReadonlyArray<string> = []): Promise<Child> => {
  const prof = process.env.BENCH_CPU_PROF
  const child = fork(`${here}/peer.ts`, [role, kind, ...extra], {
    execArgv: [
      "--import",
      "tsx",
      "--expose-gc",
      ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []),
      ...peerNodeFlags()
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const inbox: Array<FromChild> = []
  let waiting: { type: string; resolve: (m: FromChild) => void; reject: (e: Error) => void } | undefined
  let exited: Error | undefined
  const deliver = () => {
    if (waiting === undefined) return
    const i = inbox.findIndex((m) => m.type === waiting!.type || m.type === "error")
    if (i >= 0) {
      const [m] = inbox.splice(i, 1)
      const w = waiting
      waiting = undefined
      if (m!.type === "error") w.reject(new Error(`${role} ${kind}: ${m!.message}`))
      else w.resolve(m!)
    } else if (exited) {
      const w = waiting
      waiting = undefined
      w.reject(exited)
    }
  }
  child.on("message", (m) => {
    inbox.push(m as FromChild)
    deliver()
  })
  child.on("exit", (code) => {
    exited = new Error(`${role} ${kind} exited with ${code}`)
    deliver()
  })
  const next = (type: FromChild["type"], timeoutMs = 120_000) =>
    new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = undefined
        reject(new Error(`${role} ${kind}: no ${type} after ${timeoutMs} ms`))
      }, timeoutMs)
      waiting = {
        type,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        }
      }
      deliver()
    })
  return {
    process: child,
    next,
    send: (message) => child.send(message),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.send({ type: "stop" } satisfies ToChild)
        setTimeout(() => child.kill(), 5000).unref()
      })
  }
}
