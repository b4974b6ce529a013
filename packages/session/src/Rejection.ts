/**
 * Why a peer is refused: the signed 16-bit motive a Nack carries (Octez `P2p_rejection`). Codes
 * other than the named ones are kept as they are (Octez `Unknown_motive`), so a motive read from
 * the wire always round-trips.
 *
 * @since 0.1.0
 */
import { Motive as Codes } from "@effect-p2p/codec/AckMessage"

/**
 * A rejection motive: an int16 code.
 *
 * @category models
 * @since 0.1.0
 */
export type Motive = number

/** @category constants @since 0.1.0 */
export const NoMotive: Motive = Codes.NoMotive
/** @category constants @since 0.1.0 */
export const TooManyConnections: Motive = Codes.TooManyConnections
/** @category constants @since 0.1.0 */
export const UnknownChainName: Motive = Codes.UnknownChainName
/** @category constants @since 0.1.0 */
export const DeprecatedP2pVersion: Motive = Codes.DeprecatedP2pVersion
/** @category constants @since 0.1.0 */
export const DeprecatedDistributedDbVersion: Motive = Codes.DeprecatedDistributedDbVersion
/** @category constants @since 0.1.0 */
export const AlreadyConnected: Motive = Codes.AlreadyConnected

const names: ReadonlyArray<string> = [
  "No_motive",
  "Too_many_connections",
  "Unknown_chain_name",
  "Deprecated_p2p_version",
  "Deprecated_distributed_db_version",
  "Already_connected"
]

/**
 * The Octez name of a motive, `Unknown_motive(code)` for other codes.
 *
 * @category models
 * @since 0.1.0
 * @example
 * ```ts
 * import { Rejection } from "@effect-p2p/session"
 *
 * Rejection.name(Rejection.UnknownChainName) // "Unknown_chain_name"
 * Rejection.name(42) // "Unknown_motive(42)"
 * ```
 */
export const name = (motive: Motive): string => names[motive] ?? `Unknown_motive(${motive})`
