#!/usr/bin/env -S node --no-memory-reducer
/**
 * The `effect-p2p` executable.
 *
 * Node runs it without V8's memory reducer (the flag can only be given on the command line: V8
 * creates the reducer before any script runs, and `NODE_OPTIONS` refuses it). The reducer collects a
 * process that looks idle and leaves it with a heap limit so tight that a burst of large messages
 * afterwards makes V8 mark the whole heap every few dozen milliseconds, mostly for good: two to three times
 * the CPU per 64 KiB message (docs/benchmarks.md, "64 KiB: the slow level comes after idle periods").
 * A node waits for traffic most of its life.
 *
 * @since 0.1.0
 */
import { main } from "./Cli.ts"
import * as Signals from "./Signals.ts"

Signals.runMain(main)
