/**
 * Real loopback TCP for the tests: a server on an ephemeral port whose accepted sockets are handed
 * to a handler in their own fiber, and a client dialer. Everything is scoped.
 */

import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import { Effect, Queue, type Scope } from "effect"
import type * as NetAddress from "effect/net/NetAddress"

/** Listens on 127.0.0.1 and an ephemeral port; each accepted socket is offered to the returned queue. */
export const listen = Effect.gen(function* () {
  const server = yield* NodeSocketServer.make({ port: 0, host: "127.0.0.1", noDelay: true })
  const accepted = yield* Queue.unbounded<ByteSocket.ByteSocket>()
  yield* Effect.forkScoped(
    server.run((socket) =>
      Effect.gen(function* () {
        const bytes = yield* ByteSocket.fromSocket(socket)
        yield* Queue.offer(accepted, bytes)
        return yield* Effect.never
      }).pipe(Effect.scoped, Effect.ignore)
    )
  )
  return { port: portOf(server.address), accepted }
})

const portOf = (address: NetAddress.SocketAddress): number => {
  if ("port" in address) return address.port
  throw new Error(`not a TCP address: ${String(address)}`)
}

/** Dials 127.0.0.1:port. */
export const dial = (port: number): Effect.Effect<ByteSocket.ByteSocket, unknown, Scope.Scope> =>
  Effect.flatMap(
    NodeSocket.makeNet({ host: "127.0.0.1", port, noDelay: true, openTimeout: "2 seconds" }),
    ByteSocket.fromSocket
  )

/** A connected pair of TCP byte sockets: [client side, server side]. */
export const tcpPair = Effect.gen(function* () {
  const { port, accepted } = yield* listen
  const client = yield* dial(port)
  const server = yield* Queue.take(accepted)
  return [client, server] as const
})
