/**
 * @effect-p2p/cli: the `effect-p2p` command line, as modules a program can reuse.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.ts"
export * as CliFailure from "./CliFailure.ts"
export * as Defaults from "./Defaults.ts"
export * as IdentityCommand from "./IdentityCommand.ts"
export * as Progress from "./Progress.ts"
