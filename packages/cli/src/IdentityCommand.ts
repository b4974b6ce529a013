/**
 * `effect-p2p identity generate | check | show`: the identity file commands, with Octez's
 * messages and rules (`octez-node identity`).
 *
 * @since 0.1.0
 */

import * as Path from "node:path"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as IdentityStore from "@effect-p2p/node/IdentityStore"
import * as ProofOfWorkPool from "@effect-p2p/node/ProofOfWorkPool"
import { Console, Effect, FileSystem, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import { defaults } from "./Defaults.ts"
import * as Flags from "./Flags.ts"
import * as Progress from "./Progress.ts"

const fileArgument = Flags.argumentWithDefault(Argument.String("file"), "the identity file", defaults.identityFile)

/** Worker threads at most (as many as `ProofOfWorkPool` starts). */
const maxWorkers = 256

/**
 * A path as the user meant it: relative to the directory the command was run from (the process's
 * working directory, which `pnpm effect-p2p` keeps), made absolute so messages say which file.
 *
 * @example
 * ```ts
 * import { IdentityCommand } from "@effect-p2p/cli"
 * IdentityCommand.absolute("identity.json") // "/home/me/identity.json" when run from /home/me
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const absolute = (path: string): string => Path.resolve(path)

/** Up to this difficulty (about 130,000 attempts expected) the search runs on the main thread. */
const smallDifficulty = 17

const validDifficulty = (difficulty: number) =>
  Effect.fromResult(ProofOfWork.fromDifficulty(difficulty)).pipe(CliFailure.orFail(CliFailure.ExitCode.input))

/**
 * Reads and validates an identity file for a command: any failure becomes a `CliFailure` whose
 * message starts with the file name.
 *
 * @example
 * ```ts
 * import { IdentityCommand } from "@effect-p2p/cli"
 * IdentityCommand.load("identity.json")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const load = (path: string, options?: Identity.ReadOptions) =>
  Effect.suspend(() => {
    const file = absolute(path)
    return IdentityStore.read(file, options).pipe(CliFailure.orFail(CliFailure.ExitCode.input, `${file}: `))
  })

/**
 * Fails unless `file` can be created: its directory exists, is a directory and is writable, and
 * nothing is at `file` yet. Run before a proof-of-work search that may take minutes, not after it.
 *
 * @example
 * ```ts
 * import { IdentityCommand } from "@effect-p2p/cli"
 * IdentityCommand.checkWritable("/tmp/identity.json")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const checkWritable = Effect.fn("checkWritable")(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  const directory = Path.dirname(file)
  if (yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false))) {
    return yield* CliFailure.fail(`an identity file already exists at ${file}; refusing to overwrite it`)
  }
  const info = yield* fs.stat(directory).pipe(Effect.option)
  if (Option.isNone(info)) return yield* CliFailure.fail(`cannot write ${file}: no directory ${directory}`)
  if (info.value.type !== "Directory")
    return yield* CliFailure.fail(`cannot write ${file}: ${directory} is not a directory`)
  yield* fs.access(directory, { writable: true }).pipe(
    Effect.mapError(
      () =>
        new CliFailure.CliFailure({
          reason: `cannot write ${file}: ${directory} is not writable`,
          exitCode: CliFailure.ExitCode.input
        })
    )
  )
})

/**
 * Generates an identity on this machine, with the live progress line on a terminal.
 *
 * @example
 * ```ts
 * import { IdentityCommand } from "@effect-p2p/cli"
 * IdentityCommand.generateIdentity({ difficulty: 8 })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generateIdentity = Effect.fn("generateIdentity")(function* (options: {
  readonly difficulty: number
  readonly workers?: number | undefined
  readonly progress?: boolean | undefined
}) {
  const target = yield* validDifficulty(options.difficulty)
  const reporter =
    options.progress === false
      ? { update: () => Effect.void, finish: Effect.void }
      : yield* Progress.make({ expectedAttempts: ProofOfWork.expectedAttempts(target) })
  const onProgress = ({ attempts }: { readonly attempts: number }) => reporter.update(attempts)
  // Starting worker threads costs more than a small search; below this, one thread is faster.
  const useWorkers = options.workers !== undefined || options.difficulty > smallDifficulty
  const search = useWorkers
    ? ProofOfWorkPool.generateIdentity({ difficulty: options.difficulty, workers: options.workers, onProgress })
    : Identity.generate({ difficulty: options.difficulty, onProgress })
  return yield* search.pipe(Effect.ensuring(reporter.finish), CliFailure.orFail(CliFailure.ExitCode.input))
})

const generate = Command.make(
  "generate",
  {
    difficulty: Flags.argumentWithDefault(
      Argument.Finite("difficulty"),
      "proof-of-work difficulty, 0 to 256 (Octez expects 26)",
      defaults.expectedPow
    ),
    workers: Flags.optional(
      Flags.integer("workers", 1, maxWorkers),
      `worker threads searching for the stamp, 1 to ${maxWorkers}`,
      "one per core above difficulty 17, else none"
    ),
    output: Flags.withDefault(
      Flag.String("output").pipe(Flag.withAlias("o")),
      "where to write the identity",
      defaults.identityFile
    )
  },
  Effect.fn(function* ({ difficulty, output: relative, workers }) {
    yield* validDifficulty(difficulty)
    const output = absolute(relative)
    // Refuse before a search that may take minutes, not after it.
    yield* checkWritable(output)
    yield* Console.error(`Generating a new identity... (level: ${difficulty.toFixed(2)})`)
    const identity = yield* generateIdentity({ difficulty, workers: Option.getOrUndefined(workers) })
    yield* IdentityStore.write(output, identity).pipe(CliFailure.orFail(CliFailure.ExitCode.input))
    yield* Console.log(`Stored the new identity (${PeerId.toBase58(identity.peerId)}) into '${output}'.`)
  })
).pipe(Command.withDescription("Generate a new identity (keys and proof-of-work stamp); never overwrites a file"))

const checkOne = (file: string, difficulty: number) =>
  Effect.gen(function* () {
    const identity = yield* load(file)
    const met = ProofOfWork.difficultyMet(identity.publicKey, identity.powStamp)
    yield* Identity.check(identity, difficulty).pipe(
      CliFailure.orFail(CliFailure.ExitCode.input, `${absolute(file)}: `)
    )
    return `Peer_id: ${PeerId.toBase58(identity.peerId)}. Proof of work is higher than ${difficulty.toFixed(2)} (the stamp meets difficulty ${met}).`
  })

const check = Command.make(
  "check",
  {
    files: Argument.String("file").pipe(
      Argument.withDescription(`identity files (default: ${defaults.identityFile})`),
      Argument.variadic()
    ),
    difficulty: Flags.withDefault(Flag.Finite("difficulty"), "difficulty the stamp must meet", defaults.expectedPow)
  },
  Effect.fn(function* ({ difficulty, files }) {
    yield* validDifficulty(difficulty)
    if (files.length <= 1) return yield* Console.log(yield* checkOne(files[0] ?? defaults.identityFile, difficulty))
    // Several files: one line each, and a failure only at the end so every file is reported.
    let failed = 0
    for (const file of files) {
      const result = yield* Effect.result(checkOne(file, difficulty))
      if (result._tag === "Success") yield* Console.log(`${absolute(file)}: ${result.success}`)
      else {
        failed++
        yield* Console.error(result.failure.reason)
      }
    }
    if (failed > 0) return yield* CliFailure.fail(`${failed} of ${files.length} identity files failed the check`)
  })
).pipe(Command.withDescription("Check the peer id, the keys and the proof of work of identity files"))

const show = Command.make(
  "show",
  {
    file: fileArgument,
    json: Flags.withDefault(Flag.Boolean("json"), "print the public fields as JSON", false, "off")
  },
  Effect.fn(function* ({ file, json }) {
    const identity = yield* load(file)
    const peerId = PeerId.toBase58(identity.peerId)
    if (!json) return yield* Console.log(`Peer_id: ${peerId}.`)
    // Never the secret key.
    const { public_key, proof_of_work_stamp } = Identity.toFile(identity)
    const difficulty = ProofOfWork.difficultyMet(identity.publicKey, identity.powStamp)
    yield* Console.log(JSON.stringify({ peer_id: peerId, public_key, proof_of_work_stamp, difficulty }))
  })
).pipe(Command.withDescription("Print the peer id of an identity file"))

/**
 * The `identity` command and its subcommands.
 *
 * @example
 * ```ts
 * import { IdentityCommand } from "@effect-p2p/cli"
 * IdentityCommand.command // effect-p2p identity generate | check | show
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const command = Command.make("identity").pipe(
  Command.withDescription("Generate, check and show identity files (identity.json, Octez format)"),
  Command.withSubcommands([generate, check, show])
)
