/**
 * Binary encodings derived from Effect Schemas (`Encoding.fromSchema`): a user describes messages
 * with `Schema.Struct`, `Schema.TaggedStruct`, `Schema.Union`, ... and gets the Data_encoding layout
 * of the schema's encoded side, with the schema's own transformations and checks run on every value.
 *
 * How a schema is derived, node by node (each default can be replaced by an annotation, see
 * {@link binary}):
 *
 * | schema | wire (Data_encoding) |
 * | --- | --- |
 * | `String` | `string` (uint30 length, UTF-8) |
 * | `Uint8Array` | `bytes` (uint30 length) |
 * | `Boolean` | `bool` |
 * | `Number` | `float` (IEEE 754 double) |
 * | `Int` (a number checked `isInt`) | `int32` |
 * | `BigInt` | `z` (Zarith) |
 * | `Literal` / `Literals` / `Enum` | `uint8` index in declaration order (`uint16` past 256) |
 * | `Struct` | `obj`: fields in order; an optional key as an `opt` field (`0xff` + value, or `0x00`); a `_tag` literal takes no bytes |
 * | `Tuple` | `tup` |
 * | `Array` | `list` (uint30 byte length; `isMaxLength` bounds the decoder) |
 * | `NullOr` / `UndefinedOr` / `Option` | `option`: `0x00`, or `0x01` then the value |
 * | `Union` of tagged members | `union`: `uint8` tag in declaration order (`uint16` past 256) |
 * | other `Union`s | the same, the first member whose type accepts the value is written |
 * | `Class` / `TaggedClass` | as its fields; decoding builds the class |
 * | a transformation (`decodeTo`, `DateFromString`, `NumberFromString`) | its encoded side |
 * | `Date` and declarations with a JSON form | that JSON form's encoded side (`Date`: ISO string) |
 *
 * Checks run where they are declared: a value that fails them is refused with `EncodeError` before
 * any byte is written, and bytes that decode to such a value give `DecodeError`, both with
 * `reason: "InvalidValue"` and the schema's issue in `issue`.
 *
 * @since 0.2.0
 */
import { Option, Result, Schema, SchemaAST, SchemaIssue, SchemaParser } from "effect"
import { UnsupportedSchema } from "./CodecError.ts"
import type { Encoding, PrefixKind, TagSize } from "./Encoding.ts"
import * as E from "./Encoding.ts"
import { DecodeFailure, EncodeFailure } from "./internal/cursor.ts"

/**
 * The annotation key read by {@link fromSchema}. Prefer {@link binary} to build the annotation.
 *
 * @category annotations
 * @since 0.2.0
 */
export const annotationKey = "@effect-p2p/codec/binary"

/**
 * What an annotation can say about one schema node.
 *
 * - `encoding`: the `Encoding` of the node's encoded side, used instead of the default (an `int16`
 *   for a `Number`, a `Fixed.bytes(32)` for a `Uint8Array`, a hand-written encoding for a
 *   declaration or a recursive schema). The node's checks and transformations still run.
 * - `tag`: this member's tag in the union that contains it (default: its index).
 * - `tagSize`: the tag size of this union, or of this literal index.
 * - `maxLength`: the most elements this array may have on both sides (default: its `isMaxLength`).
 * - `variable`: for an array, a string or a `Uint8Array`: no length prefix (`Variable.list`,
 *   `Variable.string`, `Variable.bytes`): the value runs to the end of what encloses it.
 * - `dynamicSize`: prefixes the node with its byte length (`Encoding.dynamicSize`).
 * - `checkSize`: bounds the node's encoded size in bytes (`Encoding.checkSize`).
 *
 * @category annotations
 * @since 0.2.0
 */
export interface Annotation {
  readonly encoding?: Encoding<unknown> | undefined
  readonly tag?: number | undefined
  readonly tagSize?: TagSize | undefined
  readonly maxLength?: number | undefined
  readonly variable?: boolean | undefined
  readonly dynamicSize?: PrefixKind | undefined
  readonly checkSize?: number | undefined
}

