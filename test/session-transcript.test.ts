/**
 * Byte-exact reproduction of a real node's handshake: the recorded TezEdge session (the local side
 * dialled a Carthagenet peer). With the local identity and the message nonce pinned to the
 * recorded one, our dialer must emit exactly the recorded connection message, metadata chunk and
 * Ack chunk when fed the peer's recorded records.
 */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ConnectionMessage from "@effect-p2p/session/ConnectionMessage"
import * as Metadata from "@effect-p2p/session/Metadata"
import * as Session from "@effect-p2p/session/Session"
import { Effect, Option, Random, Result } from "effect"
import { hex, p2pVectors, toHex, vectorPath } from "./support/vectors.ts"

interface TranscriptVector {
  readonly remote_public_key: string
  readonly remote_peer_id: string
  readonly channel_key: string
}

const rows = readFileSync(vectorPath("tezedge-session", "tezedge_communication.csv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => {
    const [direction, payload] = line.split(",")
    return { direction: direction!, bytes: hex(payload!) }
  })
const sent = rows.filter((r) => r.direction === "Sent").map((r) => r.bytes)
const received = rows.filter((r) => r.direction === "Received").map((r) => r.bytes)
const vector = p2pVectors().session_transcript as TranscriptVector
const identityJson = readFileSync(vectorPath("tezedge-session", "identity.json"), "utf8")

/** A `Random` whose `nextIntBetween(0, 255)` draws replay `bytes`, in order. */
const replayRandom = (bytes: Uint8Array): Random.Random => {
  let at = 0
  return {
    nextDoubleUnsafe: () => (bytes[at++ % bytes.length]! + 0.5) / 256,
    nextIntUnsafe: () => bytes[at++ % bytes.length]!
  }
}

// Offsets in the framed connection message: length(2) port(2) key(32) stamp(24) nonce(24).
const recordedNonce = sent[0]!.slice(60, 84)

describe("recorded TezEdge session", () => {
  it("the recorded connection messages decode as Octez frames", () => {
    const ours = Result.getOrThrow(ConnectionMessage.unframe(sent[0]!))
    const theirs = Result.getOrThrow(ConnectionMessage.unframe(received[0]!))
    assert.deepStrictEqual(ours.port, Option.some(9732))
    assert.strictEqual(toHex(theirs.publicKey), vector.remote_public_key)
    assert.deepStrictEqual(theirs.version, {
      chainName: "TEZOS_ALPHANET_CARTHAGE_2019-11-28T13:02:13Z",
      distributedDbVersion: 0,
      p2pVersion: 1
    })
  })

  it.effect("our dialer emits exactly the recorded connection message, metadata and Ack", () =>
    Effect.gen(function* () {
      const identity = yield* Identity.fromJson(identityJson)
      const { socket, written } = ByteSocket.fromBytes(received)
      const [info, auth] = yield* Session.authenticate({
        socket,
        identity,
        incoming: false,
        remote: { address: "10.0.0.1", port: 9732 },
        listeningPort: 9732,
        expectedPow: 0,
        version: { chainName: "TEZOS_ALPHANET_CARTHAGE_2019-11-28T13:02:13Z", distributedDbVersion: 0, p2pVersion: 1 },
        metadata: { disableMempool: false, privateNode: false },
        metadataEncoding: Metadata.octez
      }).pipe(Effect.provideService(Random.Random, replayRandom(recordedNonce)))

      assert.strictEqual(PeerId.toBase58(info.peerId), vector.remote_peer_id)
      assert.deepStrictEqual(info.remoteMetadata, { disableMempool: false, privateNode: false })
      assert.deepStrictEqual(info.remotePoint, { address: "10.0.0.1", port: Option.some(9732) })
      assert.strictEqual(info.announcedVersion.p2pVersion, 1)

      const connection = yield* Session.accept(auth, { messageEncoding: Encoding.bytes })
      const out = written()
      assert.strictEqual(out.length, 3)
      assert.strictEqual(toHex(out[0]!), toHex(sent[0]!))
      assert.strictEqual(toHex(out[1]!), toHex(sent[1]!))
      assert.strictEqual(toHex(out[2]!), toHex(sent[2]!))
      yield* connection.close()
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.effect("a different message nonce gives a different connection message and metadata chunk", () =>
    Effect.gen(function* () {
      const identity = yield* Identity.fromJson(identityJson)
      const { socket, written } = ByteSocket.fromBytes(received)
      // The peer's metadata was sealed for the recorded nonces, so it no longer opens.
      const exit = yield* Session.authenticate({
        socket,
        identity,
        incoming: false,
        listeningPort: 9732,
        expectedPow: 0,
        version: { chainName: "TEZOS_ALPHANET_CARTHAGE_2019-11-28T13:02:13Z", distributedDbVersion: 0, p2pVersion: 1 },
        metadata: { disableMempool: false, privateNode: false },
        metadataEncoding: Metadata.octez
      }).pipe(Effect.provideService(Random.Random, replayRandom(new Uint8Array(24))), Effect.flip)
      assert.strictEqual(exit._tag, "DecipherError")
      assert.notStrictEqual(toHex(written()[0]!), toHex(sent[0]!))
      assert.notStrictEqual(toHex(written()[1]!), toHex(sent[1]!))
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
})
