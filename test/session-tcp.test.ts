/**
 * Octez's `test_p2p_socket` scenarios (and the tezt self-connection cases) over real TCP loopback,
 * each asserting the exact tagged error on both ends. Asymmetric scenarios run twice: with the
 * acting side (the one that nacks, closes, garbles or demands more proof of work) as the listener
 * and as the dialler.
 */

import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import type { Connection } from "@effect-p2p/connection/Connection"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Rejection from "@effect-p2p/session/Rejection"
import * as Session from "@effect-p2p/session/Session"
import { Cause, Effect, Exit, Option, Queue, type Scope } from "effect"

type Party<A, E> = (
  socket: ByteSocket.ByteSocket,
  incoming: boolean,
  port: number
) => Effect.Effect<A, E, Scope.Scope | CryptoBackend.CryptoBackend>

const host = "127.0.0.1"
const version = { chainName: "SANDBOXED_TEZOS", distributedDbVersion: 1, p2pVersion: 1 }

/** The tag of a failed exit (`"Success"` if it succeeded, `"Die"`/`"Interrupt"` for those). */
const tagOf = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "Success"
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isSome(error)) return (error.value as { _tag: string })._tag
  return Cause.hasInterrupts(exit.cause) ? "Interrupt" : "Die"
}

const errorOf = <E>(exit: Exit.Exit<unknown, E>): E => {
  if (Exit.isFailure(exit)) {
    const error = Cause.findErrorOption(exit.cause)
    if (Option.isSome(error)) return error.value
  }
  throw new Error(`expected a failure, got ${tagOf(exit)}`)
}

/** A listener whose every accepted connection is handled by `server`; their exits are queued. */
const listen = <A, E>(server: Party<A, E>) =>
  Effect.gen(function* () {
    const listener = yield* NodeSocketServer.make({ port: 0, host })
    const address = listener.address
    if (address._tag === "UnixPathAddress") throw new Error("expected a TCP address")
    const exits = yield* Queue.unbounded<Exit.Exit<A, unknown>>()
    yield* Effect.forkScoped(
      listener.run((raw) =>
        Effect.scoped(Effect.flatMap(ByteSocket.fromSocket(raw), (socket) => server(socket, true, address.port))).pipe(
          Effect.exit,
          Effect.flatMap((exit) => Queue.offer(exits, exit))
        )
      )
    )
    return { port: address.port, next: Queue.take(exits) }
  })

const dial = <B, EB>(port: number, client: Party<B, EB>) =>
  Effect.scoped(
    Effect.flatMap(
      Effect.flatMap(NodeSocket.makeNet({ host, port, openTimeout: "2 seconds" }), ByteSocket.fromSocket),
      (socket) => client(socket, false, port)
    )
  ).pipe(Effect.exit)

/** Runs one connection between a listener running `server` and a dialler running `client`. */
const session = <A, EA, B, EB>(server: Party<A, EA>, client: Party<B, EB>) =>
  Effect.gen(function* () {
    const { port, next } = yield* listen(server)
    const clientExit = yield* dial(port, client)
    const serverExit = yield* next
    return { server: serverExit, client: clientExit }
  }).pipe(Effect.scoped)

const identity = (difficulty = 0) => Identity.generate({ difficulty })

const authenticate = (
  socket: ByteSocket.ByteSocket,
  incoming: boolean,
  port: number,
  me: Identity.Identity,
  overrides: Partial<Session.AuthenticateOptions<void>> = {}
) =>
  Session.authenticate({
    socket,
    identity: me,
    incoming,
    remote: { address: host, port: incoming ? 0 : port },
    listeningPort: incoming ? port : undefined,
    expectedPow: 0,
    version,
    metadata: undefined,
    metadataEncoding: Encoding.empty,
    timeout: "5 seconds",
    ...overrides
  })

/** Authenticates and accepts with `Encoding.bytes`. */
const connect = (
  socket: ByteSocket.ByteSocket,
  incoming: boolean,
  port: number,
  me: Identity.Identity,
  connection: Partial<Session.AcceptOptions<Uint8Array>> = {}
) =>
  Effect.flatMap(authenticate(socket, incoming, port, me), ([, auth]) =>
    Session.accept(auth, { messageEncoding: Encoding.bytes, ...connection })
  )

const randomBytes = (n: number) => CryptoBackend.noble.randomBytes(n)

const exchange =
  (me: Identity.Identity, size: number, binaryChunksSize?: number): Party<readonly [Uint8Array, Uint8Array], unknown> =>
  (socket, incoming, port) =>
    Effect.gen(function* () {
      const connection: Connection<Uint8Array> = yield* connect(
        socket,
        incoming,
        port,
        me,
        binaryChunksSize === undefined ? {} : { binaryChunksSize }
      )
      const mine = randomBytes(size)
      yield* connection.writeSync(mine)
      const [, theirs] = yield* connection.read
      yield* connection.close({ wait: true })
      return [mine, theirs] as const
    })

const roles = [
  { name: "listener acts", actorIsServer: true },
  { name: "dialler acts", actorIsServer: false }
] as const

