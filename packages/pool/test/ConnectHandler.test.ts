/**
 * The connect handler on the in-memory network, real handshakes and crypto: accept, a Nack with a
 * motive and alternative points, a bare Nack, a refusal without a byte, the default version check,
 * the application's policy, the authentication timeout (TestClock), and the settings' validation.
 */
import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Metadata from "@effect-p2p/session/Metadata"
import type * as Negotiation from "@effect-p2p/session/Negotiation"
import * as Rejection from "@effect-p2p/session/Rejection"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Result } from "effect"
import { TestClock } from "effect/testing"
import * as ConnectHandler from "../src/ConnectHandler.ts"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import { PeerBanned } from "../src/PoolError.ts"
import * as PoolMessage from "../src/PoolMessage.ts"
import type * as Transport from "../src/Transport.ts"
import { App, identities, supported } from "./harness.ts"

const ids = identities(3)
const withCrypto = Effect.provide(CryptoBackend.layerNoble)
const server: Transport.Address = { host: "10.0.0.1", port: 9732 }
const messages = PoolMessage.encoding(App)

const settings = (
  i: number,
  overrides: Partial<ConnectHandler.Settings<Metadata.OctezMetadata, PoolMessage.PoolMessage<App>>> = {}
) =>
  Result.getOrThrow(
    ConnectHandler.make({
      identity: ids[i]!,
      expectedPow: 0,
      supported,
      metadata: { disableMempool: false, privateNode: false },
      metadataEncoding: Metadata.octez,
      messageEncoding: messages,
      ...overrides
    })
  )

type Handler = ConnectHandler.ConnectHandler<Metadata.OctezMetadata, PoolMessage.PoolMessage<App>>
type Role<E> = ConnectHandler.Role<Metadata.OctezMetadata, E, never>
type Recorded = Array<string>

const describeEvent = (event: ConnectHandler.Event<Metadata.OctezMetadata>): string => {
  switch (event._tag) {
    case "AuthenticationFailed":
      return `AuthenticationFailed:${Option.match(Cause.findErrorOption(event.cause), { onNone: () => "Defect", onSome: (e) => e._tag })}`
    case "Rejecting":
      return `Rejecting:${event.motive}`
    case "Accepting":
      return `Accepting:${event.version.distributedDbVersion}.${event.version.p2pVersion}`
    case "RequestRejected":
      return `RequestRejected:${event.error._tag}`
  }
}

const recording = (log: Recorded) => (event: ConnectHandler.Event<Metadata.OctezMetadata>) =>
  Effect.sync(() => {
    log.push(describeEvent(event))
  })

/**
 * Listens on 10.0.0.1:9732 and runs `handler` (incoming) on the first connection; the exit comes
 * back through the deferred. An accepted connection reads one message and returns it.
 */
const listen = <E = never>(network: MemoryNetwork.MemoryNetwork, handler: Handler, role: Role<E>) =>
  Effect.gen(function* () {
    const result = yield* Deferred.make<Exit.Exit<PoolMessage.PoolMessage<App>, unknown>>()
    const listening = yield* network.transport(server.host).listen(server)
    yield* Effect.forkScoped(
      listening.run((connected) =>
        handler.run(connected, role).pipe(
          Effect.flatMap(({ connection }) => Effect.map(connection.read, ([, message]) => message)),
          Effect.exit,
          Effect.flatMap((exit) => Deferred.succeed(result, exit)),
          Effect.asVoid
        )
      )
    )
    return result
  })

/** Dials 10.0.0.1:9732 from 10.0.0.2 and runs `handler` (outgoing). */
const dial = <E = never>(network: MemoryNetwork.MemoryNetwork, handler: Handler, role: Role<E>) =>
  Effect.gen(function* () {
    const connected = yield* network.transport("10.0.0.2").dial(server)
    return yield* handler.run(connected, role)
  })

/** The typed error of a failed exit. */
const errorOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined

const failureTag = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "Success"
  const error = errorOf(exit) as { readonly _tag?: string } | undefined
  return error?._tag ?? "Defect"
}

