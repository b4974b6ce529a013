/**
 * Per-struct specialised `sizeOf`/`write`/`read`, generated once when the struct is built.
 *
 * The generic struct loops read and write fields by computed key (`record[keys[i]]`), which V8 can
 * only do through megamorphic keyed accesses, and call every part through one shared call site, which
 * it cannot inline. The generated functions name each field literally (`value["level"]`), build the
 * decoded object as one object literal (one hidden class, no transitions), and call each part from its
 * own site. Failure reporting is unchanged: a field index is kept up to date and turned into the path
 * segment only when something is thrown.
 *
 * Code generation uses `new Function`; where it is not allowed (a CSP without 'unsafe-eval', some
 * edge runtimes) or for keys an object literal would treat specially (`__proto__`), `structCode`
 * returns `undefined` and the struct keeps its generic loops, with the same behaviour.
 *
 * Why two paths: the generic loops take 1.10-1.17x the generated code's CPU time to decode the codec
 * benchmark's message (docs/benchmarks.md, "Encoding.struct: generated code against the generic
 * loops"). Both are tested, each forced by `forceCodegen` (the testing entry's `withStructCodegen`).
 */
import type { Reader, Writer } from "../Cursor.ts"
import { DecodeFailure, decodePath, EncodeFailure, encodePath } from "./cursor.ts"

interface Part {
  sizeOf(value: unknown): number
  write(writer: Writer, value: unknown): void
  read(reader: Reader): unknown
}

export interface StructCode {
  readonly sizeOf: (value: unknown) => number
  readonly write: (writer: Writer, value: unknown) => void
  readonly read: (reader: Reader) => unknown
}

let allowed: boolean | undefined
// set by the testing entry (`withStructCodegen`) to build structs on one path or the other
let forced: boolean | undefined

/** Forces code generation off (`false`), on where allowed (`true`), or back to the default (`undefined`). */
export const forceCodegen = (on: boolean | undefined): void => {
  forced = on
}

const canGenerate = (): boolean => {
  if (forced === false) return false
  if (allowed === undefined) {
    try {
      allowed = new Function("return 1")() === 1
    } catch {
      allowed = false
    }
  }
  return allowed
}

export const structCode = (
  keys: ReadonlyArray<string>,
  parts: ReadonlyArray<Part>,
  sized: ReadonlyArray<number>,
  fixedTotal: number,
  variableAt: number,
  suffix: number,
  readBeforeSuffix: (r: Reader, part: never, suffix: number) => unknown
): StructCode | undefined => {
  if (keys.includes("__proto__") || !canGenerate()) return undefined
  const name = (i: number) => JSON.stringify(keys[i])
  const lines: Array<string> = []
  lines.push(parts.map((_, i) => `var p${i} = parts[${i}];`).join(" "))

  lines.push("function sizeOf(value) {")
  lines.push(
    '  if (typeof value !== "object" || value === null) throw new EncodeFailure("InvalidValue", "expected an object");'
  )
  lines.push(`  var i = 0, total = ${fixedTotal};`)
  lines.push("  try {")
  for (const k of sized) lines.push(`    i = ${k}; total += p${k}.sizeOf(value[${name(k)}]);`)
  lines.push("  } catch (e) { throw encodePath(e, keys[i]); }")
  lines.push("  return total;")
  lines.push("}")

  lines.push("function write(w, value) {")
  lines.push("  var i = 0;")
  lines.push("  try {")
  for (let k = 0; k < parts.length; k++) lines.push(`    i = ${k}; p${k}.write(w, value[${name(k)}]);`)
  lines.push("  } catch (e) { throw encodePath(e, keys[i]); }")
  lines.push("}")

  lines.push("function read(r) {")
  lines.push("  var i = 0, at = r.pos;")
  lines.push(`  ${parts.map((_, k) => `var v${k};`).join(" ")}`)
  lines.push("  try {")
  for (let k = 0; k < parts.length; k++) {
    lines.push(
      k === variableAt
        ? `    i = ${k}; v${k} = readBeforeSuffix(r, p${k}, ${suffix});`
        : `    i = ${k}; v${k} = p${k}.read(r);`
    )
  }
  lines.push("  } catch (e) { throw decodePath(e, keys[i], at); }")
  lines.push(`  return { ${parts.map((_, k) => `${name(k)}: v${k}`).join(", ")} };`)
  lines.push("}")
  lines.push("return { sizeOf: sizeOf, write: write, read: read };")
  try {
    const build = new Function(
      "parts",
      "keys",
      "EncodeFailure",
      "DecodeFailure",
      "encodePath",
      "decodePath",
      "readBeforeSuffix",
      lines.join("\n")
    ) as (...args: ReadonlyArray<unknown>) => StructCode
    return build(parts, keys, EncodeFailure, DecodeFailure, encodePath, decodePath, readBeforeSuffix)
  } catch {
    return undefined
  }
}
