#!/usr/bin/env node
/**
 * The `effect-p2p` executable.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { main } from "./Cli.ts"

NodeRuntime.runMain(main)
