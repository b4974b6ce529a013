/**
 * Who the pool refuses (Octez `P2p_acl`): IP addresses and peer ids, each on a blacklist (manual,
 * until unbanned) and a greylist (automatic, on misbehaviour).
 *
 * - **IP greylist**: an exact map from address to expiry (`ipGreylistCleanupDelay`, 1 day by
 *   default), bounded to `ipGreylistSizeInKilobytes` entries, oldest dropped first. Octez uses a
 *   counting Bloom filter here, which has false positives and expires entries in 16 steps of
 *   `delay/16`; the exact map has no false positives and expires each address exactly `delay` after
 *   its last greylisting. Observable behaviour is otherwise the same.
 * - **Peer greylist**: a bounded set (`peerGreylistSize`, 1023) where re-adding refreshes an entry
 *   and the least recently added is dropped on overflow (Octez's `Aches` FIFO, "LRU overflow").
 * - **Blacklists**: unbounded sets, changed only by ban / unban / trust.
 *
 * The structure is synchronous and takes the time as an argument; the pool reads it from `Clock`.
 *
 * @since 0.1.0
 */

/**
 * The ACL tables.
 *
 * @category models
 * @since 0.1.0
 */
export interface Acl {
  /** Whether connections from this IP are refused now (blacklisted, or greylisted and not expired). */
  readonly isAddressBanned: (ip: string, now: number) => boolean
  /**
   * Whether any IP is blacklisted or greylisted (expired greylist entries count until looked at):
   * false means `isAddressBanned` is false for every IP, whatever the time.
   */
  readonly anyAddressListed: () => boolean
  /** Whether this peer id is refused (blacklisted or greylisted). */
  readonly isPeerBanned: (peerId: string) => boolean
  /** Greylists an IP until `now + delay` (refreshes the expiry if already there). */
  readonly greylistAddress: (ip: string, now: number) => void
  /** Greylists a peer id (refreshes it if already there). */
  readonly greylistPeer: (peerId: string) => void
  readonly banAddress: (ip: string) => void
  readonly banPeer: (peerId: string) => void
  /** Removes an IP from both lists. */
  readonly unbanAddress: (ip: string) => void
  /** Removes a peer id from both lists. */
  readonly unbanPeer: (peerId: string) => void
  /** Empties both greylists (Octez `clear`); blacklists stay. */
  readonly clearGreylists: () => void
  /** Greylisted IPs not yet expired, oldest first. */
  readonly greylistedAddresses: (now: number) => ReadonlyArray<string>
  /** How many IPs are greylisted and not yet expired (the count of `greylistedAddresses`, without the list). */
  readonly greylistedAddressCount: (now: number) => number
  readonly greylistedPeers: () => ReadonlyArray<string>
  readonly bannedAddresses: () => ReadonlyArray<string>
  readonly bannedPeers: () => ReadonlyArray<string>
  /** When the IP greylist first dropped an entry for lack of room (Octez `list_not_reliable_since`). */
  readonly notReliableSince: () => number | undefined
}

/**
 * Sizes and delay of the greylists.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** IP greylist entries. Default 2048. */
  readonly ipGreylistSize?: number | undefined
  /** How long an IP stays greylisted, ms. Default 86 400 000 (1 day). */
  readonly ipGreylistDelayMillis?: number | undefined
  /** Peer greylist entries. Default 1023. */
  readonly peerGreylistSize?: number | undefined
}

/** Deletes then sets, so the key moves to the end of the map's insertion order. */
const refresh = <K, V>(map: Map<K, V>, key: K, value: V) => {
  map.delete(key)
  map.set(key, value)
}

const trimOldest = <K, V>(map: Map<K, V>, size: number): boolean => {
  let dropped = false
  while (map.size > size) {
    const oldest = map.keys().next().value as K
    map.delete(oldest)
    dropped = true
  }
  return dropped
}

/**
 * Empty tables.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Acl } from "@effect-p2p/pool"
 * const acl = Acl.make({ ipGreylistDelayMillis: 60_000 })
 * acl.greylistAddress("10.0.0.1", 0)
 * acl.isAddressBanned("10.0.0.1", 59_999) // true
 * acl.isAddressBanned("10.0.0.1", 60_000) // false
 * ```
 */
export const make = (options: Options = {}): Acl => {
  const ipSize = Math.max(1, options.ipGreylistSize ?? 2048)
  const delay = options.ipGreylistDelayMillis ?? 86_400_000
  const peerSize = Math.max(1, options.peerGreylistSize ?? 1023)
  const ipGrey = new Map<string, number>()
  const peerGrey = new Map<string, true>()
  const ipBlack = new Set<string>()
  const peerBlack = new Set<string>()
  let notReliableSince: number | undefined

  const greylisted = (ip: string, now: number) => {
    const expiry = ipGrey.get(ip)
    if (expiry === undefined) return false
    if (now < expiry) return true
    ipGrey.delete(ip)
    return false
  }

  return {
    isAddressBanned: (ip, now) => ipBlack.has(ip) || greylisted(ip, now),
    anyAddressListed: () => ipBlack.size > 0 || ipGrey.size > 0,
    isPeerBanned: (peerId) => peerBlack.has(peerId) || peerGrey.has(peerId),
    greylistAddress: (ip, now) => {
      refresh(ipGrey, ip, now + delay)
      if (trimOldest(ipGrey, ipSize) && notReliableSince === undefined) notReliableSince = now
    },
    greylistPeer: (peerId) => {
      refresh(peerGrey, peerId, true)
      trimOldest(peerGrey, peerSize)
    },
    banAddress: (ip) => void ipBlack.add(ip),
    banPeer: (peerId) => void peerBlack.add(peerId),
    unbanAddress: (ip) => {
      ipBlack.delete(ip)
      ipGrey.delete(ip)
    },
    unbanPeer: (peerId) => {
      peerBlack.delete(peerId)
      peerGrey.delete(peerId)
    },
    clearGreylists: () => {
      ipGrey.clear()
      peerGrey.clear()
      notReliableSince = undefined
    },
    greylistedAddresses: (now) => [...ipGrey].filter(([, expiry]) => now < expiry).map(([ip]) => ip),
    greylistedAddressCount: (now) => {
      let count = 0
      for (const expiry of ipGrey.values()) if (now < expiry) count++
      return count
    },
    greylistedPeers: () => [...peerGrey.keys()],
    bannedAddresses: () => [...ipBlack],
    bannedPeers: () => [...peerBlack],
    notReliableSince: () => notReliableSince
  }
}
