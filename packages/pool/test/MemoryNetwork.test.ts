import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as MemoryNetwork from "../src/MemoryNetwork.ts"
import type * as Transport from "../src/Transport.ts"

const bytes = (...b: Array<number>) => new Uint8Array(b)

/** A listener on `host:9732` that echoes every read. */
const echo = (network: MemoryNetwork.MemoryNetwork, host: string) =>
  Effect.gen(function* () {
    const listening = yield* network.transport(host).listen({ host, port: 9732 })
    yield* Effect.forkScoped(
      listening.run(({ socket }) => Effect.forever(Effect.flatMap(socket.read, socket.write)).pipe(Effect.ignore))
    )
    return listening
  })

describe("MemoryNetwork", () => {
  it.effect("dials a listener and carries bytes both ways, with the remote address of each end", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const seen = yield* Deferred.make<Transport.Address>()
      const listening = yield* network.transport("10.0.0.1").listen({ host: "10.0.0.1", port: 9732 })
      yield* Effect.forkScoped(
        listening.run((c) =>
          Deferred.succeed(seen, c.remote).pipe(
            Effect.andThen(Effect.forever(Effect.flatMap(c.socket.read, c.socket.write))),
            Effect.ignore
          )
        )
      )
      const client = yield* network.transport("10.0.0.2").dial({ host: "10.0.0.1", port: 9732 })
      yield* client.socket.write(bytes(1, 2, 3))
      assert.deepStrictEqual(yield* client.socket.read, bytes(1, 2, 3))
      const remote = yield* Deferred.await(seen)
      assert.strictEqual(remote.host, "10.0.0.2")
      assert.deepStrictEqual(remote, client.local)
      assert.deepStrictEqual(client.remote, { host: "10.0.0.1", port: 9732 })
      assert.strictEqual(yield* network.openLinks, 1)
    })
  )

  it.effect("refuses a dial to an address nobody listens on, and a second listen on a bound address", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const refused = yield* Effect.flip(network.transport("a").dial({ host: "b", port: 1 }))
      assert.strictEqual(refused.reason, "Refused")
      yield* network.transport("b").listen({ host: "b", port: 1 })
      const inUse = yield* Effect.flip(network.transport("b").listen({ host: "b", port: 1 }))
      assert.strictEqual(inUse.reason, "AddressInUse")
    })
  )

  it.effect("a dial to a silent host times out after the dial's timeout (TestClock)", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      yield* echo(network, "b")
      yield* network.setSilent("b", true)
      const fiber = yield* Effect.forkChild(
        Effect.flip(network.transport("a").dial({ host: "b", port: 9732 }, { timeout: "3 seconds" }))
      )
      yield* TestClock.adjust("2999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "TimedOut")
    })
  )

  it.effect("latency delays each write by the link's latency (TestClock)", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      yield* echo(network, "b")
      yield* network.setLink("a", "b", { latency: "100 millis" })
      const client = yield* network.transport("a").dial({ host: "b", port: 9732 })
      const fiber = yield* Effect.forkChild(Effect.andThen(client.socket.write(bytes(7)), client.socket.read))
      yield* TestClock.adjust("150 millis")
      assert.isUndefined(fiber.pollUnsafe(), "one way is not a round trip")
      yield* TestClock.adjust("50 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), bytes(7))
    })
  )

  it.effect("writes due at the same instant share a timer: an interrupted writer does not hold back the others", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make({ latency: "100 millis" })
      yield* echo(network, "b")
      const first = yield* network.transport("a").dial({ host: "b", port: 9732 })
      const second = yield* network.transport("c").dial({ host: "b", port: 9732 })
      // Three writes at the same instant; the first writer gives up while waiting.
      const abandoned = yield* Effect.forkChild(first.socket.write(bytes(1)))
      const kept = yield* Effect.forkChild(Effect.andThen(first.socket.write(bytes(2)), first.socket.read))
      const other = yield* Effect.forkChild(Effect.andThen(second.socket.write(bytes(3)), second.socket.read))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(abandoned)
      yield* TestClock.adjust("199 millis")
      assert.isUndefined(kept.pollUnsafe(), "a round trip takes two latencies")
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Fiber.join(kept), bytes(2))
      assert.deepStrictEqual(yield* Fiber.join(other), bytes(3))
    })
  )

  it.effect("a link over its byte budget is reset: both ends see the end of the stream", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      const listening = yield* network.transport("b").listen({ host: "b", port: 1 })
      const server = yield* Deferred.make<Transport.Connected>()
      yield* Effect.forkScoped(listening.run((c) => Effect.andThen(Deferred.succeed(server, c), Effect.never)))
      yield* network.setLink("a", "b", { budget: 4 })
      const client = yield* network.transport("a").dial({ host: "b", port: 1 })
      const s = yield* Deferred.await(server)
      yield* client.socket.write(bytes(1, 2, 3, 4))
      assert.deepStrictEqual(yield* s.socket.read, bytes(1, 2, 3, 4))
      const over = yield* Effect.exit(client.socket.write(bytes(5)))
      assert.isTrue(Exit.isFailure(over))
      const end = yield* Effect.exit(s.socket.read)
      assert.isTrue(Exit.isFailure(end))
      assert.strictEqual(yield* network.openLinks, 0)
    })
  )

  it.effect("reset closes every link between two hosts and leaves the others", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      yield* echo(network, "b")
      const c1 = yield* network.transport("a").dial({ host: "b", port: 9732 })
      yield* network.transport("a").dial({ host: "b", port: 9732 })
      const other = yield* network.transport("c").dial({ host: "b", port: 9732 })
      assert.strictEqual(yield* network.reset("b", "a"), 2)
      assert.isTrue(Exit.isFailure(yield* Effect.exit(c1.socket.read)))
      yield* other.socket.write(bytes(9))
      assert.deepStrictEqual(yield* other.socket.read, bytes(9))
    })
  )

  it.effect("closing the listener's scope refuses later dials", () =>
    Effect.gen(function* () {
      const network = yield* MemoryNetwork.make()
      yield* Effect.scoped(echo(network, "b"))
      const refused = yield* Effect.flip(network.transport("a").dial({ host: "b", port: 9732 }))
      assert.strictEqual(refused.reason, "Refused")
    })
  )
})
