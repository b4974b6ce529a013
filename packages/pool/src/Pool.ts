/**
 * Many peers at once, as Octez's P2P layer (`P2p_pool`, `P2p_connect_handler`, `P2p_conn`,
 * `P2p_protocol`): tables of known points and peers with their state machines, the ACL, Octez's
 * checks run by the connect handler (`ConnectHandler`) for both directions, one answerer per
 * connection for the P2P messages, and the program's
 * API (send, broadcast, a `Stream` of messages, connections and their stats, connect / disconnect /
 * ban / trust, a `Stream` of events named as Octez names them, `Metric`s).
 *
 * **Connect handler, in Octez's order** (`pool.md` A.5):
 * - `accept(connection)`: more than `maxIncomingConnections` authenticating ⇒ closed at once; a
 *   banned address ⇒ closed without a byte; else authenticated within `authenticationTimeout`.
 * - `connect(point)`: banned point ⇒ `PointBanned`; more than `maxConnections` ⇒
 *   `TooManyConnections`; then under `connectionTimeout`: register the point, private mode ⇒ only
 *   trusted points (`PrivateMode`), the point must be `Disconnected` and out of its back-off
 *   (`PointNotDisconnected`, `ReconnectionDelay`), dial (`ConnectionFailed`), authenticate.
 * - After authentication (either way): a failed handshake greylists the address (proof of work,
 *   decryption, decoding, sizes); `Myself` records our own point; a banned peer is closed
 *   (`PeerBanned`); the remote point is registered if it announced a port; a wrong expected peer id
 *   is refused (`IdentityCheckFailure`); the peer is registered; chain and versions are selected;
 *   the slot threshold is checked; private mode and "already connected" are checked; then the
 *   application's **policy hook** decides; only then the Ack. Every Nack carries the motive and up
 *   to 50 known public points.
 *
 * **Per connection** one fiber reads: application messages go to {@link Pool.messages}; `Bootstrap`
 * is answered with an `Advertise` of known public points (never those of private nodes);
 * `Advertise`d points are registered; each P2P kind is throttled as Octez does (a repeat within
 * its cooldown waits the cooldown; nothing is dropped); a decoding or decryption failure greylists
 * the peer and its address. A `Swap_request` is answered as Octez does (at most one accepted swap
 * per `swapLinger`: reply with one of our other connections, dial the proposed point, and on success
 * drop the connection we gave away); a `Swap_ack` to our own request ({@link Pool.swap}) dials the
 * proposed point and drops the peer we proposed.
 *
 * All time comes from `Clock`, all choice from `Random`: a whole network runs under `TestClock`.
 *
 * @since 0.1.0
 */
import type { SchemaOrEncoding } from "@effect-p2p/codec/Encoding"
import type { NetworkVersion } from "@effect-p2p/codec/NetworkVersion"
import * as CodecPoint from "@effect-p2p/codec/Point"
import type * as Connection from "@effect-p2p/connection/Connection"
import * as GaugeWriter from "@effect-p2p/connection/GaugeWriter"
import * as IoScheduler from "@effect-p2p/connection/IoScheduler"
import type { Stat } from "@effect-p2p/connection/Stat"
import { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import type { Identity } from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Metadata from "@effect-p2p/session/Metadata"
import type * as Negotiation from "@effect-p2p/session/Negotiation"
import * as Rejection from "@effect-p2p/session/Rejection"
import type * as Session from "@effect-p2p/session/Session"
import type { AcceptError, AuthenticateError, Rejected } from "@effect-p2p/session/SessionError"
import {
  Cause,
  Clock,
  Deferred,
  Duration,
  Effect,
  Exit,
  FiberSet,
  Metric,
  Option,
  PubSub,
  Queue,
  Random,
  Result,
  type Scope,
  Stream
} from "effect"
import * as Acl from "./Acl.ts"
import * as ConnectHandler from "./ConnectHandler.ts"
import * as Limits from "./Limits.ts"
import * as Maintenance from "./Maintenance.ts"
import * as PeerState from "./PeerState.ts"
import * as PeersFile from "./PeersFile.ts"
import * as PointState from "./PointState.ts"
import {
  ConnectionFailed,
  IdentityCheckFailure,
  InvalidPoint,
  PeerBanned,
  PeerNotConnected,
  PointBanned,
  PointNotDisconnected,
  PrivateMode,
  ReconnectionDelay,
  TooManyConnections
} from "./PoolError.ts"
import * as PoolMessage from "./PoolMessage.ts"
import { type Address, type Connected, format, type Listening, Transport } from "./Transport.ts"

/**
 * The application's say between metadata and Ack (js-libp2p's connection gater, Octez's "the
 * calling module will make additional checks"): accept, or refuse with a Nack motive. The connect
 * handler's (`ConnectHandler.Decision`), the same for a pool and a `Listener`.
 *
 * @category models
 * @since 0.1.0
 */
export type Decision = ConnectHandler.Decision

/**
 * The application's policy on Octez metadata (`ConnectHandler.Policy`).
 *
 * @category models
 * @since 0.1.0
 */
export type Policy = ConnectHandler.Policy<Metadata.OctezMetadata>

/**
 * A trusted point, optionally with the peer id expected there (`--peer host:port#id`).
 *
 * @category models
 * @since 0.1.0
 */
export interface TrustedPoint {
  readonly point: string
  readonly expectedPeerId?: string | undefined
}

/**
 * What a pool is made of.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<Msg> {
  readonly identity: Identity
  /** Chain name and supported versions; the greatest of each is announced. */
  readonly supported: Negotiation.Supported
  /** Peers' proof of work must meet this difficulty. Default 0 (Octez's node default is 26). */
  readonly expectedPow?: number | undefined
  /** The application's messages (tags from 0x10): an Effect Schema or an `Encoding`. */
  readonly messages: SchemaOrEncoding<Msg>
  /** Default `Limits.defaults`. */
  readonly limits?: Limits.Limits | undefined
  /** Where to listen; absent: outgoing connections only. */
  readonly listen?: Address | undefined
  /** Port announced to peers. Default: the bound port (none if not listening). */
  readonly advertisedPort?: number | undefined
  /** Only trusted points and peers connect, and our points are never advertised. */
  readonly privateMode?: boolean | undefined
  readonly disableMempool?: boolean | undefined
  /**
   * Octez's `--disable-peer-discovery`: Bootstrap and Advertise received are ignored, none is sent
   * (`bootstrap` sends nothing), and our Nacks carry no points. Default false.
   */
  readonly disablePeerDiscovery?: boolean | undefined
  /** Trusted points (bootstrap peers are passed as trusted points, as Octez does). */
  readonly trustedPoints?: ReadonlyArray<TrustedPoint> | undefined
  /** Points known from a previous run (peers file); registered, not trusted. */
  readonly knownPoints?: ReadonlyArray<string> | undefined
  /** The application's accept / refuse decision after the metadata, before the Ack. */
  readonly policy?: Policy | undefined
  readonly reconnection?: PointState.ReconnectionConfig | undefined
  /**
   * Runs the maintenance worker (`Maintenance`) in the pool's scope. Default false; it is also off
   * when `limits.maintenanceIdleTime` is null.
   */
  readonly maintenance?: boolean | undefined
}

/**
 * Octez's pool event names (`P2p_connection.P2p_event`), plus `incoming_connection_refused` and
 * `greylisted`, which Octez only logs.
 *
 * @category models
 * @since 0.1.0
 */
