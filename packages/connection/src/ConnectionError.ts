/**
 * The ways a connection fails. Every error is a tagged class with structured fields and a readable
 * message, so callers can `Effect.catchTag` on exactly the failure they care about.
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"

// Whether `Error.stackTraceLimit` can be set here (not when intrinsics are frozen), checked once.
const canSetStackTraceLimit = (() => {
  const descriptor = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")
  if (descriptor === undefined) return Object.isExtensible(Error)
  return Object.hasOwn(descriptor, "writable") ? descriptor.writable === true : descriptor.set !== undefined
})()

/**
 * Why a connection (or a byte socket) closed, as a tagged union a program can match on:
 *
 * - `ClosedLocally`: we closed it (`close`, the scope ended, writes refused while closing);
 *   `detail` is the caller's note, if any;
 * - `ClosedByPeer`: the peer ended the stream cleanly (TCP FIN, WebSocket close; `code` and
 *   `detail` are the WebSocket close code and reason when it gave one);
 * - `ResetByPeer`: the peer reset the connection (see {@link isResetCode});
 * - `SocketError`: the transport failed with `code` (`EHOSTUNREACH`, ...; `"UNKNOWN"` when it
 *   gave none) and `detail`;
 * - `ReadFailed` / `WriteFailed`: the reader or writer stopped on an error (`error` is its tag:
 *   `DecipherError`, `DecodeError`, `InvalidIncomingCiphertextSize`, `ReadBufferOverflow`,
 *   `TextFrame`, or `Defect` for a bug) and closed the connection; `detail` is its message.
 *
 * @category models
 * @since 0.2.0
 */
export const CloseReason = Schema.Union([
  Schema.TaggedStruct("ClosedLocally", { detail: Schema.optional(Schema.String) }),
  Schema.TaggedStruct("ClosedByPeer", { code: Schema.optional(Schema.Number), detail: Schema.optional(Schema.String) }),
  Schema.TaggedStruct("ResetByPeer", {}),
  Schema.TaggedStruct("SocketError", { code: Schema.String, detail: Schema.optional(Schema.String) }),
  Schema.TaggedStruct("ReadFailed", { error: Schema.String, detail: Schema.String }),
  Schema.TaggedStruct("WriteFailed", { error: Schema.String, detail: Schema.String })
])

/**
 * @category models
 * @since 0.2.0
 */
export type CloseReason = typeof CloseReason.Type

/**
 * The error codes that mean the peer reset the connection (it closed with unread data in its
 * buffer, or vanished mid-write): `ECONNRESET`, `EPIPE`, `ECONNABORTED`. The one copy every
 * transport uses to tell a reset from another socket error.
 *
 * @category constants
 * @since 0.2.0
 */
export const resetCodes: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"])

/**
 * Whether a socket error code means the peer reset the connection.
 *
 * @category guards
 * @since 0.2.0
 * @example
 * ```ts
 * import { ConnectionError } from "@effect-p2p/connection"
 * ConnectionError.isResetCode("EPIPE") // true
 * ```
 */
export const isResetCode = (code: string | undefined): boolean => code !== undefined && resetCodes.has(code)

/**
 * The reason for a transport error: `ResetByPeer` for a reset code, else `SocketError` with the
 * code (`"UNKNOWN"` without one) and the error's message.
 *
 * @category constructors
 * @since 0.2.0
 * @example
 * ```ts
 * import { ConnectionError } from "@effect-p2p/connection"
 * ConnectionError.socketErrorReason(Object.assign(new Error("x"), { code: "ECONNRESET" })) // { _tag: "ResetByPeer" }
 * ```
 */
export const socketErrorReason = (error: unknown): CloseReason => {
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? error.code
      : undefined
  if (isResetCode(code)) return { _tag: "ResetByPeer" }
  const detail = error instanceof Error ? error.message : String(error)
  return { _tag: "SocketError", code: code ?? "UNKNOWN", detail }
}

/**
 * A close reason in words, as logs and events show it: "closed by peer", "reset by peer",
 * "socket error: EHOSTUNREACH", the note given to `close` (else "closed locally"), the message of
 * the error that stopped the reader or writer.
 *
 * @category models
 * @since 0.2.0
 * @example
 * ```ts
 * import { ConnectionError } from "@effect-p2p/connection"
 * ConnectionError.describe({ _tag: "ClosedByPeer", code: 4003, detail: "proof of work too low" })
 * // "closed by peer (code 4003: proof of work too low)"
 * ```
 */
