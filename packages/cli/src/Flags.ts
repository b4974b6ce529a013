/**
 * How the commands declare their flags: every help line ends with the flag's default (effect/cli
 * does not print it), and numeric flags are checked as they are parsed, so a bad value is refused
 * with the flag's name before anything runs.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Argument, Flag } from "effect/cli"

/**
 * A flag with a default, its help line ending with `(default: …)`; `shown` is how the default is
 * written there (the value itself by default).
 *
 * @example
 * ```ts
 * import { Flags } from "@effect-p2p/cli"
 * import { Flag } from "effect/cli"
 * Flags.withDefault(Flag.Int("pings"), "ping round trips to time", 5) // help: "... (default: 5)"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const withDefault = <A>(flag: Flag.Flag<A>, description: string, value: A, shown = String(value)) =>
  flag.pipe(Flag.withDescription(`${description} (default: ${shown})`), Flag.withDefault(value))

/**
 * An optional flag (an `Option`), its help line saying what happens without it.
 *
 * @example
 * ```ts
 * import { Flags } from "@effect-p2p/cli"
 * import { Flag } from "effect/cli"
 * Flags.optional(Flag.String("host"), "address to bind", "every interface")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const optional = <A>(flag: Flag.Flag<A>, description: string, shown: string) =>
  flag.pipe(Flag.withDescription(`${description} (default: ${shown})`), Flag.optional)

/**
 * A positional argument with a default, its help line ending with `(default: …)`.
 *
 * @example
 * ```ts
 * import { Flags } from "@effect-p2p/cli"
 * import { Argument } from "effect/cli"
 * Flags.argumentWithDefault(Argument.String("file"), "the identity file", "./identity.json")
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const argumentWithDefault = <A>(
  argument: Argument.Argument<A>,
  description: string,
  value: A,
  shown = String(value)
) => argument.pipe(Argument.withDescription(`${description} (default: ${shown})`), Argument.withDefault(value))

/**
 * An integer flag refused at parse time unless it lies in `[minimum, maximum]`.
 *
 * @example
 * ```ts
 * import { Flags } from "@effect-p2p/cli"
 * Flags.integer("workers", 1, 256) // --workers 0 → "Invalid value for flag --workers: ..."
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const integer = (name: string, minimum: number, maximum: number = Number.MAX_SAFE_INTEGER) =>
  Flag.Int(name).pipe(Flag.withSchema(Schema.Int.check(Schema.isBetween({ minimum, maximum }))))

/**
 * A number flag refused at parse time unless it lies in `[minimum, maximum]`.
 *
 * @example
 * ```ts
 * import { Flags } from "@effect-p2p/cli"
 * Flags.number("wait", 0, 3600) // --wait -1 → "Invalid value for flag --wait: ..."
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const number = (name: string, minimum: number, maximum: number) =>
  Flag.Finite(name).pipe(Flag.withSchema(Schema.Finite.check(Schema.isBetween({ minimum, maximum }))))
