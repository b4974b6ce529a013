import { assert, describe, it } from "@effect/vitest"
import * as TcpAndWebSocketTransport from "@effect-p2p/node/TcpAndWebSocketTransport"
import * as TcpTransport from "@effect-p2p/node/TcpTransport"
import * as WebSocketTransport from "@effect-p2p/node/WebSocketTransport"
import type * as Transport from "@effect-p2p/pool/Transport"
import { Deferred, Effect, Queue } from "effect"

const host = "127.0.0.1"

describe("TcpAndWebSocketTransport (a node reachable by TCP peers and browsers)", () => {
  it.live("one listener: a TCP peer and a WebSocket peer reach the same handler; dials go over TCP", () =>
    Effect.gen(function* () {
      const wsAddress = yield* Deferred.make<Transport.Address>()
      const transport = TcpAndWebSocketTransport.make({
        webSocketPort: 0,
        onWebSocketListening: (address) => Deferred.succeed(wsAddress, address).pipe(Effect.asVoid)
      })
      const listening = yield* transport.listen({ host, port: 0 })
      const ws = yield* Deferred.await(wsAddress)
      assert.notStrictEqual(ws.port, listening.address.port)
      const accepted = yield* Queue.unbounded<Transport.Connected>()
      yield* Effect.forkScoped(listening.run((c) => Effect.andThen(Queue.offer(accepted, c), Effect.never)))

      const overTcp = yield* TcpTransport.make().dial(listening.address)
      const overWs = yield* WebSocketTransport.transport.dial(ws)
      yield* overTcp.socket.write(Uint8Array.of(1))
      yield* overWs.socket.write(Uint8Array.of(2))
      const first = yield* Queue.take(accepted)
      const second = yield* Queue.take(accepted)
      const got = [...(yield* first.socket.read), ...(yield* second.socket.read)].sort()
      assert.deepStrictEqual(got, [1, 2])

      // Its own dial is TCP: it reaches a plain TCP listener.
      const tcpOnly = yield* TcpTransport.make().listen({ host, port: 0 })
      const reached = yield* Deferred.make<void>()
      yield* Effect.forkScoped(tcpOnly.run(() => Effect.andThen(Deferred.succeed(reached, undefined), Effect.never)))
      yield* transport.dial(tcpOnly.address)
      yield* Deferred.await(reached)
    }).pipe(Effect.scoped)
  )
})
