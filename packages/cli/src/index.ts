/**
 * @effect-p2p/cli: the `effect-p2p` command line, as modules a program can reuse.
 *
 * @since 0.1.0
 */
export * as BridgeCommand from "./BridgeCommand.ts"
export * as BrowserDemo from "./BrowserDemo.ts"
export * as ChatProtocol from "./ChatProtocol.ts"
export * as Cli from "./Cli.ts"
export * as CliFailure from "./CliFailure.ts"
export * as ConnectCommand from "./ConnectCommand.ts"
export * as Defaults from "./Defaults.ts"
export * as DemoCommand from "./DemoCommand.ts"
export * as Flags from "./Flags.ts"
export * as Host from "./Host.ts"
export * as IdentityCommand from "./IdentityCommand.ts"
export * as ListenCommand from "./ListenCommand.ts"
export * as NodeCommand from "./NodeCommand.ts"
export * as Output from "./Output.ts"
export * as Progress from "./Progress.ts"
export * as SessionFailure from "./SessionFailure.ts"
export * as SessionFlags from "./SessionFlags.ts"
export * as Signals from "./Signals.ts"
export * as SimulateCommand from "./SimulateCommand.ts"
export * as SimulationSvg from "./SimulationSvg.ts"
export * as Stopping from "./Stopping.ts"