export type EventName =
  | "new_point"
  | "new_peer"
  | "incoming_connection"
  | "outgoing_connection"
  | "incoming_connection_refused"
  | "authentication_failed"
  | PeerState.Event["kind"]
  | "bootstrap_received"
  | "bootstrap_sent"
  | "advertise_received"
  | "advertise_sent"
  | "swap_request_received"
  | "swap_ack_received"
  | "swap_request_sent"
  | "swap_ack_sent"
  | "swap_request_ignored"
  | "swap_success"
  | "swap_failure"
  | "gc_points"
  | "gc_peer_ids"
  | "too_few_connections"
  | "too_many_connections"
  | "greylisted"
  | Maintenance.EventName

/**
 * One pool event: the Octez name and what it is about.
 *
 * @category models
 * @since 0.1.0
 */
export interface Event {
  readonly event: EventName
  readonly point?: string | undefined
  readonly peerId?: string | undefined
  readonly incoming?: boolean | undefined
  /** Why (an error tag, a rejection motive's Octez name, ...). */
  readonly reason?: string | undefined
  /** How many (points advertised, entries collected, connections). */
  readonly count?: number | undefined
  /** How long it took, ms (`maintenance_ended`). */
  readonly durationMillis?: number | undefined
}

/**
 * A live connection as the API shows it.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectionSummary {
  readonly peerId: string
  /** The peer's point: its address and listening port (or its socket port when it announced none). */
  readonly point: string
  readonly incoming: boolean
  readonly privateNode: boolean
  /** Our chain name with the selected versions. */
  readonly version: NetworkVersion
  /** Clock ms. */
  readonly established: number
}

/**
 * What {@link Pool.connect} can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type ConnectError =
  | InvalidPoint
  | PointBanned
  | TooManyConnections
  | PrivateMode
  | PointNotDisconnected
  | ReconnectionDelay
  | ConnectionFailed
  | PeerBanned
  | IdentityCheckFailure
  | Rejected
  | AuthenticateError
  | AcceptError

/**
 * A running pool.
 *
 * @category models
 * @since 0.1.0
 */
export interface Pool<Msg> {
  readonly peerId: string
  /** The listening address, if listening. */
  readonly address: Option.Option<Address>
  readonly limits: Limits.Limits
  /** Dials a point and runs the handshake; the connection then lives in the pool until closed. */
  readonly connect: (
    point: string,
    options?: { readonly trusted?: boolean; readonly expectedPeerId?: string | undefined }
  ) => Effect.Effect<ConnectionSummary, ConnectError>
  /** Runs the connect handler on an incoming connection (what the listener does with each). */
  readonly accept: (connection: Connected) => Effect.Effect<void>
  /**
   * Closes the connection to a peer (Octez `Disconnection`): at once, or with `wait` after sending
   * what is queued (which waits as long as the peer does not read). Bans, greylisting and swaps
   * close at once.
   */
  readonly disconnect: (peerId: string, options?: { readonly wait?: boolean }) => Effect.Effect<void, PeerNotConnected>
  /** Queues a message to one peer; waits while its queue is full. */
  readonly send: (peerId: string, message: Msg) => Effect.Effect<void, PeerNotConnected | Connection.WriteError>
  /** Queues a message to every connected peer without waiting (dropped where a queue is full); returns how many took it. */
  readonly broadcast: (message: Msg) => Effect.Effect<number>
  /** Every application message from every peer, with the sender's peer id; ends when the pool stops. One consumer. */
  readonly messages: Stream.Stream<readonly [peerId: string, message: Msg]>
  /** Pool events from now on (a slow subscriber loses the oldest beyond 4,096). */
  readonly events: Stream.Stream<Event>
  /**
   * Subscribes now, so that no event after this call is missed; read the stream later, in one run or
   * several (each run takes events one at a time and leaves the rest for the next).
   */
  readonly subscribe: Effect.Effect<Stream.Stream<Event>, never, Scope.Scope>
  /** The open connections: the same array while none opens or closes. */
  readonly connections: Effect.Effect<ReadonlyArray<ConnectionSummary>>
  readonly stat: (peerId: string) => Effect.Effect<Stat, PeerNotConnected>
  /** Wire traffic of every connection together. */
  readonly globalStat: Effect.Effect<Stat>
  readonly knownPoints: Effect.Effect<ReadonlyArray<PointState.Info>>
  /** One known point (canonical form, as `knownPoints` lists them), without copying the table. */
  readonly knownPoint: (point: string) => Effect.Effect<Option.Option<PointState.Info>>
  readonly knownPeers: Effect.Effect<ReadonlyArray<PeerState.Info>>
  /** Authenticating incoming connections. */
  readonly pendingIncoming: Effect.Effect<number>
  /** Sends a Bootstrap to every connected public peer; returns how many. */
  readonly bootstrap: Effect.Effect<number>
  /**
   * Proposes a swap as Octez's maintenance does: to a random public peer, the point and id of
   * another of our public connections. False when swap is disabled, in private mode, or with fewer
   * than two public connections.
   */
  readonly swap: Effect.Effect<boolean>
  /**
   * Wakes the maintenance worker (Octez `P2p.maintain`) and returns once the step it triggered is
   * done; fails when maintenance is not running.
   */
  readonly maintain: Effect.Effect<void, Maintenance.MaintenanceDisabled>
  /** Blacklists an IP address and disconnects the peers there (Octez `Points.ban` with `ban_peers`). */
  readonly banAddress: (ip: string) => Effect.Effect<void>
  readonly unbanAddress: (ip: string) => Effect.Effect<void>
  /** Blacklists a peer id and disconnects it. */
  readonly banPeer: (peerId: string) => Effect.Effect<void>
  readonly unbanPeer: (peerId: string) => Effect.Effect<void>
  /** Greylists a peer and its address (what the shell does to a misbehaving peer). */
  readonly greylistPeer: (peerId: string) => Effect.Effect<void>
  /** Marks a point trusted (never collected) and unbans its address. */
  readonly trustPoint: (point: string) => Effect.Effect<void>
  readonly untrustPoint: (point: string) => Effect.Effect<void>
  readonly trustPeer: (peerId: string) => Effect.Effect<void>
  /**
   * Sets the peer id expected at a known point (Octez `set_expected_peer_id`; nothing for an unknown
   * point). A point connected to another peer has its address greylisted and, if running, is closed
   * (Octez's `Unexpected_peer_id`); the next handshake there is checked against it.
   */
  readonly setExpectedPeerId: (point: string, peerId: string) => Effect.Effect<void>
  readonly acl: Acl.Acl
  /** This pool's series of {@link metrics} (attribute `peer_id` = our peer id). */
  readonly metrics: typeof metrics
}

/**
 * Octez's per-connection throttle cooldowns (`P2p_protocol.throttler`), ms.
 *
 * @category constants
 * @since 0.1.0
 */
export const cooldowns: Readonly<Record<PoolMessage.P2p["_tag"], number>> = {
  Disconnect: 0,
  Bootstrap: 100,
  Advertise: 100,
  SwapRequest: 60_000,
  SwapAck: 60_000
}

/**
 * Points in a Nack and in an Advertise answering a Bootstrap (Octez `~size:50`).
 *
 * @category constants
 * @since 0.1.0
 */
export const sharedPoints = 50

/**
 * Pool metrics, named `p2p_pool_*` (conventions.md); each pool updates its own series, with the
 * attribute `peer_id` (see {@link Pool.metrics}).
 *
 * @category metrics
 * @since 0.1.0
 */
