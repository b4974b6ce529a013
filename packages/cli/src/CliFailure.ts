/**
 * The one error a command ends with: a sentence for the user and a process exit code. Domain
 * errors are turned into it at the edge of each command, so the user sees `ERROR` and a clear
 * reason instead of a stack trace, and scripts can tell failures apart by exit code.
 *
 * @since 0.1.0
 */
import { Effect, Runtime, Schema } from "effect"
import { CliError } from "effect/cli"

/**
 * Exit codes: 1 for bad input (files, identities, flags), 2 when the network failed (unreachable
 * host, timeout, connection closed), 3 when the peer refused us (nack, proof of work, version).
 *
 * @category constants
 * @since 0.1.0
 */
export const ExitCode = { input: 1, network: 2, rejected: 3 } as const

/**
 * A failure shown to the user.
 *
 * @example
 * ```ts
 * import { CliFailure } from "@effect-p2p/cli"
 * new CliFailure.CliFailure({ reason: "no identity file at x.json", exitCode: 1 }).message
 * ```
 * @category errors
 * @since 0.1.0
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  reason: Schema.String,
  exitCode: Schema.Number
}) {
  override get message(): string {
    return this.reason
  }
  // effect/cli prints this once and the runtime does not log the failure again.
  override get [CliError.userMessage](): string {
    return this.reason
  }
  override get [Runtime.errorExitCode](): number {
    return this.exitCode
  }
}

/**
 * Turns any failure with a `message` into a `CliFailure`, with an optional prefix (a file name,
 * say) and the exit code.
 *
 * @example
 * ```ts
 * import { CliFailure } from "@effect-p2p/cli"
 * import { Effect } from "effect"
 * Effect.fail(new Error("boom")).pipe(CliFailure.orFail(CliFailure.ExitCode.input, "identity.json: "))
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const orFail =
  (exitCode: number, prefix = "") =>
  <A, E extends { readonly message: string }, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, CliFailure, R> =>
    Effect.mapError(self, (error) =>
      error instanceof CliFailure ? error : new CliFailure({ reason: `${prefix}${error.message}`, exitCode })
    )

/**
 * Fails with a `CliFailure`.
 *
 * @example
 * ```ts
 * import { CliFailure } from "@effect-p2p/cli"
 * CliFailure.fail("difficulty must be between 0 and 256")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fail = (reason: string, exitCode: number = ExitCode.input): Effect.Effect<never, CliFailure> =>
  Effect.fail(new CliFailure({ reason, exitCode }))
