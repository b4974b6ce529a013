/**
 * A multi-core proof-of-work generator: N worker threads (default: one per core), each searching
 * its own stamp range (the first stamp byte is the worker's index), streaming progress (attempts,
 * hashes per second, expected time) and stopping every worker as soon as one finds a stamp, or
 * when the Effect is interrupted (the workers are terminated in a finalizer).
 *
 * Workers start from the built `PowWorker.js`, or, when running from TypeScript sources (tsx,
 * vitest), from `PowWorker.ts` through a tsx bootstrap, since Node 20 does not apply the parent's
 * loader to a worker's entry module.
 *
 * @since 0.1.0
 */

import { randomBytes } from "node:crypto"
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { CryptoBackend, type CryptoError, Identity, Keys, ProofOfWork } from "@effect-p2p/crypto"
import { Clock, Effect, Queue, Schema } from "effect"
import type { HashImpl, WorkerInput, WorkerMessage } from "./PowWorkerProtocol.ts"

/**
 * A worker thread failed (could not start, threw, exited unexpectedly, or lacked the requested
 * hash implementation).
 *
 * @example
 * ```ts
 * import { ProofOfWorkPool } from "@effect-p2p/node"
 * new ProofOfWorkPool.PowWorkerError({ reason: "worker 0 exited with code 1" }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class PowWorkerError extends Schema.TaggedError<PowWorkerError>()("PowWorkerError", {
  reason: Schema.String
}) {
  override get message(): string {
    return `proof-of-work worker failed: ${this.reason}`
  }
}

/**
 * Progress of a parallel search.
 *
 * @category models
 * @since 0.1.0
 */
export interface Progress {
  /** Stamps tried so far by all workers. */
  readonly attempts: number
  /** Milliseconds since the workers were started. */
  readonly elapsedMillis: number
  /** Aggregate rate so far. */
  readonly hashesPerSecond: number
  /**
   * Expected seconds until a stamp is found: expected attempts for the target / rate. The search
   * is memoryless, so this does not shrink as attempts accumulate; it only follows the rate.
   */
  readonly expectedSecondsRemaining: number
  readonly workers: number
  /** The hash the workers use. */
  readonly hash: "sodium" | "js"
}

/**
 * Options of {@link generate}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Worker threads, 1..256 (default: `os.availableParallelism()`). */
  readonly workers?: number | undefined
  /** BLAKE2b implementation in the workers (default `"auto"`: libsodium if it loads, else pure JS). */
  readonly hash?: HashImpl | undefined
  /** Called with aggregate progress at most every `progressIntervalMillis` and once at the end. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
  /** Milliseconds between progress reports (default 250). */
  readonly progressIntervalMillis?: number | undefined
  /** Attempts between a worker's progress messages (default 20 000). */
  readonly reportEveryAttempts?: number | undefined
}

let live = 0

/**
 * Number of PoW worker threads currently alive in this process (decremented on each thread's
 * `exit` event): lets callers and tests verify that workers really stopped.
 *
 * @example
 * ```ts
 * import { ProofOfWorkPool } from "@effect-p2p/node"
 * ProofOfWorkPool.liveWorkers() // 0 when no search runs
 * ```
 * @category metrics
 * @since 0.1.0
 */
export const liveWorkers = (): number => live

const tsxApi = (): string => {
  try {
    return import.meta.resolve("tsx/esm/api")
  } catch {
    return "tsx/esm/api"
  }
}

