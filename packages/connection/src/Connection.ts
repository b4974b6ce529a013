/**
 * The encrypted, chunked message connection that follows a successful handshake (Octez
 * `P2p_socket` after `accept`).
 *
 * Two fibers run per connection, both tied to its scope:
 *
 * 1. the **reader** reads one chunk at a time (`u16` length, then tag and ciphertext), opens it
 *    with the remote nonce, feeds the plaintext to a streaming decoder (chunk boundaries carry no
 *    meaning: a message may span many chunks) and queues every complete message with its encoded
 *    size; a chunk that does not authenticate or a message that does not decode stops it, the
 *    error is delivered to the next `read` after the messages decoded before it, and the
 *    connection closes;
 * 2. the **writer** takes everything already queued (up to 256 KiB) as one batch, cuts it into
 *    chunks of at most `binaryChunksSize − 18` bytes of plaintext, seals them in place with
 *    consecutive local nonces and writes them with one socket write. With `packMessages` (the
 *    default) the messages of a batch share chunks; without it each starts a chunk of its own, as
 *    Octez's writer does. Under an upload limit each message is sealed and written on its own. A
 *    message over 256 KiB is sealed and written in pieces, never as a second copy of itself.
 *    A `write` / `writeNow` that finds the writer idle (nothing queued, no batch being written)
 *    and a socket that takes the bytes at once (`ByteSocket.writeReusableNow`) is sealed and handed
 *    over from the caller's fiber instead, in one synchronous step (one scheduler turn less per
 *    message on a request/response path); the nonces, the order and the charge are the same.
 *
 * Both queues are bounded by what their messages cost in memory (encoded bytes plus a per-message
 * overhead measured on V8), with Octez's rule (see `BoundedQueue`), and charge the host's budget
 * (`IoScheduler`): `write` waits for room, `writeNow` drops and says so, and the reader stops
 * reading the socket while the incoming queue is full, so a fast peer is slowed by TCP rather than
 * by our memory. The message being reassembled and the batch being written stay charged too.
 *
 * The lifecycle is one named state (`Open`, `Closing` while `close({ wait: true })` flushes,
 * `Closed` with the reason), changed only by `beginClosing` and `finish`. A defect in either fiber
 * (a bug, e.g. a crypto backend or socket that throws) finishes the connection too: every pending and later
 * `read` and write dies with that defect, and `closed` reports `ReadFailed` / `WriteFailed`
 * with `error: "Defect"`, so nothing waits forever on a dead fiber.
 *
 * @since 0.1.0
 */
import * as Binary from "@effect-p2p/codec/Binary"
import type { DecodeError, EncodeError } from "@effect-p2p/codec/CodecError"
import { type Encoding, type SchemaOrEncoding, toEncoding } from "@effect-p2p/codec/Encoding"
import * as StreamDecoder from "@effect-p2p/codec/StreamDecoder"
import { CryptoBackend } from "@effect-p2p/crypto/CryptoBackend"
import { DecipherError } from "@effect-p2p/crypto/CryptoError"
import type { ChannelKey } from "@effect-p2p/crypto/Keys"
import type * as Nonce from "@effect-p2p/crypto/Nonce"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Result, Scope, Sink, Stream } from "effect"
import * as BoundedQueue from "./BoundedQueue.ts"
import type { ByteReader } from "./ByteReader.ts"
import * as Chunk from "./Chunk.ts"
import {
  ConnectionClosed,
  type InvalidChunksSize,
  InvalidIncomingCiphertextSize,
  UnframedEncoding
} from "./ConnectionError.ts"
import * as IoScheduler from "./IoScheduler.ts"
import { allocUninitialized } from "./internal/alloc.ts"
import * as WireBuffers from "./internal/wireBuffers.ts"
import type * as Stat from "./Stat.ts"
import { spanOptions as traceOptions } from "./Trace.ts"

/**
 * Queue sizes and chunking, each with its unit.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /**
   * Bytes of received messages held before the reader stops reading the socket, each charged its
   * encoded size plus {@link incomingMessageOverhead}. Default 8 MiB (Octez's node default).
   */
  readonly incomingQueueSize?: number
  /**
   * Bytes of messages to send held before `write` waits and `writeNow` drops, each charged its
   * encoded size plus {@link outgoingMessageOverhead}. Default 8 MiB.
   */
  readonly outgoingQueueSize?: number
  /** Largest chunk on the wire, header and tag included: 19..65535. Default 65535. */
  readonly binaryChunksSize?: number
  /**
   * Bytes one incoming message may occupy while it is being reassembled; a peer announcing more
   * fails with `DecodeError` (`SizeLimitExceeded`) before anything is buffered. Default: only the
   * bound the encoding declares (`checkSize`), e.g. 100 MiB for the P2p envelope.
   */
  readonly maxMessageSize?: number
  /**
   * Lets small messages queued together share chunks (fewer chunks to seal, send and open). Octez's
   * reader accepts this, since chunk boundaries carry no meaning, but Octez's own writer starts a
   * chunk per message: set `false` to chunk exactly as it does. Default `true`. Under an upload
   * limit every message starts a new chunk either way.
   */
  readonly packMessages?: boolean
}

/**
 * Default queue size: 8 MiB, as an Octez node.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultQueueSize = 8 * 1024 * 1024

/**
 * Bytes each message in the incoming queue is charged on top of its encoded size: what V8 (Node 20,
 * x64) holds for a small decoded message, measured by `test/memory/fill.ts`: about 250 B for a P2p
 * envelope, 660–700 B for an `Encoding.bytes` value (its bytes are a view into a copy of up to 512
 * bytes of the input, made by the codec), rounded up. A decoded value built of many small objects
 * (a list of points, of strings) costs more than this per message; see docs/LIMITS.md.
 *
 * @category constants
 * @since 0.2.0
 */