export const describe = (reason: CloseReason): string => {
  switch (reason._tag) {
    case "ClosedLocally":
      return reason.detail ?? "closed locally"
    case "ClosedByPeer":
      if (reason.code === undefined) return reason.detail ?? "closed by peer"
      return `closed by peer (code ${reason.code}${reason.detail === undefined ? "" : `: ${reason.detail}`})`
    case "ResetByPeer":
      return "reset by peer"
    case "SocketError":
      if (reason.code !== "UNKNOWN") return `socket error: ${reason.code}`
      return reason.detail === undefined ? "socket error" : `socket error: ${reason.detail}`
    case "ReadFailed":
    case "WriteFailed":
      return reason.detail
  }
}

/**
 * The connection is closed; `reason` says why (see {@link CloseReason}), `message` says it in
 * words.
 *
 * A closed connection is expected control flow, not a bug, and this error is made on every close
 * (often several times), so it carries no stack trace: capturing one cost 10–13 µs each, about as
 * much as the rest of a close. Its `stack` is just the name and message.
 *
 * @category errors
 * @since 0.1.0
 * @example
 * ```ts
 * import { ConnectionError } from "@effect-p2p/connection"
 * const closed = ConnectionError.ConnectionClosed.reset()
 * closed.reason._tag // "ResetByPeer"
 * closed.message // "connection closed: reset by peer"
 * ```
 */
export class ConnectionClosed extends Schema.TaggedError<ConnectionClosed>()("ConnectionClosed", {
  reason: CloseReason
}) {
  constructor(props: { readonly reason: CloseReason }, options?: Schema.MakeOptions) {
    if (!canSetStackTraceLimit) {
      super(props, options)
      return
    }
    // Set and restored around the synchronous construction only; nothing else runs in between.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      super(props, options)
    } finally {
      Error.stackTraceLimit = limit
    }
  }

  /** We closed it; `detail` is an optional note for logs. */
  static locally(detail?: string): ConnectionClosed {
    return new ConnectionClosed({
      reason: detail === undefined ? { _tag: "ClosedLocally" } : { _tag: "ClosedLocally", detail }
    })
  }

  /** The peer ended the stream cleanly. */
  static byPeer(): ConnectionClosed {
    return new ConnectionClosed({ reason: { _tag: "ClosedByPeer" } })
  }

  /** The peer reset the connection. */
  static reset(): ConnectionClosed {
    return new ConnectionClosed({ reason: { _tag: "ResetByPeer" } })
  }

  /** A transport error, by its code (see {@link socketErrorReason}). */
  static fromSocketError(error: unknown): ConnectionClosed {
    return new ConnectionClosed({ reason: socketErrorReason(error) })
  }

  /** The reason in words (see {@link describe}). */
  get description(): string {
    return describe(this.reason)
  }

  override get message(): string {
    return `connection closed: ${describe(this.reason)}`
  }
}

/**
 * Tells whether a value is a `ConnectionClosed`.
 *
 * @category guards
 * @since 0.2.0
 * @example
 * ```ts
 * import { ConnectionError } from "@effect-p2p/connection"
 * ConnectionError.isConnectionClosed(ConnectionError.ConnectionClosed.byPeer()) // true
 * ```
 */
export const isConnectionClosed = (u: unknown): u is ConnectionClosed => Predicate.isTagged(u, "ConnectionClosed")

/**
 * A message encoding a connection cannot use: its values do not mark where they end (an encoding of
 * `Variable` size, e.g. `Encoding.Variable.string`; wrap it in `Encoding.dynamicSize`), or they take
 * no bytes at all (`Fixed` size 0), so a stream of them could not be cut into messages.
 *
 * @category errors
 * @since 0.2.0
 */
export class UnframedEncoding extends Schema.TaggedError<UnframedEncoding>()("UnframedEncoding", {
  size: Schema.Literals(["Variable", "Empty"])
}) {
  override get message(): string {
    return this.size === "Variable"
      ? "the message encoding is of variable size, so messages on a stream could not be told apart (wrap it in Encoding.dynamicSize)"
      : "the message encoding takes 0 bytes, so a stream would hold infinitely many messages"
  }
}

/**
 * `binaryChunksSize` must leave room for at least one byte of data after the 2-byte header and the
 * 16-byte tag, and fit in the 16-bit header: 19 ≤ size ≤ 65535 (Octez `Invalid_chunks_size`).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidChunksSize extends Schema.TaggedError<InvalidChunksSize>()("InvalidChunksSize", {
  value: Schema.Number,
  min: Schema.Number,
  max: Schema.Number
}) {
  override get message(): string {
    return `invalid binary chunks size ${this.value}: must be between ${this.min} and ${this.max}`
  }
}

/**
 * A chunk header announced fewer bytes than a tag needs (Octez `Invalid_incoming_ciphertext_size`).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidIncomingCiphertextSize extends Schema.TaggedError<InvalidIncomingCiphertextSize>()(
  "InvalidIncomingCiphertextSize",
  { size: Schema.Number }
) {
  override get message(): string {
    return `incoming chunk announces ${this.size} bytes, fewer than the 16-byte tag`
  }
}
