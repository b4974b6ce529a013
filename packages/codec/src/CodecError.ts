/**
 * The failures of the codec: `DecodeError` when bytes do not form a value of an encoding, and
 * `EncodeError` when a value cannot be written by an encoding. Both carry the path of field and case
 * names leading to the failure, so a malformed message can be diagnosed without a debugger.
 *
 * @since 0.1.0
 */
import { Predicate, Schema, SchemaIssue } from "effect"

// the Effect Schema issue behind a failure, when a schema given to `Encoding.fromSchema` refused the value
const Issue = Schema.declare<SchemaIssue.Issue>(SchemaIssue.isIssue, { expected: "a SchemaIssue.Issue" })

/**
 * Why decoding failed.
 *
 * - `NotEnoughBytes`: the input (or the enclosing length-prefixed block) ended early.
 * - `TrailingBytes`: bytes were left over after a complete value (or inside a length-prefixed block).
 * - `SizeLimitExceeded`: a declared bound (`checkSize`, a length prefix's range, a stream buffer limit) was hit.
 * - `UnknownTag`: a union tag (or option tag) that no case declares.
 * - `ListTooLong`: a list has more elements than its declared maximum.
 * - `InvalidValue`: the bytes are well-framed but do not denote a value (out-of-range integer, bad UTF-8, a refused conversion, ...).
 *
 * @example
 * ```ts
 * import { CodecError } from "@effect-p2p/codec"
 * const reason: CodecError.DecodeReason = "TrailingBytes"
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export const DecodeReason = Schema.Literals([
  "NotEnoughBytes",
  "TrailingBytes",
  "SizeLimitExceeded",
  "UnknownTag",
  "ListTooLong",
  "InvalidValue"
])

/**
 * @category errors
 * @since 0.1.0
 */
export type DecodeReason = typeof DecodeReason.Type

/**
 * Why encoding failed.
 *
 * - `InvalidValue`: the value is outside the encoding's domain (integer range, string length of a fixed string, ill-formed Unicode, ...).
 * - `SizeLimitExceeded`: the encoded form would exceed a declared bound (`checkSize`, a length prefix's range).
 * - `ListTooLong`: a list has more elements than its declared maximum.
 * - `NoMatchingCase`: no case of a union accepts the value.
 *
 * @example
 * ```ts
 * import { CodecError } from "@effect-p2p/codec"
 * const reason: CodecError.EncodeReason = "NoMatchingCase"
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export const EncodeReason = Schema.Literals(["InvalidValue", "SizeLimitExceeded", "ListTooLong", "NoMatchingCase"])

/**
 * @category errors
 * @since 0.1.0
 */
export type EncodeReason = typeof EncodeReason.Type

const formatPath = (path: ReadonlyArray<string>): string => (path.length === 0 ? "" : ` at ${path.join(".")}`)

/**
 * Bytes that do not decode. `offset` is the byte position (in the decoded input, or in the whole stream
 * for a `StreamDecoder`) where the problem was detected; `path` names the struct fields, union cases and
 * list indices leading there; `detail` is a short human explanation.
 *
 * @example
 * ```ts
 * import { Binary, CodecError, Encoding } from "@effect-p2p/codec"
 * import { Result } from "effect"
 * const r = Binary.decode(Encoding.uint16, new Uint8Array([1]))
 * if (Result.isFailure(r)) console.log(r.failure.reason, r.failure.offset) // NotEnoughBytes 0
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class DecodeError extends Schema.TaggedError<DecodeError>()("DecodeError", {
  reason: DecodeReason,
  path: Schema.Array(Schema.String),
  offset: Schema.Number,
  detail: Schema.String,
  /** Set when the bytes decoded but the schema's own checks or transformation refused the value. */
  issue: Schema.optionalKey(Issue)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.reason} at byte ${this.offset}${formatPath(this.path)}: ${this.detail}`
  }
}

/**
 * A value the encoding cannot write. `path` names the struct fields, union cases and list indices
 * leading to the offending part of the value.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Result } from "effect"
 * const r = Binary.encode(Encoding.uint8, 300)
 * if (Result.isFailure(r)) console.log(r.failure.message) // InvalidValue: uint8 out of range: 300
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class EncodeError extends Schema.TaggedError<EncodeError>()("EncodeError", {
  reason: EncodeReason,
  path: Schema.Array(Schema.String),
  detail: Schema.String,
  /** Set when the schema's own checks or transformation refused the value (`Encoding.fromSchema`). */
  issue: Schema.optionalKey(Issue)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.reason}${formatPath(this.path)}: ${this.detail}`
  }
}

/**
 * A schema that `Encoding.fromSchema` cannot turn into a binary encoding (an `unknown`, a recursive
 * schema without an annotation, a declaration without an encoding, a union it cannot tag, ...).
 * Thrown by `fromSchema` when it is called, never on a message: `path` names where inside the schema
 * (struct fields, tuple indices, `[]` for array elements, union members by index or `_tag`).
 *
 * @example
 * ```ts
 * import { CodecError, Encoding } from "@effect-p2p/codec"
 * import { Schema } from "effect"
 * try {
 *   Encoding.fromSchema(Schema.Struct({ a: Schema.Unknown }))
 * } catch (e) {
 *   if (CodecError.isUnsupportedSchema(e)) console.log(e.message) // cannot derive a binary encoding at a: ...
 * }
 * ```
 *
 * @category errors
 * @since 0.2.0
 */
export class UnsupportedSchema extends Schema.TaggedError<UnsupportedSchema>()("UnsupportedSchema", {
  path: Schema.Array(Schema.String),
  detail: Schema.String
}) {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `cannot derive a binary encoding${formatPath(this.path).replaceAll(".[]", "[]")}: ${this.detail}`
  }
}

/**
 * @example
 * ```ts
 * import { CodecError } from "@effect-p2p/codec"
 * CodecError.isUnsupportedSchema(new Error("x")) // false
 * ```
 *
 * @category guards
 * @since 0.2.0
 */
export const isUnsupportedSchema = (u: unknown): u is UnsupportedSchema => Predicate.isTagged(u, "UnsupportedSchema")

/**
 * Any failure of this package.
 *
 * @example
 * ```ts
 * import { CodecError } from "@effect-p2p/codec"
 * const describe = (e: CodecError.CodecError) => `${e._tag}: ${e.message}`
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export type CodecError = DecodeError | EncodeError

/**
 * @example
 * ```ts
 * import { CodecError } from "@effect-p2p/codec"
 * CodecError.isDecodeError(new Error("x")) // false
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isDecodeError = (u: unknown): u is DecodeError => Predicate.isTagged(u, "DecodeError")

/**
 * @example
 * ```ts
 * import { CodecError } from "@effect-p2p/codec"
 * CodecError.isEncodeError(new Error("x")) // false
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isEncodeError = (u: unknown): u is EncodeError => Predicate.isTagged(u, "EncodeError")

/**
 * @example
 * ```ts
 * import { CodecError } from "@effect-p2p/codec"
 * CodecError.isCodecError(null) // false
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isCodecError = (u: unknown): u is CodecError => isDecodeError(u) || isEncodeError(u)
