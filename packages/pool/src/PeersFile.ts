/**
 * Known peers across restarts (Octez's `peers.json`): on start the pool loads the file and
 * registers each peer's last point that has a port; on shutdown it saves every known peer with its
 * last points. Where the file lives and how it is written is a service ({@link PeersStore}): the
 * Node implementation (`@effect-p2p/node` `PeersFile.layer`) writes it atomically; {@link memory}
 * keeps it in memory for tests.
 *
 * The JSON follows Octez's `P2p_peer_state.Info.encoding` for the fields kept here: `peer_id`,
 * `created`, `trusted`, and `last_established_connection` / `last_disconnection` / `last_seen` as
 * `[{ "addr": ..., "port": ... }, time]` with RFC 3339 times.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref, Schema } from "effect"
import type * as PeerState from "./PeerState.ts"

const IdPoint = Schema.Struct({ addr: Schema.String, port: Schema.optionalKey(Schema.Int) })
const Seen = Schema.Tuple([IdPoint, Schema.String])

/**
 * One peer in the file.
 *
 * @category models
 * @since 0.1.0
 */
export const PeerRecord = Schema.Struct({
  peer_id: Schema.String,
  created: Schema.String,
  trusted: Schema.optionalKey(Schema.Boolean),
  last_established_connection: Schema.optionalKey(Seen),
  last_disconnection: Schema.optionalKey(Seen),
  last_seen: Schema.optionalKey(Seen)
})

/**
 * @category models
 * @since 0.1.0
 */
export type PeerRecord = typeof PeerRecord.Type

/**
 * The whole file: a JSON array of peers.
 *
 * @category encoding
 * @since 0.1.0
 */
export const PeersJson = Schema.fromJsonString(Schema.Array(PeerRecord))

/**
 * The peers file could not be read, parsed or written.
 *
 * @category errors
 * @since 0.1.0
 */
export class PeersFileError extends Schema.TaggedError<PeersFileError>()("PeersFileError", {
  path: Schema.String,
  operation: Schema.Literals(["load", "save"]),
  reason: Schema.String
}) {
  override get message(): string {
    return `peers file ${this.path}: cannot ${this.operation}: ${this.reason}`
  }
}

/**
 * Where known peers are kept between runs.
 *
 * @category services
 * @since 0.1.0
 */
export interface PeersStoreShape {
  /** The saved peers; none when nothing was saved yet. */
  readonly load: Effect.Effect<ReadonlyArray<PeerRecord>, PeersFileError>
  readonly save: (peers: ReadonlyArray<PeerRecord>) => Effect.Effect<void, PeersFileError>
}

/**
 * @category services
 * @since 0.1.0
 */
export class PeersStore extends Context.Service<PeersStore, PeersStoreShape>()("@effect-p2p/pool/PeersStore") {}

/**
 * A store in memory (tests, browsers); `initial` is what the first load returns.
 *
 * @category layers
 * @since 0.1.0
 * @example
 * ```ts
 * import { PeersFile } from "@effect-p2p/pool"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const store = yield* PeersFile.PeersStore
 *   yield* store.save([{ peer_id: "idt...", created: "2026-01-01T00:00:00.000Z" }])
 *   return yield* store.load
 * }).pipe(Effect.provide(PeersFile.memory()))
 * ```
 */
export const memory = (initial: ReadonlyArray<PeerRecord> = []): Layer.Layer<PeersStore> =>
  Layer.effect(
    PeersStore,
    Effect.map(Ref.make(initial), (ref) => ({ load: Ref.get(ref), save: (peers) => Ref.set(ref, peers) }))
  )

const iso = (millis: number) => new Date(millis).toISOString()

const splitPoint = (point: string): { readonly addr: string; readonly port?: number } => {
  const colon = point.lastIndexOf(":")
  const port = Number(point.slice(colon + 1))
  const host = point.slice(0, colon).replace(/^\[(.*)\]$/, "$1")
  return colon > 0 && Number.isInteger(port) ? { addr: host, port } : { addr: point }
}

const seen = (point: string | undefined, at: number | undefined) =>
  point === undefined || at === undefined ? undefined : ([splitPoint(point), iso(at)] as const)

/**
 * The records of the pool's known peers.
 *
 * @category encoding
 * @since 0.1.0
 */
export const fromPeers = (peers: ReadonlyArray<PeerState.Info>): ReadonlyArray<PeerRecord> =>
  peers.map((peer) => {
    const established = seen(peer.lastPoint, peer.lastEstablishedConnection)
    const disconnected = seen(peer.lastPoint, peer.lastDisconnection)
    const latest = Math.max(peer.lastEstablishedConnection ?? -1, peer.lastDisconnection ?? -1)
    const lastSeen = seen(peer.lastPoint, latest < 0 ? undefined : latest)
    return {
      peer_id: peer.peerId,
      created: iso(peer.created),
      ...(peer.trusted ? { trusted: true } : {}),
      ...(established === undefined ? {} : { last_established_connection: established }),
      ...(disconnected === undefined ? {} : { last_disconnection: disconnected }),
      ...(lastSeen === undefined ? {} : { last_seen: lastSeen })
    }
  })

/**
 * The points to register from saved records: each peer's last seen point that has a port.
 *
 * @category decoding
 * @since 0.1.0
 * @example
 * ```ts
 * import { PeersFile } from "@effect-p2p/pool"
 * PeersFile.points([{ peer_id: "idt", created: "", last_seen: [{ addr: "::1", port: 9732 }, ""] }]) // ["[::1]:9732"]
 * ```
 */
export const points = (records: ReadonlyArray<PeerRecord>): ReadonlyArray<string> =>
  records.flatMap((record) => {
    const last = record.last_seen?.[0]
    if (last?.port === undefined) return []
    return [last.addr.includes(":") ? `[${last.addr}]:${last.port}` : `${last.addr}:${last.port}`]
  })
