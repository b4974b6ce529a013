import { assert, describe, it } from "@effect/vitest"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Listener from "@effect-p2p/node/Listener"
import * as WebSocket from "@effect-p2p/node/WebSocket"
import * as WebSocketDialer from "@effect-p2p/node/WebSocketDialer"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Effect, Queue } from "effect"

const supported = { chainName: "TEST_CHAIN", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] } as const
const common = {
  expectedPow: 2,
  supported,
  metadata: { disableMempool: false, privateNode: false },
  metadataEncoding: Metadata.octez,
  messageEncoding: P2pMessage.envelope
}

const startListener = Effect.gen(function* () {
  const identity = yield* Identity.generate({ difficulty: 2 })
  const events = yield* Queue.unbounded<Listener.Event>()
  const server = yield* WebSocket.listen({ port: 0, host: "127.0.0.1" })
  const listener = yield* Listener.fromServer(
    server,
    { ...common, identity, onEvent: (event) => Queue.offer(events, event).pipe(Effect.asVoid) },
    (peer) => Effect.forever(Effect.flatMap(peer.connection.read, ([, m]) => peer.connection.write(m)))
  )
  return { url: `ws://127.0.0.1:${listener.address.port}/`, identity, events }
})

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 5) & 0xff)

describe("Listener over WebSockets", () => {
  it.live("a WebSocket peer completes a session and gets 1 B, 64 KiB and 1 MiB echoed", () =>
    Effect.gen(function* () {
      const { url, identity, events } = yield* startListener
      const me = yield* Identity.generate({ difficulty: 2 })
      const peer = yield* WebSocketDialer.connect({
        ...common,
        url,
        identity: me,
        expectedPeerId: PeerId.toBase58(identity.peerId)
      })
      assert.strictEqual(PeerId.toBase58(peer.info.peerId), PeerId.toBase58(identity.peerId))
      for (const size of [1, 65536, 1024 * 1024]) {
        const sent = { tag: 0x10, body: pattern(size) }
        yield* peer.connection.write(sent)
        const [, back] = yield* peer.connection.read
        assert.deepStrictEqual(back, sent)
      }
      const accepted = yield* Queue.take(events)
      assert.strictEqual(accepted._tag, "Accepted")
      assert.strictEqual(accepted._tag === "Accepted" && accepted.peerId, PeerId.toBase58(me.peerId))
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.live("a wrong expected peer id fails with UnexpectedPeerId and is nacked", () =>
    Effect.gen(function* () {
      const { url, identity, events } = yield* startListener
      const me = yield* Identity.generate({ difficulty: 2 })
      const other = yield* Identity.generate({ difficulty: 2 })
      const error = yield* Effect.flip(
        Effect.scoped(
          WebSocketDialer.connect({ ...common, url, identity: me, expectedPeerId: PeerId.toBase58(other.peerId) })
        )
      )
      assert.strictEqual(error._tag, "UnexpectedPeerId")
      assert.strictEqual(
        error.message,
        `expected peer ${PeerId.toBase58(other.peerId)}, got ${PeerId.toBase58(identity.peerId)}`
      )
      const failed = yield* Queue.take(events)
      assert.strictEqual(failed._tag, "HandshakeFailed")
      assert.strictEqual(failed._tag === "HandshakeFailed" && failed.error, "RejectedByNack")
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
})