export const incomingMessageOverhead = 768

/**
 * Bytes each message in the outgoing queue (or in the batch being written) is charged on top of its
 * encoded size: about 200 B measured on V8, rounded up (`BoundedQueue.elementOverhead`).
 *
 * @category constants
 * @since 0.2.0
 */
export const outgoingMessageOverhead = BoundedQueue.elementOverhead

/**
 * What `read` fails with: the connection was closed, or the reader stopped on bad input.
 *
 * @category errors
 * @since 0.1.0
 */
export type ReadError = ConnectionClosed | DecipherError | DecodeError | InvalidIncomingCiphertextSize

/**
 * What the write operations fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type WriteError = ConnectionClosed | EncodeError

/**
 * An open message connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface Connection<Msg> {
  /** Waits for the next message; returns its encoded size in bytes and the message. */
  readonly read: Effect.Effect<readonly [size: number, message: Msg], ReadError>
  /** The next message if one is queued, `None` otherwise; never waits. */
  readonly readNow: Effect.Effect<Option.Option<readonly [size: number, message: Msg]>, ReadError>
  /** Encodes and queues; waits while the outgoing queue is full. */
  readonly write: (message: Msg) => Effect.Effect<void, WriteError>
  /** Encodes and queues without waiting: `true` if queued, `false` if dropped because the queue is full. */
  readonly writeNow: (message: Msg) => Effect.Effect<boolean, WriteError>
  /** Like `write`, but completes only once every chunk of this message was handed to the socket. */
  readonly writeSync: (message: Msg) => Effect.Effect<void, WriteError>
  /** `write` for bytes already encoded with this connection's encoding (relaying without re-encoding). */
  readonly writeEncoded: (bytes: Uint8Array) => Effect.Effect<void, ConnectionClosed>
  /** `writeNow` for pre-encoded bytes. */
  readonly writeEncodedNow: (bytes: Uint8Array) => Effect.Effect<boolean, ConnectionClosed>
  /** `writeSync` for pre-encoded bytes. */
  readonly writeEncodedSync: (bytes: Uint8Array) => Effect.Effect<void, ConnectionClosed>
  /**
   * Closes the connection; idempotent. With `wait`, first stops accepting writes and sends what is
   * queued. Pending reads and writes fail with `ConnectionClosed` (reason `ClosedLocally`, whose
   * `detail` is the optional `reason` note given here).
   */
  readonly close: (options?: { readonly wait?: boolean; readonly reason?: string }) => Effect.Effect<void>
  /** Traffic counters of this connection (wire bytes). */
  readonly stat: Effect.Effect<Stat.Stat>
  /** What the queues hold now, as they account it (see {@link QueueUsage}). */
  readonly queued: Effect.Effect<QueueUsage>
  /** Completes when the connection is closed, with the reason. */
  readonly closed: Effect.Effect<ConnectionClosed>
  /** The encoding of the messages. */
  readonly encoding: Encoding<Msg>
}

/**
 * What a connection's queues hold, in messages and in accounted bytes: each message's bytes plus
 * `incomingMessageOverhead` or `outgoingMessageOverhead`; the outgoing side includes the batch the
 * writer is writing.
 *
 * @category models
 * @since 0.2.0
 */
export interface QueueUsage {
  readonly incomingMessages: number
  readonly incomingBytes: number
  readonly outgoingMessages: number
  readonly outgoingBytes: number
}

/**
 * What a connection is made from: the transport (already past the handshake), the channel key and
 * the two nonces the handshake derived, and the message encoding.
 *
 * @category models
 * @since 0.1.0
 */
export interface MakeOptions<Msg> extends Options {
  readonly reader: ByteReader
  /** The key the handshake derived (`Box.precompute`; `Keys.channelKey` checks raw bytes). */
  readonly channelKey: ChannelKey
  readonly localNonce: Nonce.Nonce
  readonly remoteNonce: Nonce.Nonce
  /** The messages: an Effect Schema (see `Encoding.fromSchema`) or an `Encoding`. */
  readonly encoding: SchemaOrEncoding<Msg>
  /** Wire bytes the handshake already moved on this socket, so `stat` counts them as Octez does. */
  readonly handshakeBytes?: { readonly sent: number; readonly received: number }
}

/**
 * Largest batch of queued messages the writer seals and writes at once. A message larger than this
 * is sealed and written in pieces of about this size, so the writer never holds a second copy of it.
 */
const maxBatchBytes = 256 * 1024

/**
 * Pieces of a message larger than `maxBatchBytes` that may be sealed and out at once: three, as many
 * as a socket takes before it waits to drain (two pieces fill its 512 KiB) plus the next one sealed
 * meanwhile, so the window costs no throughput (two cost about 8 % at 1 MiB).
 */
const maxPiecesOut = 3

/**
 * What a message larger than `maxBatchBytes` is charged beyond its bytes: the sealed copies of the
 * pieces of it that may be out at once (each in a buffer of at most `WireBuffers.bufferSize`).
 */
const largeMessageAllowance = maxPiecesOut * WireBuffers.bufferSize

interface Outgoing {
  readonly bytes: Uint8Array
  /** Completed once the chunks are handed to the socket (`writeSync`, flush on close). */
  readonly written: Deferred.Deferred<void, ConnectionClosed> | undefined
  /** A marker queued by `close({ wait: true })`: nothing to send, everything before it was sent. */
  readonly flush: boolean
}

/**
 * Where a connection is in its life:
 *
 * - `Open`: reads and writes go through;
 * - `Closing`: `close({ wait: true })` is sending what is queued; new writes are refused;
 * - `Closed`: the queues are ended and the socket closed; `closed` is what writes (and, once the
 *   queued messages are read, reads) fail with, or `defect` what they die with.
 */
