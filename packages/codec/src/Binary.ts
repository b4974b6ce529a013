/**
 * Running an `Encoding` on whole byte arrays: `encode` (exact size computed first, one buffer,
 * one pass), `decode` (the input must be consumed exactly), `length`, and `schema`, the view of an
 * encoding as an Effect `Schema.Codec<A, Uint8Array>`.
 *
 * None of these throw on bad input: failures are `Result` failures carrying tagged errors.
 *
 * @since 0.1.0
 */
import { Effect, Result, Schema, SchemaGetter, SchemaIssue } from "effect"
import type { DecodeError, EncodeError } from "./CodecError.ts"
import type { Encoding } from "./Encoding.ts"
import { DecodeFailure, Reader, Writer } from "./internal/cursor.ts"
import { toDecodeError, toEncodeError } from "./internal/errors.ts"

/**
 * Encodes `value`. Can fail with `EncodeError` (`InvalidValue`, `SizeLimitExceeded`, `ListTooLong`,
 * `NoMatchingCase`).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Result } from "effect"
 * const bytes = Result.getOrThrow(Binary.encode(Encoding.uint16, 0x0102)) // Uint8Array [1, 2]
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = <A>(encoding: Encoding<A>, value: A): Result.Result<Uint8Array, EncodeError> => {
  try {
    const size = encoding.sizeOf(value)
    const w = new Writer(size)
    encoding.write(w, value)
    if (w.pos !== size) throw new Error(`internal: wrote ${w.pos} bytes, predicted ${size}`)
    return Result.succeed(w.bytes)
  } catch (e) {
    return Result.fail(toEncodeError(e))
  }
}

/**
 * Decodes `bytes`, which must hold exactly one value. Can fail with `DecodeError` (`NotEnoughBytes`,
 * `TrailingBytes`, `SizeLimitExceeded`, `UnknownTag`, `ListTooLong`, `InvalidValue`).
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.decode(Encoding.uint16, new Uint8Array([1, 2])) // Success(258)
 * Binary.decode(Encoding.uint16, new Uint8Array([1, 2, 3])) // Failure(DecodeError TrailingBytes at byte 2)
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = <A>(encoding: Encoding<A>, bytes: Uint8Array): Result.Result<A, DecodeError> => {
  // the whole input is one value: its byte fields may be copied in one region
  const r = new Reader(bytes, 0, bytes.length, true)
  try {
    const value = encoding.read(r)
    if (r.pos !== bytes.length) {
      throw new DecodeFailure("TrailingBytes", r.pos, `${bytes.length - r.pos} bytes left after the value`)
    }
    return Result.succeed(value)
  } catch (e) {
    return Result.fail(toDecodeError(e, r.pos))
  }
}

/**
 * Decodes one value at the start of `bytes` and says how many bytes it used; the rest is left alone.
 * Fails like {@link decode}, except that it never fails with `TrailingBytes` at the top level.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.decodePrefix(Encoding.uint8, new Uint8Array([7, 8])) // Success([7, 1])
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodePrefix = <A>(
  encoding: Encoding<A>,
  bytes: Uint8Array
): Result.Result<readonly [value: A, size: number], DecodeError> => {
  const r = new Reader(bytes)
  try {
    const value = encoding.read(r)
    return Result.succeed([value, r.pos] as const)
  } catch (e) {
    return Result.fail(toDecodeError(e, r.pos))
  }
}

/**
 * The exact number of bytes `encode` produces for `value`. Throws the `EncodeError` that `encode`
 * would return if the value cannot be encoded.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * Binary.length(Encoding.string, "main") // 8
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const length = <A>(encoding: Encoding<A>, value: A): number => {
  try {
    return encoding.sizeOf(value)
  } catch (e) {
    throw toEncodeError(e)
  }
}

/**
 * {@link encode} as an Effect, failing with `EncodeError`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Effect } from "effect"
 * const program = Binary.encodeEffect(Encoding.bool, true) // Effect<Uint8Array, EncodeError>
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeEffect: <A>(encoding: Encoding<A>, value: A) => Effect.Effect<Uint8Array, EncodeError> = Effect.fn(
  "Binary.encode"
)(function* <A>(encoding: Encoding<A>, value: A) {
  return yield* Effect.fromResult(encode(encoding, value))
})

/**
 * {@link decode} as an Effect, failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * const program = Binary.decodeEffect(Encoding.bool, new Uint8Array([0])) // Effect<boolean, DecodeError>
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeEffect: <A>(encoding: Encoding<A>, bytes: Uint8Array) => Effect.Effect<A, DecodeError> = Effect.fn(
  "Binary.decode"
)(function* <A>(encoding: Encoding<A>, bytes: Uint8Array) {
  return yield* Effect.fromResult(decode(encoding, bytes))
})

const Opaque = <A>() => Schema.declare<A>((_u: unknown): _u is A => true)

/**
 * The encoding as an Effect Schema from `Uint8Array` to `A`, so it works with
 * `Schema.decodeUnknown*` and `Schema.encode*`. Decoding failures become `InvalidValue` issues whose
 * message is the `DecodeError`'s message (reason, byte offset, path). Pass `to` to also validate
 * the decoded side with a schema of `A`; without it the decoded side is taken as is.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Schema } from "effect"
 * const S = Binary.schema(Encoding.uint16)
 * Schema.decodeUnknownSync(S)(new Uint8Array([0, 7])) // 7
 * Schema.encodeSync(S)(7) // Uint8Array [0, 7]
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const schema = <A>(encoding: Encoding<A>, to?: Schema.Codec<A, A>): Schema.Codec<A, Uint8Array> =>
  Schema.Uint8Array.pipe(
    Schema.decodeTo(to ?? Opaque<A>(), {
      decode: SchemaGetter.transformEffect((bytes: Uint8Array, options) =>
        Result.match(decode(encoding, bytes), {
          onFailure: (e) => Effect.fail(new SchemaIssue.InvalidValue({ message: e.message }, bytes, options)),
          onSuccess: (a) => Effect.succeed(a)
        })
      ),
      encode: SchemaGetter.transformEffect((value: A, options) =>
        Result.match(encode(encoding, value), {
          onFailure: (e) => Effect.fail(new SchemaIssue.InvalidValue({ message: e.message }, value, options)),
          onSuccess: (bytes) => Effect.succeed(bytes)
        })
      )
    })
  )