/**
 * The annotation to give a schema node (with `.annotate(...)`) to choose its binary form; an
 * `Encoding` alone is short for `{ encoding }`.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import { Schema } from "effect"
 * const Version = Schema.Struct({
 *   chainName: Schema.String,
 *   distributedDbVersion: Schema.Number.annotate(Encoding.binary(Encoding.uint16)),
 *   p2pVersion: Schema.Number.annotate(Encoding.binary(Encoding.uint16))
 * })
 * const Messages = Schema.Union([
 *   Schema.TaggedStruct("Ping", {}).annotate(Encoding.binary({ tag: 0x10 })),
 *   Schema.TaggedStruct("Chat", { text: Schema.String }).annotate(Encoding.binary({ tag: 0x12 }))
 * ]).annotate(Encoding.binary({ tagSize: "uint16", dynamicSize: "uint30" }))
 * ```
 *
 * @category annotations
 * @since 0.2.0
 */
export const binary = (annotation: Annotation | Encoding<unknown>): { readonly [annotationKey]: Annotation } => ({
  [annotationKey]: E.isEncoding(annotation) ? { encoding: annotation } : (annotation as Annotation)
})

/**
 * Options of {@link fromSchema}: `parseOptions` are passed to the schema's own encode and decode
 * (for example `{ errors: "all" }`).
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  readonly parseOptions?: SchemaAST.ParseOptions | undefined
}

const cache = new WeakMap<object, Encoding<unknown>>()

/**
 * Derives the binary `Encoding` of a schema's `Type` (see the module's table). The value goes through
 * the schema's own encode (transformations, checks) and its encoded side is written in Data_encoding's
 * layout; decoding reads that layout and runs the schema's decode. Throws `UnsupportedSchema`, naming
 * the path inside the schema, when a node cannot be derived (`Unknown`, `Any`, `Symbol`, a recursive
 * schema without an annotation, a declaration without an encoding, an index signature, ...).
 *
 * The encoding of a schema without transformations does exactly what the hand-written combinators
 * do, plus the schema's checks where it has some.
 *
 * @example
 * ```ts
 * import { Binary, Encoding } from "@effect-p2p/codec"
 * import { Schema } from "effect"
 * const Chat = Schema.Union([
 *   Schema.TaggedStruct("Hello", { name: Schema.String }),
 *   Schema.TaggedStruct("Say", { text: Schema.String, at: Schema.Int })
 * ])
 * const encoding = Encoding.fromSchema(Chat) // Encoding<{ _tag: "Hello"; name: string } | { _tag: "Say"; ... }>
 * Binary.encode(encoding, { _tag: "Hello", name: "ann" }) // Success(00 00000003 616e6e): tag 0, then the name
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const fromSchema = <A, I>(schema: Schema.Codec<A, I>, options?: Options): Encoding<A> => {
  const cached = options === undefined ? cache.get(schema) : undefined
  if (cached !== undefined) return cached as Encoding<A>
  const derived = derive(schema.ast, { path: [], checks: true, open: new Set(), parse: options?.parseOptions })
  if (options === undefined) cache.set(schema, derived)
  return derived as Encoding<A>
}

/**
 * What the session, the connection and the node accept for messages and metadata.
 *
 * @category models
 * @since 0.2.0
 */
export type SchemaOrEncoding<A> = Encoding<A> | Schema.Codec<A, unknown>

/**
 * An `Encoding` as is, or the encoding {@link fromSchema} derives from a schema (once per schema).
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import { Schema } from "effect"
 * Encoding.toEncoding(Encoding.uint8) === Encoding.uint8 // true
 * const text = Encoding.toEncoding(Schema.String) // Encoding<string>
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const toEncoding = <A>(schemaOrEncoding: SchemaOrEncoding<A>): Encoding<A> =>
  E.isEncoding(schemaOrEncoding) ? (schemaOrEncoding as Encoding<A>) : fromSchema(schemaOrEncoding)

// ---------------------------------------------------------------------------------------------

interface Context {
  readonly path: ReadonlyArray<string>
  /** false below a transformation: the schema that owns it already runs every nested check */
  readonly checks: boolean
  /** the suspended schemas being derived, to refuse recursion */
  readonly open: Set<SchemaAST.AST>
  readonly parse: SchemaAST.ParseOptions | undefined
}

type AnyEncoding = Encoding<unknown>

const refuse = (ctx: Context, detail: string): never => {
  throw new UnsupportedSchema({ path: [...ctx.path], detail })
}

const at = (ctx: Context, segment: string): Context => ({ ...ctx, path: [...ctx.path, segment] })

