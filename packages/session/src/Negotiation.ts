/**
 * What an Octez node decides between `authenticate` and `accept`/`nack`, as pure functions
 * (Octez `P2p_connect_handler`, `Network_version.select`): the chain names must be equal, and for
 * the distributed-db and p2p versions separately, if our greatest supported version is at most the
 * peer's announced one we use ours, else the peer's if we support it, else we nack. The result is
 * either the negotiated version or the motive to put in the Nack.
 *
 * @since 0.1.0
 */

import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import { Option, Result } from "effect"
import * as Rejection from "./Rejection.ts"
import { InvalidVersions } from "./SessionError.ts"

/**
 * What this node runs: its chain name and the versions it supports. Each list must hold at least
 * one version, each an integer from 0 to 65535 ({@link validate}; `Listener`, `Dialer` and
 * `TcpSession` check it before any socket is opened).
 *
 * @category models
 * @since 0.1.0
 */
export interface Supported {
  readonly chainName: string
  readonly distributedDbVersions: ReadonlyArray<number>
  readonly p2pVersions: ReadonlyArray<number>
}

/**
 * Distributed-db versions a current Octez node supports. @category constants @since 0.1.0
 */
export const octezDistributedDbVersions: ReadonlyArray<number> = [0, 1, 2]

/**
 * P2p versions a current Octez node supports. @category constants @since 0.1.0
 */
export const octezP2pVersions: ReadonlyArray<number> = [0, 1]

const isVersion = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xffff

const checkList = (list: InvalidVersions["list"], versions: ReadonlyArray<number>) =>
  versions.length > 0 && versions.every(isVersion)
    ? Result.succeed(versions)
    : Result.fail(new InvalidVersions({ list, versions: [...versions] }))

/**
 * Checks that each version list is non-empty and holds only integers from 0 to 65535.
 *
 * @category constructors
 * @since 0.2.0
 * @example
 * ```ts
 * import { Negotiation } from "@effect-p2p/session"
 *
 * Negotiation.validate({ chainName: "TEZOS_MAINNET", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] }) // Result.succeed(...)
 * Negotiation.validate({ chainName: "TEZOS_MAINNET", distributedDbVersions: [2], p2pVersions: [] }) // Result.fail(InvalidVersions)
 * ```
 */
export const validate = (supported: Supported): Result.Result<Supported, InvalidVersions> =>
  Result.flatMap(checkList("distributedDbVersions", supported.distributedDbVersions), () =>
    Result.map(checkList("p2pVersions", supported.p2pVersions), () => supported)
  )

/**
 * The version to put in our connection message: the greatest supported value of each list
 * (Octez `Network_version.announced`). Expects lists that passed {@link validate}.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Negotiation } from "@effect-p2p/session"
 *
 * Negotiation.announced({
 *   chainName: "TEZOS_MAINNET",
 *   distributedDbVersions: Negotiation.octezDistributedDbVersions,
 *   p2pVersions: Negotiation.octezP2pVersions
 * }) // { chainName: "TEZOS_MAINNET", distributedDbVersion: 2, p2pVersion: 1 }
 * ```
 */
export const announced = (supported: Supported): NetworkVersion => ({
  chainName: supported.chainName,
  distributedDbVersion: Math.max(...supported.distributedDbVersions),
  p2pVersion: Math.max(...supported.p2pVersions)
})

/**
 * One version choice: ours if our best is not newer than the peer's, else the peer's if we
 * support it, else none (Octez `may_select_version`).
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Negotiation } from "@effect-p2p/session"
 *
 * Negotiation.selectVersion([0, 1, 2], 1) // Option.some(1)
 * Negotiation.selectVersion([1, 2], 0) // Option.none()
 * ```
 */
export const selectVersion = (supported: ReadonlyArray<number>, remote: number): Option.Option<number> => {
  if (supported.length === 0) return Option.none()
  const best = Math.max(...supported)
  if (best <= remote) return Option.some(best)
  return supported.includes(remote) ? Option.some(remote) : Option.none()
}

/**
 * The version to use with a peer that announced `remote`, or the Nack motive: `UnknownChainName`,
 * `DeprecatedDistributedDbVersion` or `DeprecatedP2pVersion`, checked in that order.
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Negotiation } from "@effect-p2p/session"
 *
 * const supported = { chainName: "TEZOS", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] } as const
 * Negotiation.select(supported, { chainName: "TEZOS", distributedDbVersion: 1, p2pVersion: 1 })
 * // Result.succeed({ chainName: "TEZOS", distributedDbVersion: 1, p2pVersion: 1 })
 * Negotiation.select(supported, { chainName: "OTHER", distributedDbVersion: 1, p2pVersion: 1 })
 * // Result.fail(Rejection.UnknownChainName)
 * ```
 */
export const select = (
  supported: Supported,
  remote: NetworkVersion
): Result.Result<NetworkVersion, Rejection.Motive> => {
  if (supported.chainName !== remote.chainName) return Result.fail(Rejection.UnknownChainName)
  const ddb = selectVersion(supported.distributedDbVersions, remote.distributedDbVersion)
  if (Option.isNone(ddb)) return Result.fail(Rejection.DeprecatedDistributedDbVersion)
  const p2p = selectVersion(supported.p2pVersions, remote.p2pVersion)
  if (Option.isNone(p2p)) return Result.fail(Rejection.DeprecatedP2pVersion)
  return Result.succeed({ chainName: supported.chainName, distributedDbVersion: ddb.value, p2pVersion: p2p.value })
}
