import { assert, describe, it } from "@effect/vitest"
import * as Binary from "@effect-p2p/codec/Binary"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Duration, Effect, Exit, Fiber, Option, Random, Result, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as Ack from "../src/Ack.ts"
import * as ConnectionMessage from "../src/ConnectionMessage.ts"
import * as Rejection from "../src/Rejection.ts"
import * as Session from "../src/Session.ts"

const version = { chainName: "SANDBOXED_TEZOS", distributedDbVersion: 1, p2pVersion: 1 }

const options = (
  socket: ByteSocket.ByteSocket,
  incoming: boolean,
  identity: Identity.Identity,
  overrides: Partial<Session.AuthenticateOptions<void>> = {}
): Session.AuthenticateOptions<void> => ({
  socket,
  identity,
  incoming,
  listeningPort: incoming ? 9732 : undefined,
  remote: { address: "127.0.0.1", port: incoming ? 50000 : 9732 },
  expectedPow: 0,
  version,
  metadata: undefined,
  metadataEncoding: Encoding.empty,
  ...overrides
})

/** Authenticates both ends of an in-memory pair concurrently. */
const handshake = (
  left: Partial<Session.AuthenticateOptions<void>> = {},
  right: Partial<Session.AuthenticateOptions<void>> = {}
) =>
  Effect.gen(function* () {
    const [a, b] = ByteSocket.makePair()
    const [ia, ib] = [yield* Identity.generate({ difficulty: 0 }), yield* Identity.generate({ difficulty: 0 })]
    const [[infoA, authA], [infoB, authB]] = yield* Effect.all(
      [Session.authenticate(options(a, false, ia, left)), Session.authenticate(options(b, true, ib, right))],
      { concurrency: 2 }
    )
    return { a, b, ia, ib, infoA, authA, infoB, authB }
  })

const test = (name: string, body: () => Effect.Effect<void, unknown, CryptoBackend.CryptoBackend | Scope.Scope>) =>
  it.effect(name, () => body().pipe(Effect.provide(CryptoBackend.layerNoble)))

/** Reads until the stream ends: how the peer of a closed socket sees the close. */
const endOfStream = (socket: ByteSocket.ByteSocket) => Effect.flip(Effect.forever(socket.read))

