/**
 * A known peer (a peer id) and its connection state, as Octez's `P2p_peer_state`: `Disconnected` →
 * `Accepted` (authenticated at some point, before the Ack) → `Running`, and back. Transitions are
 * pure and return an {@link InvalidTransition} where Octez asserts.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { InvalidTransition, type Event as PointEvent } from "./PointState.ts"

export {
  /**
   * @category errors
   * @since 0.1.0
   */
  InvalidTransition
}

/**
 * @category models
 * @since 0.1.0
 */
export type State =
  | { readonly _tag: "Disconnected" }
  | { readonly _tag: "Accepted"; readonly point: string }
  | { readonly _tag: "Running"; readonly point: string }

/**
 * Octez's peer events (`P2p_peer.Pool_event`), kept in a ring of 100.
 *
 * @category models
 * @since 0.1.0
 */
export interface Event {
  /** A point's event kinds but `outgoing_request` (a peer is only known once authenticated). */
  readonly kind: Exclude<PointEvent["kind"], "outgoing_request">
  readonly timestamp: number
  readonly point: string
}

/**
 * What the pool knows about a peer. Times are Clock milliseconds.
 *
 * @category models
 * @since 0.1.0
 */
export interface Info {
  readonly peerId: string
  readonly state: State
  readonly created: number
  readonly trusted: boolean
  readonly lastFailedConnection: number | undefined
  readonly lastRejectedConnection: number | undefined
  readonly lastEstablishedConnection: number | undefined
  readonly lastDisconnection: number | undefined
  /** The point it was last seen at (with the port it listens on, if it announced one). */
  readonly lastPoint: string | undefined
  readonly events: ReadonlyArray<Event>
}

const logSize = 100

/**
 * A new, disconnected peer.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { PeerState } from "@effect-p2p/pool"
 * PeerState.make("idtXXX", 0).state // { _tag: "Disconnected" }
 * ```
 */
export const make = (peerId: string, created: number, options: { readonly trusted?: boolean } = {}): Info => ({
  peerId,
  state: { _tag: "Disconnected" },
  created,
  trusted: options.trusted ?? false,
  lastFailedConnection: undefined,
  lastRejectedConnection: undefined,
  lastEstablishedConnection: undefined,
  lastDisconnection: undefined,
  lastPoint: undefined,
  events: []
})

const log = (info: Info, event: Event): ReadonlyArray<Event> =>
  info.events.length < logSize ? [...info.events, event] : [...info.events.slice(1), event]

const invalid = (info: Info, transition: string) =>
  Result.fail(new InvalidTransition({ subject: info.peerId, from: info.state._tag, transition }))

/**
 * `Disconnected → Accepted(point)`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const setAccepted = (info: Info, point: string, now: number): Result.Result<Info, InvalidTransition> => {
  if (info.state._tag !== "Disconnected") return invalid(info, "set_accepted")
  return Result.succeed({
    ...info,
    state: { _tag: "Accepted", point },
    events: log(info, { kind: "accepting_request", timestamp: now, point })
  })
}

/**
 * `Disconnected | Accepted(same point) → Running(point)`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const setRunning = (info: Info, point: string, now: number): Result.Result<Info, InvalidTransition> => {
  const s = info.state
  if (s._tag === "Running" || (s._tag === "Accepted" && s.point !== point)) return invalid(info, "set_running")
  return Result.succeed({
    ...info,
    state: { _tag: "Running", point },
    lastEstablishedConnection: now,
    lastPoint: point,
    events: log(info, { kind: "connection_established", timestamp: now, point })
  })
}

/**
 * `Accepted → Disconnected` (the Ack phase failed: `request_rejected`) or `Running → Disconnected`
 * (`disconnection` when we closed it, `external_disconnection` otherwise).
 *
 * @category combinators
 * @since 0.1.0
 */
export const setDisconnected = (
  info: Info,
  now: number,
  options: { readonly requested?: boolean } = {}
): Result.Result<Info, InvalidTransition> => {
  const s = info.state
  switch (s._tag) {
    case "Disconnected":
      return invalid(info, "set_disconnected")
    case "Accepted":
      return Result.succeed({
        ...info,
        state: { _tag: "Disconnected" },
        lastRejectedConnection: now,
        events: log(info, { kind: "request_rejected", timestamp: now, point: s.point })
      })
    case "Running":
      return Result.succeed({
        ...info,
        state: { _tag: "Disconnected" },
        lastDisconnection: now,
        events: log(info, {
          kind: options.requested ? "disconnection" : "external_disconnection",
          timestamp: now,
          point: s.point
        })
      })
  }
}
