/**
 * What a current Octez node announces and expects, used as the CLI's defaults.
 *
 * @since 0.1.0
 */

/**
 * The defaults (Octez `config_file.ml`, `distributed_db_message.ml`, `p2p_version.ml`,
 * `p2p_limits.ml`).
 *
 * @example
 * ```ts
 * import { Defaults } from "@effect-p2p/cli"
 * Defaults.defaults.chainName // "TEZOS_MAINNET"
 * ```
 * @category constants
 * @since 0.1.0
 */
export const defaults = {
  chainName: "TEZOS_MAINNET",
  /** Greatest supported distributed DB version, and all supported ones. */
  distributedDbVersion: 2,
  distributedDbVersions: [0, 1, 2],
  /** Greatest supported p2p version, and all supported ones. */
  p2pVersion: 1,
  p2pVersions: [0, 1],
  /** `expected-proof-of-work`: both the difficulty of a new identity and the one peers must meet. */
  expectedPow: 26,
  identityFile: "./identity.json",
  maxConnections: 1000,
  /** Incoming peers must finish the handshake in this time (`authentication_timeout`). */
  authenticationTimeout: "5 seconds",
  /** Outgoing: TCP connect + handshake (`connection_timeout`). */
  connectionTimeout: "10 seconds"
} as const
