/**
 * A browser's identity: generated in a Web Worker (the proof of work would freeze the page),
 * kept in `localStorage`, exported and imported as Octez's `identity.json`.
 */
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import { Effect } from "effect"
import type { Reply, Request } from "./identity-worker.ts"

const storageKey = "effect-p2p.identity"

/** Generates an identity in a worker; `onProgress(attempts, expected)` after every batch. */
export const generate = (
  difficulty: number,
  onProgress: (attempts: number, expected: number) => void
): Promise<string> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./identity-worker.js", document.baseURI))
    worker.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data
      if (reply._tag === "Progress") return onProgress(reply.attempts, reply.expected)
      worker.terminate()
      if (reply._tag === "Done") resolve(reply.json)
      else reject(new Error(reply.message))
    }
    worker.onerror = (event) => {
      worker.terminate()
      reject(new Error(event.message))
    }
    const request: Request = { difficulty }
    worker.postMessage(request)
  })

/** Parses and checks identity.json text (keys match, peer id matches, stamp well-formed). */
export const parse = (json: string): Promise<Identity.Identity> =>
  Effect.runPromise(Identity.fromJson(json).pipe(Effect.provide(CryptoBackend.layerNoble)))

export const store = (json: string) => localStorage.setItem(storageKey, json)

export const stored = (): string | null => localStorage.getItem(storageKey)

/** Offers `json` as a download named identity.json. */
export const download = (json: string) => {
  const link = document.createElement("a")
  link.href = URL.createObjectURL(new Blob([json], { type: "application/json" }))
  link.download = "identity.json"
  link.click()
  URL.revokeObjectURL(link.href)
}