type State =
  | { readonly _tag: "Open" }
  | { readonly _tag: "Closing" }
  | {
      readonly _tag: "Closed"
      readonly closed: ConnectionClosed
      readonly defect: { readonly value: unknown } | undefined
    }

/**
 * What `make` fails with: `binaryChunksSize` out of range, or an encoding whose messages could not be
 * told apart on a stream.
 *
 * @category errors
 * @since 0.2.0
 */
export type MakeError = InvalidChunksSize | UnframedEncoding

/**
 * Checks that an encoding can carry messages on a stream: each value must mark where it ends, so
 * not of `Variable` size (wrap it in `Encoding.dynamicSize`) and not of fixed size 0.
 *
 * @category constructors
 * @since 0.2.0
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import { Connection } from "@effect-p2p/connection"
 *
 * Connection.checkEncoding(Encoding.string) // Success
 * Connection.checkEncoding(Encoding.Variable.string) // Failure(UnframedEncoding { size: "Variable" })
 * ```
 */
export const checkEncoding = <Msg>(encoding: Encoding<Msg>): Result.Result<Encoding<Msg>, UnframedEncoding> => {
  if (encoding.size._tag === "Variable") return Result.fail(new UnframedEncoding({ size: "Variable" }))
  if (encoding.size._tag === "Fixed" && encoding.size.bytes === 0) {
    return Result.fail(new UnframedEncoding({ size: "Empty" }))
  }
  return Result.succeed(encoding)
}

/** `ReadFailed` / `WriteFailed` for an error or defect that stopped the reader or writer. */
const stoppedBy = (side: "ReadFailed" | "WriteFailed", error: string, detail: string) =>
  new ConnectionClosed({ reason: { _tag: side, error, detail } })

const describeDefect = (defect: unknown): string =>
  defect instanceof Error ? `${defect.name}: ${defect.message}` : String(defect)

/**
 * Starts the reader and writer fibers and returns the connection. It is closed when the scope
 * closes. Uses the `IoScheduler` in the context if there is one (shared limits and stats), else a
 * private, unlimited one.
 *
 * Can fail with: `InvalidChunksSize`, `UnframedEncoding` (the encoding cannot delimit messages, e.g.
 * `Encoding.Variable.string`).
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Encoding } from "@effect-p2p/codec"
 * import { CryptoBackend, Keys, Nonce } from "@effect-p2p/crypto"
 * import { ByteReader, ByteSocket, Connection } from "@effect-p2p/connection"
 *
 * const key = new Uint8Array(32) as Keys.ChannelKey
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const [a, b] = ByteSocket.makePair()
 *   const common = { channelKey: key, encoding: Encoding.string }
 *   const left = yield* Connection.make({ ...common, reader: ByteReader.make(a), localNonce: Nonce.zero(), remoteNonce: Nonce.zero() })
 *   const right = yield* Connection.make({ ...common, reader: ByteReader.make(b), localNonce: Nonce.zero(), remoteNonce: Nonce.zero() })
 *   yield* left.write("hello")
 *   return yield* right.read // [9, "hello"]
 * })).pipe(Effect.provide(CryptoBackend.layerNoble))
 * ```
 */
