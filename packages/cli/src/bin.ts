#!/usr/bin/env node
/**
 * The `effect-p2p` executable.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { main } from "./Cli.ts"

// `pnpm effect-p2p ...` runs this package's script inside packages/cli; relative paths such as
// `--output identity.json` must mean the directory the user typed the command in.
const invokedFrom = process.env.INIT_CWD
if (invokedFrom !== undefined && process.env.npm_package_name === "@effect-p2p/cli") process.chdir(invokedFrom)

NodeRuntime.runMain(main)
