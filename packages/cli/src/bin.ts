#!/usr/bin/env node
/**
 * The `effect-p2p` executable.
 *
 * @since 0.1.0
 */
import { main } from "./Cli.ts"
import * as Signals from "./Signals.ts"

Signals.runMain(main)
