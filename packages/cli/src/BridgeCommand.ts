/**
 * `effect-p2p bridge`: a WebSocket-to-TCP bridge so that browsers reach TCP peers (Octez nodes,
 * `effect-p2p listen`). It relays bytes only: each browser's session runs end to end with the
 * target. Only the listed targets are reachable (by URL path `/HOST:PORT`, any path with a single
 * `--to`); a browser's proof of work is checked before the target is dialled, and sessions per
 * target are capped. See `@effect-p2p/node/Bridge`.
 *
 * @since 0.1.0
 */
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import * as Bridge from "@effect-p2p/node/Bridge"
import * as Tcp from "@effect-p2p/node/Tcp"
import { Effect, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import * as CliFailure from "./CliFailure.ts"
import { defaults } from "./Defaults.ts"
import * as Flags from "./Flags.ts"
import * as Host from "./Host.ts"
import * as Output from "./Output.ts"

/**
 * Text and JSON lines for the bridge's events.
 *
 * @example
 * ```ts
 * import { BridgeCommand, Output } from "@effect-p2p/cli"
 * const onEvent = BridgeCommand.reportEvent(Output.make(true))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const reportEvent =
  (print: ReturnType<typeof Output.make>) =>
  (event: Bridge.Event): Effect.Effect<void> => {
    const remote = Tcp.formatEndpoint(event.remote)
    switch (event._tag) {
      case "Refused":
        return print(
          { event: "refused", remote, path: event.path, code: event.code, reason: event.reason },
          `refused ${remote} (${event.path}): ${event.reason}`
        )
      case "Relaying": {
        const target = Tcp.formatEndpoint(event.target)
        return print(
          { event: "relaying", remote, target, peer_id: event.peerId },
          `relaying ${event.peerId} from ${remote} to ${target}`
        )
      }
      case "Closed": {
        const target = Tcp.formatEndpoint(event.target)
        return print(
          {
            event: "closed",
            remote,
            target,
            peer_id: event.peerId,
            up: event.up,
            down: event.down,
            reason: event.reason
          },
          `closed ${event.peerId} (${remote} to ${target}): ${event.reason}; ${event.up} bytes up, ${event.down} down`
        )
      }
    }
  }

/**
 * The `bridge` command.
 *
 * @example
 * ```ts
 * import { BridgeCommand } from "@effect-p2p/cli"
 * BridgeCommand.command // effect-p2p bridge --ws-port 9733 --to 127.0.0.1:9732
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const command = Command.make(
  "bridge",
  {
    wsPort: Flags.integer("ws-port", 0, 65535).pipe(
      Flag.withDescription("WebSocket port browsers connect to (0 picks a free one; the bound port is printed)")
    ),
    host: Flags.optional(Flag.String("host"), "address to bind", "every interface"),
    to: Flag.String("to").pipe(
      Flag.atLeast(1),
      Flag.withDescription("a TCP peer browsers may reach, HOST:PORT (repeat for several; the URL path picks one)")
    ),
    expectedPow: Flags.withDefault(
      Flags.number("expected-pow", 0, 256),
      "the targets' proof-of-work difficulty: browsers below it are refused before any dial",
      defaults.expectedPow
    ),
    maxSessions: Flags.withDefault(
      Flags.integer("max-sessions", 1),
      "browsers per target at once, waiting ones included",
      Bridge.defaultMaxSessionsPerTarget
    ),
    json: Flags.withDefault(Flag.Boolean("json"), "print events as JSON lines", false, "off")
  },
  Effect.fn(function* (input) {
    // Checked here too, for the CLI's own message and exit code (input, not network).
    yield* Effect.fromResult(ProofOfWork.fromDifficulty(input.expectedPow)).pipe(
      CliFailure.orFail(CliFailure.ExitCode.input, "--expected-pow: ")
    )
    const host = Option.getOrUndefined(input.host)
    if (host !== undefined) {
      const valid = Host.validate(host)
      if (Result.isFailure(valid)) return yield* CliFailure.fail(`--host: ${valid.failure}`)
    }
    const targets: Array<Tcp.Endpoint> = []
    for (const text of input.to) {
      const parsed = Tcp.parseEndpoint(text)
      if (Result.isFailure(parsed)) return yield* CliFailure.fail(`--to: ${parsed.failure}`)
      targets.push(parsed.success)
    }
    const print = Output.make(input.json)
    const bridge = yield* Bridge.make({
      port: input.wsPort,
      host,
      targets,
      expectedPow: input.expectedPow,
      maxSessionsPerTarget: input.maxSessions,
      onEvent: reportEvent(print)
    }).pipe(CliFailure.orFail(CliFailure.ExitCode.network))
    const listed = targets.map(Tcp.formatEndpoint)
    yield* print(
      {
        event: "bridging",
        host: bridge.address.host,
        port: bridge.address.port,
        targets: listed,
        expected_pow: input.expectedPow
      },
      `bridging ws://${Tcp.formatEndpoint(bridge.address)}/ to ${listed.join(", ")}` +
        `${listed.length > 1 ? " (path /HOST:PORT picks one)" : ""}, expected proof of work ${input.expectedPow}`
    )
    return yield* Effect.never
  }, Effect.scoped)
).pipe(Command.withDescription("Relay browsers' WebSocket sessions to listed TCP peers (Ctrl-C to stop)"))
