/**
 * Turns the failures of dialling and of the handshake into user-facing `CliFailure`s with the
 * right exit code: 2 when the network failed, 3 when the peer refused us or we refused it.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { CliFailure, ExitCode } from "./CliFailure.ts"

const rejectedTags: ReadonlySet<string> = new Set(["RejectedByNack", "Rejected", "NotEnoughProofOfWork", "Myself"])

/**
 * The failure for one error of `Dialer.connect` or of a connection.
 *
 * @example
 * ```ts
 * import { SessionFailure } from "@effect-p2p/cli"
 * SessionFailure.fromError({ _tag: "HandshakeTimeout", message: "handshake timed out" }).exitCode // 2
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromError = (error: { readonly _tag: string; readonly message: string }): CliFailure => {
  if (error instanceof CliFailure) return error
  if (rejectedTags.has(error._tag)) return new CliFailure({ reason: error.message, exitCode: ExitCode.rejected })
  if (error._tag === "ConnectionClosed") {
    return new CliFailure({
      reason: `${error.message} during the handshake (the peer may require more proof of work than this identity has, or it refused us)`,
      exitCode: ExitCode.network
    })
  }
  return new CliFailure({ reason: error.message, exitCode: ExitCode.network })
}

/**
 * Maps every failure of an effect with {@link fromError}.
 *
 * @example
 * ```ts
 * import { SessionFailure } from "@effect-p2p/cli"
 * import { SessionError } from "@effect-p2p/session"
 * import { Effect, Option } from "effect"
 * const refused = Effect.fail(new SessionError.RejectedByNack({ motive: "TooManyConnections", alternativePoints: Option.none() }))
 * refused.pipe(SessionFailure.orFail) // fails with CliFailure { exitCode: 3, reason: "rejected by peer: …" }
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const orFail = <A, E extends { readonly _tag: string; readonly message: string }, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, CliFailure, R> => Effect.mapError(self, fromError)
