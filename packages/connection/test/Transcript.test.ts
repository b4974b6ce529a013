/**
 * Replays the real recorded session (a TezEdge node talking to a Carthagenet peer): every chunk the
 * local node sent after its connection message goes through our reader, which must open the
 * metadata and Ack chunks and then decode all 5,472 P2p messages with the generic envelope.
 */

import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import * as Binary from "@effect-p2p/codec/Binary"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import type * as Nonce from "@effect-p2p/crypto/Nonce"
import { Effect, Result } from "effect"
import { hex, p2pVectors, vectorPath } from "../../../test/support/vectors.ts"
import * as ByteReader from "../src/ByteReader.ts"
import * as ByteSocket from "../src/ByteSocket.ts"
import * as Chunk from "../src/Chunk.ts"
import * as Connection from "../src/Connection.ts"

interface Transcript {
  readonly channel_key: string
  readonly initial_local_nonce: string
}

const transcript = p2pVectors().session_transcript as Transcript
const rows = readFileSync(vectorPath("tezedge-session", "tezedge_communication.csv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => line.split(","))
const sent = rows.filter(([direction]) => direction === "Sent").map(([, payload]) => hex(payload!))
// The first Sent row is the plaintext connection message; the rest is the encrypted stream.
const stream = Buffer.concat(sent.slice(1))
const expectedMessages = 5472

/** Cuts `bytes` at pseudo-random points, as TCP may. */
const cutRandomly = (bytes: Uint8Array, seed: number): Array<Uint8Array> => {
  const pieces: Array<Uint8Array> = []
  let state = seed
  let at = 0
  while (at < bytes.length) {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    const size = 1 + (state % 3000)
    pieces.push(bytes.subarray(at, at + size))
    at += size
  }
  return pieces
}

const replay = (pieces: ReadonlyArray<Uint8Array>) =>
  Effect.gen(function* () {
    const backend = CryptoBackend.noble
    const key = hex(transcript.channel_key) as ChannelKey
    // We read what the recorded node sent, so its local nonce is our remote nonce.
    const nonce: Chunk.NonceCounter = { current: hex(transcript.initial_local_nonce) as Nonce.Nonce }
    const { socket } = ByteSocket.fromBytes(pieces)
    const reader = ByteReader.make(socket)
    const openNext = Effect.gen(function* () {
      const length = Chunk.readHeader(yield* reader.readExactly(2))
      return Chunk.openChunk(backend, key, nonce, yield* reader.readExactly(length))
    })
    const metadata = yield* openNext
    assert.strictEqual(metadata?.length, 2, "metadata: two booleans")
    const ack = yield* openNext
    assert.deepStrictEqual(ack, new Uint8Array([0]), "Ack")

    const conn = yield* Connection.make({
      reader,
      channelKey: key,
      localNonce: hex(transcript.initial_local_nonce) as Nonce.Nonce,
      remoteNonce: nonce.current,
      encoding: P2pMessage.envelope
    })
    let count = 0
    while (count < expectedMessages) {
      const [size, message] = yield* conn.read
      const reencoded = Result.getOrThrow(Binary.encode(P2pMessage.envelope, message))
      assert.strictEqual(size, reencoded.length)
      count++
    }
    const end = yield* Effect.flip(conn.read)
    assert.strictEqual(end._tag, "ConnectionClosed")
    return count
  }).pipe(Effect.provide(CryptoBackend.layerNoble))

describe("recorded TezEdge session", () => {
  it.live("decodes the metadata, the Ack and all 5,472 messages chunk by chunk", () =>
    Effect.map(replay(sent.slice(1)), (count) => assert.strictEqual(count, expectedMessages))
  )

  it.live("decodes the same stream cut at random points", () =>
    Effect.forEach([1, 2, 3], (seed) =>
      Effect.map(replay(cutRandomly(stream, seed)), (count) => assert.strictEqual(count, expectedMessages))
    )
  )
})
