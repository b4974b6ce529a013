/**
 * The network version a node announces in its connection message (Octez `Network_version`):
 * chain name, distributed DB version and p2p version.
 *
 * @since 0.1.0
 */
import * as Encoding from "./Encoding.ts"

/**
 * @example
 * ```ts
 * import { NetworkVersion } from "@effect-p2p/codec"
 * const v: NetworkVersion.NetworkVersion = { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface NetworkVersion {
  readonly chainName: string
  readonly distributedDbVersion: number
  readonly p2pVersion: number
}

/**
 * `obj3(chain_name: string, distributed_db_version: uint16, p2p_version: uint16)`.
 *
 * @example
 * ```ts
 * import { Binary, NetworkVersion } from "@effect-p2p/codec"
 * Binary.encode(NetworkVersion.encoding, { chainName: "main", distributedDbVersion: 1, p2pVersion: 0 })
 * // 000000046d61696e00010000
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encoding: Encoding.Encoding<NetworkVersion> = Encoding.struct({
  chainName: Encoding.string,
  distributedDbVersion: Encoding.uint16,
  p2pVersion: Encoding.uint16
})

/**
 * @example
 * ```ts
 * import { NetworkVersion } from "@effect-p2p/codec"
 * const v = NetworkVersion.make("TEZOS_MAINNET", 2, 1)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (chainName: string, distributedDbVersion: number, p2pVersion: number): NetworkVersion => ({
  chainName,
  distributedDbVersion,
  p2pVersion
})