export const make = <Msg>(
  options: MakeOptions<Msg>
): Effect.Effect<Connection<Msg>, MakeError, Scope.Scope | CryptoBackend> =>
  Effect.gen(function* () {
    const piece = yield* Effect.fromResult(Chunk.pieceSize(options.binaryChunksSize))
    const encoding = yield* Effect.fromResult(checkEncoding(toEncoding(options.encoding)))
    const decoder = StreamDecoder.make(
      encoding,
      options.maxMessageSize === undefined ? undefined : { maxBuffered: options.maxMessageSize }
    )
    const backend = yield* CryptoBackend
    const parentScope = yield* Effect.scope
    const scope = yield* Scope.fork(parentScope)
    const sharedScheduler = yield* Effect.serviceOption(IoScheduler.IoScheduler)
    const scheduler = Option.isSome(sharedScheduler)
      ? sharedScheduler.value
      : yield* Scope.provide(IoScheduler.make(), scope)
    const scheduled = yield* Scope.provide(scheduler.register, scope)
    if (options.handshakeBytes) {
      scheduled.count("upload", options.handshakeBytes.sent)
      scheduled.count("download", options.handshakeBytes.received)
    }

    const { reader } = options
    const socket = reader.socket
    const key = options.channelKey
    const localNonce: Chunk.NonceCounter = { current: options.localNonce }
    const remoteNonce: Chunk.NonceCounter = { current: options.remoteNonce }
    // Both queues charge the host's memory budget too (IoScheduler), as one connection. A charge
    // follows the bytes until they leave the process: the message the application read stays
    // charged until it asks for the next one (an echo holds it while its write waits for room), and
    // the writer's batches until the socket is done with their sealed bytes.
    const incoming = BoundedQueue.make<readonly [number, Msg], ReadError>(
      options.incomingQueueSize ?? defaultQueueSize,
      {
        account: scheduled.memory,
        elementOverhead: incomingMessageOverhead,
        holdTaken: "untilNextTake",
        // The reader wakes a waiting `read` itself once a chunk's messages are queued: at once,
        // rather than after the reader has gone back to wait for the socket (on a request/response
        // path that wait is on the way from the peer's message to the answer).
        wakeTakers: "producer"
      }
    )
    const outgoing = BoundedQueue.make<Outgoing, ConnectionClosed>(options.outgoingQueueSize ?? defaultQueueSize, {
      account: scheduled.memory,
      elementOverhead: outgoingMessageOverhead,
      holdTaken: "untilReleased"
    })
    const closedSignal = Deferred.makeUnsafe<ConnectionClosed>()
    // The `writeSync` callers of the batch the writer took and has not finished handing to the
    // socket: told too when the connection finishes meanwhile. Only their deferreds, not the
    // messages: the sealed copy is all that is held once a batch is sealed.
    let inFlight: ReadonlyArray<Deferred.Deferred<void, ConnectionClosed>> = []
    // Batches whose sealed bytes the socket still holds, each charged until it is done with them.
    const outstanding = new Set<Outstanding>()
    const releaseOutstanding = (batch: Outstanding) => {
      outstanding.delete(batch)
      outgoing.releaseTaken(batch.charge)
      if (batch.extra > 0) scheduled.memory.release(batch.extra)
    }

    // ---- The lifecycle: the state and its two transitions. ----
    let state: State = { _tag: "Open" }

    // The socket is closed exactly once, whoever gets there first (a fiber interrupted inside
    // `finish` leaves it to `stop`).
    let socketClosed = false
    const closeSocket = Effect.suspend(() => {
      if (socketClosed) return Effect.void
      socketClosed = true
      return socket.close
    })

    /** What a write gets when the connection is not `Open`. */
    const refusal = (): Effect.Effect<never, ConnectionClosed> => {
      switch (state._tag) {
        case "Open":
        case "Closing":
          return Effect.fail(ConnectionClosed.locally("closing"))
        case "Closed":
          return state.defect === undefined ? Effect.fail(state.closed) : Effect.die(state.defect.value)
      }
    }

    /** `Open` → `Closing`: refuse new writes while what is queued is sent. False if not `Open`. */
    const beginClosing = (): boolean => {
      if (state._tag !== "Open") return false
      state = { _tag: "Closing" }
      return true
    }

    /**
     * `Open` / `Closing` → `Closed`; the first call wins. Safe from any fiber, including the reader
     * and writer. Takers of the incoming queue get `readEnd` (the reader's error) or `closed` once
     * they have drained it; with a `defect`, every pending and later read and write dies with it.
     */
    const finish = (closed: ConnectionClosed, end?: { readonly readEnd?: ReadError; readonly defect?: unknown }) =>
      Effect.suspend(() => {
        // Set before anything else: ending the queues wakes fibers synchronously, and they may
        // call back in here.
        if (state._tag === "Closed") return Effect.void
        const defect = end !== undefined && "defect" in end ? { value: end.defect } : undefined
        state = { _tag: "Closed", closed, defect }
        if (defect === undefined) {
          incoming.close(end?.readEnd ?? closed)
          outgoing.close(closed)
        } else {
          incoming.die(defect.value)
          outgoing.die(defect.value)
        }
        const refused = refusal()
        for (const written of inFlight) Deferred.doneUnsafe(written, refused)
        for (const pending of outgoing.clear()) {
          if (pending.written) Deferred.doneUnsafe(pending.written, refused)
        }
        inFlight = []
        // What the socket still holds is dropped with it.
        for (const batch of outstanding) {
          batch.release = undefined
          releaseOutstanding(batch)
        }
        Deferred.doneUnsafe(closedSignal, Effect.succeed(closed))
        return closeSocket
      })

    /**
     * Runs a fiber's loop; whatever stops it other than interruption finishes the connection: its
     * typed error through `onError`, a defect as `ReadFailed` / `WriteFailed` "Defect".
     */
    const supervised = <E>(
      side: "ReadFailed" | "WriteFailed",
      loop: Effect.Effect<never, E>,
      onError: (error: E) => Effect.Effect<void>
    ) =>
      loop.pipe(
        Effect.catchCause((cause) => {
          const error = Cause.findErrorOption(cause)
          if (Option.isSome(error)) return onError(error.value)
          const defect = Cause.findDefect(cause)
          if (Result.isSuccess(defect)) {
            return finish(stoppedBy(side, "Defect", describeDefect(defect.success)), { defect: defect.success })
          }
          return Effect.failCause(cause)
        })
      )

    // ---- The reader. ----

    // Chunk bodies may be gathered in the reader's reused scratch buffer: each is decoded before the next is read.
    const transient = { transient: true } as const

    // The body is ours (a socket hands over what it read), so it is opened where it lies.
    const opened = (length: number, body: Uint8Array) => {
      const plaintext = Chunk.openChunkInPlace(backend, key, remoteNonce, body)
      return plaintext === undefined ? new DecipherError({ length }) : plaintext
    }

    // The reader's charge beyond the queued messages, on the incoming queue: before it reads a
    // chunk's body it reserves a permit of twice the chunk (what the chunk can add to a message
    // being reassembled, whose buffer doubles as it fills), checked and charged in one step, so
    // connections reading at once never pass the budget together; it waits for room otherwise, and
    // TCP pushes back on the peer. Once the chunk is decoded, the permit pays for the message being
    // reassembled (twice what has arrived) and, as far as it goes, for the messages the chunk
    // completed; the rest is released. So a charge is only ever taken where there is room, or
    // turned from one into another, never added unconditionally.
    let reserved = 0

    type Opened = Uint8Array | DecipherError | InvalidIncomingCiphertextSize

    /**
     * One chunk with its wire size (counted by the caller), waiting for its bytes and for room for
     * its permit. A chunk that arrives whole in one socket read (every small message's) is taken
     * by `readChunkNow`, with one effect per socket read; `slowChunk` takes the others.
     */
    const readChunk: Effect.Effect<readonly [Opened, number], ConnectionClosed> = Effect.suspend(
      function next(): Effect.Effect<readonly [Opened, number], ConnectionClosed> {
        const now = readChunkNow()
        if (now !== undefined) return Effect.succeed(now)
        if (reader.buffered() < Chunk.headerLength) return Effect.flatMap(reader.fill, next)
        return slowChunk
      }
    )

    /** A chunk whose header is buffered and whose body is not (or whose permit must wait for room). */
    const slowChunk = Effect.gen(function* () {
      const length = Chunk.readHeader(reader.readExactlyNow(Chunk.headerLength)!)
      if (!incoming.reserveNow(2 * length)) yield* incoming.reserveWhenRoom(2 * length)
      reserved += 2 * length
      const body = yield* reader.readExactly(length, transient)
      return [opened(length, body), Chunk.headerLength + length] as const
    })

    /**
     * The next chunk if it is already complete in the buffer and its permit fits, with its wire
     * size; `undefined` otherwise (nothing consumed). Counted by the caller, so a download limit
     * still applies.
     */
    const readChunkNow = (): readonly [Opened, number] | undefined => {
      const high = reader.peek(0)
      const low = reader.peek(1)
      if (high === undefined || low === undefined) return undefined
      const length = (high << 8) | low
      if (length < Chunk.tagLength) {
        reader.readExactlyNow(Chunk.headerLength)
        return [new InvalidIncomingCiphertextSize({ size: length }), Chunk.headerLength]
      }
      if (reader.buffered() < Chunk.headerLength + length || !incoming.reserveNow(2 * length)) return undefined
      reserved += 2 * length
      reader.readExactlyNow(Chunk.headerLength)
      const body = reader.readExactlyNow(length, transient)!
      return [opened(length, body), Chunk.headerLength + length]
    }

    /**
     * After a chunk is decoded: keeps twice what the message being reassembled holds, turns the
     * rest of the permit into the charge of the completed messages, in order, as far as it covers
     * them, queues the next ones where they fit, and releases what is left. Returns how many
     * messages are queued; the others wait for room (uncharged: at most one chunk's worth).
     */
    const settle = (messages: ReadonlyArray<readonly [number, Msg]>): number => {
      const keep = Math.min(2 * decoder.buffered, reserved)
      let surplus = reserved - keep
      reserved = keep
      let queued = 0
      for (; queued < messages.length; queued++) {
        const message = messages[queued]!
        const charge = message[0] + incomingMessageOverhead
        if (charge <= surplus) {
          surplus -= charge
          incoming.putReserved(message, message[0])
          continue
        }
        // Not covered: release what is left, so the next messages compete for room on equal terms.
        if (surplus > 0) incoming.unreserve(surplus)
        surplus = 0
        if (!incoming.offerUnsafe(message, message[0])) break
      }
      if (surplus > 0) incoming.unreserve(surplus)
      return queued
    }

    /**
     * Feeds one chunk's plaintext to the decoder and queues what fits; returns the messages still
     * waiting for room (in order), or the decode error.
     */
    const feed = (plaintext: Uint8Array): ReadonlyArray<readonly [number, Msg]> | DecodeError => {
      const decoded = decoder.feed(plaintext)
      if (Result.isFailure(decoded)) return decoded.failure
      const messages = decoded.success
      const queued = settle(messages)
      return queued === messages.length ? noMessages : messages.slice(queued)
    }
    const noMessages: ReadonlyArray<readonly [number, Msg]> = []

    // Waits for one chunk, then takes every chunk already complete in the buffer synchronously, so
    // a burst of small messages costs one wake-up rather than several effects per chunk. Each chunk
    // is fed to the decoder as soon as it is opened: its bytes may lie in the reader's reused scratch
    // buffer, which the next chunk overwrites. A chunk's bytes are counted before its messages are
    // delivered (a `read` may run as soon as they are queued, and `stat` then already counts them);
    // under a download limit the reader waits for its share there, before it decodes the chunk.
    const downloadLimited = scheduled.downloadLimited
    const readLoop: Effect.Effect<never, ReadError> = Effect.gen(function* () {
      while (true) {
        const first = yield* readChunk
        let item: Opened = first[0]
        let wireBytes = first[1]
        while (true) {
          if (downloadLimited) yield* scheduled.download(wireBytes)
          else scheduled.count("download", wireBytes)
          if (!(item instanceof Uint8Array)) return yield* Effect.fail(item)
          // What decoded before a bad chunk is still delivered, in order, before the error. A full
          // queue makes the reader wait here, before it reads any further chunk. A chunk is decoded
          // at once (feeding the decoder 2 KiB slices cost 10-25 % of the CPU per message,
          // bench/accounting.ts), so the messages still waiting for room are not charged: at most
          // one chunk's worth (docs/LIMITS.md).
          let waiting = feed(item)
          incoming.wakeTakers()
          if (!Array.isArray(waiting)) return yield* Effect.fail(waiting as DecodeError)
          for (const message of waiting) {
            yield* incoming.offer(message, message[0])
            incoming.wakeTakers()
          }
          // Dropped before the reader waits for its next chunk: otherwise its registers keep the
          // last messages alive after the application took them (their reassembly buffers,
          // uncharged: 4 MiB per connection in the 2 x 4 MiB echo flood).
          waiting = noMessages
          const next = readChunkNow()
          if (next === undefined) break
          item = next[0]
          wireBytes = next[1]
        }
      }
    })
    const reading = supervised("ReadFailed", readLoop, (error) =>
      error._tag === "ConnectionClosed"
        ? finish(error)
        : finish(stoppedBy("ReadFailed", error._tag, error.message), { readEnd: error })
    )

    // ---- The writer. ----

    // The writer batches what is already queued into one socket write (up to `maxBatchBytes`), so
    // small messages do not pay one system call each, and with `packMessages` they share chunks;
    // order and nonces are unchanged.
    const pack = options.packMessages ?? true
    // Batches are sealed into shared, reused buffers when the socket says when it is done with
    // them; an interrupted write just leaves its buffer to the garbage collector.
    const writeReusable = socket.writeReusable
    // The batch being sealed, and the pooled buffer lent for its wire bytes, if any.
    let current: Outstanding | undefined
    let borrowed: Uint8Array | undefined
    const allocateWire = (size: number): Uint8Array => {
      borrowed = undefined
      if (writeReusable !== undefined && size >= WireBuffers.minPooled && size <= WireBuffers.bufferSize) {
        // A pooled buffer is larger than most batches: what it holds beyond the batch's charge is
        // charged too when there is room now (never waited for); otherwise the batch goes into a
        // buffer of its own size, which its charge covers.
        const batch = current!
        const need = WireBuffers.bufferSize - batch.charge - batch.extra
        if (need <= 0 || scheduled.memory.fits(need, false)) {
          if (need > 0) {
            scheduled.memory.charge(need)
            batch.extra += need
          }
          borrowed = WireBuffers.borrow(size)
        }
      }
      return borrowed === undefined ? allocUninitialized(size) : borrowed.subarray(0, size)
    }
    // Whether the writer holds a batch it has not finished handing to the socket. Sealing uses the
    // next nonces, and the socket must get the sealed bytes in nonce order, so only one may seal at
    // a time: the writer while this is set, else a caller writing directly (`writeDirect`), which
    // seals and hands over in one synchronous step.
    let writerBusy = false
    const writeLoop: Effect.Effect<never, ConnectionClosed> = Effect.gen(function* () {
      /** Hands sealed bytes to the socket; `batch` stays charged until the socket is done with them. */
      const writeWire = (wire: Uint8Array, lent: Uint8Array | undefined, batch: Outstanding) =>
        Effect.andThen(
          scheduled.upload(wire.length),
          writeReusable === undefined
            ? socket.write(wire)
            : Effect.suspend(() => {
                batch.writes++
                return writeReusable(wire, whenWritten(lent, batch))
              })
        )
      /**
       * Seals messages into one buffer (they share chunks with `packMessages`) and writes it. The
       * array is emptied once sealed: the sealed copy is all that is held while the socket waits.
       */
      const sealAndWrite = (messages: Array<Uint8Array>, batch: Outstanding) =>
        Effect.suspend(() => {
          current = batch
          const wire = Chunk.sealMessages(backend, key, localNonce, messages, piece, pack, allocateWire)
          messages.length = 0
          const lent = borrowed
          borrowed = undefined
          return writeWire(wire, lent, batch)
        })
      // A message over `maxBatchBytes` goes in pieces of whole chunks (the same chunks as in one
      // piece), each sealed and written before the next: never a second copy of all of it. At most
      // `maxPiecesOut` pieces are out at once (the socket still holds the others while the next is
      // written), which is what such a message is charged for beyond its bytes (`largeMessageAllowance`).
      const segment = Math.max(piece, Math.floor(maxBatchBytes / piece) * piece)
      const writeLarge = (bytes: Uint8Array, batch: Outstanding, limited: boolean) =>
        Effect.gen(function* () {
          for (let at = 0; at < bytes.length; at += segment) {
            if (batch.writes > maxPiecesOut) yield* piecesWritten(batch, maxPiecesOut - 1)
            const part = bytes.subarray(at, at + segment)
            if (!limited) yield* sealAndWrite([part], batch)
            else yield* writeWire(Chunk.sealMessage(backend, key, localNonce, part, piece), undefined, batch)
          }
        })
      // One batch per run of this effect: its generator, and with it every local that refers to the
      // batch's messages, is garbage once the batch is written. A loop body in the outer generator
      // kept the last batch alive in its registers while waiting for the next (a 4 MiB message
      // held, uncharged, per idle connection: found with a heap snapshot of the echo flood).
      const writeBatch = Effect.gen(function* () {
        yield* outgoing.awaitItems
        // Taken and marked busy in one step: no direct write may seal between the two.
        const first = outgoing.pollUnsafe()
        // Emptied meanwhile: the connection finished (the next `awaitItems` fails).
        if (first === undefined) return
        writerBusy = true
        const batch: Array<Outgoing | undefined> = [first]
        let batchBytes = batch[0]!.bytes.length
        // Up to `maxBatchBytes`, but a message over it is left for a batch of its own (written in pieces).
        while (batchBytes < maxBatchBytes) {
          const next = outgoing.peekUnsafe()
          if (next === undefined || next.bytes.length > maxBatchBytes) break
          batch.push(outgoing.pollUnsafe()!)
          batchBytes += next.bytes.length
        }
        // Still charged to the queue (`holdTaken`) until the socket is done with the sealed bytes:
        // taking them frees no memory yet.
        let charge = 0
        const written: Array<Deferred.Deferred<void, ConnectionClosed>> = []
        for (const next of batch) {
          if (!next!.flush) charge += outgoingCharge(next!.bytes.length) + outgoingMessageOverhead
          if (next!.written) written.push(next!.written)
        }
        const held: Outstanding = { charge, extra: 0, writes: 1, wake: undefined, release: releaseOutstanding }
        outstanding.add(held)
        inFlight = written
        if (scheduled.uploadLimited) {
          // Under a bandwidth limit each message waits for its own share, so a batch is no burst.
          for (let i = 0; i < batch.length; i++) {
            const next = batch[i]!
            batch[i] = undefined
            if (next.bytes.length > maxBatchBytes) yield* writeLarge(next.bytes, held, true)
            else if (!next.flush) {
              yield* writeWire(Chunk.sealMessage(backend, key, localNonce, next.bytes, piece), undefined, held)
            }
            if (next.written) Deferred.doneUnsafe(next.written, Effect.void)
          }
        } else if (batch.length === 1 && batchBytes > maxBatchBytes) {
          const large = batch[0]!.bytes
          batch.length = 0
          yield* writeLarge(large, held, false)
        } else {
          const messages: Array<Uint8Array> = []
          for (const next of batch) if (!next!.flush) messages.push(next!.bytes)
          batch.length = 0
          if (messages.length > 0) yield* sealAndWrite(messages, held)
        }
        for (const done of written) Deferred.doneUnsafe(done, Effect.void)
        inFlight = []
        writerBusy = false
        // The writer's own hold on the batch: released with the last write the socket completes.
        writeDone(held)
      })
      while (true) yield* writeBatch
    })
    const writing = supervised("WriteFailed", writeLoop, finish)

    const readerFiber = yield* Effect.forkIn(reading, scope)
    const writerFiber = yield* Effect.forkIn(writing, scope)

    const stop = (closed: ConnectionClosed) =>
      Effect.gen(function* () {
        yield* finish(closed)
        // Both at once: one wait for the two exits instead of one after the other.
        yield* Fiber.interruptAll([readerFiber, writerFiber])
        // The reader or writer may have been interrupted inside its own `finish`, before it
        // closed the socket; closing is idempotent, so make sure here.
        yield* closeSocket
        yield* Scope.close(scope, Exit.void)
      })
    yield* Scope.addFinalizer(
      parentScope,
      Effect.suspend(() => stop(ConnectionClosed.locally("scope closed")))
    )

    // ---- The API. ----

    /**
     * Writes `bytes` from the caller's fiber when the writer is idle (nothing queued, no batch
     * being written), there is no upload limit, the message is no larger than a batch, its charge
     * fits, and the socket takes it without waiting: sealed and handed over in one synchronous step,
     * charged as a batch of one until the socket is done with it. Saves waking the writer fiber (a
     * scheduler turn) per message on a request/response path. False, doing nothing, otherwise: the
     * queue path then sends it.
     */
    const writeNowUnsafe = socket.writeReusableNow
    const directEnabled = writeNowUnsafe !== undefined && !scheduled.uploadLimited
    const writeDirect = (bytes: Uint8Array): boolean => {
      // Only while the socket holds nothing of ours (`outstanding` is empty): a sender writing
      // faster than the socket sends goes on through the queue, whose writer seals what piled up as
      // one batch and one socket write. Writing each message directly cost a third of the 1 KiB
      // throughput (a seal and a system call per message).
      if (writerBusy || outstanding.size > 0 || outgoing.length() > 0 || bytes.length > maxBatchBytes) return false
      if (!outgoing.chargeTaken(bytes.length)) return false
      const held: Outstanding = {
        charge: bytes.length + outgoingMessageOverhead,
        extra: 0,
        writes: 1,
        wake: undefined,
        release: releaseOutstanding
      }
      outstanding.add(held)
      const taken = writeNowUnsafe!(() => {
        current = held
        const wire = Chunk.sealMessages(backend, key, localNonce, [bytes], piece, pack, allocateWire)
        const lent = borrowed
        borrowed = undefined
        scheduled.count("upload", wire.length)
        held.writes++
        return [wire, whenWritten(lent, held)]
      })
      // The direct write's own hold (not taken: the charge goes back at once, nothing was sealed).
      writeDone(held)
      return taken
    }
    /** `writeDirect`, with `sent` as its result; `undefined` for the queue path. A defect finishes the connection. */
    const tryDirect = <A>(bytes: Uint8Array, sent: Effect.Effect<A>): Effect.Effect<A> | undefined => {
      if (!directEnabled) return undefined
      try {
        return writeDirect(bytes) ? sent : undefined
      } catch (defect) {
        // As a defect in the writer: the nonces may be spent, so the connection cannot go on.
        return Effect.andThen(
          finish(stoppedBy("WriteFailed", "Defect", describeDefect(defect)), { defect }),
          Effect.die(defect)
        )
      }
    }
    // Called when the effect runs (inside `encodeThen`'s or `writeEncoded`'s suspend), not when it
    // is made: a direct write is a side effect.
    const send = (bytes: Uint8Array): Effect.Effect<void, ConnectionClosed> => {
      if (state._tag !== "Open") return refusal()
      return (
        tryDirect(bytes, Effect.void) ??
        outgoing.offer({ bytes, written: undefined, flush: false }, outgoingCharge(bytes.length))
      )
    }
    const sendNow = (bytes: Uint8Array): Effect.Effect<boolean, ConnectionClosed> => {
      if (state._tag !== "Open") return refusal()
      return (
        tryDirect(bytes, Effect.succeed(true)) ??
        outgoing.offerNow({ bytes, written: undefined, flush: false }, outgoingCharge(bytes.length))
      )
    }
    const enqueue = (bytes: Uint8Array) => Effect.suspend(() => send(bytes))
    const enqueueNow = (bytes: Uint8Array) => Effect.suspend(() => sendNow(bytes))
    const enqueueSync = (bytes: Uint8Array) =>
      Effect.gen(function* () {
        if (state._tag !== "Open") return yield* refusal()
        const written = yield* Deferred.make<void, ConnectionClosed>()
        yield* outgoing.offer({ bytes, written, flush: false }, outgoingCharge(bytes.length))
        yield* Deferred.await(written)
      })
    // Encodes when the effect runs, then hands the bytes on: one closure per write, no intermediate effect.
    const encodeThen =
      <A, E>(next: (bytes: Uint8Array) => Effect.Effect<A, E>) =>
      (message: Msg): Effect.Effect<A, E | EncodeError> =>
        Effect.suspend((): Effect.Effect<A, E | EncodeError> => {
          const encoded = Binary.encode(encoding, message)
          return Result.isFailure(encoded) ? Effect.fail(encoded.failure) : next(encoded.success)
        })

    const close = (closeOptions?: { readonly wait?: boolean; readonly reason?: string }) =>
      Effect.gen(function* () {
        if (state._tag === "Closed") return
        if (closeOptions?.wait && beginClosing()) {
          const flushed = yield* Deferred.make<void, ConnectionClosed>()
          const marker: Outgoing = { bytes: new Uint8Array(0), written: flushed, flush: true }
          // The marker never waits for room (and is charged nothing): closing must not depend on
          // the host's memory budget.
          yield* outgoing.offerAlways(marker, 0).pipe(Effect.andThen(Deferred.await(flushed)), Effect.ignoreCause)
        }
        yield* stop(ConnectionClosed.locally(closeOptions?.reason))
      })

    const connection: Connection<Msg> = {
      read: incoming.take,
      readNow: incoming.poll,
      write: encodeThen(send),
      writeNow: encodeThen(sendNow),
      writeSync: encodeThen(enqueueSync),
      writeEncoded: enqueue,
      writeEncodedNow: enqueueNow,
      writeEncodedSync: enqueueSync,
      close,
      stat: Effect.sync(() => scheduled.stat()),
      queued: Effect.sync(() => ({
        incomingMessages: incoming.length(),
        incomingBytes: incoming.bytes(),
        outgoingMessages: outgoing.length() + inFlight.length,
        outgoingBytes: outgoing.bytes()
      })),
      closed: Deferred.await(closedSignal),
      encoding
    }
    return connection
  }).pipe(Effect.withSpan("Connection.make", undefined, traceOptions))