describe("ConnectHandler (in memory)", () => {
  it.effect("accept: both sides authenticate, select the greatest common versions, Ack and talk", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const serverLog: Recorded = []
      const clientLog: Recorded = []
      const result = yield* listen(network, settings(0), {
        incoming: true,
        listeningPort: 9732,
        onEvent: recording(serverLog)
      })
      const older: Negotiation.Supported = { ...supported, distributedDbVersions: [0, 1] }
      const client = yield* dial(network, settings(1, { supported: older }), {
        incoming: false,
        onEvent: recording(clientLog)
      })
      assert.deepStrictEqual(client.version, { chainName: supported.chainName, distributedDbVersion: 1, p2pVersion: 1 })
      assert.strictEqual(PeerId.toBase58(client.info.peerId), PeerId.toBase58(ids[0]!.peerId))
      yield* client.connection.write(PoolMessage.message({ _tag: "Ping", n: 7 }))
      const exit = yield* Deferred.await(result)
      assert.deepStrictEqual(exit, Exit.succeed(PoolMessage.message({ _tag: "Ping", n: 7 })))
      assert.deepStrictEqual(serverLog, ["Accepting:1.1"])
      assert.deepStrictEqual(clientLog, ["Accepting:1.1"])
    }).pipe(Effect.scoped, withCrypto)
  )

  it.effect("a check's Reject: a Nack with the motive and the caller's alternative points, then Rejected", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const serverLog: Recorded = []
      const clientLog: Recorded = []
      let policyAsked = 0
      const result = yield* listen(
        network,
        settings(0, {
          policy: () =>
            Effect.sync(() => {
              policyAsked++
              return { _tag: "Accept" } as const
            })
        }),
        {
          incoming: true,
          check: () => Effect.succeed({ _tag: "Reject", motive: Rejection.TooManyConnections } as const),
          alternativePoints: Effect.succeed(["10.0.0.7:9732", "10.0.0.8:9732"]),
          onEvent: recording(serverLog)
        }
      )
      const error = yield* Effect.flip(dial(network, settings(1), { incoming: false, onEvent: recording(clientLog) }))
      assert.strictEqual(error._tag, "RejectedByNack")
      if (error._tag === "RejectedByNack") {
        assert.strictEqual(error.motive, Rejection.TooManyConnections)
        assert.deepStrictEqual(Option.getOrThrow(error.alternativePoints), ["10.0.0.7:9732", "10.0.0.8:9732"])
      }
      const exit = yield* Deferred.await(result)
      assert.strictEqual(failureTag(exit), "Rejected")
      const rejected = errorOf(exit) as { motive: unknown; peerId: string }
      assert.strictEqual(rejected.motive, Rejection.TooManyConnections)
      assert.strictEqual(rejected.peerId, PeerId.toBase58(ids[1]!.peerId))
      assert.strictEqual(policyAsked, 0, "the policy runs only after the checks accepted")
      assert.deepStrictEqual(serverLog, ["Rejecting:TooManyConnections"])
      assert.deepStrictEqual(clientLog, ["Accepting:2.1", "RequestRejected:RejectedByNack"])
    }).pipe(Effect.scoped, withCrypto)
  )

  it.effect("the default check selects the version: another chain is nacked with UnknownChainName", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const result = yield* listen(network, settings(0), { incoming: true })
      const other = settings(1, { supported: { ...supported, chainName: "OTHER_CHAIN" } })
      // The dialler accepts whatever it hears, so that the listener's default check is what answers.
      const error = yield* Effect.flip(
        dial(network, other, {
          incoming: false,
          check: (info) => Effect.succeed({ _tag: "Accept", version: info.announcedVersion } as const)
        })
      )
      assert.strictEqual(error._tag, "RejectedByNack")
      if (error._tag === "RejectedByNack") assert.strictEqual(error.motive, Rejection.UnknownChainName)
      assert.strictEqual(failureTag(yield* Deferred.await(result)), "Rejected")
    }).pipe(Effect.scoped, withCrypto)
  )

  it.effect("the policy decides after the checks, on the peer's metadata: its motive goes in the Nack", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const steps: Array<string> = []
      const handler = settings(0, {
        policy: (info) =>
          Effect.sync(() => {
            steps.push("policy")
            return info.remoteMetadata.disableMempool
              ? ({ _tag: "Reject", motive: Rejection.UnknownChainName } as const)
              : ({ _tag: "Accept" } as const)
          })
      })
      const role: Role<never> = {
        incoming: true,
        check: (info) =>
          Effect.sync(() => {
            steps.push("check")
            return ConnectHandler.selectVersion(supported, info.announcedVersion)
          }),
        alternativePoints: Effect.succeed(["10.0.0.9:9732"])
      }
      const result = yield* listen(network, handler, role)
      const picky = settings(1, { metadata: { disableMempool: true, privateNode: false } })
      const error = yield* Effect.flip(dial(network, picky, { incoming: false }))
      assert.strictEqual(error._tag, "RejectedByNack")
      if (error._tag === "RejectedByNack") {
        assert.strictEqual(error.motive, Rejection.UnknownChainName)
        assert.deepStrictEqual(Option.getOrThrow(error.alternativePoints), ["10.0.0.9:9732"])
      }
      assert.strictEqual(failureTag(yield* Deferred.await(result)), "Rejected")
      assert.deepStrictEqual(steps, ["check", "policy"])
    }).pipe(Effect.scoped, withCrypto)
  )

  it.effect("a Refuse with a Nack sends a bare Nack (no motive, no points) and fails with the check's error", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const serverLog: Recorded = []
      const refused = new PeerBanned({ peerId: PeerId.toBase58(ids[1]!.peerId) })
      const result = yield* listen(network, settings(0), {
        incoming: true,
        check: () => Effect.succeed({ _tag: "Refuse", error: refused, nack: true } as const),
        alternativePoints: Effect.succeed(["10.0.0.9:9732"]),
        onEvent: recording(serverLog)
      })
      const error = yield* Effect.flip(dial(network, settings(1), { incoming: false }))
      assert.strictEqual(error._tag, "RejectedByNack")
      if (error._tag === "RejectedByNack") {
        assert.strictEqual(error.motive, Rejection.NoMotive)
        assert.deepStrictEqual(Option.getOrThrow(error.alternativePoints), [])
      }
      const exit = yield* Deferred.await(result)
      assert.deepStrictEqual(errorOf(exit), refused)
      assert.deepStrictEqual(serverLog, [], "no Rejecting event for a refusal")
    }).pipe(Effect.scoped, withCrypto)
  )

  it.effect("a Refuse without a Nack drops the socket: the dialler sees the connection closed, no Nack", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const refused = new PeerBanned({ peerId: PeerId.toBase58(ids[1]!.peerId) })
      const result = yield* listen(network, settings(0), {
        incoming: true,
        check: () => Effect.succeed({ _tag: "Refuse", error: refused, nack: false } as const)
      })
      const error = yield* Effect.flip(dial(network, settings(1), { incoming: false }))
      assert.notStrictEqual(error._tag, "RejectedByNack")
      assert.strictEqual(error._tag, "ConnectionClosed")
      assert.deepStrictEqual(errorOf(yield* Deferred.await(result)), refused)
    }).pipe(Effect.scoped, withCrypto)
  )

  it.effect("a silent peer fails authentication at the timeout, not before (TestClock)", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const serverLog: Recorded = []
      const result = yield* listen(network, settings(0), {
        incoming: true,
        timeout: "5 seconds",
        onEvent: recording(serverLog)
      })
      // Connects and says nothing.
      yield* network.transport("10.0.0.2").dial(server)
      const waiting = yield* Effect.forkChild(Deferred.await(result))
      yield* TestClock.adjust("4999 millis")
      assert.isFalse(yield* Deferred.isDone(result))
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.join(waiting)
      assert.strictEqual(failureTag(exit), "HandshakeTimeout")
      assert.deepStrictEqual(serverLog, ["AuthenticationFailed:HandshakeTimeout"])
    }).pipe(Effect.scoped, withCrypto)
  )

  it("make refuses bad settings once, before any connection: InvalidDifficulty, InvalidVersions", () => {
    const base = {
      identity: ids[0]!,
      expectedPow: 0,
      supported,
      metadata: { disableMempool: false, privateNode: false },
      metadataEncoding: Metadata.octez,
      messageEncoding: messages
    }
    const pow = ConnectHandler.make({ ...base, expectedPow: 300 })
    assert.isTrue(Result.isFailure(pow) && pow.failure._tag === "InvalidDifficulty")
    const versions = ConnectHandler.make({ ...base, supported: { ...supported, p2pVersions: [] } })
    assert.isTrue(Result.isFailure(versions) && versions.failure._tag === "InvalidVersions")
    assert.isTrue(Result.isSuccess(ConnectHandler.make(base)))
  })
})
