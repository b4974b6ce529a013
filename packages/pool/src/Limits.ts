/**
 * The pool's limits, as Octez's `P2p_limits.t`: every field has Octez's default, and the Schema
 * reads and writes the JSON an Octez operator writes under `p2p.limits` in `config.json` (same keys,
 * durations in seconds, `[max, target]` pairs for the known tables). Also the derived values Octez
 * computes from them: `--connections N` scaling ({@link fromConnections}) and the maintenance bounds
 * ({@link maintenanceBounds}).
 *
 * Decoding reproduces one Octez quirk on purpose: a JSON object without `connection-timeout` gets
 * 5 s (Octez's encoding uses `default.authentication_timeout` as that key's default), while
 * {@link defaults} has 10 s.
 *
 * @since 0.1.0
 */
import { Effect, Result, Schema } from "effect"

const seconds = (value: number) => Schema.Number.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))
const count = (value: number) => Schema.Int.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))
const optionalSeconds = (value: number | null) =>
  Schema.NullOr(Schema.Number).pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))
const optionalCount = Schema.NullOr(Schema.Int).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))
const table = (max: number, target: number) =>
  Schema.Tuple([Schema.Int, Schema.Int]).pipe(Schema.withDecodingDefaultKey(Effect.succeed([max, target] as const)))

const mib8 = 8 * 1024 * 1024

/**
 * `P2p_limits.t`. Units: durations in seconds, sizes in bytes unless the name says KiB, counts of
 * connections, points or peers. `null` means "none" where Octez has an option (no speed limit,
 * maintenance disabled, swap disabled, default chunk size).
 *
 * @category models
 * @since 0.1.0
 */
export const Limits = Schema.Struct({
  /** Budget of a whole outgoing `connect` (dial, authentication, Ack), s. Default 10 (5 when decoded without the key, as Octez). */
  connectionTimeout: seconds(5),
  /** Budget of an incoming authentication, s. Default 5. */
  authenticationTimeout: seconds(5),
  /** Default of `ipGreylistCleanupDelay` in Octez; read by nothing else, s. Default 86 400. */
  greylistTimeout: seconds(86_400),
  /** Maintenance timer, s; `null` disables maintenance. Default 120. */
  maintenanceIdleTime: optionalSeconds(120),
  /** Strict minimum of connections. Default 10. */
  minConnections: count(10),
  /** Target number of connections. Default 50. */
  expectedConnections: count(50),
  /** Maximum number of connections. Default 100. */
  maxConnections: count(100),
  /** `listen(2)` backlog. Default 20. */
  backlog: count(20),
  /** Incoming connections authenticating at once; one more is closed at once. Default 20. */
  maxIncomingConnections: count(20),
  /** Global download limit, KiB/s; `null`: none. */
  maxDownloadSpeed: optionalCount,
  /** Global upload limit, KiB/s; `null`: none. */
  maxUploadSpeed: optionalCount,
  /** Bytes passed to one `read(2)`. Default 16 384. */
  readBufferSize: count(16_384),
  /** Per-connection scheduler read queue, bytes. Default 8 MiB. */
  readQueueSize: count(mib8),
  /** Per-connection scheduler write queue, bytes. Default 8 MiB. */
  writeQueueSize: count(mib8),
  /** Decoded application messages queued per connection (messages). Default 10. */
  incomingAppMessageQueueSize: count(10),
  /** Per-connection incoming message queue, bytes. Default 8 MiB. */
  incomingMessageQueueSize: count(mib8),
  /** Per-connection outgoing message queue, bytes. Default 8 MiB. */
  outgoingMessageQueueSize: count(mib8),
  /** Known points table: `[max, target]`; past max, collection down to target. Default [400, 300]. */
  maxKnownPoints: table(400, 300),
  /** Known peers table: `[max, target]`. Default [400, 300]. */
  maxKnownPeerIds: table(400, 300),
  /** Peer ids kept in the peer greylist. Default 1023. */
  peerGreylistSize: count(1023),
  /** Octez: the bloom filter's size; here the number of IP greylist entries kept. Default 2048. */
  ipGreylistSizeInKilobytes: count(2048),
  /** How long an IP stays greylisted, s. Default 86 400. */
  ipGreylistCleanupDelay: seconds(86_400),
  /** Least time between two accepted swaps, s; `null` disables swap. Default 30. */
  swapLinger: optionalSeconds(30),
  /** Largest chunk on the wire, KiB; `null`: the maximum (65 535 B). */
  binaryChunksSize: optionalCount
}).pipe(
  Schema.encodeKeys({
    connectionTimeout: "connection-timeout",
    authenticationTimeout: "authentication-timeout",
    greylistTimeout: "greylist-timeout",
    maintenanceIdleTime: "maintenance-idle-time",
    minConnections: "min-connections",
    expectedConnections: "expected-connections",
    maxConnections: "max-connections",
    backlog: "backlog",
    maxIncomingConnections: "max-incoming-connections",
    maxDownloadSpeed: "max-download-speed",
    maxUploadSpeed: "max-upload-speed",
    readBufferSize: "read-buffer-size",
    readQueueSize: "read-queue-size",
    writeQueueSize: "write-queue-size",
    incomingAppMessageQueueSize: "incoming-app-message-queue-size",
    incomingMessageQueueSize: "incoming-message-queue-size",
    outgoingMessageQueueSize: "outgoing-message-queue-size",
    maxKnownPoints: "max_known_points",
    maxKnownPeerIds: "max_known_peer_ids",
    peerGreylistSize: "peer_greylist_size",
    ipGreylistSizeInKilobytes: "ip_greylist_size_in_kilobytes",
    ipGreylistCleanupDelay: "ip_greylist_cleanup_delay",
    swapLinger: "swap-linger",
    binaryChunksSize: "binary-chunks-size"
  })
)

