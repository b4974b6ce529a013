/**
 * The messages between `ProofOfWorkPool` and its `PowWorker` threads (structured clone).
 *
 * @since 0.1.0
 */

/**
 * Which BLAKE2b the workers use: libsodium when available (`"auto"`), or force one.
 *
 * @category models
 * @since 0.1.0
 */
export type HashImpl = "auto" | "sodium" | "js"

/**
 * What a worker is started with (its `workerData`).
 *
 * @category models
 * @since 0.1.0
 */
export interface WorkerInput {
  readonly publicKey: Uint8Array
  /** First stamp to try; each worker gets its own range. */
  readonly stamp: Uint8Array
  readonly target: bigint
  readonly reportEveryAttempts: number
  readonly hash: HashImpl
}

/**
 * What a worker posts.
 *
 * @category models
 * @since 0.1.0
 */
export type WorkerMessage =
  | { readonly _tag: "Started"; readonly hash: "sodium" | "js" }
  | { readonly _tag: "Progress"; readonly attempts: number }
  | { readonly _tag: "Found"; readonly stamp: Uint8Array; readonly attempts: number }
