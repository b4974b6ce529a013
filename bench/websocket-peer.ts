/**
 * The far ends of websocket.bench.ts, each in its own process (as deployed):
 *
 * - `server`: one effect-p2p node listening on TCP and on a WebSocket port (same identity, native
 *   crypto). Each session is a sink: it checksums every `0x10` message's body, and answers an
 *   `0x11` marker with `0x12` carrying the count and checksum of what came before it.
 * - `bridge PORT`: `Bridge.make` in front of the server's TCP port.
 *
 * Both answer `{ type: "cpu" }` with their CPU time so far (user + system, ms) and exit on `stop`.
 */

import { pathToFileURL } from "node:url"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import { Bridge, Listener, NativeCrypto, WebSocket } from "@effect-p2p/node"
import type * as TcpSession from "@effect-p2p/node/TcpSession"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Effect, Layer } from "effect"
import { fnv, fnvStart } from "./support.ts"

export type PeerMessage =
  | { readonly type: "listening"; readonly tcp: number; readonly ws: number; readonly peerId: string }
  | { readonly type: "bridging"; readonly port: number }
  | { readonly type: "cpu"; readonly ms: number }
  | { readonly type: "error"; readonly message: string }

export const benchSession = {
  expectedPow: 0,
  supported: { chainName: "BENCH_CHAIN", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
  metadata: { disableMempool: false, privateNode: false },
  metadataEncoding: Metadata.octez,
  messageEncoding: P2pMessage.envelope
} as const

const send = (m: PeerMessage) => process.send?.(m)
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Sums what arrives until the marker, answers, and starts over. */
const sink = (peer: TcpSession.Peer<Metadata.OctezMetadata, P2pMessage.Envelope>) =>
  Effect.gen(function* () {
    let count = 0
    let checksum = fnvStart
    while (true) {
      const [, message] = yield* peer.connection.read
      if (message.tag === 0x10) {
        count++
        checksum = fnv(checksum, message.body)
      } else if (message.tag === 0x11) {
        const body = new Uint8Array(8)
        new DataView(body.buffer).setUint32(0, count)
        new DataView(body.buffer).setUint32(4, checksum)
        yield* peer.connection.write({ tag: 0x12, body })
        count = 0
        checksum = fnvStart
      }
    }
  })

const host = "127.0.0.1"

const server = Effect.gen(function* () {
  const identity = yield* Identity.generate({ difficulty: 0 })
  const options = { ...benchSession, identity }
  const tcp = yield* Listener.make({ ...options, port: 0, host }, sink)
  const ws = yield* Effect.flatMap(WebSocket.listen({ port: 0, host }), (s) => Listener.fromServer(s, options, sink))
  send({ type: "listening", tcp: tcp.address.port, ws: ws.address.port, peerId: PeerId.toBase58(identity.peerId) })
  return yield* Effect.never
})

const bridge = (port: number) =>
  Effect.gen(function* () {
    const b = yield* Bridge.make({
      port: 0,
      host,
      targets: [{ host, port }],
      expectedPow: benchSession.expectedPow
    })
    send({ type: "bridging", port: b.address.port })
    return yield* Effect.never
  })

const main = () => {
  process.on("message", (m: { readonly type: string }) => {
    if (m.type === "cpu") send({ type: "cpu", ms: cpuMs() })
    if (m.type === "stop") process.exit(0)
  })
  process.on("disconnect", () => process.exit(0))
  const role = process.argv[2]
  const program = role === "server" ? server : bridge(Number(process.argv[3]))
  Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(Layer.orDie(NativeCrypto.layer())))).catch(
    (error: unknown) => {
      send({ type: "error", message: String(error) })
      process.exit(1)
    }
  )
}

// Run only as the child's entry point (the benchmark imports this module for its types and options).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main()