export const metrics = {
  connections: Metric.gauge("p2p_pool_connections", { description: "open connections of the pool" }),
  knownPoints: Metric.gauge("p2p_pool_known_points", { description: "points in the known-points table" }),
  knownPeers: Metric.gauge("p2p_pool_known_peers", { description: "peers in the known-peers table" }),
  greylisted: Metric.gauge("p2p_pool_greylisted_addresses", { description: "IP addresses greylisted now" }),
  greylistings: Metric.counter("p2p_pool_greylistings_total", { description: "greylistings, IP or peer" }),
  bytesSent: Metric.gauge("p2p_pool_bytes_sent", { description: "wire bytes sent by the pool's connections" }),
  bytesReceived: Metric.gauge("p2p_pool_bytes_received", { description: "wire bytes received by them" }),
  established: Metric.counter("p2p_pool_connections_established_total", { description: "connections established" })
}

interface Live<Msg> {
  readonly summary: ConnectionSummary
  readonly pointKey: string | undefined
  readonly connection: Connection.Connection<PoolMessage.PoolMessage<Msg>>
  /** Set when we close it (Octez `Disconnection` rather than `External_disconnection`). */
  requested: boolean
  /** The peer we proposed in our last Swap_request on this connection (Octez `last_sent_swap_request`). */
  proposed: string | undefined
}

/** Handshake failures that greylist the address (Octez `raw_authenticate`). */
const greylistingAuthErrors: ReadonlySet<string> = new Set([
  "NotEnoughProofOfWork",
  "InvalidAuth",
  "DecipherError",
  "InvalidMessageSize",
  "DecodeError",
  "InvalidIncomingCiphertextSize",
  "InvalidChunksSize",
  "InvalidPublicKey"
])

/** Read failures after authentication that greylist the peer and its address. */
const greylistingReadErrors: ReadonlySet<string> = new Set([
  "DecodeError",
  "DecipherError",
  "InvalidIncomingCiphertextSize"
])

const tagOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : "Defect"
}

/**
 * Octez keeps IPv4 addresses as IPv4-mapped IPv6 and prints them `a.b.c.d`; a dual-stack socket
 * reports `::ffff:a.b.c.d`. Both are written `a.b.c.d` here, so one peer has one point.
 */
const canonicalHost = (host: string): string => {
  const lower = host.toLowerCase()
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/.test(lower) ? lower.slice(7) : lower
}

const canonicalPoint = (point: string): string | undefined => {
  const parsed = CodecPoint.parse(point)
  return Result.isSuccess(parsed)
    ? CodecPoint.format(canonicalHost(parsed.success.host), parsed.success.port)
    : undefined
}

/** The host of a point of the table (canonical: `CodecPoint.format`'s form, so no parse is needed). */
const hostOf = (point: string): string => {
  const colon = point.lastIndexOf(":")
  return point.startsWith("[") ? point.slice(1, colon - 1) : point.slice(0, colon)
}

/**
 * `k` elements drawn at random without replacement (the last `k` steps of a Fisher–Yates shuffle):
 * a Nack or an Advertise draws 20 of a table of hundreds, for each handshake refused.
 */
const sample = <A>(elements: ReadonlyArray<A>, k: number): Effect.Effect<Array<A>> =>
  Effect.gen(function* () {
    const random = yield* Random.Random
    const buffer = [...elements]
    const taken = Math.min(k, buffer.length)
    for (let i = buffer.length - 1; i >= buffer.length - taken; i--) {
      const index = Math.min(i, Math.floor(random.nextDoubleUnsafe() * (i + 1)))
      const value = buffer[i]!
      buffer[i] = buffer[index]!
      buffer[index] = value
    }
    return buffer.slice(buffer.length - taken)
  })

type Info = Session.ConnectionInfo<Metadata.OctezMetadata>

/** What the connect handler's checks see of a peer: its id, its listening point if announced, the point shown in events. */
interface View {
  readonly peerId: string
  readonly remotePoint: string | undefined
  readonly shownPoint: string
}

const refuse = <E>(error: E, nack: boolean): ConnectHandler.Verdict<E> => ({ _tag: "Refuse", error, nack })

const orDie = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

/**
 * Starts a pool: listens if asked (on the `Transport` in the context), registers the trusted and
 * known points, and runs until the scope closes, which closes every connection.
 *
 * Can fail with `TransportError` (the listen address is taken), `InvalidLimits`,
 * `InvalidDifficulty` (`expectedPow` outside 0..256), `InvalidVersions` (an empty or non-uint16
 * version list in `supported`) and, when a `PeersFile.PeersStore` is provided, `PeersFileError`
 * (its peers are loaded at start and saved when the scope closes).
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { CryptoBackend, Identity } from "@effect-p2p/crypto"
 * import { MemoryNetwork, Pool, Transport } from "@effect-p2p/pool"
 * import { Effect, Schema } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const network = yield* MemoryNetwork.make()
 *   const identity = yield* Identity.generate({ difficulty: 0 })
 *   const pool = yield* Pool.make({
 *     identity,
 *     supported: { chainName: "SANDBOX", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] },
 *     messages: Schema.String,
 *     listen: { host: "10.0.0.1", port: 9732 }
 *   }).pipe(Effect.provideService(Transport.Transport, network.transport("10.0.0.1")))
 *   return yield* pool.connections
 * })).pipe(Effect.provide(CryptoBackend.layerNoble))
 * ```
 */
