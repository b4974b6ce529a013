/**
 * A session over real TCP loopback whose messages and metadata are plain Effect Schemas (no
 * `Encoding` written by hand): `read` yields the schema's Type (pinned by type expectations, checked by
 * `tsc -b`), a value failing the schema's checks is refused on write with nothing sent, and bytes from
 * a peer that decode but fail the checks give `DecodeError`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Dialer from "@effect-p2p/node/Dialer"
import * as Listener from "@effect-p2p/node/Listener"
import type * as TcpSession from "@effect-p2p/node/TcpSession"
import { Deferred, Effect, Exit, Schema } from "effect"
import { expectTypeOf } from "vitest"

const Messages = Schema.Union([
  Schema.TaggedStruct("Hello", { name: Schema.String.check(Schema.isMaxLength(8)), tags: Schema.Array(Schema.String) }),
  Schema.TaggedStruct("Count", { n: Schema.Int, at: Schema.Date }),
  Schema.TaggedStruct("Bye", {})
])
type Messages = typeof Messages.Type

// the same wire layout without the name's check, to send what `Messages` refuses
const Loose = Schema.Union([
  Schema.TaggedStruct("Hello", { name: Schema.String, tags: Schema.Array(Schema.String) }),
  Schema.TaggedStruct("Count", { n: Schema.Int, at: Schema.Date }),
  Schema.TaggedStruct("Bye", {})
])

const Meta = Schema.Struct({ nickname: Schema.String, version: Schema.Int })

const supported = { chainName: "SCHEMA_CHAIN", distributedDbVersions: [1], p2pVersions: [1] } as const

const common = {
  expectedPow: 0,
  supported,
  metadataEncoding: Meta,
  timeout: "5 seconds"
} as const

describe("a session whose messages and metadata are Schemas", () => {
  it.live("exchanges typed messages over TCP, read typed by inference", () =>
    Effect.gen(function* () {
      const serverIdentity = yield* Identity.generate({ difficulty: 0 })
      const received = yield* Deferred.make<ReadonlyArray<Messages>>()
      const listener = yield* Listener.make(
        {
          ...common,
          identity: serverIdentity,
          metadata: { nickname: "server", version: 1 },
          messageEncoding: Messages,
          port: 0,
          host: "127.0.0.1"
        },
        (peer) =>
          Effect.gen(function* () {
            expectTypeOf(peer.info.remoteMetadata).toEqualTypeOf<{
              readonly nickname: string
              readonly version: number
            }>()
            const got: Array<Messages> = []
            while (true) {
              const [, message] = yield* peer.connection.read
              expectTypeOf(message).toEqualTypeOf<Messages>()
              got.push(message)
              // narrowing on _tag
              if (message._tag === "Hello") {
                expectTypeOf(message.tags).toEqualTypeOf<ReadonlyArray<string>>()
                yield* peer.connection.write({ _tag: "Hello", name: message.name.toUpperCase(), tags: [] })
              } else if (message._tag === "Count") {
                expectTypeOf(message.at).toEqualTypeOf<Date>()
                yield* peer.connection.write({ _tag: "Count", n: message.n + 1, at: message.at })
              } else {
                yield* Deferred.succeed(received, got)
                return
              }
            }
          })
      )
      const clientIdentity = yield* Identity.generate({ difficulty: 0 })
      yield* Effect.scoped(
        Effect.gen(function* () {
          const peer = yield* Dialer.connect({
            ...common,
            identity: clientIdentity,
            metadata: { nickname: "client", version: 2 },
            messageEncoding: Messages,
            host: "127.0.0.1",
            port: listener.address.port
          })
          expectTypeOf(peer).toEqualTypeOf<TcpSession.Peer<typeof Meta.Type, Messages>>()
          assert.deepStrictEqual(peer.info.remoteMetadata, { nickname: "server", version: 1 })

          yield* peer.connection.write({ _tag: "Hello", name: "ann", tags: ["a", "b"] })
          const [, hello] = yield* peer.connection.read
          assert.deepStrictEqual(hello, { _tag: "Hello", name: "ANN", tags: [] })

          // refused by the schema's check (Int) when written: EncodeError with the issue, nothing sent
          const at = new Date(Date.UTC(2026, 11, 3))
          const refused = yield* Effect.exit(peer.connection.write({ _tag: "Count", n: 1.5, at }))
          assert.isTrue(Exit.isFailure(refused))
          if (Exit.isFailure(refused)) {
            const error = refused.cause.reasons.find((r) => r._tag === "Fail")
            assert.strictEqual(
              error?._tag === "Fail" ? (error.error as { _tag: string })._tag : undefined,
              "EncodeError"
            )
          }
          yield* peer.connection.write({ _tag: "Count", n: 41, at })
          const [, count] = yield* peer.connection.read
          // the next message the server saw was the valid one
          assert.deepStrictEqual(count, { _tag: "Count", n: 42, at })
          yield* peer.connection.write({ _tag: "Bye" })
          const seen = yield* Deferred.await(received)
          assert.deepStrictEqual(
            seen.map((m) => m._tag),
            ["Hello", "Count", "Bye"]
          )
        })
      )
    }).pipe(Effect.scoped, Effect.provide(CryptoBackend.layerNoble))
  )

  it.live("bytes from a peer that decode but fail the schema's checks give DecodeError", () =>
    Effect.gen(function* () {
      const outcome = yield* Deferred.make<string>()
      const listener = yield* Listener.make(
        {
          ...common,
          identity: yield* Identity.generate({ difficulty: 0 }),
          metadata: { nickname: "strict", version: 1 },
          messageEncoding: Messages,
          port: 0,
          host: "127.0.0.1"
        },
        (peer) =>
          peer.connection.read.pipe(
            Effect.flatMap(([, m]) => Deferred.succeed(outcome, `read ${m._tag}`)),
            Effect.catch((e) =>
              Deferred.succeed(
                outcome,
                `${e._tag}${"reason" in e ? ` ${String(e.reason)}` : ""}${"path" in e ? ` at ${e.path.join(".")}` : ""}${
                  "issue" in e && e.issue !== undefined ? " with issue" : ""
                }`
              )
            )
          )
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const peer = yield* Dialer.connect({
            ...common,
            identity: yield* Identity.generate({ difficulty: 0 }),
            metadata: { nickname: "loose", version: 1 },
            messageEncoding: Loose,
            host: "127.0.0.1",
            port: listener.address.port
          })
          yield* peer.connection.write({ _tag: "Hello", name: "a name too long", tags: [] })
          assert.strictEqual(yield* Deferred.await(outcome), "DecodeError InvalidValue at Hello.name with issue")
        })
      )
    }).pipe(Effect.scoped, Effect.provide(CryptoBackend.layerNoble))
  )
})
