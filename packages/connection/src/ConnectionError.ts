/**
 * The ways a connection fails. Every error is a tagged class with structured fields and a readable
 * message, so callers can `Effect.catchTag` on exactly the failure they care about.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The connection is closed: by us (`close`), by the peer, or after an error stopped it. `reason`
 * says which, for logs.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionClosed extends Schema.TaggedError<ConnectionClosed>()("ConnectionClosed", {
  reason: Schema.String
}) {
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
