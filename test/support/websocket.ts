/**
 * Real loopback WebSockets for the tests (`ws` through `@effect-p2p/node/WebSocket`): a connected
 * pair of byte sockets, both closed with the scope.
 */
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import * as WebSocket from "@effect-p2p/node/WebSocket"
import { Effect, Queue, type Scope } from "effect"

/** A connected pair of WebSocket byte sockets: [client side, server side]. */
export const wsPair: Effect.Effect<readonly [ByteSocket, ByteSocket], unknown, Scope.Scope> = Effect.gen(function* () {
  const server = yield* WebSocket.listen({ port: 0, host: "127.0.0.1" })
  const accepted = yield* Queue.unbounded<ByteSocket>()
  yield* Effect.forkScoped(server.run(({ socket }) => Effect.andThen(Queue.offer(accepted, socket), Effect.never)))
  const client = yield* WebSocket.connect({ url: `ws://127.0.0.1:${server.address.port}/` })
  return [client, yield* Queue.take(accepted)] as const
})