/**
 * @category models
 * @since 0.1.0
 */
export type Limits = typeof Limits.Type

/**
 * Octez's `P2p_limits.default`.
 *
 * @category constants
 * @since 0.1.0
 * @example
 * ```ts
 * import { Limits } from "@effect-p2p/pool"
 * Limits.defaults.maxConnections // 100
 * ```
 */
export const defaults: Limits = {
  ...Schema.decodeUnknownSync(Limits)({}),
  connectionTimeout: 10
}

/**
 * A limits value that cannot work (Octez `config_validation.ml`).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidLimits extends Schema.TaggedError<InvalidLimits>()("InvalidLimits", {
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid p2p limits: ${this.reason}`
  }
}

/**
 * Checks what Octez's configuration validation checks: `min ≤ expected ≤ max`, and positive
 * table sizes with `target ≤ max`.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Limits } from "@effect-p2p/pool"
 * Limits.validate({ ...Limits.defaults, minConnections: 60 }) // Result.fail(InvalidLimits)
 * ```
 */
export const validate = (limits: Limits): Result.Result<Limits, InvalidLimits> => {
  const fail = (reason: string) => Result.fail(new InvalidLimits({ reason }))
  if (limits.minConnections > limits.expectedConnections) {
    return fail(
      `min-connections (${limits.minConnections}) is greater than expected-connections (${limits.expectedConnections})`
    )
  }
  if (limits.expectedConnections > limits.maxConnections) {
    return fail(
      `expected-connections (${limits.expectedConnections}) is greater than max-connections (${limits.maxConnections})`
    )
  }
  for (const [name, [max, target]] of [
    ["max_known_points", limits.maxKnownPoints],
    ["max_known_peer_ids", limits.maxKnownPeerIds]
  ] as const) {
    if (max < 1 || target > max || target < 0)
      return fail(`${name} must be [max, target] with 0 ≤ target ≤ max, max ≥ 1`)
  }
  return Result.succeed(limits)
}

/**
 * `--connections N` as Octez's `shared_arg.ml` and `config_file.ml` apply it: min N/2 (N when N is
 * 1), expected N, max 3N/2, and both known tables `(8N, 6N)`. N over 100 is refused, as Octez does
 * unless configuration validation is disabled.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Limits } from "@effect-p2p/pool"
 * Limits.fromConnections(Limits.defaults, 20)
 * // Result.succeed({ ...defaults, minConnections: 10, expectedConnections: 20, maxConnections: 30, maxKnownPoints: [160, 120], ... })
 * ```
 */
export const fromConnections = (base: Limits, connections: number): Result.Result<Limits, InvalidLimits> => {
  if (!Number.isInteger(connections) || connections < 1) {
    return Result.fail(new InvalidLimits({ reason: `--connections must be a positive integer, got ${connections}` }))
  }
  if (connections > 100) {
    return Result.fail(new InvalidLimits({ reason: `--connections ${connections} is over 100` }))
  }
  const tableSize = 8 * connections
  const tableLimits = [tableSize, Math.floor(tableSize / 4) * 3] as const
  return validate({
    ...base,
    minConnections: connections === 1 ? 1 : Math.floor(connections / 2),
    expectedConnections: connections,
    maxConnections: Math.floor((connections * 3) / 2),
    maxKnownPoints: tableLimits,
    maxKnownPeerIds: tableLimits
  })
}

/**
 * The thresholds maintenance works between (Octez `make_maintenance_bounds`).
 *
 * @category models
 * @since 0.1.0
 */
export interface MaintenanceBounds {
  readonly minThreshold: number
  readonly minTarget: number
  readonly maxTarget: number
  readonly maxThreshold: number
}

/**
 * `step_min = (expected − min) / 3`, `step_max = (max − expected) / 3` (integer division), then
 * min + step_min, min + 2·step_min, max − 2·step_max, max − step_max.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Limits } from "@effect-p2p/pool"
 * Limits.maintenanceBounds(Limits.defaults) // { minThreshold: 23, minTarget: 36, maxTarget: 68, maxThreshold: 84 }
 * ```
 */
export const maintenanceBounds = (
  limits: Pick<Limits, "minConnections" | "expectedConnections" | "maxConnections">
): MaintenanceBounds => {
  const stepMin = Math.floor((limits.expectedConnections - limits.minConnections) / 3)
  const stepMax = Math.floor((limits.maxConnections - limits.expectedConnections) / 3)
  return {
    minThreshold: limits.minConnections + stepMin,
    minTarget: limits.minConnections + 2 * stepMin,
    maxTarget: limits.maxConnections - 2 * stepMax,
    maxThreshold: limits.maxConnections - stepMax
  }
}

/**
 * The slot threshold checked while authenticating (Octez `connections_threshold`): the maintenance
 * bounds' max threshold while maintenance runs, `maxConnections` when it is disabled.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Limits } from "@effect-p2p/pool"
 * Limits.connectionsThreshold(Limits.defaults) // 84
 * ```
 */
export const connectionsThreshold = (limits: Limits): number =>
  limits.maintenanceIdleTime === null ? limits.maxConnections : maintenanceBounds(limits).maxThreshold
