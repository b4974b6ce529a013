import { assert, describe, it } from "@effect/vitest"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as Dialer from "@effect-p2p/node/Dialer"
import * as Listener from "@effect-p2p/node/Listener"
import * as Tcp from "@effect-p2p/node/Tcp"
import * as Metadata from "@effect-p2p/session/Metadata"
import type * as Negotiation from "@effect-p2p/session/Negotiation"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Queue } from "effect"

const supported = { chainName: "TEST_CHAIN", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] } as const
const common = {
  expectedPow: 2,
  supported,
  metadata: { disableMempool: false, privateNode: false },
  metadataEncoding: Metadata.octez,
  messageEncoding: P2pMessage.envelope
}

const echo = (peer: {
  readonly connection: {
    read: Effect.Effect<readonly [number, P2pMessage.Envelope], unknown>
    write: (m: P2pMessage.Envelope) => Effect.Effect<void, unknown>
  }
}) => Effect.forever(Effect.flatMap(peer.connection.read, ([, message]) => peer.connection.write(message)))

const startListener = (
  options: { readonly maxConnections?: number },
  handler: (peer: Parameters<typeof echo>[0]) => Effect.Effect<void, unknown> = echo
) =>
  Effect.gen(function* () {
    const identity = yield* Identity.generate({ difficulty: 2 })
    const events = yield* Queue.unbounded<Listener.Event>()
    const listener = yield* Listener.make(
      {
        ...common,
        identity,
        port: 0,
        host: "127.0.0.1",
        timeout: "2 seconds",
        ...options,
        onEvent: (event) => Queue.offer(events, event).pipe(Effect.asVoid)
      },
      handler
    )
    return { listener, events, identity }
  })

const nextEvent = (events: Queue.Queue<Listener.Event>, tag: Listener.Event["_tag"]) =>
  Effect.gen(function* () {
    while (true) {
      const event = yield* Queue.take(events)
      if (event._tag === tag) return event
    }
  })

const dial = (port: number, overrides: Partial<Dialer.Options<Metadata.OctezMetadata, P2pMessage.Envelope>> = {}) =>
  Effect.gen(function* () {
    const identity = yield* Identity.generate({ difficulty: 2 })
    return yield* Dialer.connect({ ...common, identity, host: "127.0.0.1", port, timeout: "2 seconds", ...overrides })
  })

const roundTrip = (port: number, payload: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const peer = yield* dial(port)
      const sent = { tag: 0x10, body: Uint8Array.from([payload, payload, payload]) }
      for (let i = 0; i < 5; i++) {
        yield* peer.connection.write(sent)
        const [, back] = yield* peer.connection.read
        assert.deepStrictEqual(back, sent)
      }
      return PeerId.toBase58(peer.info.peerId)
    })
  )

const roundTrip1 = (port: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const peer = yield* dial(port)
      const sent = { tag: 0x10, body: Uint8Array.from([9]) }
      yield* peer.connection.write(sent)
      const [, back] = yield* peer.connection.read
      assert.deepStrictEqual(back, sent)
    })
  )

