/**
 * A known point (an address where a peer listens) and its connection state, as Octez's
 * `P2p_point_state`: `Disconnected` → `Requested` (we dial) → `Accepted` (authenticated, before the
 * Ack) → `Running` (connected), and back to `Disconnected`. Transitions are pure functions returning
 * the new info or an {@link InvalidTransition} (where Octez asserts), so the pool can never put a
 * point in a state Octez would not.
 *
 * Reconnection back-off ({@link ReconnectionConfig}, Octez `Point_reconnection_config`): a failed or
 * rejected attempt forbids a new dial for `delay` (1 s at first, ×1.2 per failure, at most 2 days);
 * a closed connection forbids one for 60 s and resets `delay` to 1 s.
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"

/**
 * @category models
 * @since 0.1.0
 */
export type State =
  | { readonly _tag: "Disconnected" }
  | { readonly _tag: "Requested" }
  | { readonly _tag: "Accepted"; readonly peerId: string }
  | { readonly _tag: "Running"; readonly peerId: string }

/**
 * Octez's point events (`P2p_point.Pool_event`), kept in a ring of {@link logSize}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Event {
  readonly kind:
    | "outgoing_request"
    | "accepting_request"
    | "rejecting_request"
    | "request_rejected"
    | "connection_established"
    | "disconnection"
    | "external_disconnection"
  readonly timestamp: number
  readonly peerId?: string | undefined
}

/**
 * Back-off parameters (Octez `Point_reconnection_config.default`), in ms.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReconnectionConfig {
  readonly factor: number
  readonly initialDelay: number
  readonly disconnectionDelay: number
  readonly increaseCap: number
}

/**
 * ×1.2 from 1 s, 60 s after a disconnection, capped at 2 days.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultReconnection: ReconnectionConfig = {
  factor: 1.2,
  initialDelay: 1_000,
  disconnectionDelay: 60_000,
  increaseCap: 172_800_000
}

/**
 * Events kept per point (Octez `log_size`).
 *
 * @category constants
 * @since 0.1.0
 */
export const logSize = 100

/**
 * What the pool knows about a point. Times are Clock milliseconds.
 *
 * @category models
 * @since 0.1.0
 */
export interface Info {
  readonly point: string
  readonly state: State
  readonly trusted: boolean
  /** Authenticated at least once as a public (non-private) node: only such points are advertised. */
  readonly knownPublic: boolean
  readonly expectedPeerId: string | undefined
  readonly lastFailedConnection: number | undefined
  readonly lastRejectedConnection: number | undefined
  readonly lastEstablishedConnection: number | undefined
  readonly lastDisconnection: number | undefined
  /** Most recent peer seen at this point. */
  readonly lastPeerId: string | undefined
  /** Next back-off delay, and the time before which no dial may start (`undefined`: none). */
  readonly reconnection: { readonly delay: number; readonly endTime: number | undefined }
  readonly events: ReadonlyArray<Event>
}

/**
 * A transition Octez would refuse (an `assert false` there).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  subject: Schema.String,
  from: Schema.String,
  transition: Schema.String
}) {
  override get message(): string {
    return `${this.subject}: cannot ${this.transition} from ${this.from}`
  }
}

/**
 * A new, disconnected point.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { PointState } from "@effect-p2p/pool"
 * PointState.make("10.0.0.1:9732").state // { _tag: "Disconnected" }
 * ```
 */
export const make = (
  point: string,
  options: { readonly trusted?: boolean; readonly expectedPeerId?: string | undefined } = {}
): Info => ({
  point,
  state: { _tag: "Disconnected" },
  trusted: options.trusted ?? false,
  knownPublic: false,
  expectedPeerId: options.expectedPeerId,
  lastFailedConnection: undefined,
  lastRejectedConnection: undefined,
  lastEstablishedConnection: undefined,
  lastDisconnection: undefined,
  lastPeerId: undefined,
  reconnection: { delay: defaultReconnection.initialDelay, endTime: undefined },
  events: []
})

const log = (info: Info, event: Event): ReadonlyArray<Event> =>
  info.events.length < logSize ? [...info.events, event] : [...info.events.slice(1), event]

const invalid = (info: Info, transition: string) =>
  Result.fail(new InvalidTransition({ subject: info.point, from: info.state._tag, transition }))

/**
 * `Disconnected | Requested → Requested`: we start dialling.
 *
 * @category combinators
 * @since 0.1.0
 */
export const setRequested = (info: Info, now: number): Result.Result<Info, InvalidTransition> => {
  if (info.state._tag !== "Disconnected" && info.state._tag !== "Requested") return invalid(info, "set_requested")
  return Result.succeed({
    ...info,
    state: { _tag: "Requested" },
    events: log(info, { kind: "outgoing_request", timestamp: now })
  })
}

