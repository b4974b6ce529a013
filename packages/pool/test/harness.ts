/**
 * A small network of pools on the in-memory transport, for the scenario tests: pre-generated
 * identities (proof-of-work difficulty 0, real keys), an application protocol of two messages, and
 * helpers to wait for events without timing.
 */
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Metadata from "@effect-p2p/session/Metadata"
import * as Negotiation from "@effect-p2p/session/Negotiation"
import * as Session from "@effect-p2p/session/Session"
import { Effect, Schema, type Scope, Stream } from "effect"
import * as Limits from "../src/Limits.ts"
import type * as MemoryNetwork from "../src/MemoryNetwork.ts"
import * as Pool from "../src/Pool.ts"
import * as PoolMessage from "../src/PoolMessage.ts"
import * as Transport from "../src/Transport.ts"

export const App = Schema.Union([
  Schema.TaggedStruct("Ping", { n: Schema.Int.annotate(Encoding.binary(Encoding.uint16)) }).annotate(
    Encoding.binary({ tag: 0x10 })
  ),
  Schema.TaggedStruct("Chat", { text: Schema.String }).annotate(Encoding.binary({ tag: 0x12 }))
]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))
export type App = typeof App.Type

export const supported: Negotiation.Supported = {
  chainName: "SANDBOXED_TEZOS",
  distributedDbVersions: Negotiation.octezDistributedDbVersions,
  p2pVersions: Negotiation.octezP2pVersions
}

/** Identities generated once per test file (difficulty 0: real keys, no proof-of-work search). */
export const identities = (n: number): ReadonlyArray<Identity.Identity> =>
  Effect.runSync(
    Effect.forEach(Array.from({ length: n }), () => Identity.generate({ difficulty: 0 })).pipe(
      Effect.provide(CryptoBackend.layerNoble)
    )
  )

export const host = (i: number) => `10.0.0.${i + 1}`
export const point = (i: number) => `${host(i)}:9732`

export type TestPool = Pool.Pool<App>

/** A pool listening on `host(i):9732`. */
export const startPool = (
  network: MemoryNetwork.MemoryNetwork,
  identity: Identity.Identity,
  i: number,
  overrides: Partial<Pool.Options<App>> = {}
): Effect.Effect<TestPool, unknown, CryptoBackend.CryptoBackend | Scope.Scope> =>
  Pool.make<App>({
    identity,
    supported,
    messages: App,
    listen: { host: host(i), port: 9732 },
    limits: Limits.defaults,
    ...overrides
  }).pipe(Effect.provideService(Transport.Transport, network.transport(host(i))))

/** Waits for the first event matching `predicate` on a stream subscribed beforehand. */
export const waitFor = (events: Stream.Stream<Pool.Event>, predicate: (event: Pool.Event) => boolean) =>
  Stream.runHead(Stream.filter(events, predicate)).pipe(Effect.map((o) => (o._tag === "Some" ? o.value : undefined)))

/** Yields to other fibers until `check` holds (at most `rounds` times); fails the test otherwise. */
export const until = <E, R>(check: Effect.Effect<boolean, E, R>, rounds = 10_000) =>
  Effect.gen(function* () {
    for (let i = 0; i < rounds; i++) {
      if (yield* check) return
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error("condition never held"))
  })

/**
 * A hand-driven peer: dials `target` from `from`, authenticates and accepts with the session alone,
 * so a test can send what a pool never would (101 points, Bootstrap storms, raw bytes).
 */
export const rawPeer = (
  network: MemoryNetwork.MemoryNetwork,
  identity: Identity.Identity,
  from: string,
  target: Transport.Address,
  listeningPort = 9732
) =>
  Effect.gen(function* () {
    const connected = yield* network.transport(from).dial(target)
    const [info, auth] = yield* Session.authenticate({
      socket: connected.socket,
      identity,
      incoming: false,
      remote: { address: target.host, port: target.port },
      listeningPort,
      expectedPow: 0,
      version: Negotiation.announced(supported),
      metadata: { disableMempool: false, privateNode: false },
      metadataEncoding: Metadata.octez
    })
    const connection = yield* Session.accept(auth, { messageEncoding: PoolMessage.encoding(App) })
    return { info, connection, connected }
  })
