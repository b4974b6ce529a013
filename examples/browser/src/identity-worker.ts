/**
 * The Web Worker that generates a browser's identity: a key pair and a proof-of-work stamp at the
 * network's difficulty (26 for mainnet Octez nodes: minutes in pure JS), reporting progress so the
 * page stays responsive. Posts `{ _tag: "Progress", attempts, expected }` after every batch, then
 * `{ _tag: "Done", json }` (Octez identity.json text) or `{ _tag: "Failed", message }`.
 */
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import { Effect, Result } from "effect"

export type Request = { readonly difficulty: number }
export type Reply =
  | { readonly _tag: "Progress"; readonly attempts: number; readonly expected: number }
  | { readonly _tag: "Done"; readonly json: string }
  | { readonly _tag: "Failed"; readonly message: string }

const post = (reply: Reply) => (globalThis as unknown as { postMessage: (m: Reply) => void }).postMessage(reply)

globalThis.addEventListener("message", (event) => {
  const { difficulty } = (event as MessageEvent<Request>).data
  const target = ProofOfWork.fromDifficulty(difficulty)
  const expected = Result.isSuccess(target) ? ProofOfWork.expectedAttempts(target.success) : 0
  const program = Identity.generate({
    difficulty,
    onProgress: ({ attempts }) => Effect.sync(() => post({ _tag: "Progress", attempts, expected }))
  }).pipe(Effect.provide(CryptoBackend.layerNoble))
  Effect.runPromise(program).then(
    (identity) => post({ _tag: "Done", json: Identity.toJson(identity) }),
    (error: unknown) => post({ _tag: "Failed", message: error instanceof Error ? error.message : String(error) })
  )
})
