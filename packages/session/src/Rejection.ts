/**
 * Why a peer is refused (Octez `P2p_rejection`): a named motive. On the wire a Nack carries it as
 * a signed 16-bit code; the codes stay inside this package (`Ack.encoding` converts). A code no
 * name stands for is kept as an {@link UnknownMotive} with its code (Octez `Unknown_motive`), so a
 * motive read from the wire always round-trips.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as MotiveCode from "./internal/motive.ts"

/**
 * A motive we can send: one of Octez's named rejection motives.
 *
 * @category models
 * @since 0.2.0
 * @example
 * ```ts
 * import { Rejection } from "@effect-p2p/session"
 * import { Schema } from "effect"
 *
 * Schema.is(Rejection.Motive)("TooManyConnections") // true
 * ```
 */
export const Motive = Schema.Literals(MotiveCode.byCode)

/**
 * @category models
 * @since 0.1.0
 */
export type Motive = typeof Motive.Type

/**
 * A motive code a peer sent that has no name here (Octez `Unknown_motive code`), kept as received.
 *
 * @category models
 * @since 0.2.0
 * @example
 * ```ts
 * import { Rejection } from "@effect-p2p/session"
 *
 * const motive: Rejection.UnknownMotive = { _tag: "UnknownMotive", code: 42 }
 * Rejection.name(motive) // "Unknown_motive(42)"
 * ```
 */
export const UnknownMotive = Schema.TaggedStruct("UnknownMotive", { code: Schema.Number })

/**
 * @category models
 * @since 0.2.0
 */
export type UnknownMotive = typeof UnknownMotive.Type

/**
 * A motive as a peer's Nack carries it: a named {@link Motive}, or an {@link UnknownMotive}.
 *
 * @category models
 * @since 0.2.0
 * @example
 * ```ts
 * import type { Rejection } from "@effect-p2p/session"
 *
 * const describe = (motive: Rejection.Received) =>
 *   typeof motive === "string" ? motive : `code ${motive.code}`
 * ```
 */
export const Received = Schema.Union([Motive, UnknownMotive])

/**
 * @category models
 * @since 0.2.0
 */
export type Received = typeof Received.Type

/** @category constants @since 0.1.0 */
export const NoMotive = "NoMotive" satisfies Motive
/** @category constants @since 0.1.0 */
export const TooManyConnections = "TooManyConnections" satisfies Motive
/** @category constants @since 0.1.0 */
export const UnknownChainName = "UnknownChainName" satisfies Motive
/** @category constants @since 0.1.0 */
export const DeprecatedP2pVersion = "DeprecatedP2pVersion" satisfies Motive
/** @category constants @since 0.1.0 */
export const DeprecatedDistributedDbVersion = "DeprecatedDistributedDbVersion" satisfies Motive
/** @category constants @since 0.1.0 */
export const AlreadyConnected = "AlreadyConnected" satisfies Motive

const names: Readonly<Record<Motive, string>> = {
  NoMotive: "No_motive",
  TooManyConnections: "Too_many_connections",
  UnknownChainName: "Unknown_chain_name",
  DeprecatedP2pVersion: "Deprecated_p2p_version",
  DeprecatedDistributedDbVersion: "Deprecated_distributed_db_version",
  AlreadyConnected: "Already_connected"
}

/**
 * The Octez name of a motive, `Unknown_motive(code)` for an unknown one.
 *
 * @category models
 * @since 0.1.0
 * @example
 * ```ts
 * import { Rejection } from "@effect-p2p/session"
 *
 * Rejection.name("UnknownChainName") // "Unknown_chain_name"
 * Rejection.name({ _tag: "UnknownMotive", code: 42 }) // "Unknown_motive(42)"
 * ```
 */
export const name = (motive: Received): string =>
  typeof motive === "string" ? names[motive] : `Unknown_motive(${motive.code})`
