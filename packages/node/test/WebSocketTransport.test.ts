import * as Net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import * as WebSocketTransport from "@effect-p2p/node/WebSocketTransport"
import * as Transport from "@effect-p2p/pool/Transport"
import { Effect, Queue } from "effect"

const host = "127.0.0.1"

/** A port nothing listens on: bound, then closed. */
const freePort = Effect.callback<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, host, () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("WebSocketTransport (the pool's Transport over WebSockets)", () => {
  it.live("listen and dial carry bytes both ways, with the remote address", () =>
    Effect.gen(function* () {
      const transport = yield* Transport.Transport
      const listening = yield* transport.listen({ host, port: 0 })
      const accepted = yield* Queue.unbounded<Transport.Connected>()
      yield* Effect.forkScoped(listening.run((c) => Effect.andThen(Queue.offer(accepted, c), Effect.never)))
      const dialled = yield* transport.dial(listening.address)
      const incoming = yield* Queue.take(accepted)
      assert.deepStrictEqual(dialled.remote, listening.address)
      assert.strictEqual(incoming.remote.host, host)
      yield* dialled.socket.write(Uint8Array.of(1, 2, 3))
      assert.deepStrictEqual(yield* incoming.socket.read, Uint8Array.of(1, 2, 3))
      yield* incoming.socket.write(Uint8Array.of(4))
      assert.deepStrictEqual(yield* dialled.socket.read, Uint8Array.of(4))
    }).pipe(Effect.provide(WebSocketTransport.layer))
  )

  it.live("a refused dial is TransportError Refused; a taken port is AddressInUse", () =>
    Effect.gen(function* () {
      const transport = yield* Transport.Transport
      const port = yield* freePort
      const refused = yield* Effect.flip(Effect.scoped(transport.dial({ host, port })))
      assert.strictEqual(refused.reason, "Refused")
      assert.strictEqual(refused.address, `${host}:${port}`)
      const listening = yield* transport.listen({ host, port: 0 })
      const taken = yield* Effect.flip(Effect.scoped(transport.listen(listening.address)))
      assert.strictEqual(taken.reason, "AddressInUse")
    }).pipe(Effect.provide(WebSocketTransport.layer))
  )
})
