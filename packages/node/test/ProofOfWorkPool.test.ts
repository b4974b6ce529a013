import { describe, expect, it } from "@effect/vitest"
import { CryptoBackend, Keys, ProofOfWork } from "@effect-p2p/crypto"
import { ProofOfWorkPool } from "@effect-p2p/node"
import { Effect, Fiber } from "effect"

const waitUntil = (predicate: () => boolean, what: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 800; i++) {
      if (predicate()) return
      yield* Effect.sleep("25 millis")
    }
    return yield* Effect.die(new Error(`timed out waiting for ${what}`))
  })

describe("ProofOfWorkPool", () => {
  for (const [difficulty, hash] of [
    [8, "auto"],
    [12, "js"]
  ] as const) {
    it.live(`2 workers (${hash} hash) find a stamp at difficulty ${difficulty} that check accepts, then exit`, () =>
      Effect.gen(function* () {
        const keys = Keys.generateWith(CryptoBackend.noble)
        const target = ProofOfWork.target(difficulty)
        const reports: Array<ProofOfWorkPool.Progress> = []
        const stamp = yield* ProofOfWorkPool.generate(keys.publicKey, target, {
          workers: 2,
          hash,
          reportEveryAttempts: 500,
          onProgress: (p) => Effect.sync(() => reports.push(p))
        })
        expect(ProofOfWork.checkWith(CryptoBackend.noble, keys.publicKey, stamp, target)).toBe(true)
        expect(reports.length).toBeGreaterThan(0)
        const last = reports.at(-1)!
        expect(last.workers).toBe(2)
        expect(last.attempts).toBeGreaterThan(0)
        expect(last.hashesPerSecond).toBeGreaterThan(0)
        expect(last.expectedSecondsRemaining).toBeCloseTo(2 ** difficulty / last.hashesPerSecond, 6)
        if (hash === "js") expect(last.hash).toBe("js")
        expect(ProofOfWorkPool.liveWorkers()).toBe(0)
      })
    )
  }

  it.live("interruption terminates every worker thread", () =>
    Effect.gen(function* () {
      const keys = Keys.generateWith(CryptoBackend.noble)
      let progressed = 0
      const fiber = yield* Effect.forkChild(
        ProofOfWorkPool.generate(keys.publicKey, 0n, {
          workers: 2,
          reportEveryAttempts: 1000,
          progressIntervalMillis: 0,
          onProgress: () => Effect.sync(() => progressed++)
        })
      )
      yield* waitUntil(() => ProofOfWorkPool.liveWorkers() === 2 && progressed > 2, "both workers to search")
      yield* Fiber.interrupt(fiber)
      expect(ProofOfWorkPool.liveWorkers()).toBe(0)
      const exit = yield* Fiber.await(fiber)
      expect(exit._tag).toBe("Failure")
    })
  )

  it.live("generateIdentity gives an identity meeting the difficulty", () =>
    Effect.gen(function* () {
      const identity = yield* ProofOfWorkPool.generateIdentity({ difficulty: 10, workers: 1 })
      expect(ProofOfWork.difficultyMet(identity.publicKey, identity.powStamp)).toBeGreaterThanOrEqual(10)
      const bad = yield* Effect.flip(ProofOfWorkPool.generateIdentity({ difficulty: 257 }))
      expect(bad._tag).toBe("InvalidDifficulty")
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
})
