import * as Net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as Bridge from "@effect-p2p/node/Bridge"
import * as Listener from "@effect-p2p/node/Listener"
import * as WebSocketDialer from "@effect-p2p/node/WebSocketDialer"
import * as ConnectionMessage from "@effect-p2p/session/ConnectionMessage"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Effect, Metric, Option, Queue } from "effect"
import * as WS from "ws"

const host = "127.0.0.1"
const difficulty = 6
const supported = { chainName: "TEST_CHAIN", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] } as const
const common = {
  expectedPow: difficulty,
  supported,
  metadata: { disableMempool: false, privateNode: false },
  metadataEncoding: Metadata.octez,
  messageEncoding: P2pMessage.envelope
}

/** An echo listener over TCP (the Octez node's place). */
const tcpPeer = Effect.gen(function* () {
  const identity = yield* Identity.generate({ difficulty })
  const events = yield* Queue.unbounded<Listener.Event>()
  const listener = yield* Listener.make(
    { ...common, identity, port: 0, host, onEvent: (e) => Queue.offer(events, e).pipe(Effect.asVoid) },
    (peer) => Effect.forever(Effect.flatMap(peer.connection.read, ([, m]) => peer.connection.write(m)))
  )
  return { endpoint: listener.address, identity, events }
})

/** A TCP server that only counts connections: a target that must never be dialled. */
const countingServer = Effect.acquireRelease(
  Effect.callback<{ readonly server: Net.Server; readonly count: () => number }>((resume) => {
    let count = 0
    const server = Net.createServer((socket) => {
      count++
      socket.destroy()
    })
    server.listen(0, host, () => resume(Effect.succeed({ server, count: () => count })))
  }),
  ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(
  Effect.map(({ server, count }) => ({ endpoint: { host, port: (server.address() as Net.AddressInfo).port }, count }))
)

const startBridge = (targets: ReadonlyArray<{ host: string; port: number }>, options: Partial<Bridge.Options> = {}) =>
  Effect.gen(function* () {
    const events = yield* Queue.unbounded<Bridge.Event>()
    const bridge = yield* Bridge.make({
      port: 0,
      host,
      targets,
      expectedPow: difficulty,
      onEvent: (e) => Queue.offer(events, e).pipe(Effect.asVoid),
      ...options
    })
    return { url: `ws://${host}:${bridge.address.port}`, events, bridge }
  })

/** A raw WebSocket client: sends `bytes` once open, resolves with the close code and reason. */
const rawSession = (url: string, bytes?: Uint8Array) =>
  Effect.callback<{ readonly code: number; readonly reason: string }>((resume) => {
    const ws = new WS.WebSocket(url)
    ws.on("open", () => {
      if (bytes !== undefined) ws.send(bytes)
    })
    ws.on("close", (code, reason) => resume(Effect.succeed({ code, reason: reason.toString() })))
    ws.on("error", () => {})
    return Effect.sync(() => ws.terminate())
  })

/** A real connection message (framed) from an identity, as the session sends it first. */
const connectionMessage = (identity: Identity.Identity) =>
  Effect.fromResult(
    ConnectionMessage.frame({
      port: Option.none(),
      publicKey: identity.publicKey,
      powStamp: identity.powStamp,
      messageNonce: Nonce.zero(),
      version: { chainName: supported.chainName, distributedDbVersion: 2, p2pVersion: 1 }
    })
  )

/** An identity whose stamp does not meet `difficulty`. */
const weakIdentity = Effect.gen(function* () {
  while (true) {
    const identity = yield* Identity.generate({ difficulty: 0 })
    if (
      !ProofOfWork.checkWith(
        CryptoBackend.noble,
        identity.publicKey,
        identity.powStamp,
        ProofOfWork.target(common.expectedPow)
      )
    ) {
      return identity
    }
  }
})

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 11 + 1) & 0xff)

