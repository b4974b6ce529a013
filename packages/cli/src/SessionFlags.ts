/**
 * The flags `listen` and `connect` share, and the session options they make (Octez defaults: chain
 * `TEZOS_MAINNET`, distributed_db 2 and p2p 1 announced, expected proof of work 26, node metadata
 * of two booleans, the P2p message envelope).
 *
 * @since 0.1.0
 */
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import type * as TcpSession from "@effect-p2p/node/TcpSession"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Effect } from "effect"
import { Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import { defaults } from "./Defaults.ts"
import * as Flags from "./Flags.ts"
import * as IdentityCommand from "./IdentityCommand.ts"

/**
 * The shared flags.
 *
 * @example
 * ```ts
 * import { SessionFlags } from "@effect-p2p/cli"
 * SessionFlags.flags.identity
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const flags = {
  identity: Flags.withDefault(
    Flag.String("identity"),
    "identity file (see `identity generate`)",
    defaults.identityFile
  ),
  expectedPow: Flags.withDefault(
    Flag.Finite("expected-pow"),
    "difficulty every peer's stamp must meet",
    defaults.expectedPow
  ),
  chainName: Flags.withDefault(Flag.String("chain-name"), "chain name to announce and require", defaults.chainName),
  json: Flags.withDefault(Flag.Boolean("json"), "print events as JSON lines on standard output", false, "off")
} as const

/**
 * Loads the identity and builds the session options with the Octez envelope and metadata.
 *
 * @example
 * ```ts
 * import { SessionFlags } from "@effect-p2p/cli"
 * SessionFlags.sessionOptions({ identity: "identity.json", expectedPow: 26, chainName: "TEZOS_MAINNET" })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const sessionOptions = Effect.fn("sessionOptions")(function* (input: {
  readonly identity: string
  readonly expectedPow: number
  readonly chainName: string
}) {
  // Checked here too, for the CLI's own message and exit code.
  yield* Effect.fromResult(ProofOfWork.fromDifficulty(input.expectedPow)).pipe(
    CliFailure.orFail(CliFailure.ExitCode.input, "--expected-pow: ")
  )
  const identity = yield* IdentityCommand.load(input.identity)
  const options: TcpSession.SessionOptions<Metadata.OctezMetadata, P2pMessage.Envelope> = {
    identity,
    expectedPow: input.expectedPow,
    supported: {
      chainName: input.chainName,
      distributedDbVersions: [0, 1, 2],
      p2pVersions: [0, 1]
    },
    metadata: { disableMempool: false, privateNode: false },
    metadataEncoding: Metadata.octez,
    messageEncoding: P2pMessage.envelope
  }
  return options
})