/**
 * `Disconnected | Requested → Accepted(peer)`: authenticated and acceptable, before the Ack.
 *
 * @category combinators
 * @since 0.1.0
 */
export const setAccepted = (info: Info, peerId: string, now: number): Result.Result<Info, InvalidTransition> => {
  if (info.state._tag !== "Disconnected" && info.state._tag !== "Requested") return invalid(info, "set_accepted")
  return Result.succeed({
    ...info,
    state: { _tag: "Accepted", peerId },
    lastPeerId: peerId,
    events: log(info, { kind: "accepting_request", timestamp: now, peerId })
  })
}

/**
 * `Disconnected | Requested | Accepted(same peer) → Running(peer)`: the connection is up.
 *
 * @category combinators
 * @since 0.1.0
 */
export const setRunning = (info: Info, peerId: string, now: number): Result.Result<Info, InvalidTransition> => {
  const s = info.state
  if (s._tag === "Running" || (s._tag === "Accepted" && s.peerId !== peerId)) return invalid(info, "set_running")
  return Result.succeed({
    ...info,
    state: { _tag: "Running", peerId },
    lastPeerId: peerId,
    lastEstablishedConnection: now,
    events: log(info, { kind: "connection_established", timestamp: now, peerId })
  })
}

const backOff = (info: Info, now: number, config: ReconnectionConfig) => ({
  delay: Math.min(info.reconnection.delay * config.factor, config.increaseCap),
  endTime: now + info.reconnection.delay
})

/**
 * `Requested | Accepted | Running → Disconnected`. From `Requested` (dial or authentication failed,
 * timed out, or we nacked) and `Accepted` (the Ack phase failed) the back-off grows; from `Running`
 * it is 60 s and the delay resets. `requested` says we closed it (Octez `Disconnection`) rather than
 * the peer (`External_disconnection`).
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { PointState } from "@effect-p2p/pool"
 * import { Result } from "effect"
 * const requested = Result.getOrThrow(PointState.setRequested(PointState.make("10.0.0.1:9732"), 0))
 * const failed = Result.getOrThrow(PointState.setDisconnected(requested, 5_000))
 * failed.reconnection // { delay: 1200, endTime: 6000 }
 * ```
 */
export const setDisconnected = (
  info: Info,
  now: number,
  options: { readonly requested?: boolean; readonly config?: ReconnectionConfig } = {}
): Result.Result<Info, InvalidTransition> => {
  const config = options.config ?? defaultReconnection
  const disconnected = { _tag: "Disconnected" } as const
  switch (info.state._tag) {
    case "Disconnected":
      return invalid(info, "set_disconnected")
    case "Requested":
      return Result.succeed({
        ...info,
        state: disconnected,
        lastFailedConnection: now,
        reconnection: backOff(info, now, config),
        events: log(info, { kind: "request_rejected", timestamp: now })
      })
    case "Accepted":
      return Result.succeed({
        ...info,
        state: disconnected,
        lastRejectedConnection: now,
        reconnection: backOff(info, now, config),
        events: log(info, { kind: "rejecting_request", timestamp: now, peerId: info.state.peerId })
      })
    case "Running":
      return Result.succeed({
        ...info,
        state: disconnected,
        lastDisconnection: now,
        reconnection: { delay: config.initialDelay, endTime: now + config.disconnectionDelay },
        events: log(info, {
          kind: options.requested ? "disconnection" : "external_disconnection",
          timestamp: now,
          peerId: info.state.peerId
        })
      })
  }
}

/**
 * True while the back-off forbids a dial (Octez `cannot_reconnect_yet`: `now ≤ end_time`).
 *
 * @category guards
 * @since 0.1.0
 */
export const inBackOff = (info: Info, now: number): boolean =>
  info.reconnection.endTime !== undefined && now <= info.reconnection.endTime

/**
 * Octez `last_miss`: the latest failure, rejection or disconnection (`undefined`: never missed).
 *
 * @category combinators
 * @since 0.1.0
 */
export const lastMiss = (info: Info): number | undefined =>
  latest(latest(info.lastFailedConnection, info.lastRejectedConnection), info.lastDisconnection)

/**
 * Octez `last_seen`: the latest establishment or disconnection.
 *
 * @category combinators
 * @since 0.1.0
 */
export const lastSeen = (info: Info): number | undefined =>
  latest(info.lastEstablishedConnection, info.lastDisconnection)

/** The later of two optional times (these run inside sorts of the whole table: no arrays). */
const latest = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b)