const points = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}:9732`)

describe("Session", () => {
  test("both sides learn each other's id, point, version and metadata, and accept", () =>
    Effect.gen(function* () {
      const { authA, authB, ia, ib, infoA, infoB } = yield* handshake()
      assert.deepStrictEqual(infoA.peerId, ib.peerId)
      assert.deepStrictEqual(infoB.peerId, ia.peerId)
      assert.isFalse(infoA.incoming)
      assert.isTrue(infoB.incoming)
      // The dialler knows the port it dialled; the listener learns the port the dialler announced (none).
      assert.deepStrictEqual(infoA.remotePoint, { address: "127.0.0.1", port: Option.some(9732) })
      assert.deepStrictEqual(infoB.remotePoint, { address: "127.0.0.1", port: Option.none() })
      assert.deepStrictEqual(infoA.remoteListeningPort, Option.some(9732))
      assert.deepStrictEqual(infoB.announcedVersion, version)
      const [ca, cb] = yield* Effect.all(
        [
          Session.accept(authA, { messageEncoding: Encoding.string }),
          Session.accept(authB, { messageEncoding: Encoding.string })
        ],
        { concurrency: 2 }
      )
      yield* ca.write("ping")
      assert.deepStrictEqual(yield* cb.read, [8, "ping"])
    }))

  test("the message nonce is 24 draws of Random.nextIntBetween(0, 255), so a seed pins it", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const identity = yield* Identity.generate({ difficulty: 0 })
      // The peer never answers: we only read the connection message `a` sends first.
      yield* Effect.forkScoped(Session.authenticate(options(a, false, identity)).pipe(Random.withSeed("nonce")))
      const sent = yield* ConnectionMessage.read(ByteReader.make(b))
      const expected = yield* Effect.all(Array.from({ length: 24 }, () => Random.nextIntBetween(0, 255))).pipe(
        Random.withSeed("nonce")
      )
      assert.deepStrictEqual([...sent.message.messageNonce], expected)
    }))

  test("stat counts the handshake's wire bytes too, as Octez does", () =>
    Effect.gen(function* () {
      const { authA, authB } = yield* handshake()
      const [ca, cb] = yield* Effect.all(
        [
          Session.accept(authA, { messageEncoding: Encoding.string }),
          Session.accept(authB, { messageEncoding: Encoding.string })
        ],
        { concurrency: 2 }
      )
      // Connection message (92 + chain name), empty metadata chunk (18), Ack chunk (18 + 1).
      const handshakeBytes = 92 + version.chainName.length + 18 + 19
      const [sa, sb] = [yield* ca.stat, yield* cb.stat]
      assert.strictEqual(sa.totalSent, handshakeBytes)
      assert.strictEqual(sa.totalRecv, handshakeBytes)
      assert.strictEqual(sb.totalSent, handshakeBytes)
      yield* ca.writeSync("ping")
      yield* cb.read
      assert.strictEqual((yield* ca.stat).totalSent, handshakeBytes + 18 + 8)
      assert.strictEqual((yield* cb.stat).totalRecv, handshakeBytes + 18 + 8)
    }))

  for (const n of [0, 1, 100]) {
    test(`a Nack with ${n} points round-trips`, () =>
      Effect.gen(function* () {
        const { authA, authB } = yield* handshake()
        const [accepted] = yield* Effect.all(
          [
            Effect.flip(Session.accept(authA, { messageEncoding: Encoding.bytes })),
            Session.nack(authB, { motive: Rejection.AlreadyConnected, alternativePoints: points(n) })
          ],
          { concurrency: 2 }
        )
        assert.strictEqual(accepted._tag, "RejectedByNack")
        if (accepted._tag === "RejectedByNack") {
          assert.strictEqual(accepted.motive, Rejection.AlreadyConnected)
          assert.deepStrictEqual(accepted.alternativePoints, Option.some(points(n)))
        }
      }))
  }

  test("nack keeps at most 100 points and drops points that cannot be encoded", () =>
    Effect.gen(function* () {
      const { authA, authB } = yield* handshake()
      const [accepted] = yield* Effect.all(
        [
          Effect.flip(Session.accept(authA, { messageEncoding: Encoding.bytes })),
          Session.nack(authB, { alternativePoints: ["x".repeat(48), ...points(120)] })
        ],
        { concurrency: 2 }
      )
      assert.strictEqual(accepted._tag, "RejectedByNack")
      if (accepted._tag === "RejectedByNack") {
        assert.deepStrictEqual(accepted.alternativePoints, Option.some(points(100)))
      }
    }))

  test("a peer that announced p2p version 0 gets a Nack_v_0: no motive, no points", () =>
    Effect.gen(function* () {
      const { authA, authB } = yield* handshake({ version: { ...version, p2pVersion: 0 } })
      const [accepted] = yield* Effect.all(
        [
          Effect.flip(Session.accept(authA, { messageEncoding: Encoding.bytes })),
          Session.nack(authB, { motive: Rejection.TooManyConnections, alternativePoints: points(3) })
        ],
        { concurrency: 2 }
      )
      assert.strictEqual(accepted._tag, "RejectedByNack")
      if (accepted._tag === "RejectedByNack") {
        assert.strictEqual(accepted.motive, Rejection.NoMotive)
        assert.deepStrictEqual(accepted.alternativePoints, Option.none())
      }
    }))

  test("the reader rejects a Nack with 101 points", () =>
    Effect.gen(function* () {
      const backend = CryptoBackend.noble
      const key = new Uint8Array(32).fill(7)
      // Encoded without the 100-point bound, as a non-conforming peer would.
      const unbounded = Encoding.struct({
        tag: Encoding.uint8,
        motive: Encoding.int16,
        points: Encoding.list(Encoding.string)
      })
      const plaintext = Result.getOrThrow(Binary.encode(unbounded, { tag: 1, motive: 0, points: points(101) }))
      const boxed = backend.seal(key, new Uint8Array(24), plaintext)
      const { socket } = ByteSocket.fromBytes([new Uint8Array([boxed.length >> 8, boxed.length & 255]), boxed])
      const error = yield* Effect.flip(Ack.read(backend, key, { current: Nonce.zero() }, ByteReader.make(socket)))
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag === "DecodeError") assert.strictEqual(error.reason, "ListTooLong")
    }))

  test("an Ack chunk that does not open fails accept with InvalidAuth and closes the socket", () =>
    Effect.gen(function* () {
      const { a, authA, b } = yield* handshake()
      yield* b.write(new Uint8Array([0, 17, ...new Uint8Array(17)]))
      const error = yield* Effect.flip(Session.accept(authA, { messageEncoding: Encoding.bytes }))
      assert.strictEqual(error._tag, "InvalidAuth")
      assert.strictEqual((yield* Effect.flip(a.write(new Uint8Array([1]))))._tag, "ConnectionClosed")
    }))

  test("accept validates binaryChunksSize before sending anything", () =>
    Effect.gen(function* () {
      const { authA } = yield* handshake()
      const error = yield* Effect.flip(Session.accept(authA, { messageEncoding: Encoding.bytes, binaryChunksSize: 18 }))
      assert.strictEqual(error._tag, "InvalidChunksSize")
    }))

  test("an authenticated connection is consumed once: a second accept or nack fails with AlreadyUsed", () =>
    Effect.gen(function* () {
      const { authA, authB } = yield* handshake()
      assert.isTrue(Session.isPending(authB))
      yield* Session.nack(authB)
      assert.isFalse(Session.isPending(authB))
      const again = yield* Effect.flip(Session.accept(authB, { messageEncoding: Encoding.bytes }))
      assert.deepStrictEqual([again._tag, again._tag === "AlreadyUsed" ? again.usedBy : ""], ["AlreadyUsed", "nack"])
      const rejected = yield* Effect.flip(Session.accept(authA, { messageEncoding: Encoding.bytes }))
      assert.strictEqual(rejected._tag, "RejectedByNack")
      const twice = yield* Effect.flip(Session.nack(authA))
      assert.deepStrictEqual([twice.operation, twice.usedBy], ["nack", "accept"])
    }))

  test("an authenticated connection neither accepted nor nacked is closed with its scope", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const { a } = yield* Scope.provide(handshake(), scope)
      yield* a.write(new Uint8Array([1]))
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual((yield* Effect.flip(a.write(new Uint8Array([1]))))._tag, "ConnectionClosed")
    }))

  test("trailing bytes in the peer's connection message: DecodeError, socket closed", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const me = yield* Identity.generate({ difficulty: 0 })
      const peer = yield* Identity.generate({ difficulty: 0 })
      const framed = Result.getOrThrow(
        ConnectionMessage.frame({
          port: Option.none(),
          publicKey: peer.publicKey,
          powStamp: peer.powStamp,
          messageNonce: Nonce.zero(),
          version
        })
      )
      const longer = new Uint8Array([...framed, 0])
      longer[1] = longer[1]! + 1 // the frame now claims the extra byte
      yield* b.write(longer)
      const error = yield* Effect.flip(Session.authenticate(options(a, true, me)))
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag === "DecodeError") assert.strictEqual(error.reason, "TrailingBytes")
      assert.strictEqual((yield* endOfStream(b))._tag, "ConnectionClosed")
    }))

  test("metadata that opens but does not decode exactly: DecodeError", () =>
    Effect.gen(function* () {
      // One side sends a 1-byte metadata; the other expects an empty one, so the byte is trailing.
      const [a, b] = ByteSocket.makePair()
      const [ia, ib] = [yield* Identity.generate({ difficulty: 0 }), yield* Identity.generate({ difficulty: 0 })]
      const sender: Session.AuthenticateOptions<number> = {
        ...options(a, false, ia),
        metadata: 1,
        metadataEncoding: Encoding.uint8
      }
      const [, receiving] = yield* Effect.all(
        [Effect.exit(Session.authenticate(sender)), Effect.exit(Session.authenticate(options(b, true, ib)))],
        { concurrency: 2 }
      )
      const error = Exit.findErrorOption(receiving)
      assert.deepStrictEqual(
        Option.map(error, (e) => e._tag),
        Option.some("DecodeError")
      )
    }))

  for (const expectedPow of [-1, 256.5, 300, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`expectedPow ${expectedPow}: InvalidDifficulty before a byte is sent, and the socket is closed`, () =>
      Effect.gen(function* () {
        const [a, b] = ByteSocket.makePair()
        const me = yield* Identity.generate({ difficulty: 0 })
        const error = yield* Effect.flip(Session.authenticate(options(a, false, me, { expectedPow })))
        assert.deepStrictEqual(error._tag === "InvalidDifficulty" ? error.difficulty : error._tag, expectedPow)
        // The first read sees the close: nothing was written.
        assert.strictEqual((yield* Effect.flip(b.read))._tag, "ConnectionClosed")
      }))
  }

  test("expectedPow 256 demands a hash of 0: a difficulty-0 peer fails NotEnoughProofOfWork", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const [ia, ib] = [yield* Identity.generate({ difficulty: 0 }), yield* Identity.generate({ difficulty: 0 })]
      const [strict] = yield* Effect.all(
        [
          Effect.flip(Session.authenticate(options(a, false, ia, { expectedPow: 256 }))),
          Effect.exit(Session.authenticate(options(b, true, ib)))
        ],
        { concurrency: 2 }
      )
      assert.strictEqual(strict._tag, "NotEnoughProofOfWork")
    }))

  test("accept refuses a message encoding that cannot delimit messages before sending its Ack", () =>
    Effect.gen(function* () {
      const { authA, authB } = yield* handshake()
      const [refused, other] = yield* Effect.all(
        [
          Effect.flip(Session.accept(authA, { messageEncoding: Encoding.Variable.string })),
          Effect.flip(Session.accept(authB, { messageEncoding: Encoding.bytes }))
        ],
        { concurrency: 2 }
      )
      assert.strictEqual(refused._tag, "UnframedEncoding")
      // No Ack came: the other side sees the socket close, not an accepted connection.
      assert.strictEqual(other._tag, "ConnectionClosed")
    }))

  test("a peer that sends nothing: HandshakeTimeout after 5 s when incoming, and the socket is closed", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const me = yield* Identity.generate({ difficulty: 0 })
      const fiber = yield* Effect.forkChild(Session.authenticate(options(a, true, me)))
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.deepStrictEqual(error._tag === "HandshakeTimeout" ? [error.step, error.timeoutMillis] : error._tag, [
        "authenticate",
        5000
      ])
      assert.strictEqual((yield* endOfStream(b))._tag, "ConnectionClosed")
    }))

  test("an outgoing handshake has 10 s by default", () =>
    Effect.gen(function* () {
      const [a] = ByteSocket.makePair()
      const me = yield* Identity.generate({ difficulty: 0 })
      const fiber = yield* Effect.forkChild(Session.authenticate(options(a, false, me)))
      yield* TestClock.adjust("9999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "HandshakeTimeout")
    }))

  test("an infinite timeout sets no deadline: authenticate and accept wait for the peer however long it takes", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const [ia, ib] = [yield* Identity.generate({ difficulty: 0 }), yield* Identity.generate({ difficulty: 0 })]
      const waiting = yield* Effect.forkChild(
        Session.authenticate(options(a, true, ia, { timeout: Duration.infinity })).pipe(
          Effect.flatMap(([, auth]) => Session.accept(auth, { messageEncoding: Encoding.bytes })),
          Effect.flatMap((connection) => connection.read)
        )
      )
      yield* TestClock.adjust("365 days")
      assert.isUndefined(waiting.pollUnsafe())
      // The peer shows up a year later: the handshake completes and a message goes through.
      const [, authB] = yield* Session.authenticate(options(b, false, ib))
      const connection = yield* Session.accept(authB, { messageEncoding: Encoding.bytes })
      yield* connection.write(new Uint8Array([7]))
      assert.deepStrictEqual((yield* Fiber.join(waiting))[1], new Uint8Array([7]))
    }))

  test("a peer that never answers the Ack: HandshakeTimeout in accept, with the remaining budget", () =>
    Effect.gen(function* () {
      const { a, authA } = yield* handshake({ timeout: "3 seconds" })
      yield* TestClock.adjust("1 second")
      const fiber = yield* Effect.forkChild(Session.accept(authA, { messageEncoding: Encoding.bytes }))
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.deepStrictEqual(error._tag === "HandshakeTimeout" ? error.step : error._tag, "accept")
      assert.strictEqual((yield* Effect.flip(a.write(new Uint8Array([1]))))._tag, "ConnectionClosed")
    }))

  // The same deadlines under the live clock (the one code path, `Effect.timeoutOrElse`, on a real timer).
  const live = (name: string, body: () => Effect.Effect<void, unknown, CryptoBackend.CryptoBackend | Scope.Scope>) =>
    it.live(name, () => body().pipe(Effect.provide(CryptoBackend.layerNoble)))

  live("real clock: a peer that sends nothing gets HandshakeTimeout at the deadline, and the socket is closed", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const me = yield* Identity.generate({ difficulty: 0 })
      const started = Date.now()
      const error = yield* Effect.flip(Session.authenticate(options(a, true, me, { timeout: "100 millis" })))
      assert.isAtLeast(Date.now() - started, 95)
      assert.deepStrictEqual(error._tag === "HandshakeTimeout" ? [error.step, error.timeoutMillis] : error._tag, [
        "authenticate",
        100
      ])
      assert.strictEqual((yield* endOfStream(b))._tag, "ConnectionClosed")
    })
  )

  live("real clock: a peer that never answers the Ack gets HandshakeTimeout in accept", () =>
    Effect.gen(function* () {
      const { a, authA } = yield* handshake({ timeout: "10 seconds" })
      const error = yield* Effect.flip(
        Session.accept(authA, { messageEncoding: Encoding.bytes, timeout: "100 millis" })
      )
      assert.deepStrictEqual(error._tag === "HandshakeTimeout" ? [error.step, error.timeoutMillis] : error._tag, [
        "accept",
        100
      ])
      assert.strictEqual((yield* Effect.flip(a.write(new Uint8Array([1]))))._tag, "ConnectionClosed")
    })
  )

  live("real clock: a step that fails before the deadline fails with its own error, and nothing fires later", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const me = yield* Identity.generate({ difficulty: 0 })
      const fiber = yield* Effect.forkChild(Session.authenticate(options(a, true, me, { timeout: "200 millis" })))
      yield* b.read
      yield* b.close
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "ConnectionClosed")
      yield* Effect.sleep("250 millis")
    })
  )

  live("real clock: interrupting authenticate closes the socket", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const me = yield* Identity.generate({ difficulty: 0 })
      const fiber = yield* Effect.forkChild(Session.authenticate(options(a, true, me, { timeout: "10 seconds" })))
      yield* b.read
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(fiber)))
      assert.strictEqual((yield* endOfStream(b))._tag, "ConnectionClosed")
    })
  )

  test("interrupting authenticate closes the socket", () =>
    Effect.gen(function* () {
      const [a, b] = ByteSocket.makePair()
      const me = yield* Identity.generate({ difficulty: 0 })
      const fiber = yield* Effect.forkChild(Session.authenticate(options(a, true, me)))
      yield* b.read // our connection message went out; now we wait for theirs
      yield* Fiber.interrupt(fiber)
      assert.strictEqual((yield* endOfStream(b))._tag, "ConnectionClosed")
    }))
})