describe("Listener and Dialer over TCP", () => {
  it.live(
    "serves two healthy peers while a garbage peer and a wrong-chain peer fail",
    () =>
      Effect.gen(function* () {
        const { listener, events, identity } = yield* startListener({})
        const port = listener.address.port

        // A raw TCP client that sends bytes that are no connection message.
        const garbage = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              const tcp = yield* Tcp.connect({ host: "127.0.0.1", port })
              yield* tcp.socket.write(Uint8Array.from([0, 3, 1, 2, 3]))
              yield* tcp.socket.read.pipe(Effect.ignore)
            })
          )
        )
        const wrongChain = yield* Effect.forkChild(
          Effect.exit(Effect.scoped(dial(port, { supported: { ...supported, chainName: "OTHER_CHAIN" } })))
        )
        const healthy = yield* Effect.all([roundTrip(port, 1), roundTrip(port, 2)], { concurrency: 2 })
        assert.deepStrictEqual(healthy, [PeerId.toBase58(identity.peerId), PeerId.toBase58(identity.peerId)])

        const failed = yield* nextEvent(events, "HandshakeFailed")
        assert.strictEqual(failed._tag === "HandshakeFailed" && failed.error, "DecodeError")
        const wrongExit = yield* Fiber.join(wrongChain)
        assert.isTrue(Exit.isFailure(wrongExit))
        yield* Fiber.join(garbage)

        // Still serving after all that.
        yield* roundTrip(port, 3)
      }).pipe(Effect.provide(CryptoBackend.layerNoble)),
    20_000
  )

  it.live(
    "shares one scheduler: the listener's stat is the sum of its connections' stats",
    () =>
      Effect.gen(function* () {
        const { listener, events } = yield* startListener({})
        const port = listener.address.port
        yield* roundTrip(port, 1)
        yield* roundTrip(port, 2)
        const first = yield* nextEvent(events, "Closed")
        const second = yield* nextEvent(events, "Closed")
        const stats = [first, second].map((e) => (e._tag === "Closed" ? e.stat : undefined))
        const total = yield* listener.stat
        assert.isAbove(total.totalRecv, 0)
        assert.strictEqual(total.totalRecv, (stats[0]?.totalRecv ?? 0) + (stats[1]?.totalRecv ?? 0))
        assert.strictEqual(total.totalSent, (stats[0]?.totalSent ?? 0) + (stats[1]?.totalSent ?? 0))
      }).pipe(Effect.provide(CryptoBackend.layerNoble)),
    20_000
  )

  it.live(
    "nacks a peer with another chain name; the dialer sees the motive",
    () =>
      Effect.gen(function* () {
        const { listener } = yield* startListener({})
        const exit = yield* Effect.exit(
          Effect.scoped(dial(listener.address.port, { supported: { ...supported, chainName: "OTHER_CHAIN" } }))
        )
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
        const tag = error?._tag === "Fail" ? error.error._tag : undefined
        // Both sides nack each other: whichever Nack arrives first decides what the dialer sees.
        assert.include(["RejectedByNack", "Rejected"], tag)
      }).pipe(Effect.provide(CryptoBackend.layerNoble)),
    20_000
  )

  it.live(
    "rejects a peer whose proof of work is below the target",
    () =>
      Effect.gen(function* () {
        const { listener, events } = yield* startListener({})
        // Difficulty 0 stamps that miss difficulty 2 occur 3 times in 4; pick one.
        let weak = yield* Identity.generate({ difficulty: 0 })
        while (
          ProofOfWork.checkWith(
            CryptoBackend.noble,
            weak.publicKey,
            weak.powStamp,
            ProofOfWork.target(common.expectedPow)
          )
        ) {
          weak = yield* Identity.generate({ difficulty: 0 })
        }
        const exit = yield* Effect.exit(Effect.scoped(dial(listener.address.port, { identity: weak })))
        assert.isTrue(Exit.isFailure(exit))
        const failed = yield* nextEvent(events, "HandshakeFailed")
        assert.strictEqual(failed._tag === "HandshakeFailed" && failed.error, "NotEnoughProofOfWork")
      }).pipe(Effect.provide(CryptoBackend.layerNoble)),
    20_000
  )

  it.live(
    "drops a connection over maxConnections at once, handshakes included",
    () =>
      Effect.gen(function* () {
        const { listener, events } = yield* startListener({ maxConnections: 1 })
        const port = listener.address.port
        const holding = yield* Deferred.make<void>()
        // A peer that connects and says nothing holds the only slot.
        const idle = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              yield* Tcp.connect({ host: "127.0.0.1", port })
              yield* Deferred.succeed(holding, undefined)
              yield* Effect.never
            })
          )
        )
        yield* Deferred.await(holding)
        while ((yield* listener.connections) < 1) yield* Effect.sleep("5 millis")
        const exit = yield* Effect.exit(Effect.scoped(dial(port)))
        assert.isTrue(Exit.isFailure(exit))
        const refused = yield* nextEvent(events, "Refused")
        assert.strictEqual(refused._tag === "Refused" && refused.reason, "too many connections (1)")
        yield* Fiber.interrupt(idle)
        // The slot is free again once the idle peer is gone (its handshake times out or it closes).
        while ((yield* listener.connections) > 0) yield* Effect.sleep("10 millis")
        yield* roundTrip(port, 4)
      }).pipe(Effect.provide(CryptoBackend.layerNoble)),
    20_000
  )

  it.live(
    "events carry the cause: the handshake error's fields, the handler's failure, none when it returned",
    () =>
      Effect.gen(function* () {
        const errorOf = (cause: Cause.Cause<unknown> | undefined) =>
          cause === undefined ? undefined : Option.getOrUndefined(Cause.findErrorOption(cause))
        // The handler echoes one message and returns; a second peer makes it fail by closing first.
        const { listener, events } = yield* startListener({}, (peer) =>
          Effect.flatMap(peer.connection.read, ([, message]) => peer.connection.write(message))
        )
        const port = listener.address.port

        yield* Effect.scoped(
          Effect.gen(function* () {
            const tcp = yield* Tcp.connect({ host: "127.0.0.1", port })
            yield* tcp.socket.write(Uint8Array.from([0, 1, 42]))
            yield* tcp.socket.read.pipe(Effect.ignore)
          })
        )
        const failed = yield* nextEvent(events, "HandshakeFailed")
        const decodeError = failed._tag === "HandshakeFailed" ? errorOf(failed.cause) : undefined
        assert.deepInclude(decodeError, { _tag: "DecodeError", reason: "NotEnoughBytes" })

        yield* roundTrip1(port)
        const returned = yield* nextEvent(events, "Closed")
        assert.isTrue(returned._tag === "Closed" && returned.cause === undefined)

        yield* Effect.scoped(dial(port))
        const closed = yield* nextEvent(events, "Closed")
        const closedError = closed._tag === "Closed" ? errorOf(closed.cause) : undefined
        assert.deepInclude(closedError, { _tag: "ConnectionClosed" })
      }).pipe(Effect.provide(CryptoBackend.layerNoble)),
    20_000
  )

  // Options are checked before any socket: a bad value is the caller's error, not a peer's.
  const badOptions: ReadonlyArray<
    readonly [string, { readonly expectedPow?: number; readonly supported?: Negotiation.Supported }, string]
  > = [
    ["expectedPow above 256", { expectedPow: 257 }, "InvalidDifficulty"],
    ["expectedPow NaN", { expectedPow: Number.NaN }, "InvalidDifficulty"],
    ["negative expectedPow", { expectedPow: -1 }, "InvalidDifficulty"],
    ["no p2p version", { supported: { ...supported, p2pVersions: [] } }, "InvalidVersions"],
    [
      "a distributed-db version past uint16",
      { supported: { ...supported, distributedDbVersions: [65536] } },
      "InvalidVersions"
    ],
    ["a fractional version", { supported: { ...supported, p2pVersions: [0.5] } }, "InvalidVersions"]
  ]
  for (const [name, bad, tag] of badOptions) {
    it.live(`${name}: Listener.make and Dialer.connect fail with ${tag} before opening a socket`, () =>
      Effect.gen(function* () {
        const identity = yield* Identity.generate({ difficulty: 0 })
        // A port we hold, so that binding it would fail with EADDRINUSE, not the options' error.
        const holder = yield* Tcp.listen({ port: 0, host: "127.0.0.1" })
        const { port } = holder.address
        const listening = yield* Effect.flip(
          Listener.make({ ...common, ...bad, identity, port, host: "127.0.0.1" }, () => Effect.void)
        )
        assert.strictEqual(listening._tag, tag)
        // Nothing listens on port 1: dialling would fail with a TcpError.
        const dialling = yield* Effect.flip(Dialer.connect({ ...common, ...bad, identity, host: "127.0.0.1", port: 1 }))
        assert.strictEqual(dialling._tag, tag)
      }).pipe(Effect.scoped, Effect.provide(CryptoBackend.layerNoble))
    )
  }
})