export const make = <Msg>(options: Options<Msg>) =>
  Effect.gen(function* () {
    const limits = yield* Effect.fromResult(Limits.validate(options.limits ?? Limits.defaults))
    const transport = yield* Transport
    const backend = yield* CryptoBackend
    const reconnection = options.reconnection ?? PointState.defaultReconnection
    const privateMode = options.privateMode ?? false
    const discovery = !(options.disablePeerDiscovery ?? false)
    const ownPeerId = PeerId.toBase58(options.identity.peerId)
    const expectedPow = options.expectedPow ?? 0
    const wire = PoolMessage.encoding(options.messages)
    const threshold = Limits.connectionsThreshold(limits)
    const [maxPoints, targetPoints] = limits.maxKnownPoints
    const [maxPeers, targetPeers] = limits.maxKnownPeerIds
    const connectionOptions: Connection.Options = {
      incomingQueueSize: limits.incomingMessageQueueSize,
      outgoingQueueSize: limits.outgoingMessageQueueSize,
      ...(limits.binaryChunksSize === null
        ? {}
        : { binaryChunksSize: Math.min(65_535, limits.binaryChunksSize * 1024) })
    }
    const metadata: Metadata.OctezMetadata = {
      disableMempool: options.disableMempool ?? false,
      privateNode: privateMode
    }
    // Checked once here (InvalidDifficulty, InvalidVersions), not at every connection.
    const handler = yield* Effect.fromResult(
      ConnectHandler.make({
        identity: options.identity,
        expectedPow,
        supported: options.supported,
        metadata,
        metadataEncoding: Metadata.octez,
        messageEncoding: wire,
        connection: connectionOptions,
        policy: options.policy
      })
    )

    const acl = Acl.make({
      ipGreylistSize: limits.ipGreylistSizeInKilobytes,
      ipGreylistDelayMillis: limits.ipGreylistCleanupDelay * 1000,
      peerGreylistSize: limits.peerGreylistSize
    })
    const points = new Map<string, PointState.Info>()
    const peers = new Map<string, PeerState.Info>()
    const live = new Map<string, Live<Msg>>()
    // What `connections` returns: built when asked, dropped when `live` changes, so that asking
    // every second (the simulator's invariant check) neither allocates nor changes identity.
    let connectionList: ReadonlyArray<ConnectionSummary> | undefined
    /** Our own points seen through `Myself` (Octez keeps the last 7). */
    const myPoints: Array<string> = []
    let pendingIncoming = 0

    const scheduler = yield* IoScheduler.make({
      ...(limits.maxDownloadSpeed === null ? {} : { maxDownloadSpeed: limits.maxDownloadSpeed * 1024 }),
      ...(limits.maxUploadSpeed === null ? {} : { maxUploadSpeed: limits.maxUploadSpeed * 1024 })
    })
    const fibers = yield* FiberSet.make<unknown, unknown>()
    const events = yield* PubSub.sliding<Event>(4096)
    const inbox = yield* Queue.bounded<readonly [string, Msg], Cause.Done>(
      Math.max(1, limits.incomingAppMessageQueueSize * limits.maxConnections)
    )
    // When the pool stops, `messages` ends after what was already queued.
    yield* Effect.addFinalizer(() => Queue.end(inbox))
    const now = Clock.currentTimeMillis
    // One series per pool (several pools may share a process: tests, simulations).
    const attributes = { peer_id: ownPeerId }
    const own: typeof metrics = {
      connections: Metric.withAttributes(metrics.connections, attributes),
      knownPoints: Metric.withAttributes(metrics.knownPoints, attributes),
      knownPeers: Metric.withAttributes(metrics.knownPeers, attributes),
      greylisted: Metric.withAttributes(metrics.greylisted, attributes),
      greylistings: Metric.withAttributes(metrics.greylistings, attributes),
      bytesSent: Metric.withAttributes(metrics.bytesSent, attributes),
      bytesReceived: Metric.withAttributes(metrics.bytesReceived, attributes),
      established: Metric.withAttributes(metrics.established, attributes)
    }

    // The gauges follow every event, but a series is written only when its value changed: most
    // events change one of them (a simulation emits millions).
    const writeGauges = GaugeWriter.make([
      own.connections,
      own.knownPoints,
      own.knownPeers,
      own.greylisted,
      own.bytesSent,
      own.bytesReceived
    ])
    const updateMetrics = Effect.flatMap(now, (t) => {
      const stat = scheduler.globalStat()
      return writeGauges([
        live.size,
        points.size,
        peers.size,
        acl.greylistedAddressCount(t),
        stat.totalSent,
        stat.totalRecv
      ])
    })
    const emit = (event: Event) => Effect.andThen(PubSub.publish(events, event), updateMetrics)

    // ---- tables ------------------------------------------------------------------------------

    /** Octez `gc_points`: drop disconnected, untrusted points, oldest `last_miss` first (never missed = now). */
    const gcPoints = (t: number) => {
      const candidates = [...points.values()]
        .filter((p) => p.state._tag === "Disconnected" && !p.trusted)
        .sort((a, b) => (PointState.lastMiss(a) ?? t) - (PointState.lastMiss(b) ?? t))
      const excess = points.size - targetPoints
      const removed = candidates.slice(0, Math.max(0, excess))
      for (const p of removed) points.delete(p.point)
      return removed.length
    }

    /** Octez `gc_peer_ids`: disconnected, untrusted peers, lowest score (all equal) then newest first. */
    const gcPeers = () => {
      const candidates = [...peers.values()]
        .filter((p) => p.state._tag === "Disconnected" && !p.trusted)
        .sort((a, b) => b.created - a.created)
      const removed = candidates.slice(0, Math.max(0, peers.size - targetPeers))
      for (const p of removed) peers.delete(p.peerId)
      return removed.length
    }

    // Our listening point as peers would write it, formatted once per change of what it depends on
    // (it is compared with every point a Nack or an Advertise brings).
    let ownPoint:
      | { readonly listening: Listening; readonly port: number | undefined; readonly point: string }
      | undefined
    const isOwnPoint = (point: string) => {
      if (myPoints.includes(point)) return true
      if (listening === undefined) return false
      if (ownPoint === undefined || ownPoint.listening !== listening || ownPoint.port !== announcedPort) {
        const own = format({ host: canonicalHost(listening.address.host), port: announcedPort ?? 0 })
        ownPoint = { listening, port: announcedPort, point: own }
      }
      return point === ownPoint.point
    }

    /** Octez `register_point`: collect first if full, then add (events `gc_points`, `new_point`). */
    const registerPoint = (
      given: string,
      extra: { readonly trusted?: boolean; readonly expectedPeerId?: string | undefined } = {}
    ): Effect.Effect<PointState.Info | undefined> =>
      Effect.gen(function* () {
        const point = canonicalPoint(given)
        if (point === undefined) return undefined
        const existing = points.get(point)
        if (existing !== undefined) {
          const trusted = existing.trusted || (extra.trusted ?? false)
          const expectedPeerId = extra.expectedPeerId ?? existing.expectedPeerId
          // Known already (most of a Nack's points): nothing to write unless something changed.
          if (trusted === existing.trusted && expectedPeerId === existing.expectedPeerId) return existing
          const updated: PointState.Info = {
            ...existing,
            trusted: existing.trusted || (extra.trusted ?? false),
            expectedPeerId: extra.expectedPeerId ?? existing.expectedPeerId
          }
          points.set(point, updated)
          return updated
        }
        if (isOwnPoint(point)) return undefined
        if (points.size >= maxPoints) {
          const removed = gcPoints(yield* now)
          if (removed > 0) yield* emit({ event: "gc_points", count: removed })
        }
        const info = PointState.make(point, extra)
        points.set(point, info)
        yield* emit({ event: "new_point", point })
        return info
      })

    const registerPeer = (peerId: string) =>
      Effect.gen(function* () {
        const existing = peers.get(peerId)
        if (existing !== undefined) return existing
        if (peers.size >= maxPeers) {
          const removed = gcPeers()
          if (removed > 0) yield* emit({ event: "gc_peer_ids", count: removed })
        }
        const info = PeerState.make(peerId, yield* now)
        peers.set(peerId, info)
        yield* emit({ event: "new_peer", peerId })
        return info
      })

    const setPoint = (
      point: string | undefined,
      f: (info: PointState.Info, t: number) => Result.Result<PointState.Info, PointState.InvalidTransition>
    ) =>
      Effect.flatMap(now, (t) =>
        Effect.sync(() => {
          if (point === undefined) return
          const info = points.get(point)
          if (info !== undefined) points.set(point, orDie(f(info, t)))
        })
      )

    const setPeer = (
      peerId: string,
      f: (info: PeerState.Info, t: number) => Result.Result<PeerState.Info, PeerState.InvalidTransition>
    ) =>
      Effect.flatMap(now, (t) =>
        Effect.sync(() => {
          const info = peers.get(peerId)
          if (info !== undefined) peers.set(peerId, orDie(f(info, t)))
        })
      )

    /**
     * Octez `list_known_points ~ignore_private:true`: public, unbanned points; connected ones first
     * (longest-standing first), then the others (most recently seen first); the first 3/5 of `size`
     * in that order and the rest drawn at random from what remains.
     */
    const listKnownPoints = (size: number) =>
      Effect.gen(function* () {
        // Discovery disabled: nothing is shared, neither in an Advertise nor in a Nack (Octez).
        if (!discovery) return [] as ReadonlyArray<string>
        const t = yield* now
        const connected: Array<PointState.Info> = []
        const others: Array<{ readonly info: PointState.Info; readonly seen: number }> = []
        for (const p of points.values()) {
          if (!p.knownPublic || acl.isAddressBanned(hostOf(p.point), t)) continue
          if (p.state._tag === "Running") connected.push(p)
          else others.push({ info: p, seen: PointState.lastSeen(p) ?? 0 })
        }
        connected.sort((a, b) => (a.lastEstablishedConnection ?? 0) - (b.lastEstablishedConnection ?? 0))
        // Stable: equal times keep the table's order, as before.
        others.sort((a, b) => b.seen - a.seen)
        const ordered = [...connected, ...others.map((o) => o.info)]
        const best = size - Math.floor((size * 2) / 5)
        const rest = yield* sample(ordered.slice(best), size - best)
        return [...ordered.slice(0, best), ...rest].map((p) => p.point)
      })

    const greylistAddress = (ip: string, reason: string, peerId?: string) =>
      Effect.gen(function* () {
        acl.greylistAddress(ip, yield* now)
        yield* Metric.update(own.greylistings, 1)
        yield* emit({ event: "greylisted", point: ip, peerId, reason })
      })

    const greylistPeerAndAddress = (peerId: string, ip: string, reason: string) =>
      Effect.andThen(
        Effect.sync(() => acl.greylistPeer(peerId)),
        greylistAddress(ip, reason, peerId)
      )

    // ---- the connection's life ---------------------------------------------------------------

    /**
     * A repeat within the cooldown waits the cooldown (Octez `throttle_callbacks`): rate-limited, not
     * dropped. The wait ends early if the connection is lost (as Octez's), so that a closed
     * connection is torn down at once rather than after up to 60 s; false then: nothing to answer.
     */
    const throttled = (entry: Live<Msg>, lastHandled: Map<string, number>, kind: PoolMessage.P2p["_tag"]) =>
      Effect.gen(function* () {
        const cooldown = cooldowns[kind]
        const last = lastHandled.get(kind)
        if (cooldown > 0 && last !== undefined && (yield* now) - last < cooldown) {
          const open = yield* Effect.raceFirst(
            Effect.as(Effect.sleep(cooldown), true),
            Effect.as(entry.connection.closed, false)
          )
          if (!open) return false
        }
        lastHandled.set(kind, yield* now)
        return true
      })

    const answer = (entry: Live<Msg>, message: PoolMessage.P2p, lastHandled: Map<string, number>) =>
      Effect.gen(function* () {
        const peerId = entry.summary.peerId
        // Discovery disabled: Bootstrap and Advertise are ignored as they are read (Octez `P2p_conn`).
        if (!discovery && (message._tag === "Bootstrap" || message._tag === "Advertise")) return
        if (!(yield* throttled(entry, lastHandled, message._tag))) return
        switch (message._tag) {
          case "Bootstrap": {
            yield* emit({ event: "bootstrap_received", peerId })
            if (entry.summary.privateNode || privateMode) return
            const list = yield* listKnownPoints(sharedPoints)
            if (list.length === 0) return
            const sent = yield* entry.connection
              .writeNow({ _tag: "Advertise", points: list })
              .pipe(Effect.orElseSucceed(() => false))
            if (sent) yield* emit({ event: "advertise_sent", peerId, count: list.length })
            return
          }
          case "Advertise": {
            yield* emit({ event: "advertise_received", peerId, count: message.points.length })
            if (privateMode) return
            for (const point of message.points) yield* registerPoint(point)
            return
          }
          case "SwapRequest":
            yield* emit({ event: "swap_request_received", peerId, point: message.point })
            return yield* onSwapRequest(entry, message.point)
          case "SwapAck":
            yield* emit({ event: "swap_ack_received", peerId, point: message.point })
            return yield* onSwapAck(entry, message.point)
          case "Disconnect":
            return
        }
      })

    // ---- swap (Octez `P2p_protocol`: a peer proposes one of its connections for one of ours) ----

    let latestAcceptedSwap = Number.NEGATIVE_INFINITY
    let latestSuccessfulSwap = Number.NEGATIVE_INFINITY

    /** Connections that may be proposed: public, with a listening point, not `except`. */
    const proposable = (except: string) =>
      [...live.values()].filter(
        (e) => e.summary.peerId !== except && !e.summary.privateNode && e.pointKey !== undefined
      )

    /** Dials the swapped-in point in the background; on success drops the swapped-out peer. */
    const swapTo = (point: string, dropPeerId: string | undefined, onFailure: Effect.Effect<void>) =>
      FiberSet.run(
        fibers,
        Effect.gen(function* () {
          const exit = yield* Effect.exit(connect(point))
          if (Exit.isFailure(exit)) {
            yield* onFailure
            return yield* emit({ event: "swap_failure", point, reason: tagOf(exit.cause) })
          }
          latestSuccessfulSwap = yield* now
          const dropped = dropPeerId === undefined ? undefined : live.get(dropPeerId)
          if (dropped !== undefined) yield* closeFor(dropped)
          yield* emit({ event: "swap_success", point, peerId: dropPeerId })
        })
      )

    const onSwapRequest = (entry: Live<Msg>, point: string) =>
      Effect.gen(function* () {
        const peerId = entry.summary.peerId
        const ignore = (reason: string) => emit({ event: "swap_request_ignored", peerId, point, reason })
        if (limits.swapLinger === null || privateMode) return yield* ignore("swap disabled")
        const t = yield* now
        if (t - Math.max(latestAcceptedSwap, latestSuccessfulSwap) < limits.swapLinger * 1000) {
          return yield* ignore("swap linger")
        }
        const known = points.get(point)
        if ((known !== undefined && known.state._tag !== "Disconnected") || isOwnPoint(point)) {
          return yield* ignore("already connected")
        }
        const candidates = proposable(peerId)
        if (candidates.length === 0) return yield* ignore("nothing to propose")
        const proposal = candidates[yield* Random.nextIntBetween(0, candidates.length - 1)]!
        const sent = yield* entry.connection
          .writeNow({
            _tag: "SwapAck",
            point: proposal.pointKey!,
            peerId: PeerId.fromBase58(proposal.summary.peerId).pipe(Result.getOrThrow)
          })
          .pipe(Effect.orElseSucceed(() => false))
        if (!sent) return yield* ignore("write queue full")
        yield* emit({ event: "swap_ack_sent", peerId, point: proposal.pointKey })
        latestAcceptedSwap = t
        const previous = latestSuccessfulSwap
        yield* swapTo(
          point,
          proposal.summary.peerId,
          Effect.sync(() => {
            latestAcceptedSwap = previous
          })
        )
      })

    const onSwapAck = (entry: Live<Msg>, point: string) =>
      Effect.gen(function* () {
        const proposed = entry.proposed
        if (limits.swapLinger === null || proposed === undefined) return
        entry.proposed = undefined
        const known = points.get(point)
        if ((known !== undefined && known.state._tag !== "Disconnected") || isOwnPoint(point)) return
        yield* swapTo(point, proposed, Effect.void)
      })

    /** Octez `propose_swap_request`: to a random public peer, one of our other public connections. */
    const swap = Effect.gen(function* () {
      if (limits.swapLinger === null || privateMode) return false
      const recipients = proposable("")
      if (recipients.length < 2) return false
      const recipient = recipients[yield* Random.nextIntBetween(0, recipients.length - 1)]!
      const others = proposable(recipient.summary.peerId)
      const proposal = others[yield* Random.nextIntBetween(0, others.length - 1)]!
      const sent = yield* recipient.connection
        .writeNow({
          _tag: "SwapRequest",
          point: proposal.pointKey!,
          peerId: PeerId.fromBase58(proposal.summary.peerId).pipe(Result.getOrThrow)
        })
        .pipe(Effect.orElseSucceed(() => false))
      if (!sent) return false
      recipient.proposed = proposal.summary.peerId
      yield* emit({ event: "swap_request_sent", peerId: recipient.summary.peerId, point: proposal.pointKey })
      return true
    })

    /** Reads until the connection ends; returns why it ended. */
    const readLoop = (entry: Live<Msg>) =>
      Effect.gen(function* () {
        const lastHandled = new Map<string, number>()
        while (true) {
          const [, message] = yield* entry.connection.read
          if (message._tag === "Message") yield* Queue.offer(inbox, [entry.summary.peerId, message.message] as const)
          else if (message._tag === "Disconnect") return "Disconnect"
          else yield* answer(entry, message, lastHandled)
        }
      })

    const run = (entry: Live<Msg>, remoteHost: string) =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(readLoop(entry))
        const reason = Exit.isSuccess(exit) ? exit.value : tagOf(exit.cause)
        if (Exit.isFailure(exit) && greylistingReadErrors.has(reason)) {
          yield* greylistPeerAndAddress(entry.summary.peerId, remoteHost, reason)
        }
        yield* entry.connection.close({ wait: false })
        return { reason, exit }
      })

    const teardown = (entry: Live<Msg>, reason: string) =>
      Effect.gen(function* () {
        if (live.get(entry.summary.peerId) !== entry) return
        live.delete(entry.summary.peerId)
        connectionList = undefined
        const requested = entry.requested
        yield* setPoint(entry.pointKey, (info, t) =>
          PointState.setDisconnected(info, t, { requested, config: reconnection })
        )
        yield* setPeer(entry.summary.peerId, (info, t) => PeerState.setDisconnected(info, t, { requested }))
        yield* emit({
          event: requested ? "disconnection" : "external_disconnection",
          peerId: entry.summary.peerId,
          point: entry.summary.point,
          reason
        })
        if (live.size < limits.minConnections) yield* emit({ event: "too_few_connections", count: live.size })
      })

    // ---- the connect handler -----------------------------------------------------------------

    let listening: Listening | undefined
    let announcedPort: number | undefined = options.advertisedPort

    /** What the pool calls about each connection's handshake: its Octez checks plug into it. */
    const handlerEvent =
      (connected: Connected, incoming: boolean, dialled: string | undefined, viewOf: (info: Info) => View) =>
      (event: ConnectHandler.Event<Metadata.OctezMetadata>): Effect.Effect<void> =>
        Effect.gen(function* () {
          switch (event._tag) {
            case "AuthenticationFailed": {
              const cause = event.cause
              const tag = tagOf(cause)
              const error = Cause.findErrorOption(cause)
              if (Option.isSome(error) && error.value._tag === "Myself") {
                // Our own point: the one we dialled, or the address and port the peer (us) announced.
                const announced = error.value.point
                const own =
                  dialled ??
                  (Option.isSome(announced.port)
                    ? CodecPoint.format(announced.address, announced.port.value)
                    : undefined)
                if (own !== undefined) {
                  myPoints.push(own)
                  if (myPoints.length > 7) myPoints.shift()
                  points.delete(own)
                }
              }
              yield* emit({ event: "authentication_failed", point: format(connected.remote), incoming, reason: tag })
              if (greylistingAuthErrors.has(tag)) yield* greylistAddress(canonicalHost(connected.remote.host), tag)
              return
            }
            case "Rejecting": {
              const { peerId, shownPoint } = viewOf(event.info)
              const reason = Rejection.name(event.motive)
              return yield* emit({ event: "rejecting_request", point: shownPoint, peerId, incoming, reason })
            }
            case "Accepting": {
              const { peerId, remotePoint, shownPoint } = viewOf(event.info)
              yield* setPoint(remotePoint, (p, t) => PointState.setAccepted(p, peerId, t))
              yield* setPeer(peerId, (p, t) => PeerState.setAccepted(p, shownPoint, t))
              return yield* emit({ event: "accepting_request", point: shownPoint, peerId, incoming })
            }
            case "RequestRejected": {
              const { peerId, remotePoint, shownPoint } = viewOf(event.info)
              const error = event.error
              // With peer discovery disabled, points learnt from a Nack are not registered either.
              if (discovery && error._tag === "RejectedByNack" && Option.isSome(error.alternativePoints)) {
                for (const point of error.alternativePoints.value) yield* registerPoint(point)
              }
              yield* setPoint(remotePoint, (p, t) => PointState.setDisconnected(p, t, { config: reconnection }))
              yield* setPeer(peerId, (p, t) => PeerState.setDisconnected(p, t))
              return yield* emit({
                event: "request_rejected",
                point: shownPoint,
                peerId,
                incoming,
                reason: error._tag === "RejectedByNack" ? Rejection.name(error.motive) : error._tag
              })
            }
          }
        })

    /**
     * Octez's checks after authentication (`raw_authenticate` steps 2 to 8), in its order, as the
     * connect handler's check; the application's policy and the Ack follow in the handler.
     */
    const octezChecks =
      (incoming: boolean, dialled: string | undefined, viewOf: (info: Info) => View) =>
      (info: Info): Effect.Effect<ConnectHandler.Verdict<PeerBanned | IdentityCheckFailure | PrivateMode>> =>
        Effect.gen(function* () {
          const { peerId, remotePoint, shownPoint } = viewOf(info)
          // (2) banned peer: closed without a Nack.
          if (acl.isPeerBanned(peerId)) return refuse(new PeerBanned({ peerId }), false)
          // (3) the remote point, if it announced a port; public unless the peer says it is private.
          const registered = remotePoint === undefined ? undefined : yield* registerPoint(remotePoint)
          const pointInfo =
            registered === undefined ? undefined : { ...registered, knownPublic: !info.remoteMetadata.privateNode }
          if (pointInfo !== undefined) points.set(pointInfo.point, pointInfo)
          // (4) expected peer id: a bare Nack.
          const expected = pointInfo?.expectedPeerId
          if (expected !== undefined && expected !== peerId) {
            return refuse(new IdentityCheckFailure({ point: shownPoint, expected, actual: peerId }), true)
          }
          // (5) the peer.
          const peerInfo = yield* registerPeer(peerId)
          // (6) chain and versions: a mismatch unregisters the point, it does not greylist.
          const selected = ConnectHandler.selectVersion(options.supported, info.announcedVersion)
          if (selected._tag !== "Accept") {
            const p = remotePoint === undefined ? undefined : points.get(remotePoint)
            if (p !== undefined && p.state._tag === "Disconnected" && !p.trusted) points.delete(p.point)
            return selected
          }
          // (7) slots.
          if (live.size >= threshold) return { _tag: "Reject", motive: Rejection.TooManyConnections }
          // (8) private mode (closed without a Nack), then "already connected".
          const trustedPoint = pointInfo?.trusted ?? false
          if (privateMode && !trustedPoint && !peerInfo.trusted)
            return refuse(new PrivateMode({ point: shownPoint }), false)
          const pointState = remotePoint === undefined ? undefined : points.get(remotePoint)?.state._tag
          const ownAttempt = !incoming && dialled === remotePoint
          if (
            pointState === "Accepted" ||
            pointState === "Running" ||
            (pointState === "Requested" && !ownAttempt) ||
            peers.get(peerId)?.state._tag !== "Disconnected" ||
            live.has(peerId)
          ) {
            return { _tag: "Reject", motive: Rejection.AlreadyConnected }
          }
          return selected
        })

    /**
     * The connect handler (authentication, the checks above, the application's policy, Ack or
     * Nack); on success the connection is registered as running and handed to `onEstablished`, then
     * read until it ends.
     */
    const handshake = (
      connected: Connected,
      incoming: boolean,
      dialled: string | undefined,
      onEstablished: (summary: ConnectionSummary) => Effect.Effect<void>,
      budget: Duration.Duration
    ) =>
      Effect.gen(function* () {
        const remoteHost = canonicalHost(connected.remote.host)
        // The peer's id and points, computed once per handshake (base58 is not free).
        let view: View | undefined
        const viewOf = (info: Info): View => {
          if (view !== undefined) return view
          const remotePoint = Option.isSome(info.remotePoint.port)
            ? CodecPoint.format(canonicalHost(info.remotePoint.address), info.remotePoint.port.value)
            : undefined
          view = {
            peerId: PeerId.toBase58(info.peerId),
            remotePoint,
            shownPoint: remotePoint ?? format({ host: remoteHost, port: connected.remote.port })
          }
          return view
        }
        const established = yield* handler
          .run(connected, {
            incoming,
            listeningPort: announcedPort,
            remote: { address: remoteHost, port: connected.remote.port },
            timeout: budget,
            check: octezChecks(incoming, dialled, viewOf),
            alternativePoints: listKnownPoints(sharedPoints),
            onEvent: handlerEvent(connected, incoming, dialled, viewOf)
          })
          .pipe(Effect.provideService(IoScheduler.IoScheduler, scheduler))
        const { info, connection } = established
        const { peerId, remotePoint, shownPoint } = viewOf(info)
        const t = yield* now
        const summary: ConnectionSummary = {
          peerId,
          point: shownPoint,
          incoming,
          privateNode: info.remoteMetadata.privateNode,
          version: established.version,
          established: t
        }
        const entry: Live<Msg> = { summary, pointKey: remotePoint, connection, requested: false, proposed: undefined }
        live.set(peerId, entry)
        connectionList = undefined
        yield* setPoint(remotePoint, (p, t) => PointState.setRunning(p, peerId, t))
        yield* setPeer(peerId, (p, t) => PeerState.setRunning(p, shownPoint, t))
        yield* Metric.update(own.established, 1)
        yield* emit({ event: "connection_established", point: shownPoint, peerId, incoming })
        // Octez's maintenance triggers, as events (`Maintenance` wakes on them).
        if (live.size >= limits.maxConnections) yield* emit({ event: "too_many_connections", count: live.size })
        yield* onEstablished(summary)
        const ended = yield* run(entry, remoteHost).pipe(Effect.onInterrupt(() => teardown(entry, "interrupted")))
        yield* teardown(entry, ended.reason)
        // A defect in the answerer is a bug: the connection is closed and accounted for, then it goes on.
        if (Exit.isFailure(ended.exit) && Cause.hasDies(ended.exit.cause)) yield* Effect.failCause(ended.exit.cause)
      }).pipe(Effect.provideService(CryptoBackend, backend))

    const accept = (connected: Connected): Effect.Effect<void> =>
      Effect.gen(function* () {
        const address = format(connected.remote)
        if (pendingIncoming >= limits.maxIncomingConnections) {
          yield* connected.abort
          return yield* emit({ event: "incoming_connection_refused", point: address, reason: "too many incoming" })
        }
        if (acl.isAddressBanned(canonicalHost(connected.remote.host), yield* now)) {
          yield* connected.abort
          return yield* emit({ event: "incoming_connection_refused", point: address, reason: "banned" })
        }
        pendingIncoming++
        let counted = true
        const release = Effect.sync(() => {
          if (counted) pendingIncoming--
          counted = false
        })
        yield* emit({ event: "incoming_connection", point: address, incoming: true })
        yield* handshake(
          connected,
          true,
          undefined,
          () => release,
          Duration.seconds(limits.authenticationTimeout)
        ).pipe(Effect.ensuring(release), Effect.ignore, Effect.scoped)
      })

    const dial = (point: string, address: Address) =>
      Effect.gen(function* () {
        const established = yield* Deferred.make<ConnectionSummary, ConnectError>()
        // One deadline for the whole attempt (Octez's `connection_timeout` around connect and
        // authentication): the handshake gets what the transport's dial left of it.
        const deadline = (yield* now) + limits.connectionTimeout * 1000
        const attempt = Effect.gen(function* () {
          const connected = yield* transport
            .dial(address, { timeout: Duration.seconds(limits.connectionTimeout) })
            .pipe(Effect.mapError((error) => new ConnectionFailed({ point, reason: error.reason })))
          const left = Duration.millis(Math.max(0, deadline - (yield* now)))
          yield* handshake(
            connected,
            false,
            point,
            (summary) => Deferred.succeed(established, summary).pipe(Effect.asVoid),
            left
          )
        }).pipe(
          Effect.scoped,
          Effect.onExit((exit) =>
            Effect.gen(function* () {
              // Still Requested or Accepted here: this attempt failed before running.
              const info = points.get(point)
              if (info !== undefined && (info.state._tag === "Requested" || info.state._tag === "Accepted")) {
                const peerId = info.state._tag === "Accepted" ? info.state.peerId : undefined
                yield* setPoint(point, (p, t) => PointState.setDisconnected(p, t, { config: reconnection }))
                if (peerId !== undefined && peers.get(peerId)?.state._tag === "Accepted") {
                  yield* setPeer(peerId, (p, t) => PeerState.setDisconnected(p, t))
                }
              }
              if (Exit.isFailure(exit)) {
                const error = Cause.findErrorOption(exit.cause)
                if (Option.isSome(error)) yield* Deferred.fail(established, error.value as ConnectError)
                else yield* Deferred.failCause(established, exit.cause as Cause.Cause<ConnectError>)
              }
            })
          )
        )
        // The caller learns the outcome from `established`; a defect later in the connection's life is logged.
        yield* FiberSet.run(
          fibers,
          attempt.pipe(
            Effect.catchCause((cause) =>
              Cause.hasDies(cause) ? Effect.logError("connection died", cause) : Effect.void
            )
          )
        )
        // The attempt ends by its deadline, established or failed: no second timer here.
        return yield* Deferred.await(established)
      })

    const connect: Pool<Msg>["connect"] = (given, extra = {}) =>
      Effect.gen(function* () {
        const parsed = CodecPoint.parse(given)
        if (Result.isFailure(parsed)) return yield* new InvalidPoint({ point: given, reason: parsed.failure })
        const address: Address = { host: canonicalHost(parsed.success.host), port: parsed.success.port }
        const point = format(address)
        const t = yield* now
        if (acl.isAddressBanned(address.host, t)) return yield* new PointBanned({ point })
        if (live.size > limits.maxConnections) {
          return yield* new TooManyConnections({ active: live.size, limit: limits.maxConnections })
        }
        const info = yield* registerPoint(point, extra)
        if (info === undefined) return yield* new InvalidPoint({ point, reason: "one of our own points" })
        if (privateMode && !info.trusted) return yield* new PrivateMode({ point })
        if (info.state._tag !== "Disconnected") {
          return yield* new PointNotDisconnected({ point, state: info.state._tag })
        }
        if (PointState.inBackOff(info, t)) {
          return yield* new ReconnectionDelay({ point, endTime: info.reconnection.endTime ?? t })
        }
        yield* setPoint(point, (p, t) => PointState.setRequested(p, t))
        yield* emit({ event: "outgoing_connection", point })
        return yield* dial(point, address)
      })

    // ---- start -------------------------------------------------------------------------------

    if (options.listen !== undefined) {
      listening = yield* transport.listen(options.listen)
      announcedPort = options.advertisedPort ?? listening.address.port
      yield* FiberSet.run(fibers, listening.run(accept))
    }
    for (const trusted of options.trustedPoints ?? []) {
      yield* registerPoint(trusted.point, { trusted: true, expectedPeerId: trusted.expectedPeerId })
    }
    for (const point of options.knownPoints ?? []) yield* registerPoint(point)
    // Octez's peers.json: loaded at creation, saved when the pool stops.
    const store = yield* Effect.serviceOption(PeersFile.PeersStore)
    if (Option.isSome(store)) {
      const records = yield* store.value.load
      for (const point of PeersFile.points(records)) yield* registerPoint(point)
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => store.value.save(PeersFile.fromPeers([...peers.values()]))).pipe(
          Effect.catch((error) => Effect.logWarning(error.message))
        )
      )
    }

    const withPeer = <A, E>(peerId: string, f: (entry: Live<Msg>) => Effect.Effect<A, E>) =>
      Effect.suspend((): Effect.Effect<A, E | PeerNotConnected> => {
        const entry = live.get(peerId)
        return entry === undefined ? Effect.fail(new PeerNotConnected({ peerId })) : f(entry)
      })

    /** Closes a connection we decided to drop: at once, or (`wait`) after sending what is queued. */
    const closeFor = (entry: Live<Msg>, wait = false) =>
      Effect.suspend(() => {
        entry.requested = true
        return entry.connection.close({ wait })
      })

    const disconnectWhere = (predicate: (entry: Live<Msg>) => boolean) =>
      Effect.forEach([...live.values()].filter(predicate), (entry) => closeFor(entry), { discard: true })

    const pool: Pool<Msg> = {
      peerId: ownPeerId,
      address: Option.fromUndefinedOr(listening?.address),
      limits,
      connect,
      accept,
      disconnect: (peerId, options) => withPeer(peerId, (entry) => closeFor(entry, options?.wait ?? false)),
      send: (peerId, message) => withPeer(peerId, (entry) => entry.connection.write(PoolMessage.message(message))),
      broadcast: (message) =>
        Effect.gen(function* () {
          let count = 0
          for (const entry of [...live.values()]) {
            const ok = yield* entry.connection
              .writeNow(PoolMessage.message(message))
              .pipe(Effect.orElseSucceed(() => false))
            if (ok) count++
          }
          return count
        }),
      messages: Stream.fromQueue(inbox),
      events: Stream.fromPubSub(events),
      // One event per pull, so that a consumer may run the stream several times (each run takes
      // what it needs and leaves the rest queued), as tests waiting for one event after another do.
      subscribe: Effect.map(PubSub.subscribe(events), (subscription) =>
        Stream.fromEffectRepeat(PubSub.take(subscription))
      ),
      connections: Effect.sync(() => {
        connectionList ??= Array.from(live.values(), (entry) => entry.summary)
        return connectionList
      }),
      stat: (peerId) => withPeer(peerId, (entry) => entry.connection.stat),
      globalStat: Effect.sync(() => scheduler.globalStat()),
      knownPoints: Effect.sync(() => [...points.values()]),
      knownPoint: (point) => Effect.sync(() => Option.fromUndefinedOr(points.get(point))),
      knownPeers: Effect.sync(() => [...peers.values()]),
      pendingIncoming: Effect.sync(() => pendingIncoming),
      bootstrap: Effect.gen(function* () {
        let count = 0
        // Discovery disabled: Octez's `write_bootstrap` sends nothing.
        if (!discovery) return count
        for (const entry of [...live.values()]) {
          if (entry.summary.privateNode) continue
          const ok = yield* entry.connection.writeNow({ _tag: "Bootstrap" }).pipe(Effect.orElseSucceed(() => false))
          if (ok) {
            count++
            yield* emit({ event: "bootstrap_sent", peerId: entry.summary.peerId })
          }
        }
        return count
      }),
      swap,
      maintain: Effect.suspend(() =>
        maintenance === undefined ? Effect.fail(new Maintenance.MaintenanceDisabled()) : maintenance.maintain
      ),
      banAddress: (ip) =>
        Effect.andThen(
          Effect.sync(() => acl.banAddress(canonicalHost(ip))),
          disconnectWhere((entry) => hostOf(entry.summary.point) === canonicalHost(ip))
        ),
      unbanAddress: (ip) => Effect.sync(() => acl.unbanAddress(canonicalHost(ip))),
      banPeer: (peerId) =>
        Effect.andThen(
          Effect.sync(() => acl.banPeer(peerId)),
          disconnectWhere((entry) => entry.summary.peerId === peerId)
        ),
      unbanPeer: (peerId) => Effect.sync(() => acl.unbanPeer(peerId)),
      greylistPeer: (peerId) =>
        Effect.gen(function* () {
          const entry = live.get(peerId)
          const ip = entry === undefined ? undefined : hostOf(entry.summary.point)
          acl.greylistPeer(peerId)
          if (ip !== undefined) yield* greylistAddress(ip, "greylisted by the application", peerId)
          if (entry !== undefined) yield* closeFor(entry)
        }),
      trustPoint: (point) =>
        Effect.gen(function* () {
          yield* registerPoint(point, { trusted: true })
          const canonical = canonicalPoint(point)
          if (canonical !== undefined) acl.unbanAddress(hostOf(canonical))
        }),
      untrustPoint: (point) =>
        Effect.sync(() => {
          const info = points.get(point)
          if (info !== undefined) points.set(point, { ...info, trusted: false })
        }),
      setExpectedPeerId: (given, peerId) =>
        Effect.gen(function* () {
          const point = canonicalPoint(given)
          const info = point === undefined ? undefined : points.get(point)
          if (info === undefined) return
          points.set(info.point, { ...info, expectedPeerId: peerId })
          const state = info.state
          if ((state._tag === "Accepted" || state._tag === "Running") && state.peerId !== peerId) {
            yield* greylistAddress(hostOf(info.point), "unexpected peer id", state.peerId)
            const entry = state._tag === "Running" ? live.get(state.peerId) : undefined
            if (entry !== undefined) yield* closeFor(entry)
          }
        }),
      trustPeer: (peerId) =>
        Effect.gen(function* () {
          const info = yield* registerPeer(peerId)
          peers.set(peerId, { ...info, trusted: true })
          acl.unbanPeer(peerId)
        }),
      acl,
      metrics: own
    }
    yield* updateMetrics
    // Started last, so that it stops first when the scope closes.
    let maintenance: Maintenance.Maintenance | undefined
    if (options.maintenance === true && limits.maintenanceIdleTime !== null) {
      // Cannot fail: the idle time is set (checked just above).
      maintenance = yield* Effect.orDie(Maintenance.make(pool, { privateMode, emit }))
    }
    return pool
  })

/**
 * What {@link make} needs: a crypto backend for the sessions, a transport, and the scope the pool
 * lives in.
 *
 * @category models
 * @since 0.1.0
 */
export type Requirements = CryptoBackend | Transport | Scope.Scope
