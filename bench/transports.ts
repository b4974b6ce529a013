/**
 * The transports under comparison, set up the same way in the parent and in the children:
 * effect-p2p connections (fixed key, crossed nonces) and sessions (full handshake) over
 * `@effect-p2p/node`'s TCP helpers, js-libp2p 3 nodes (TCP + noise or plaintext + yamux), and a
 * self-signed certificate for `node:tls`.
 */
import "./polyfill.ts"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { noise } from "@chainsafe/libp2p-noise"
import { yamux } from "@chainsafe/libp2p-yamux"
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import * as Connection from "@effect-p2p/connection/Connection"
import * as IoScheduler from "@effect-p2p/connection/IoScheduler"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { NativeCrypto } from "@effect-p2p/node"
import type * as Tcp from "@effect-p2p/node/Tcp"
import * as TcpTransport from "@effect-p2p/node/TcpTransport"
import * as Limits from "@effect-p2p/pool/Limits"
import * as Pool from "@effect-p2p/pool/Pool"
import * as Transport from "@effect-p2p/pool/Transport"
import * as Session from "@effect-p2p/session/Session"
import { plaintext } from "@libp2p/plaintext"
import { tcp } from "@libp2p/tcp"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { createLibp2p, type Libp2p } from "libp2p"

export type Backend = "native" | "noble"

export const backendLayer = (backend: Backend): Layer.Layer<CryptoBackend.CryptoBackend> =>
  backend === "noble" ? CryptoBackend.layerNoble : Layer.orDie(NativeCrypto.layer())

/**
 * What a node process builds once and shares between all its connections, as `Listener` does: the
 * crypto backend and one `IoScheduler`. Building them per connection would measure set-up a real
 * node does not repeat.
 */
export const hostRuntime = (backend: Backend) =>
  ManagedRuntime.make(Layer.mergeAll(backendLayer(backend), IoScheduler.layer()))

/** The services of {@link hostRuntime}. */
export type HostServices = CryptoBackend.CryptoBackend | IoScheduler.IoScheduler

export const backendShape = (backend: Backend): Promise<CryptoBackend.CryptoBackendShape> =>
  backend === "noble" ? Promise.resolve(CryptoBackend.noble) : Effect.runPromise(NativeCrypto.make())

// --- effect-p2p message connection with a fixed key (no handshake): both ends agree on key and nonces.
const key = new Uint8Array(32).fill(7) as ChannelKey
const nonceA = Nonce.zero()
const nonceB = Nonce.increment(Nonce.increment(nonceA))

/** A message connection over an open TCP socket; `dialer` picks which nonce is ours. */
export const fixedKeyConnection = (tcpSocket: Tcp.TcpSocket, dialer: boolean) =>
  Connection.make({
    reader: ByteReader.make(tcpSocket.socket),
    channelKey: key,
    localNonce: dialer ? nonceA : nonceB,
    remoteNonce: dialer ? nonceB : nonceA,
    encoding: Encoding.bytes
  })

// --- effect-p2p sessions: authenticate + accept with difficulty-0 identities.
export const version = { chainName: "BENCH_CHAIN", distributedDbVersion: 1, p2pVersion: 1 }

export const makeIdentity = (backend: Backend) =>
  Effect.runPromise(Identity.generate({ difficulty: 0 }).pipe(Effect.provide(backendLayer(backend))))

/** The full handshake over an open TCP socket: connection message, metadata, ack; returns info and the connection. */
export const handshake = (tcpSocket: Tcp.TcpSocket, identity: Identity.Identity, incoming: boolean) =>
  Effect.gen(function* () {
    const [info, auth] = yield* Session.authenticate({
      socket: tcpSocket.socket,
      identity,
      incoming,
      remote: { address: tcpSocket.remote.host, port: tcpSocket.remote.port },
      listeningPort: incoming ? tcpSocket.local.port : undefined,
      expectedPow: 0,
      version,
      metadata: undefined,
      metadataEncoding: Encoding.empty,
      timeout: "10 seconds"
    })
    const connection = yield* Session.accept(auth, { messageEncoding: Encoding.bytes })
    return { info, connection }
  })

// --- effect-p2p pools over TCP (issue 23: the targets hold for connections the pool makes too)

/**
 * The application message the pool benchmarks carry: one tag (0x10, the first application tag) and
 * a byte payload running to the end of the message, in Octez's envelope (u32 length, u16 tag).
 */
export const PoolData = Schema.Union([
  Schema.TaggedStruct("Data", {
    payload: Schema.Uint8Array.annotate(Encoding.binary({ variable: true }))
  }).annotate(Encoding.binary({ tag: 0x10 }))
]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))
export type PoolData = typeof PoolData.Type

/** Many peers at once, nothing in the way of a benchmark's dials: no maintenance, no incoming cap. */
const poolLimits: Limits.Limits = {
  ...Limits.defaults,
  maxIncomingConnections: 1000,
  maxConnections: 1000
}

/**
 * A pool over TCP (`TcpTransport`), listening when `listen` is set. A dialling pool may dial the same
 * point again at once after closing its connection: the benchmark reconnects on purpose, where Octez
 * waits 60 s.
 */
export const makePool = (identity: Identity.Identity, listen: boolean) =>
  Pool.make({
    identity,
    supported: {
      chainName: version.chainName,
      distributedDbVersions: [version.distributedDbVersion],
      p2pVersions: [version.p2pVersion]
    },
    messages: PoolData,
    limits: poolLimits,
    ...(listen ? { listen: { host: "127.0.0.1", port: 0 } } : {}),
    reconnection: { factor: 1, initialDelay: 0, disconnectionDelay: -1, increaseCap: 0 }
  }).pipe(Effect.provideService(Transport.Transport, TcpTransport.make({ backlog: 1024 })))

/** The point a listening pool is reachable at. */
export const poolPoint = (pool: Pool.Pool<PoolData>): string => {
  if (pool.address._tag === "None") throw new Error("pool: not listening")
  return Transport.format(pool.address.value)
}

// --- js-libp2p 3
export type Libp2pSecurity = "noise" | "plaintext"
export const benchProtocol = "/effect-p2p-bench/1.0.0"

export const makeLibp2p = (security: Libp2pSecurity, listen: boolean): Promise<Libp2p> =>
  createLibp2p({
    addresses: { listen: listen ? ["/ip4/127.0.0.1/tcp/0"] : [] },
    transports: [tcp()],
    connectionEncrypters: [security === "noise" ? noise() : plaintext()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    connectionManager: {
      maxConnections: 10_000,
      maxIncomingPendingConnections: 10_000,
      inboundConnectionThreshold: 1_000_000,
      maxParallelDials: 1000
    }
  })

/** The payload bytes of a libp2p 'message' event (a Uint8Array or a Uint8ArrayList). */
export const chunksOf = (data: Uint8Array | { subarray(): Uint8Array }): Uint8Array =>
  data instanceof Uint8Array ? data : data.subarray()

// --- node:tls: a self-signed P-256 certificate made with the openssl CLI once per process.
let cert: { key: Buffer; cert: Buffer; dir: string } | undefined
/** Makes the certificate in a fresh directory, or reads the one in `existing` (the child reads the parent's). */
export const tlsCert = (existing?: string) => {
  if (cert) return cert
  const dir = existing ?? mkdtempSync(join(tmpdir(), "effect-p2p-bench-"))
  if (existing === undefined)
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem")
      ],
      { stdio: "ignore" }
    )
  cert = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")), dir }
  return cert
}
