/**
 * The contract every pool `Transport` keeps, run against the in-memory network and TCP on
 * loopback: listen and dial, bytes both ways in order, each end's addresses, a refused dial as a
 * `TransportError` with reason `Refused`, a taken address as `AddressInUse`, the peer's close seen
 * as the end of the stream, `abort` closing without a byte, and the listener's scope closing
 * everything it accepted.
 */
import { it } from "@effect/vitest"
import * as TcpTransport from "@effect-p2p/node/TcpTransport"
import * as MemoryNetwork from "@effect-p2p/pool/MemoryNetwork"
import type * as Transport from "@effect-p2p/pool/Transport"
import { Deferred, Effect, Exit, Scope } from "effect"
import { assert, describe } from "vitest"

interface Case {
  readonly name: string
  /** A server transport, a client transport, and an address to listen on. */
  readonly make: Effect.Effect<{
    readonly server: Transport.TransportShape
    readonly client: Transport.TransportShape
    readonly address: Transport.Address
    /** An address where nothing listens. */
    readonly nowhere: Transport.Address
  }>
}

const cases: ReadonlyArray<Case> = [
  {
    name: "MemoryNetwork",
    make: Effect.map(MemoryNetwork.make(), (network) => ({
      server: network.transport("10.0.0.1"),
      client: network.transport("10.0.0.2"),
      address: { host: "10.0.0.1", port: 9732 },
      nowhere: { host: "10.0.0.9", port: 9732 }
    }))
  },
  {
    name: "TcpTransport",
    make: Effect.sync(() => ({
      server: TcpTransport.make(),
      client: TcpTransport.make(),
      address: { host: "127.0.0.1", port: 0 },
      // Port 1 (tcpmux): nothing listens there on a test machine, so the kernel refuses at once.
      nowhere: { host: "127.0.0.1", port: 1 }
    }))
  }
]

const readAll = (connected: Transport.Connected, n: number) =>
  Effect.gen(function* () {
    const out: Array<number> = []
    while (out.length < n) out.push(...(yield* connected.socket.read))
    return out
  })

for (const c of cases) {
  describe(`Transport contract: ${c.name}`, () => {
    it.live("listen, dial, bytes both ways in order, both ends' addresses", () =>
      Effect.gen(function* () {
        const { server, client, address } = yield* c.make
        const listening = yield* server.listen(address)
        const accepted = yield* Deferred.make<Transport.Connected>()
        yield* Effect.forkScoped(
          listening.run((connected) => Effect.andThen(Deferred.succeed(accepted, connected), Effect.never))
        )
        const dialled = yield* client.dial(listening.address)
        const theirs = yield* Deferred.await(accepted)
        assert.deepStrictEqual(dialled.remote, listening.address)
        assert.deepStrictEqual(theirs.remote, dialled.local)
        for (let i = 0; i < 10; i++) yield* dialled.socket.write(new Uint8Array([i, i + 1]))
        assert.deepStrictEqual(
          yield* readAll(theirs, 20),
          [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10]
        )
        yield* theirs.socket.write(new Uint8Array([42]))
        assert.deepStrictEqual(yield* readAll(dialled, 1), [42])
        // The peer's close is the end of the stream.
        yield* theirs.socket.close
        assert.isTrue(Exit.isFailure(yield* Effect.exit(Effect.forever(dialled.socket.read))))
      }).pipe(Effect.scoped)
    )

    it.live("a dial where nothing listens is Refused; a taken address is AddressInUse", () =>
      Effect.gen(function* () {
        const { server, client, address, nowhere } = yield* c.make
        const refused = yield* Effect.flip(client.dial(nowhere, { timeout: "5 seconds" }))
        assert.strictEqual(refused._tag, "TransportError")
        assert.strictEqual(refused.reason, "Refused")
        const listening = yield* server.listen(address)
        const taken = yield* Effect.flip(server.listen(listening.address))
        assert.strictEqual(taken.reason, "AddressInUse")
      }).pipe(Effect.scoped)
    )

    it.live("abort closes without a byte; closing the listener's scope closes what it accepted", () =>
      Effect.gen(function* () {
        const { server, client, address } = yield* c.make
        const scope = yield* Scope.make()
        const listening = yield* server.listen(address).pipe(Scope.provide(scope))
        const accepted = yield* Deferred.make<Transport.Connected>()
        yield* listening
          .run((connected) => Effect.andThen(Deferred.succeed(accepted, connected), Effect.never))
          .pipe(Effect.forkIn(scope))
        const first = yield* client.dial(listening.address)
        const theirs = yield* Deferred.await(accepted)
        yield* theirs.abort
        assert.isTrue(Exit.isFailure(yield* Effect.exit(Effect.forever(first.socket.read))))
        const second = yield* client.dial(listening.address)
        yield* Scope.close(scope, Exit.void)
        assert.isTrue(Exit.isFailure(yield* Effect.exit(Effect.forever(second.socket.read))))
        const after = yield* Effect.flip(client.dial(listening.address, { timeout: "5 seconds" }))
        assert.strictEqual(after.reason, "Refused")
      }).pipe(Effect.scoped)
    )
  })
}