/** Runs `actor` on the listener or the dialler, and `other` on the remaining side. */
const asymmetric = <A, EA, B, EB>(
  actorIsServer: boolean,
  actor: Party<A, EA>,
  other: Party<B, EB>
): Effect.Effect<
  { readonly actor: Exit.Exit<A, unknown>; readonly other: Exit.Exit<B, unknown> },
  unknown,
  CryptoBackend.CryptoBackend
> =>
  actorIsServer
    ? Effect.map(session(actor, other), ({ client, server }) => ({ actor: server, other: client }))
    : Effect.map(session(other, actor), ({ client, server }) => ({ actor: client, other: server }))

const live = (name: string, body: () => Effect.Effect<void, unknown, CryptoBackend.CryptoBackend | Scope.Scope>) =>
  it.live(name, () => body().pipe(Effect.provide(CryptoBackend.layerNoble)), 30_000)

describe("session over TCP loopback (Octez test_p2p_socket)", () => {
  for (const { name, actorIsServer } of roles) {
    live(`low-level (${name}): 16 raw bytes arrive exactly`, () =>
      Effect.gen(function* () {
        const payload = randomBytes(16)
        const { actor, other } = yield* asymmetric(
          actorIsServer,
          (socket) => Effect.flatMap(socket.write(payload), () => ByteReader.make(socket).readExactly(1)),
          (socket) => Effect.tap(ByteReader.make(socket).readExactly(16), () => socket.write(new Uint8Array([1])))
        )
        assert.isTrue(Exit.isSuccess(actor))
        assert.deepStrictEqual(Exit.isSuccess(other) ? other.value : undefined, payload)
      })
    )

    live(`pow (${name}): NotEnoughProofOfWork on the demanding side, ConnectionClosed on the other`, () =>
      Effect.gen(function* () {
        const [weak, strict] = [yield* identity(0), yield* identity(0)]
        const { actor, other } = yield* asymmetric(
          actorIsServer,
          (socket, incoming, port) => authenticate(socket, incoming, port, strict, { expectedPow: 100 }),
          (socket, incoming, port) => authenticate(socket, incoming, port, weak)
        )
        assert.strictEqual(tagOf(actor), "NotEnoughProofOfWork")
        assert.strictEqual(tagOf(other), "ConnectionClosed")
      })
    )

    live(`nacked (${name}): accept fails with RejectedByNack carrying the motive and points`, () =>
      Effect.gen(function* () {
        const [a, b] = [yield* identity(), yield* identity()]
        const { actor, other } = yield* asymmetric(
          actorIsServer,
          (socket, incoming, port) =>
            Effect.gen(function* () {
              const [info, auth] = yield* authenticate(socket, incoming, port, a)
              assert.strictEqual(info.incoming, incoming)
              assert.isTrue(info.peerId.every((byte, i) => byte === b.peerId[i]))
              yield* Session.nack(auth, { motive: Rejection.TooManyConnections, alternativePoints: ["10.0.0.7:9732"] })
            }),
          (socket, incoming, port) => connect(socket, incoming, port, b)
        )
        assert.isTrue(Exit.isSuccess(actor))
        assert.strictEqual(tagOf(other), "RejectedByNack")
        const error = errorOf(other) as {
          motive: Rejection.Received
          alternativePoints: Option.Option<ReadonlyArray<string>>
        }
        assert.strictEqual(error.motive, Rejection.TooManyConnections)
        assert.deepStrictEqual(error.alternativePoints, Option.some(["10.0.0.7:9732"]))
      })
    )

    live(`close-on-read (${name}): a pending read fails with ConnectionClosed`, () =>
      Effect.gen(function* () {
        const [a, b] = [yield* identity(), yield* identity()]
        const { actor, other } = yield* asymmetric(
          actorIsServer,
          (socket, incoming, port) => Effect.flatMap(connect(socket, incoming, port, a), (c) => c.close()),
          (socket, incoming, port) => Effect.flatMap(connect(socket, incoming, port, b), (c) => c.read)
        )
        assert.isTrue(Exit.isSuccess(actor))
        assert.strictEqual(tagOf(other), "ConnectionClosed")
      })
    )

    live(`close-on-write (${name}): a write after the peer closed fails with ConnectionClosed`, () =>
      Effect.gen(function* () {
        const [a, b] = [yield* identity(), yield* identity()]
        const { actor, other } = yield* asymmetric(
          actorIsServer,
          (socket, incoming, port) => Effect.flatMap(connect(socket, incoming, port, a), (c) => c.close()),
          (socket, incoming, port) =>
            Effect.flatMap(connect(socket, incoming, port, b), (c) =>
              Effect.andThen(Effect.sleep("100 millis"), c.writeSync(randomBytes(16)))
            )
        )
        assert.isTrue(Exit.isSuccess(actor))
        assert.strictEqual(tagOf(other), "ConnectionClosed")
      })
    )

    live(`garbled-data (${name}): DecodeError for the reader, then ConnectionClosed for the writer`, () =>
      Effect.gen(function* () {
        const [a, b] = [yield* identity(), yield* identity()]
        // Octez's encoding: dynamic_size(option(string)); the body's option tag 0x07 does not exist.
        const strict = Encoding.dynamicSize(Encoding.option(Encoding.string))
        const { actor, other } = yield* asymmetric(
          actorIsServer,
          (socket, incoming, port) =>
            Effect.gen(function* () {
              const connection = yield* connect(socket, incoming, port, a)
              yield* connection.writeEncodedSync(new Uint8Array([0, 0, 0, 12, 7, ...randomBytes(11)]))
              return yield* connection.read
            }),
          (socket, incoming, port) =>
            Effect.flatMap(authenticate(socket, incoming, port, b), ([, auth]) =>
              Effect.flatMap(Session.accept(auth, { messageEncoding: strict }), (c) => c.read)
            )
        )
        assert.strictEqual(tagOf(other), "DecodeError")
        assert.strictEqual(tagOf(actor), "ConnectionClosed")
      })
    )
  }

  const messageCases = [
    { name: "simple-message", size: 16, binaryChunksSize: undefined },
    { name: "chunked-message", size: 256, binaryChunksSize: 21 },
    { name: "oversized-message", size: 128 * 1024, binaryChunksSize: undefined }
  ] as const
  for (const { binaryChunksSize, name, size } of messageCases) {
    live(`${name}: both accept, each reads exactly what the other wrote`, () =>
      Effect.gen(function* () {
        const [a, b] = [yield* identity(), yield* identity()]
        const { client, server } = yield* session(
          exchange(a, size, binaryChunksSize),
          exchange(b, size, binaryChunksSize)
        )
        assert.isTrue(Exit.isSuccess(client) && Exit.isSuccess(server), `${tagOf(client)} / ${tagOf(server)}`)
        if (Exit.isSuccess(client) && Exit.isSuccess(server)) {
          assert.deepStrictEqual(client.value[1], server.value[0])
          assert.deepStrictEqual(server.value[1], client.value[0])
          assert.strictEqual(client.value[1].length, size)
        }
      })
    )
  }

  live("self peer id: a client with the server's public key but its own secret key is refused, never Myself", () =>
    Effect.gen(function* () {
      const [server, client] = [yield* identity(), yield* identity()]
      const impostor: Identity.Identity = { ...server, secretKey: client.secretKey }
      const result = yield* session(
        (socket, incoming, port) => authenticate(socket, incoming, port, server),
        (socket, incoming, port) => authenticate(socket, incoming, port, impostor)
      )
      assert.include(["DecipherError", "NotEnoughProofOfWork"], tagOf(result.server))
      assert.notInclude(["Success", "Myself"], tagOf(result.client))
    })
  )

  live("self connection message: replaying the server's own connection message gives DecipherError", () =>
    Effect.gen(function* () {
      const [server, client] = [yield* identity(), yield* identity()]
      const { port, next } = yield* listen((socket, incoming, port) => authenticate(socket, incoming, port, server))
      // First connection: record the server's framed connection message, then hang up.
      const recorded = yield* dial(port, (socket) =>
        Effect.gen(function* () {
          const reader = ByteReader.make(socket)
          const header = yield* reader.readExactly(2)
          const body = yield* reader.readExactly((header[0]! << 8) | header[1]!)
          return new Uint8Array([...header, ...body])
        })
      )
      assert.strictEqual(tagOf(yield* next), "ConnectionClosed")
      assert.isTrue(Exit.isSuccess(recorded))
      if (!Exit.isSuccess(recorded)) return
      // Second connection: present it as ours, then send a metadata chunk sealed with our own key.
      yield* dial(port, (socket) =>
        Effect.gen(function* () {
          yield* socket.write(recorded.value)
          const reader = ByteReader.make(socket)
          const header = yield* reader.readExactly(2)
          yield* reader.readExactly((header[0]! << 8) | header[1]!)
          const key = CryptoBackend.noble.precompute(client.secretKey, server.publicKey)!
          const boxed = CryptoBackend.noble.seal(key, new Uint8Array(24), new Uint8Array(0))
          yield* socket.write(new Uint8Array([0, boxed.length, ...boxed]))
          return yield* reader.readExactly(1)
        })
      )
      assert.strictEqual(tagOf(yield* next), "DecipherError")
    }).pipe(Effect.scoped)
  )

  live("Myself: an identity dialling its own listener is detected on both ends", () =>
    Effect.gen(function* () {
      const me = yield* identity()
      const result = yield* session(
        (socket, incoming, port) => authenticate(socket, incoming, port, me),
        (socket, incoming, port) => authenticate(socket, incoming, port, me)
      )
      assert.strictEqual(tagOf(result.server), "Myself")
      assert.strictEqual(tagOf(result.client), "Myself")
      const client = errorOf(result.client) as { point: { address: string; port: Option.Option<number> } }
      assert.strictEqual(client.point.address, host)
      assert.isTrue(Option.isSome(client.point.port))
    })
  )
})