describe("Bridge", () => {
  it.live("a WebSocket peer and a TCP peer complete a session through the bridge; 1 B, 64 KiB, 1 MiB echoed", () =>
    Effect.gen(function* () {
      const target = yield* tcpPeer
      const { url, events } = yield* startBridge([target.endpoint])
      const me = yield* Identity.generate({ difficulty })
      const targetId = PeerId.toBase58(target.identity.peerId)
      const peer = yield* WebSocketDialer.connect({
        ...common,
        url: `${url}/anything`,
        identity: me,
        expectedPeerId: targetId
      })
      assert.strictEqual(PeerId.toBase58(peer.info.peerId), targetId)
      for (const size of [1, 65536, 1024 * 1024]) {
        const sent = { tag: 0x10, body: pattern(size) }
        yield* peer.connection.write(sent)
        const [, back] = yield* peer.connection.read
        assert.deepStrictEqual(back, sent)
      }
      const relaying = yield* Queue.take(events)
      assert.strictEqual(relaying._tag, "Relaying")
      assert.strictEqual(relaying._tag === "Relaying" && relaying.peerId, PeerId.toBase58(me.peerId))
      const accepted = yield* Queue.take(target.events)
      assert.strictEqual(accepted._tag === "Accepted" && accepted.peerId, PeerId.toBase58(me.peerId))
      yield* peer.connection.close({ wait: true, reason: "done" })
      const closed = yield* Queue.take(events)
      assert.strictEqual(closed._tag, "Closed")
      if (closed._tag === "Closed") assert.isTrue(closed.up > 1024 * 1024 && closed.down > 1024 * 1024)
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.live("with several targets, the path picks one; an unlisted one is refused without a dial", () =>
    Effect.gen(function* () {
      const target = yield* tcpPeer
      const other = yield* countingServer
      const { url, events } = yield* startBridge([other.endpoint, target.endpoint])
      const me = yield* Identity.generate({ difficulty })
      const targetId = PeerId.toBase58(target.identity.peerId)
      const path = `/${target.endpoint.host}:${target.endpoint.port}`
      yield* Effect.scoped(WebSocketDialer.connect({ ...common, url: `${url}${path}`, identity: me }))
      assert.strictEqual((yield* Queue.take(events))._tag, "Relaying")

      const refused = yield* rawSession(`${url}/10.1.2.3:9732`, yield* connectionMessage(me))
      assert.deepStrictEqual(refused, { code: Bridge.CloseCode.unknownTarget, reason: "unknown target" })
      const dialled = yield* Effect.flip(
        Effect.scoped(WebSocketDialer.connect({ ...common, url: `${url}/`, identity: me, expectedPeerId: targetId }))
      )
      assert.strictEqual(dialled._tag, "ConnectionClosed")
      assert.include(dialled.message, "4004")
      assert.strictEqual(other.count(), 0)
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.live("a proof of work below the target's is refused before any dial", () =>
    Effect.gen(function* () {
      const target = yield* countingServer
      const { url, events } = yield* startBridge([target.endpoint])
      const weak = yield* weakIdentity
      const error = yield* Effect.flip(Effect.scoped(WebSocketDialer.connect({ ...common, url, identity: weak })))
      assert.strictEqual(error._tag, "ConnectionClosed")
      assert.include(error.message, `code ${Bridge.CloseCode.notEnoughProofOfWork}: proof of work too low`)
      const refused = yield* Queue.take(events)
      assert.strictEqual(refused._tag === "Refused" && refused.code, Bridge.CloseCode.notEnoughProofOfWork)
      assert.strictEqual(target.count(), 0)
      const counted = yield* Metric.value(Metric.withAttributes(Bridge.Metrics.refused, { code: "4003" }))
      assert.isTrue(counted.count >= 1)
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.live(
    "bytes that are no connection message are refused before any dial",
    () =>
      Effect.gen(function* () {
        const target = yield* countingServer
        const { url } = yield* startBridge([target.endpoint], { connectionMessageTimeout: "300 millis" })
        // A length prefix announcing 3 bytes, then 3 bytes that are no connection message.
        const refused = yield* rawSession(url, Uint8Array.from([0, 3, 1, 2, 3]))
        assert.deepStrictEqual(refused, {
          code: Bridge.CloseCode.badConnectionMessage,
          reason: "invalid connection message"
        })
        const silent = yield* rawSession(url)
        assert.deepStrictEqual(silent, {
          code: Bridge.CloseCode.badConnectionMessage,
          reason: "no connection message in time"
        })
        assert.strictEqual(target.count(), 0)
      }).pipe(Effect.provide(CryptoBackend.layerNoble)),
    { timeout: 20_000 }
  )

  it.live("an expectedPow outside 0..256 fails make with InvalidDifficulty before listening", () =>
    Effect.gen(function* () {
      for (const expectedPow of [-1, 257, Number.NaN]) {
        const error = yield* Effect.flip(Bridge.make({ port: 0, host, targets: [{ host, port: 1 }], expectedPow }))
        assert.strictEqual(error._tag, "InvalidDifficulty")
      }
    }).pipe(Effect.scoped, Effect.provide(CryptoBackend.layerNoble))
  )

  it.live("sessions per target are capped, waiting ones included", () =>
    Effect.gen(function* () {
      const target = yield* countingServer
      const { url, bridge } = yield* startBridge([target.endpoint], { maxSessionsPerTarget: 1 })
      // The first browser holds the only slot while the bridge waits for its connection message.
      const first = yield* Effect.forkChild(rawSession(url))
      while (((yield* bridge.sessions).get(`${host}:${target.endpoint.port}`) ?? 0) < 1) yield* Effect.sleep("5 millis")
      const second = yield* rawSession(url, Uint8Array.from([0, 0]))
      assert.deepStrictEqual(second, { code: Bridge.CloseCode.tooManySessions, reason: "too many sessions (1)" })
      void first
      assert.strictEqual(target.count(), 0)
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it.live("an unreachable target is reported to the browser", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.scoped(countingServer) // closed again: its port refuses connections
      const { url } = yield* startBridge([closed.endpoint])
      const me = yield* Identity.generate({ difficulty })
      const framed = yield* connectionMessage(me)
      const refused = yield* rawSession(url, framed)
      assert.deepStrictEqual(refused, { code: Bridge.CloseCode.targetUnreachable, reason: "target unreachable" })
    }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )

  it("routes by /HOST:PORT, URL-encoded or not; any path with one target", () => {
    const targets = [
      { host: "127.0.0.1", port: 9732 },
      { host: "::1", port: 9732 }
    ]
    assert.deepStrictEqual(Bridge.route(targets, "/127.0.0.1:9732"), targets[0])
    assert.deepStrictEqual(Bridge.route(targets, "/%5B::1%5D:9732?x=1"), targets[1])
    assert.deepStrictEqual(Bridge.route(targets, "/[::1]:9732"), targets[1])
    assert.strictEqual(Bridge.route(targets, "/127.0.0.1:9733"), undefined)
    assert.strictEqual(Bridge.route(targets, "/%E0%A4%A"), undefined)
    assert.strictEqual(Bridge.route(targets, "/"), undefined)
    assert.deepStrictEqual(Bridge.route([targets[0]!], "/whatever"), targets[0])
  })
})
