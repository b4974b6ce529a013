/**
 * The ways a connection fails. Every error is a tagged class with structured fields and a readable
 * message, so callers can `Effect.catchTag` on exactly the failure they care about.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

// Whether `Error.stackTraceLimit` can be set here (not when intrinsics are frozen), checked once.
const canSetStackTraceLimit = (() => {
  const descriptor = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")
  if (descriptor === undefined) return Object.isExtensible(Error)
  return Object.hasOwn(descriptor, "writable") ? descriptor.writable === true : descriptor.set !== undefined
})()

/**
 * The connection is closed: by us (`close`), by the peer, or after an error stopped it. `reason`
 * says which, for logs.
 *
 * A closed connection is expected control flow, not a bug, and this error is made on every close
 * (often several times), so it carries no stack trace: capturing one cost 10–13 µs each, about as
 * much as the rest of a close. Its `stack` is just the name and message.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionClosed extends Schema.TaggedError<ConnectionClosed>()("ConnectionClosed", {
  reason: Schema.String
}) {
  constructor(props: { readonly reason: string }, options?: Schema.MakeOptions) {
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

  override get message(): string {
    return `connection closed: ${this.reason}`
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
