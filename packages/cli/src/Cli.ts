/**
 * The `effect-p2p` command: its subcommands, and the services they run with (Node's file system,
 * terminal and sockets, and a crypto backend).
 *
 * @since 0.1.0
 */

import * as NodeServices from "@effect/platform-node/NodeServices"
import * as NativeCrypto from "@effect-p2p/node/NativeCrypto"
import { Effect, Layer } from "effect"
import { Command } from "effect/cli"
import * as BridgeCommand from "./BridgeCommand.ts"
import * as ConnectCommand from "./ConnectCommand.ts"
import * as DemoCommand from "./DemoCommand.ts"
import * as IdentityCommand from "./IdentityCommand.ts"
import * as ListenCommand from "./ListenCommand.ts"
import * as NodeCommand from "./NodeCommand.ts"
import * as SimulateCommand from "./SimulateCommand.ts"

/**
 * The root command.
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-p2p/cli"
 * Cli.command
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const command = Command.make("effect-p2p").pipe(
  Command.withDescription(
    "Authenticated, encrypted Tezos (Octez) p2p sessions: identities, listen, connect, demo, bridge, node, simulate"
  ),
  Command.withSubcommands([
    IdentityCommand.command,
    ListenCommand.command,
    ConnectCommand.command,
    DemoCommand.command,
    BridgeCommand.command,
    NodeCommand.command,
    SimulateCommand.command
  ])
)

/**
 * Everything the commands need in a Node process.
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-p2p/cli"
 * Cli.layer
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = Layer.mergeAll(NodeServices.layer, NativeCrypto.layerWithFallback)

/**
 * Runs the command line of this process.
 *
 * @example
 * ```ts
 * import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
 * import { Cli } from "@effect-p2p/cli"
 * NodeRuntime.runMain(Cli.main)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const main = Command.run(command, { version: "0.1.0" }).pipe(Effect.provide(layer))