/** Runs a combinator that may refuse its parts (e.g. two variable-size fields in a row) at `ctx`. */
const build = <A>(ctx: Context, f: () => A): A => {
  try {
    return f()
  } catch (e) {
    if (e instanceof UnsupportedSchema) throw e
    return refuse(ctx, e instanceof Error ? e.message : String(e))
  }
}

/** The node's annotation: on the node, merged with those on its checks (where `.annotate` puts them). */
const annotationOf = (ast: SchemaAST.AST): Annotation | undefined => {
  let found = ast.annotations?.[annotationKey] as Annotation | undefined
  if (ast.checks !== undefined) {
    for (const check of ast.checks) {
      const a = check.annotations?.[annotationKey] as Annotation | undefined
      if (a !== undefined) found = found === undefined ? a : { ...found, ...a }
    }
  }
  return found
}

const representation = (annotations: { readonly [k: string]: unknown } | undefined): string | undefined => {
  const r = annotations?.representation as { readonly id?: unknown } | undefined
  return typeof r?.id === "string" ? r.id : undefined
}

const hasCheck = (ast: SchemaAST.AST, id: string): SchemaAST.Check<unknown> | undefined => {
  const find = (checks: ReadonlyArray<SchemaAST.Check<unknown>>): SchemaAST.Check<unknown> | undefined => {
    for (const c of checks) {
      if (representation(c.annotations) === id) return c
      if (c._tag === "FilterGroup") {
        const inner = find(c.checks)
        if (inner !== undefined) return inner
      }
    }
    return undefined
  }
  return ast.checks === undefined ? undefined : find(ast.checks)
}

const formatter = SchemaIssue.makeFormatterDefault()
const formatIssue = (issue: SchemaIssue.Issue): string => formatter(issue)

const encodeRefused = (issue: SchemaIssue.Issue): EncodeFailure => {
  const f = new EncodeFailure("InvalidValue", formatIssue(issue))
  f.issue = issue
  return f
}

const decodeRefused = (issue: SchemaIssue.Issue, offset: number): DecodeFailure => {
  const f = new DecodeFailure("InvalidValue", offset, formatIssue(issue))
  f.issue = issue
  return f
}

const derive = (ast: SchemaAST.AST, ctx: Context): AnyEncoding => {
  const annotation = annotationOf(ast)
  let encoding: AnyEncoding
  const transformed = ast.encoding !== undefined || ("encodingChecks" in ast && ast.encodingChecks !== undefined)
  if (transformed) {
    // the schema of this node runs its transformations and every nested check; the bytes are its encoded side
    const wire =
      annotation?.encoding ?? derive(SchemaAST.toEncoded(ast), { ...ctx, checks: false, path: [...ctx.path] })
    encoding = viaSchema(wire, ast, ctx)
  } else {
    encoding = annotation?.encoding ?? structural(ast, annotation, ctx)
    if (ctx.checks && ast.checks !== undefined) encoding = withChecks(encoding, ast, ast.checks, ctx)
  }
  if (annotation?.checkSize !== undefined) {
    const limit = annotation.checkSize
    encoding = build(ctx, () => E.checkSize(limit, encoding))
  }
  if (annotation?.dynamicSize !== undefined) {
    const kind = annotation.dynamicSize
    encoding = build(ctx, () => E.dynamicSize(encoding, { kind }))
  }
  return encoding
}

/** `wire` carries the encoded side; the schema of `ast` converts between it and the type side. */
const viaSchema = (wire: AnyEncoding, ast: SchemaAST.AST, ctx: Context): AnyEncoding => {
  const schema = Schema.make<Schema.Codec<unknown, unknown>>(ast)
  const encodeValue = SchemaParser.encodeUnknownResult(schema, ctx.parse)
  const decodeValue = SchemaParser.decodeUnknownResult(schema, ctx.parse)
  const encoded = (value: unknown): unknown => {
    const r = encodeValue(value)
    if (Result.isFailure(r)) throw encodeRefused(r.failure)
    return r.success
  }
  return E.make({
    size: wire.size,
    // the schema runs in both (write may come without sizeOf, for a fixed size); a value is never cached
    // by identity, since it could change between two encodings
    sizeOf: (value) => wire.sizeOf(encoded(value)),
    write: (w, value) => wire.write(w, encoded(value)),
    read: (r) => {
      const offset = r.pos
      const decoded = decodeValue(wire.read(r))
      if (Result.isFailure(decoded)) throw decodeRefused(decoded.failure, offset)
      return decoded.success
    }
  })
}

