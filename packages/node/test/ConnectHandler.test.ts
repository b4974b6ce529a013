/**
 * `Listener` and the pool run one connect handler (`@effect-p2p/pool/ConnectHandler`): over real
 * loopback TCP, the same policy given to a `Listener` and to a `Pool` (on `TcpTransport`) is asked
 * about the same peers, with the same metadata, at the same step (after the version, before the
 * Ack), and its refusal reaches the dialler the same way: a Nack with the policy's motive.
 */
import { assert, describe, it } from "@effect/vitest"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Dialer from "@effect-p2p/node/Dialer"
import * as Listener from "@effect-p2p/node/Listener"
import * as TcpTransport from "@effect-p2p/node/TcpTransport"
import type * as ConnectHandler from "@effect-p2p/pool/ConnectHandler"
import * as Pool from "@effect-p2p/pool/Pool"
import * as Metadata from "@effect-p2p/session/Metadata"
import * as Rejection from "@effect-p2p/session/Rejection"
import { Effect, Option, Queue, Schema, Stream } from "effect"

const supported = { chainName: "TEST_CHAIN", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] } as const

interface Asked {
  readonly peerId: string
  readonly disableMempool: boolean
  readonly incoming: boolean
}

/** Refuses peers that disable their mempool, with a motive of its own; records whom it was asked about. */
const policy =
  (asked: Array<Asked>): ConnectHandler.Policy<Metadata.OctezMetadata> =>
  (info) =>
    Effect.sync(() => {
      asked.push({
        peerId: PeerId.toBase58(info.peerId),
        disableMempool: info.remoteMetadata.disableMempool,
        incoming: info.incoming
      })
      return info.remoteMetadata.disableMempool
        ? ({ _tag: "Reject", motive: Rejection.DeprecatedP2pVersion } as const)
        : ({ _tag: "Accept" } as const)
    })

const dial = (identity: Identity.Identity, port: number, disableMempool: boolean) =>
  Effect.scoped(
    Dialer.connect({
      identity,
      host: "127.0.0.1",
      port,
      expectedPow: 0,
      supported,
      metadata: { disableMempool, privateNode: false },
      metadataEncoding: Metadata.octez,
      messageEncoding: P2pMessage.envelope,
      timeout: "5 seconds"
    }).pipe(Effect.map((peer) => PeerId.toBase58(peer.info.peerId)))
  )

describe("one connect handler for Listener and Pool (TCP)", () => {
  it.live("the same policy accepts and refuses the same peers, with the same motive, from both", () =>
    Effect.gen(function* () {
      const [listenerId, poolId, good, picky] = yield* Effect.forEach([0, 1, 2, 3], () =>
        Identity.generate({ difficulty: 0 })
      )
      const byListener: Array<Asked> = []
      const byPool: Array<Asked> = []
      const events = yield* Queue.unbounded<Listener.Event>()
      const listener = yield* Listener.make(
        {
          identity: listenerId!,
          port: 0,
          host: "127.0.0.1",
          expectedPow: 0,
          supported,
          metadata: { disableMempool: false, privateNode: false },
          metadataEncoding: Metadata.octez,
          messageEncoding: P2pMessage.envelope,
          policy: policy(byListener),
          onEvent: (event) => Queue.offer(events, event).pipe(Effect.asVoid)
        },
        ({ connection }) => Effect.asVoid(connection.read)
      )
      const pool = yield* Pool.make({
        identity: poolId!,
        supported,
        messages: Schema.String,
        listen: { host: "127.0.0.1", port: 0 },
        policy: policy(byPool)
      }).pipe(Effect.provide(TcpTransport.layer()))
      const poolEvents = yield* pool.subscribe
      const poolPort = Option.getOrThrow(pool.address).port

      for (const port of [listener.address.port, poolPort]) {
        const accepted = yield* dial(good!, port, false)
        assert.include([PeerId.toBase58(listenerId!.peerId), PeerId.toBase58(poolId!.peerId)], accepted)
        const refused = yield* Effect.flip(dial(picky!, port, true))
        assert.strictEqual(refused._tag, "RejectedByNack")
        if (refused._tag === "RejectedByNack") {
          assert.strictEqual(refused.motive, Rejection.DeprecatedP2pVersion)
          assert.isTrue(Option.isSome(refused.alternativePoints), "a Nack with a point list (p2p version 1)")
        }
      }

      const expected: ReadonlyArray<Asked> = [
        { peerId: PeerId.toBase58(good!.peerId), disableMempool: false, incoming: true },
        { peerId: PeerId.toBase58(picky!.peerId), disableMempool: true, incoming: true }
      ]
      assert.deepStrictEqual(byListener, expected)
      assert.deepStrictEqual(byPool, expected)

      // Each reports the refusal in its own vocabulary.
      while (true) {
        const event = yield* Queue.take(events)
        if (event._tag !== "HandshakeFailed") continue
        assert.strictEqual(event.error, "Rejected")
        break
      }
      const rejecting = yield* Stream.runHead(Stream.filter(poolEvents, (e) => e.event === "rejecting_request"))
      assert.strictEqual(Option.getOrThrow(rejecting).peerId, PeerId.toBase58(picky!.peerId))
      assert.strictEqual(Option.getOrThrow(rejecting).reason, Rejection.name(Rejection.DeprecatedP2pVersion))
    }).pipe(Effect.scoped, Effect.provide(CryptoBackend.layerNoble))
  )
})