const spawn = (input: WorkerInput): Worker => {
  if (!import.meta.url.endsWith(".ts")) {
    return new Worker(new URL("./PowWorker.js", import.meta.url), { workerData: input })
  }
  const entry = new URL("./PowWorker.ts", import.meta.url).href
  // Resolve tsx from this package, not from the worker's working directory, so running the CLI
  // from any folder works.
  const boot = `import(${JSON.stringify(tsxApi())}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(boot, { eval: true, workerData: input, execArgv: ["--conditions=source"] })
}

type Event =
  | { readonly _tag: "Message"; readonly worker: number; readonly message: WorkerMessage }
  | { readonly _tag: "Failed"; readonly reason: string }

/**
 * Searches a stamp for `publicKey` meeting `target` on worker threads. Can fail with
 * `PowWorkerError`. Interrupting the Effect terminates the workers before it completes.
 *
 * @example
 * ```ts
 * import { ProofOfWorkPool } from "@effect-p2p/node"
 * import { CryptoBackend, Keys, ProofOfWork } from "@effect-p2p/crypto"
 * import { Effect } from "effect"
 * const { publicKey } = Keys.generateWith(CryptoBackend.noble)
 * ProofOfWorkPool.generate(publicKey, ProofOfWork.target(26), { // Effect<PowStamp, PowWorkerError>
 *   workers: 2,
 *   onProgress: (p) => Effect.log(`${p.hashesPerSecond.toFixed(0)} H/s, ~${p.expectedSecondsRemaining.toFixed(0)} s`)
 * })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generate = (
  publicKey: Keys.PublicKey,
  target: bigint,
  options?: Options
): Effect.Effect<Keys.PowStamp, PowWorkerError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const count = Math.min(256, Math.max(1, Math.floor(options?.workers ?? availableParallelism())))
      const interval = options?.progressIntervalMillis ?? 250
      const hash = options?.hash ?? "auto"
      const events = yield* Queue.unbounded<Event>()
      const base = new Uint8Array(randomBytes(Keys.stampLength))
      let stopping = false
      const workers = yield* Effect.acquireRelease(
        Effect.try({
          try: () =>
            Array.from({ length: count }, (_, index) => {
              const stamp = Uint8Array.from(base)
              stamp[0] = index
              const worker = spawn({
                publicKey: Uint8Array.from(publicKey),
                stamp,
                target,
                reportEveryAttempts: options?.reportEveryAttempts ?? 20_000,
                hash
              })
              live++
              worker.on("message", (message: WorkerMessage) =>
                Queue.offerUnsafe(events, { _tag: "Message", worker: index, message })
              )
              worker.on("error", (error) =>
                Queue.offerUnsafe(events, { _tag: "Failed", reason: `worker ${index}: ${error.message}` })
              )
              worker.on("exit", (code) => {
                live--
                if (!stopping)
                  Queue.offerUnsafe(events, { _tag: "Failed", reason: `worker ${index} exited with code ${code}` })
              })
              return worker
            }),
          catch: (e) => new PowWorkerError({ reason: `cannot start workers: ${String(e)}` })
        }),
        (ws) =>
          Effect.promise(() => {
            stopping = true
            return Promise.all(ws.map((w) => w.terminate()))
          })
      )
      const expected = ProofOfWork.expectedAttempts(target)
      const started = yield* Clock.currentTimeMillis
      let attempts = 0
      let lastReport = started
      let hashName: "sodium" | "js" = "js"
      const progress = (now: number): Progress => {
        const elapsedMillis = Math.max(1, now - started)
        const hashesPerSecond = (attempts * 1000) / elapsedMillis
        return {
          attempts,
          elapsedMillis,
          hashesPerSecond,
          expectedSecondsRemaining: hashesPerSecond > 0 ? expected / hashesPerSecond : Number.POSITIVE_INFINITY,
          workers: workers.length,
          hash: hashName
        }
      }
      while (true) {
        const event = yield* Queue.take(events)
        if (event._tag === "Failed") return yield* new PowWorkerError({ reason: event.reason })
        const message = event.message
        switch (message._tag) {
          case "Started":
            hashName = message.hash
            if (hash === "sodium" && message.hash !== "sodium") {
              return yield* new PowWorkerError({ reason: "sodium-native is not available in the worker" })
            }
            break
          case "Progress": {
            attempts += message.attempts
            const now = yield* Clock.currentTimeMillis
            if (options?.onProgress !== undefined && now - lastReport >= interval) {
              lastReport = now
              yield* options.onProgress(progress(now))
            }
            break
          }
          case "Found": {
            attempts += message.attempts
            if (options?.onProgress !== undefined) yield* options.onProgress(progress(yield* Clock.currentTimeMillis))
            return message.stamp as Keys.PowStamp
          }
        }
      }
    })
  )

/**
 * A new identity whose stamp is found by {@link generate}. Can fail with `InvalidDifficulty` and
 * `PowWorkerError`.
 *
 * @example
 * ```ts
 * import { NativeCrypto, ProofOfWorkPool } from "@effect-p2p/node"
 * import { Effect } from "effect"
 * ProofOfWorkPool.generateIdentity({ difficulty: 26 }).pipe(Effect.provide(NativeCrypto.layerWithFallback))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generateIdentity = (
  options: Options & { readonly difficulty: number }
): Effect.Effect<Identity.Identity, CryptoError.InvalidDifficulty | PowWorkerError, CryptoBackend.CryptoBackend> =>
  Effect.gen(function* () {
    const target = yield* Effect.fromResult(ProofOfWork.fromDifficulty(options.difficulty))
    const backend = yield* CryptoBackend.CryptoBackend
    const keys = Keys.generateWith(backend)
    const stamp = yield* generate(keys.publicKey, target, options)
    return Identity.fromParts(backend, keys, stamp)
  })