/**
 * The incoming messages as a `Stream`: it ends when the peer closes the connection cleanly
 * (`ConnectionClosed` with reason `ClosedByPeer`, after every message it sent) and fails with the
 * read error otherwise (a reset, a bad chunk, a local close while it is being read...).
 *
 * @category combinators
 * @since 0.2.0
 * @example
 * ```ts
 * import { Connection } from "@effect-p2p/connection"
 * import { Stream } from "effect"
 *
 * // Everything the peer sends until it closes.
 * const all = <Msg>(connection: Connection.Connection<Msg>) => Stream.runCollect(Connection.stream(connection))
 * ```
 */
export const stream = <Msg>(connection: Connection<Msg>): Stream.Stream<Msg, ReadError> =>
  Stream.unfold(undefined, () =>
    connection.read.pipe(
      Effect.map(([, message]) => [message, undefined] as const),
      Effect.catchIf(
        (error: ReadError) => error._tag === "ConnectionClosed" && error.reason._tag === "ClosedByPeer",
        () => Effect.succeed(undefined)
      )
    )
  )

/**
 * A `Sink` that writes every element it receives (`write`: waits while the outgoing queue is
 * full). It fails with the first write error.
 *
 * @category combinators
 * @since 0.2.0
 * @example
 * ```ts
 * import { Connection } from "@effect-p2p/connection"
 * import { Stream } from "effect"
 *
 * const sendAll = (connection: Connection.Connection<string>) =>
 *   Stream.make("a", "b", "c").pipe(Stream.run(Connection.sink(connection)))
 * ```
 */