/** Runs the node's own checks on the type side, as the schema's parser does (its options included). */
const withChecks = (encoding: AnyEncoding, ast: SchemaAST.AST, checks: SchemaAST.Checks, ctx: Context): AnyEncoding => {
  const options = ctx.parse ?? {}
  const all = options.errors === "all"
  const collect = (
    list: ReadonlyArray<SchemaAST.Check<unknown>>,
    value: unknown,
    issues: Array<SchemaIssue.Issue>
  ): boolean => {
    for (const check of list) {
      if (check._tag === "FilterGroup") {
        if (collect(check.checks, value, issues) && !all) return true
      } else {
        const issue = check.run(value, ast, options)
        if (issue !== undefined) {
          issues.push(new SchemaIssue.Filter(check, issue, value, options))
          if (!all || check.aborted) return true
        }
      }
    }
    return false
  }
  // the common case (every check passes) allocates nothing: one pass over the filters, and the
  // schema's own way of collecting issues only when one fails
  const filters: Array<SchemaAST.Filter<unknown>> = []
  const flatten = (list: ReadonlyArray<SchemaAST.Check<unknown>>) => {
    for (const check of list) {
      if (check._tag === "FilterGroup") flatten(check.checks)
      else filters.push(check)
    }
  }
  flatten(checks)
  const failing = (value: unknown): SchemaIssue.Issue | undefined => {
    let ok = true
    for (let i = 0; i < filters.length && ok; i++) ok = filters[i]!.run(value, ast, options) === undefined
    if (ok) return undefined
    const issues: Array<SchemaIssue.Issue> = []
    collect(checks, value, issues)
    const [first, ...more] = issues
    return first === undefined ? undefined : new SchemaIssue.Composite(ast, [first, ...more], value, options)
  }
  return E.make({
    size: encoding.size,
    sizeOf: encoding.sizeOf,
    write: (w, value) => {
      const issue = failing(value)
      if (issue !== undefined) throw encodeRefused(issue)
      encoding.write(w, value)
    },
    read: (r) => {
      const offset = r.pos
      const value = encoding.read(r)
      const issue = failing(value)
      if (issue !== undefined) throw decodeRefused(issue, offset)
      return value
    }
  })
}

const structural = (ast: SchemaAST.AST, annotation: Annotation | undefined, ctx: Context): AnyEncoding => {
  switch (ast._tag) {
    case "String":
      return annotation?.variable ? E.Variable.string : E.string
    case "Number":
      return hasCheck(ast, "effect/schema/isInt") !== undefined ? E.int32 : E.float
    case "Boolean":
      return E.bool
    case "BigInt":
      return E.z
    case "Null":
      return E.constant(null)
    case "Undefined":
    case "Void":
      return E.constant(undefined)
    case "Literal":
      return literalIndex([ast.literal], annotation, ctx)
    case "Enum":
      return literalIndex(
        ast.enums.map(([, v]) => v),
        annotation,
        ctx
      )
    case "Objects":
      return object(ast, ctx)
    case "Arrays":
      return arrays(ast, annotation, ctx)
    case "Union":
      return union(ast, annotation, ctx)
    case "Declaration":
      return declaration(ast, annotation, ctx)
    case "Suspend": {
      if (ctx.open.has(ast)) {
        return refuse(ctx, "a recursive schema: annotate it with Encoding.binary(encoding)")
      }
      ctx.open.add(ast)
      try {
        return derive(ast.thunk(), ctx)
      } finally {
        ctx.open.delete(ast)
      }
    }
    default:
      return refuse(ctx, `no binary form for ${ast._tag}: annotate it with Encoding.binary(encoding)`)
  }
}

