/**
 * How the `effect-p2p` process stops on SIGINT and SIGTERM: the main fiber is interrupted (so every
 * scope closes and a listener can flush and log its connections), the process exits with the
 * shell's code for that signal (130 for SIGINT, 143 for SIGTERM), and a deadline bounds the whole
 * stop: a command that has not finished by then is cut short. A second signal exits at once.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Option, Runtime } from "effect"

/**
 * The signals that stop the process, with their numbers (the exit code is 128 + the number).
 *
 * @category constants
 * @since 0.1.0
 */
export const signals = { SIGINT: 2, SIGTERM: 15 } as const

/**
 * One of {@link signals}.
 *
 * @category models
 * @since 0.1.0
 */
export type Signal = keyof typeof signals

/**
 * Default time from the signal to the exit: what a listener has not flushed by then is dropped.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultStopMillis = 2000

let received: Signal | undefined
let stopMillis = defaultStopMillis

/**
 * The signal that is stopping the process, if one came.
 *
 * @example
 * ```ts
 * import { Signals } from "@effect-p2p/cli"
 * Signals.current // Effect<Option<"SIGINT" | "SIGTERM">>
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const current: Effect.Effect<Option.Option<Signal>> = Effect.sync(() => Option.fromNullishOr(received))

/**
 * Sets how long the process may take to stop once signalled (a command with a `--stop-timeout`
 * flag calls it); the process exits by then whatever is still running.
 *
 * @example
 * ```ts
 * import { Signals } from "@effect-p2p/cli"
 * Signals.setStopMillis(2000)
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const setStopMillis = (millis: number): Effect.Effect<void> =>
  Effect.sync(() => {
    stopMillis = millis
  })

/**
 * The exit code of a run: 128 + the signal's number when a signal interrupted it, otherwise
 * Effect's (0, the error's code, 130 for any other interruption).
 *
 * @example
 * ```ts
 * import { Signals } from "@effect-p2p/cli"
 * import { Exit } from "effect"
 * Signals.exitCode(Exit.succeed(undefined), undefined) // 0
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const exitCode = <A, E>(exit: Exit.Exit<A, E>, signal: Signal | undefined): number => {
  if (signal !== undefined && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return 128 + signals[signal]
  let code = 0
  Runtime.defaultTeardown(exit, (c) => {
    code = c
  })
  return code
}

/**
 * Runs `main` as the process: interrupted by the first SIGINT or SIGTERM, exiting with
 * {@link exitCode}; a second signal, or the stop deadline passing, exits at once with the same
 * code.
 *
 * @example
 * ```ts
 * import { Cli, Signals } from "@effect-p2p/cli"
 * Signals.runMain(Cli.main)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const runMain = <A, E>(main: Effect.Effect<A, E>): void => {
  const onSignal = (signal: Signal) => () => {
    if (received !== undefined) return process.exit(128 + signals[received])
    received = signal
    // Not unref'd on purpose: the deadline holds even if nothing else keeps the process alive.
    setTimeout(() => {
      process.stderr.write(`effect-p2p: still stopping after ${stopMillis} ms; exiting now\n`)
      process.exit(128 + signals[signal])
    }, stopMillis)
  }
  // Registered before runMain's own listeners, so the signal is known when the fiber is interrupted.
  for (const signal of Object.keys(signals) as Array<Signal>) process.on(signal, onSignal(signal))
  NodeRuntime.runMain(main, {
    teardown: (exit, onExit) => onExit(exitCode(exit, received))
  })
}