export const sink = <Msg>(connection: Connection<Msg>): Sink.Sink<void, Msg, never, WriteError> =>
  Sink.forEach(connection.write)

/**
 * Validates options without making a connection.
 *
 * Can fail with: `InvalidChunksSize`.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { Connection } from "@effect-p2p/connection"
 *
 * Connection.validateOptions({ binaryChunksSize: 21 }) // Success({ binaryChunksSize: 21 })
 * Connection.validateOptions({ binaryChunksSize: 70000 }) // Failure(InvalidChunksSize)
 * ```
 */
export const validateOptions = (options: Options): Result.Result<Options, InvalidChunksSize> =>
  Result.map(Chunk.pieceSize(options.binaryChunksSize), () => options)

/**
 * A batch the writer took: charged (on the outgoing queue, plus `extra` straight to the budget for
 * a pooled buffer larger than that) until the socket is done with every write of it. `writes`
 * counts the socket writes not yet done, plus one while the writer is still issuing them.
 */
interface Outstanding {
  readonly charge: number
  extra: number
  writes: number
  /** The writer waiting for fewer pieces out (`piecesWritten`). */
  wake: (() => void) | undefined
  /** Releases the charge; `undefined` once released (or dropped with the connection). */
  release: ((batch: Outstanding) => void) | undefined
}