const literalIndex = (
  values: ReadonlyArray<SchemaAST.LiteralValue>,
  annotation: Annotation | undefined,
  ctx: Context
): AnyEncoding => {
  const tagSize = annotation?.tagSize ?? (values.length > 256 ? "uint16" : "uint8")
  const max = tagSize === "uint8" ? 256 : 65536
  if (values.length > max) refuse(ctx, `${values.length} literals do not fit a ${tagSize} index`)
  const index = new Map<unknown, number>(values.map((v, i) => [v, i]))
  const bytes = tagSize === "uint8" ? 1 : 2
  return E.make({
    size: E.fixedSize(bytes),
    sizeOf: () => bytes,
    write: (w, v) => {
      const i = index.get(v)
      if (i === undefined) throw new EncodeFailure("InvalidValue", `not one of the literals: ${String(v)}`)
      if (bytes === 1) w.bytes[w.pos++] = i
      else {
        w.bytes[w.pos++] = i >>> 8
        w.bytes[w.pos++] = i & 0xff
      }
    },
    read: (r) => {
      const i = bytes === 1 ? r.u8() : r.u16()
      if (i >= values.length) {
        throw new DecodeFailure("UnknownTag", r.pos - bytes, `literal index ${i} of ${values.length}`)
      }
      return values[i]
    }
  })
}

const isOptionalKey = (ast: SchemaAST.AST): boolean => ast.context?.isOptional === true

const singleLiteral = (ast: SchemaAST.AST): SchemaAST.LiteralValue | undefined =>
  ast._tag === "Literal" && ast.encoding === undefined && ast.checks === undefined ? ast.literal : undefined

const object = (ast: SchemaAST.Objects, ctx: Context): AnyEncoding => {
  if (ast.indexSignatures.length > 0) {
    refuse(ctx, "a record (index signature) has no binary form: annotate it with Encoding.binary(encoding)")
  }
  const fields: Record<string, AnyEncoding> = {}
  const optional: Array<string> = []
  for (const p of ast.propertySignatures) {
    if (typeof p.name !== "string") refuse(ctx, `the key ${String(p.name)} is not a string`)
    const name = p.name as string
    const inner = at(ctx, name)
    // a tag literal (TaggedStruct, TaggedClass) is known from the schema: the union's tag carries it
    const tag = name === "_tag" ? singleLiteral(p.type) : undefined
    const part = tag !== undefined && annotationOf(p.type) === undefined ? E.constant(tag) : derive(p.type, inner)
    if (isOptionalKey(p.type)) {
      optional.push(name)
      fields[name] = build(inner, () => E.optionalField(part))
    } else fields[name] = part
  }
  const struct = build(ctx, () => E.struct(fields))
  if (optional.length === 0) return struct
  // an optional key is written as Data_encoding's `opt` field: present (0xff + value) or absent (0x00)
  return E.conv(struct as Encoding<Record<string, unknown>>, {
    encode: (value: Record<string, unknown>) => {
      if (typeof value !== "object" || value === null) return value
      const wire: Record<string, unknown> = { ...value }
      for (const k of optional) wire[k] = Object.hasOwn(value, k) ? Option.some(value[k]) : Option.none()
      return wire
    },
    decode: (wire) => {
      const value: Record<string, unknown> = {}
      for (const k of Object.keys(wire)) {
        const v = wire[k]
        if (!optional.includes(k)) value[k] = v
        else if (Option.isSome(v as Option.Option<unknown>)) value[k] = (v as Option.Some<unknown>).value
      }
      return value
    }
  })
}

const maxLengthOf = (ast: SchemaAST.AST, annotation: Annotation | undefined): number | undefined => {
  if (annotation?.maxLength !== undefined) return annotation.maxLength
  const check = hasCheck(ast, "effect/schema/isMaxLength")
  const payload = (check?.annotations?.representation as { readonly payload?: { readonly maxLength?: unknown } })
    ?.payload
  return typeof payload?.maxLength === "number" ? payload.maxLength : undefined
}

const arrays = (ast: SchemaAST.Arrays, annotation: Annotation | undefined, ctx: Context): AnyEncoding => {
  const elements = ast.elements.map((e, i) => {
    if (isOptionalKey(e)) refuse(at(ctx, String(i)), "an optional tuple element has no binary form")
    return derive(e, at(ctx, String(i)))
  })
  if (ast.rest.length > 1) refuse(ctx, "elements after a rest element have no binary form")
  if (ast.rest.length === 0) return build(ctx, () => E.tuple(...elements))
  const element = derive(ast.rest[0]!, at(ctx, "[]"))
  const maxLength = maxLengthOf(ast, annotation)
  const list = build(ctx, () =>
    annotation?.variable ? E.Variable.list(element, { maxLength }) : E.list(element, { maxLength })
  )
  if (elements.length === 0) return list
  // [a, b, ...rest]: the leading elements, then the rest as one list
  const n = elements.length
  const parts: ReadonlyArray<AnyEncoding> = [...elements, list]
  return E.conv(build(ctx, () => E.tuple(...parts)) as Encoding<ReadonlyArray<unknown>>, {
    encode: (value: ReadonlyArray<unknown>) => [...value.slice(0, n), value.slice(n)],
    decode: (t) => [...t.slice(0, n), ...(t[n] as ReadonlyArray<unknown>)]
  })
}

