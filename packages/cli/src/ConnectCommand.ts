/**
 * `effect-p2p connect HOST:PORT`: dials a peer, authenticates, sends the given envelopes, prints
 * what comes back and the connection stats, and exits.
 *
 * @since 0.1.0
 */
import * as Binary from "@effect-p2p/codec/Binary"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Dialer from "@effect-p2p/node/Dialer"
import * as Tcp from "@effect-p2p/node/Tcp"
import { Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import * as Flags from "./Flags.ts"
import * as Host from "./Host.ts"
import * as Output from "./Output.ts"
import * as SessionFailure from "./SessionFailure.ts"
import * as SessionFlags from "./SessionFlags.ts"

/**
 * Parses a `--send` value: hex of one whole P2p envelope (`u30 length, u16 tag, body`).
 *
 * @example
 * ```ts
 * import { ConnectCommand } from "@effect-p2p/cli"
 * ConnectCommand.parseEnvelope("000000020010") // Result.succeed({ tag: 16, body: Uint8Array [] })
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const parseEnvelope = (text: string): Result.Result<P2pMessage.Envelope, string> => {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) return Result.fail(`--send ${text}: not an even number of hex digits`)
  const bytes = Uint8Array.from(Buffer.from(text, "hex"))
  return Result.mapError(
    Binary.decode(P2pMessage.envelope, bytes),
    (error) => `--send ${text}: not a P2p envelope (4-byte length, 2-byte tag, body): ${error.message}`
  )
}

/** Longest `--wait`: a day, in seconds (beyond it the timer would be meaningless). */
const maxWait = 86_400

const describeEnvelope = (message: P2pMessage.Envelope) =>
  Output.hex(Result.getOrThrow(Binary.encode(P2pMessage.envelope, message)))

/**
 * The `connect` command.
 *
 * @example
 * ```ts
 * import { ConnectCommand } from "@effect-p2p/cli"
 * ConnectCommand.command // effect-p2p connect 127.0.0.1:9732 --identity id.json --send 000000020010
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const command = Command.make(
  "connect",
  {
    ...SessionFlags.flags,
    address: Argument.String("address").pipe(Argument.withDescription("HOST:PORT or [IPV6]:PORT")),
    send: Flag.String("send").pipe(
      Flag.withDescription("hex of one whole envelope to send, repeatable (default: none)"),
      Flag.atLeast(0)
    ),
    wait: Flags.withDefault(Flags.number("wait", 0, maxWait), "seconds to wait for each reply before giving up", 2)
  },
  Effect.fn(function* (input) {
    const badInput = (reason: string) => new CliFailure.CliFailure({ reason, exitCode: CliFailure.ExitCode.input })
    const endpoint = yield* Effect.fromResult(Tcp.parseEndpoint(input.address)).pipe(Effect.mapError(badInput))
    yield* Effect.fromResult(Host.validate(endpoint.host)).pipe(Effect.mapError(badInput))
    const messages: Array<P2pMessage.Envelope> = []
    for (const text of input.send) {
      const parsed = parseEnvelope(text)
      if (Result.isFailure(parsed)) return yield* CliFailure.fail(parsed.failure)
      messages.push(parsed.success)
    }
    const session = yield* SessionFlags.sessionOptions(input)
    const print = Output.make(input.json)
    const address = Tcp.formatEndpoint(endpoint)
    const peer = yield* Dialer.connect({ ...session, ...endpoint }).pipe(SessionFailure.orFail)
    const peerId = PeerId.toBase58(peer.info.peerId)
    yield* print(
      {
        event: "connected",
        remote: address,
        peer_id: peerId,
        version: Output.versionJson(peer.version),
        announced_version: Output.versionJson(peer.info.announcedVersion)
      },
      `connected to ${address}: peer ${peerId}, version ${Output.version(peer.version)}`
    )
    const connection = peer.connection
    for (const message of messages) {
      yield* connection.writeSync(message).pipe(SessionFailure.orFail)
      const hex = describeEnvelope(message)
      yield* print({ event: "sent", hex }, `sent ${hex}`)
    }
    // As many replies as messages sent, each within --wait seconds; a missing one is a failure.
    const waitMillis = input.wait * 1000
    let missing: string | undefined
    for (let received = 0; received < messages.length && missing === undefined; received++) {
      const next = yield* connection.read.pipe(
        Effect.map(Option.some),
        Effect.timeoutOption(`${waitMillis} millis`),
        Effect.map(Option.flatten),
        Effect.catchTag("ConnectionClosed", (closed) =>
          Effect.sync(() => {
            missing = `the peer closed the connection (${closed.message}) after ${received} of ${messages.length} replies`
            return Option.none()
          })
        ),
        SessionFailure.orFail
      )
      if (Option.isNone(next)) {
        missing ??= `no reply within ${Output.duration(waitMillis)} (--wait): got ${received} of ${messages.length} replies`
        break
      }
      const [size, message] = next.value
      const hex = describeEnvelope(message)
      yield* print({ event: "received", size, tag: message.tag, hex }, `received ${hex}`)
    }
    const stat = yield* connection.stat
    yield* connection.close({ wait: missing === undefined, reason: missing ?? "done" })
    yield* print({ event: "stats", stats: Output.statJson(stat) }, `stats: ${Output.stat(stat)}`)
    if (missing !== undefined) return yield* CliFailure.fail(missing, CliFailure.ExitCode.network)
  }, Effect.scoped)
).pipe(Command.withDescription("Connect to a peer, send messages, print the replies and the stats"))