/** One write of `batch` is done: the last one releases its charge. */
const writeDone = (batch: Outstanding): void => {
  batch.writes--
  batch.wake?.()
  if (batch.writes > 0 || batch.release === undefined) return
  const release = batch.release
  batch.release = undefined
  release(batch)
}

/** Waits until at most `most` writes of `batch` are still held by the socket. */
const piecesWritten = (batch: Outstanding, most: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    batch.wake = () => {
      if (batch.writes - 1 > most) return
      batch.wake = undefined
      resume(Effect.void)
    }
    batch.wake()
    return Effect.sync(() => {
      batch.wake = undefined
    })
  })

/**
 * The callback the socket calls once it is done with a write: gives the pooled buffer back and
 * counts the write done. Made here, outside the writer, so that its closure holds the buffer and
 * the batch's record and nothing else: made inside, it shared the writer's scope and kept the
 * batch's plaintext messages alive for as long as Node held the write (with a peer that does not
 * read, a whole uncharged message per connection).
 */
const whenWritten = (buffer: Uint8Array | undefined, batch: Outstanding) => () => {
  if (buffer !== undefined) WireBuffers.release(buffer)
  writeDone(batch)
}

/**
 * What a message to send is charged beyond the per-message overhead: its encoded bytes, and for one
 * larger than a batch (written in pieces), the pieces that may be out at once
 * (`largeMessageAllowance`), since its bytes are held until its last piece is sealed.
 */
const outgoingCharge = (bytes: number): number => (bytes > maxBatchBytes ? bytes + largeMessageAllowance : bytes)