const nullish = (ast: SchemaAST.AST): boolean =>
  (ast._tag === "Null" || ast._tag === "Undefined") && ast.checks === undefined && ast.encoding === undefined

/** The `_tag` a union member is told apart by, when it has one (TaggedStruct, TaggedClass). */
const tagOf = (ast: SchemaAST.AST): SchemaAST.LiteralValue | undefined => {
  const type = SchemaAST.toType(ast)
  const objects =
    type._tag === "Objects"
      ? type
      : type._tag === "Declaration" && type.typeParameters[0]?._tag === "Objects"
        ? type.typeParameters[0]
        : undefined
  const field = objects?.propertySignatures.find((p) => p.name === "_tag")
  return field === undefined ? undefined : singleLiteral(field.type)
}

const union = (ast: SchemaAST.Union, annotation: Annotation | undefined, ctx: Context): AnyEncoding => {
  const members = ast.types
  if (members.length === 0) return refuse(ctx, "an empty union (Never) has no value to encode")
  if (members.every((m) => singleLiteral(m) !== undefined && annotationOf(m) === undefined)) {
    return literalIndex(
      members.map((m) => singleLiteral(m)!),
      annotation,
      ctx
    )
  }
  const others = members.filter((m) => !nullish(m))
  if (members.length === 2 && others.length === 1 && annotation?.tagSize === undefined) {
    // NullOr / UndefinedOr: Data_encoding's option
    const empty = members.find(nullish)!._tag === "Null" ? null : undefined
    const inner = derive(others[0]!, ctx)
    return E.conv(
      build(ctx, () => E.option(inner)),
      {
        encode: (v: unknown) => (v === empty ? Option.none() : Option.some(v)),
        decode: (o) => (Option.isSome(o) ? o.value : empty)
      }
    )
  }
  const tagSize = annotation?.tagSize ?? (members.length > 256 ? "uint16" : "uint8")
  const tags = members.map(tagOf)
  const tagged = tags.every((t) => t !== undefined) && new Set(tags).size === tags.length
  const cases = members.map((member, i) => {
    const name = tagged ? String(tags[i]) : String(i)
    const inner = at(ctx, name)
    const encoding = derive(member, inner)
    const tag = annotationOf(member)?.tag ?? i
    if (tagged) {
      const t = tags[i]
      return E.makeCase({
        name,
        tag,
        encoding,
        match: (v: unknown) => typeof v === "object" && v !== null && (v as { readonly _tag?: unknown })._tag === t,
        project: (v) => v,
        inject: (v) => v
      })
    }
    // no tags: the first member whose type accepts the value, as the schema's own union does
    const is = SchemaParser.is(Schema.make<Schema.Codec<unknown, unknown>>(SchemaAST.toType(member)))
    return E.makeCase({ name, tag, encoding, match: is, project: (v) => v, inject: (v) => v })
  })
  return build(ctx, () => E.union(cases, { tagSize }))
}

const declaration = (ast: SchemaAST.Declaration, annotation: Annotation | undefined, ctx: Context): AnyEncoding => {
  const id = representation(ast.annotations)
  if (id === "effect/schema/Uint8Array") return annotation?.variable ? E.Variable.bytes : E.bytes
  if (id === "effect/schema/Option") {
    const inner = ast.typeParameters[0]
    if (inner === undefined) return refuse(ctx, "an Option without its value schema")
    return build(ctx, () => E.option(derive(inner, at(ctx, "value"))))
  }
  const toJson = ast.annotations?.toCodecJson
  if (typeof toJson === "function") {
    // a declaration that says how it is written as JSON (Date: an ISO string): that form, in binary
    const codec = Schema.toCodecJson(Schema.make<Schema.Codec<unknown, unknown>>(ast))
    if (codec.ast.encoding !== undefined) return derive(codec.ast, ctx)
  }
  return refuse(
    ctx,
    `a declaration (${String(ast.annotations?.expected ?? id ?? "custom type")}) without an encoding: annotate it with Encoding.binary(encoding)`
  )
}
