/**
 * `effect-p2p demo`: two peers on this machine, end to end. It generates two identities at a low
 * difficulty, starts a listener ("bob") and dials it ("alice") over loopback TCP, completes the
 * Octez handshake, exchanges messages of `ChatProtocol`, and prints the peer ids, the negotiated
 * version, round-trip times and both ends' stats.
 *
 * @since 0.1.0
 */

import type { Connection } from "@effect-p2p/connection/Connection"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Dialer from "@effect-p2p/node/Dialer"
import * as Listener from "@effect-p2p/node/Listener"
import * as Tcp from "@effect-p2p/node/Tcp"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Clock, Console, Deferred, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import * as BrowserDemo from "./BrowserDemo.ts"
import * as ChatProtocol from "./ChatProtocol.ts"
import * as CliFailure from "./CliFailure.ts"
import * as Flags from "./Flags.ts"
import * as IdentityCommand from "./IdentityCommand.ts"
import * as Output from "./Output.ts"
import * as SessionFailure from "./SessionFailure.ts"

const supported = { chainName: "EFFECT_P2P_DEMO", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] } as const

const ms = Output.duration

/** Bob's side: answers pings with pongs and chats with a chat. */
const bob = (connection: Connection<ChatProtocol.Message>) =>
  Effect.forever(
    Effect.gen(function* () {
      const [size, message] = yield* connection.read
      switch (message._tag) {
        case "Ping":
          return yield* connection.write({ ...message, _tag: "Pong" })
        case "Chat":
          yield* Console.log(`  bob   <- ${JSON.stringify(message.text)} (a ${size}-byte message)`)
          return yield* connection.write({
            _tag: "Chat",
            text: `hello alice, bob got your ${message.text.length} characters`
          })
        case "Pong":
          return
      }
    })
  ).pipe(Effect.catchTag("ConnectionClosed", () => Effect.void))

/**
 * Runs the demo.
 *
 * @example
 * ```ts
 * import { DemoCommand } from "@effect-p2p/cli"
 * DemoCommand.run({ difficulty: 8, pings: 5 })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const run = Effect.fn("demo")(function* (options: { readonly difficulty: number; readonly pings: number }) {
  yield* Console.log("effect-p2p demo: two peers, one machine, the Tezos p2p handshake over loopback TCP\n")
  const started = yield* Clock.currentTimeMillis
  const [aliceId, bobId] = yield* Effect.all(
    [
      IdentityCommand.generateIdentity({ difficulty: options.difficulty, progress: false }),
      IdentityCommand.generateIdentity({ difficulty: options.difficulty, progress: false })
    ],
    { concurrency: 2 }
  )
  const generated = yield* Clock.currentTimeMillis
  yield* Console.log(
    `identities (proof-of-work difficulty ${options.difficulty}, ${ms(generated - started)}):\n` +
      `  alice ${PeerId.toBase58(aliceId.peerId)}\n  bob   ${PeerId.toBase58(bobId.peerId)}`
  )

  const common = {
    expectedPow: options.difficulty,
    supported,
    metadata: { disableMempool: false, privateNode: false },
    metadataEncoding: Metadata.octez,
    messageEncoding: ChatProtocol.Message
  }
  const bobConnection = yield* Deferred.make<Connection<ChatProtocol.Message>>()
  const listener = yield* Listener.make(
    {
      ...common,
      identity: bobId,
      port: 0,
      host: "127.0.0.1",
      onEvent: (event) =>
        event._tag === "HandshakeFailed" ? Console.error(`  bob: handshake failed: ${event.message}`) : Effect.void
    },
    (peer) => Effect.andThen(Deferred.succeed(bobConnection, peer.connection), bob(peer.connection))
  ).pipe(CliFailure.orFail(CliFailure.ExitCode.network))
  yield* Console.log(`\nbob listens on ${Tcp.formatEndpoint(listener.address)}`)

  const dialStart = yield* Clock.currentTimeMillis
  const alice = yield* Dialer.connect({ ...common, identity: aliceId, ...listener.address }).pipe(SessionFailure.orFail)
  const handshake = (yield* Clock.currentTimeMillis) - dialStart
  yield* Console.log(
    `alice connected: handshake in ${ms(handshake)}, peer ${PeerId.toBase58(alice.info.peerId)}, ` +
      `negotiated version ${Output.version(alice.version)}\n`
  )

  const connection = alice.connection
  const text = "hello bob, this is alice"
  yield* Console.log(`  alice -> ${JSON.stringify(text)}`)
  yield* connection.write({ _tag: "Chat", text })
  const reply = yield* connection.read
  if (reply[1]._tag === "Chat") yield* Console.log(`  alice <- ${JSON.stringify(reply[1].text)}\n`)

  const rtts: Array<number> = []
  for (let seq = 1; seq <= options.pings; seq++) {
    yield* connection.write({ _tag: "Ping", seq, sentAt: performance.now() })
    const [, pong] = yield* connection.read
    if (pong._tag !== "Pong" || pong.seq !== seq) {
      return yield* CliFailure.fail(`expected pong ${seq}, got ${pong._tag}`, CliFailure.ExitCode.network)
    }
    rtts.push(performance.now() - pong.sentAt)
  }
  if (rtts.length > 0) {
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length
    yield* Console.log(
      `ping round trips (${rtts.length}): ${rtts.map(ms).join(", ")}\n` +
        `  min ${ms(Math.min(...rtts))}, avg ${ms(avg)}, max ${ms(Math.max(...rtts))}\n`
    )
  }

  const bobStat = yield* Effect.flatMap(Deferred.await(bobConnection), (c) => c.stat)
  yield* Console.log(`alice stats: ${Output.stat(yield* connection.stat)}`)
  yield* Console.log(`bob stats:   ${Output.stat(bobStat)}`)
  yield* connection.close({ wait: true, reason: "demo finished" })
  yield* Console.log(`\ndone in ${ms((yield* Clock.currentTimeMillis) - started)}.`)
})

/**
 * The `demo` command.
 *
 * @example
 * ```ts
 * import { DemoCommand } from "@effect-p2p/cli"
 * DemoCommand.command // effect-p2p demo [--difficulty 10] [--pings 5] [--browser [--page DIR] [--http-port 8080] [--open]]
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const command = Command.make(
  "demo",
  {
    difficulty: Flags.withDefault(
      Flags.number("difficulty", 0, 256),
      "proof-of-work difficulty of the two identities",
      10
    ),
    pings: Flags.withDefault(Flags.integer("pings", 0, 10_000), "ping round trips to time", 5),
    browser: Flags.withDefault(
      Flag.Boolean("browser"),
      "serve the browser page with a WebSocket echo peer and a bridge to a TCP one",
      false
    ),
    page: Flags.withDefault(
      Flag.String("page"),
      "with --browser: the built page",
      BrowserDemo.defaultPageDir,
      "examples/browser/dist"
    ),
    httpPort: Flags.withDefault(
      Flags.integer("http-port", 0, 65535),
      "with --browser: HTTP port of the page (0 picks a free one)",
      8080
    ),
    open: Flags.withDefault(
      Flag.Boolean("open"),
      "with --browser: open the page in the desktop's browser",
      false,
      "off"
    )
  },
  (options) => Effect.scoped(options.browser ? BrowserDemo.run(options) : run(options))
).pipe(Command.withDescription("Two peers over loopback TCP: handshake, typed messages, round trips, stats"))
