import { assert, describe, it } from "@effect/vitest"
import * as Acl from "../src/Acl.ts"

describe("Acl", () => {
  it("empty: nothing banned (p2p.banned empty)", () => {
    const acl = Acl.make()
    assert.isFalse(acl.isAddressBanned("10.0.0.1", 0))
    assert.isFalse(acl.isPeerBanned("idt1"))
    assert.deepStrictEqual(acl.greylistedAddresses(0), [])
  })

  it("ban: greylisted IPs are banned until their exact expiry; re-greylisting refreshes it", () => {
    const acl = Acl.make({ ipGreylistDelayMillis: 1_000 })
    acl.greylistAddress("10.0.0.1", 0)
    assert.isTrue(acl.isAddressBanned("10.0.0.1", 999))
    acl.greylistAddress("10.0.0.1", 500)
    assert.isTrue(acl.isAddressBanned("10.0.0.1", 1_499))
    assert.isFalse(acl.isAddressBanned("10.0.0.1", 1_500))
    assert.deepStrictEqual(acl.greylistedAddresses(1_500), [])
    assert.isFalse(acl.isAddressBanned("10.0.0.2", 0))
  })

  it("anyAddressListed: false only while no IP is blacklisted or greylisted", () => {
    const acl = Acl.make()
    assert.isFalse(acl.anyAddressListed())
    acl.greylistAddress("10.0.0.1", 0)
    assert.isTrue(acl.anyAddressListed())
    acl.clearGreylists()
    assert.isFalse(acl.anyAddressListed())
    acl.banAddress("10.0.0.2")
    assert.isTrue(acl.anyAddressListed())
    acl.unbanAddress("10.0.0.2")
    assert.isFalse(acl.anyAddressListed())
    acl.greylistPeer("p1")
    assert.isFalse(acl.anyAddressListed(), "a peer id is not an address")
  })

  it("clear: greylists emptied, blacklists kept", () => {
    const acl = Acl.make()
    acl.greylistAddress("10.0.0.1", 0)
    acl.greylistPeer("p1")
    acl.banAddress("10.0.0.9")
    acl.clearGreylists()
    assert.isFalse(acl.isAddressBanned("10.0.0.1", 1))
    assert.isFalse(acl.isPeerBanned("p1"))
    assert.isTrue(acl.isAddressBanned("10.0.0.9", 1))
  })

  it("peer set LRU overflow: bounded, re-adding refreshes, the least recently added goes first (p2p.peerset)", () => {
    const acl = Acl.make({ peerGreylistSize: 3 })
    for (const p of ["a", "b", "c"]) acl.greylistPeer(p)
    acl.greylistPeer("a") // refresh: b is now the oldest
    acl.greylistPeer("d")
    assert.deepStrictEqual(acl.greylistedPeers(), ["c", "a", "d"])
    assert.isFalse(acl.isPeerBanned("b"))
    assert.isTrue(acl.isPeerBanned("a"))
  })

  it("the IP greylist is bounded; the first overflow is recorded", () => {
    const acl = Acl.make({ ipGreylistSize: 2 })
    acl.greylistAddress("1", 0)
    acl.greylistAddress("2", 1)
    assert.isUndefined(acl.notReliableSince())
    acl.greylistAddress("3", 2)
    assert.deepStrictEqual(acl.greylistedAddresses(3), ["2", "3"])
    assert.strictEqual(acl.notReliableSince(), 2)
  })

  it("blacklists are manual: ban, unban (removes from both lists)", () => {
    const acl = Acl.make()
    acl.banAddress("10.0.0.1")
    acl.banPeer("p")
    acl.greylistPeer("q")
    assert.isTrue(acl.isAddressBanned("10.0.0.1", 10 ** 12))
    assert.deepStrictEqual([acl.bannedAddresses(), acl.bannedPeers()], [["10.0.0.1"], ["p"]])
    acl.unbanAddress("10.0.0.1")
    acl.unbanPeer("p")
    acl.unbanPeer("q")
    assert.isFalse(acl.isAddressBanned("10.0.0.1", 0))
    assert.isFalse(acl.isPeerBanned("p") || acl.isPeerBanned("q"))
  })
})
