/**
 * Entry module of a proof-of-work worker thread (spawned by `ProofOfWorkPool`). It searches from
 * the stamp it is given, incrementing big-endian, and posts progress about every
 * `reportEveryAttempts` attempts and the stamp when found. It never stops by itself: the pool
 * terminates it.
 *
 * Hash: libsodium's generichash when `sodium-native` loads (about 2x the pure-JS one), else the
 * specialised pure-JS BLAKE2b-256 of `@effect-p2p/crypto`.
 *
 * @since 0.1.0
 */

import { parentPort, workerData } from "node:worker_threads"
import * as PowHash from "@effect-p2p/crypto/PowHash"
import { loadSodium } from "./internal/sodium.ts"
import type { WorkerInput, WorkerMessage } from "./PowWorkerProtocol.ts"

const run = (input: WorkerInput, post: (message: WorkerMessage) => void): void => {
  const target = PowHash.targetLimbs(input.target)
  const loaded = input.hash === "js" ? undefined : loadSodium()
  const sodium = loaded !== undefined && "sodium" in loaded ? loaded.sodium : undefined
  const batch = input.reportEveryAttempts
  if (sodium === undefined) {
    const hasher = PowHash.make(input.publicKey)
    const stamp = Uint8Array.from(input.stamp)
    post({ _tag: "Started", hash: "js" })
    while (true) {
      const found = PowHash.search(hasher, stamp, target, batch)
      if (found >= 0) {
        post({ _tag: "Found", stamp, attempts: found })
        return
      }
      post({ _tag: "Progress", attempts: batch })
    }
  }
  // The 56-byte input holds the key once; the stamp part is incremented in place.
  const input56 = new Uint8Array(56)
  input56.set(input.publicKey, 0)
  input56.set(input.stamp, 32)
  const digest = new Uint32Array(8)
  const digestBytes = new Uint8Array(digest.buffer)
  post({ _tag: "Started", hash: "sodium" })
  while (true) {
    for (let n = 1; n <= batch; n++) {
      sodium.crypto_generichash(digestBytes, input56)
      if (PowHash.meets(digest, target)) {
        post({ _tag: "Found", stamp: input56.slice(32), attempts: n })
        return
      }
      for (let i = 55; i >= 32; i--) {
        const b = (input56[i]! + 1) & 0xff
        input56[i] = b
        if (b !== 0) break
      }
    }
    post({ _tag: "Progress", attempts: batch })
  }
}

if (parentPort !== null) {
  const port = parentPort
  run(workerData as WorkerInput, (message) => port.postMessage(message))
}
