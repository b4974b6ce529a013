/**
 * Extracts the ```ts fenced blocks from the JSDoc comments of `packages/*\/src/**\/*.ts`, writes
 * each to a scratch file under `build/doc-examples/` and type-checks them all in one `tsc` run.
 */
import { execFile } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { promisify } from "node:util"

/** One ```ts block found in a JSDoc comment. */
export interface DocExample {
  /** Source file, relative to the repository root. */
  readonly source: string
  /** 1-based line of the example's first code line in `source`. */
  readonly line: number
  /** Scratch file name, e.g. `crypto-Box-1.ts`. */
  readonly name: string
  readonly code: string
}

/** One diagnostic reported by tsc, mapped back to the example it came from (if any). */
export interface Diagnostic {
  readonly example: DocExample | undefined
  /** Where tsc reported it: the scratch file (or a source file) with line and column. */
  readonly location: string
  /** Location in the documented source file, when the diagnostic is inside an example. */
  readonly origin: string | undefined
  readonly message: string
}

export const root = resolve(import.meta.dirname, "..", "..")
export const scratch = join(root, "build", "doc-examples")

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return sourceFiles(path)
      return entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : []
    })
    .sort()

/** Returns the ```ts blocks inside `/** ... *\/` comments of one source file, in order. */
export const examplesOf = (file: string, packageName: string): Array<DocExample> => {
  const lines = readFileSync(file, "utf8").split("\n")
  const source = relative(root, file)
  const module = relative(join(root, "packages", packageName, "src"), file)
    .replace(/\.ts$/, "")
    .replaceAll("/", "-")
  const examples: Array<DocExample> = []
  let inDoc = false
  let block: { line: number; code: Array<string> } | undefined
  lines.forEach((text, index) => {
    if (!inDoc) {
      if (/^\s*\/\*\*/.test(text) && !/\*\/\s*$/.test(text)) inDoc = true
      return
    }
    if (/\*\/\s*$/.test(text)) {
      inDoc = false
      block = undefined
      return
    }
    const content = text.replace(/^\s*\* ?/, "")
    if (block === undefined) {
      if (/^```ts\s*$/.test(content)) block = { line: index + 2, code: [] }
    } else if (/^```\s*$/.test(content)) {
      examples.push({
        source,
        line: block.line,
        name: `${packageName}-${module}-${examples.length + 1}.ts`,
        code: `${block.code.join("\n")}\n`
      })
      block = undefined
    } else {
      block.code.push(content)
    }
  })
  return examples
}

/** Every JSDoc example of every package, in a stable order. */
export const allExamples = (): Array<DocExample> =>
  readdirSync(join(root, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .flatMap((packageName) =>
      sourceFiles(join(root, "packages", packageName, "src")).flatMap((file) => examplesOf(file, packageName))
    )

/** The code of an example without its imports, comments and blank lines. */
export const statements = (code: string): string =>
  code
    .replace(/^import\s[\s\S]*?\sfrom\s+["'][^"']+["'];?[ \t]*$/gm, "")
    .replace(/^import\s+["'][^"']+["'];?[ \t]*$/gm, "")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "")
    .replace(/^\s*$\n?/gm, "")

const run = promisify(execFile)

/** Writes the examples and a tsconfig to the scratch folder, runs tsc once, returns its diagnostics. */
export const typeCheck = async (examples: ReadonlyArray<DocExample>): Promise<Array<Diagnostic>> => {
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch, { recursive: true })
  for (const example of examples) writeFileSync(join(scratch, example.name), example.code)
  const tsconfig = join(scratch, "tsconfig.json")
  writeFileSync(
    tsconfig,
    JSON.stringify(
      {
        extends: "../../tsconfig.base.json",
        compilerOptions: {
          noEmit: true,
          composite: false,
          incremental: false,
          declaration: false,
          declarationMap: false,
          allowImportingTsExtensions: true,
          rewriteRelativeImportExtensions: false,
          noUnusedLocals: false,
          moduleDetection: "force",
          customConditions: ["source"]
        },
        include: ["./*.ts"]
      },
      null,
      2
    )
  )
  const output = await run(join(root, "node_modules", ".bin", "tsc"), ["-p", tsconfig, "--pretty", "false"], {
    cwd: root,
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024
  }).then(
    ({ stdout, stderr }) => stdout + stderr,
    (error: { stdout?: string; stderr?: string; code?: unknown }) => {
      // tsc exits with 1 or 2 when it reports diagnostics; anything else (no output) is a crash.
      const text = (error.stdout ?? "") + (error.stderr ?? "")
      if (text.trim() === "") throw error
      return text
    }
  )
  const byName = new Map(examples.map((example) => [example.name, example]))
  const diagnostics: Array<Diagnostic> = []
  for (const text of output.split("\n")) {
    if (text.trim() === "") continue
    const match = /^(.*)\((\d+),(\d+)\): (.*)$/.exec(text)
    if (match === null) {
      // A continuation line of the previous diagnostic, or a global error (e.g. a bad tsconfig).
      const last = diagnostics.pop()
      if (last !== undefined && /^\s/.test(text)) diagnostics.push({ ...last, message: `${last.message}\n${text}` })
      else {
        if (last !== undefined) diagnostics.push(last)
        diagnostics.push({ example: undefined, location: "tsc", origin: undefined, message: text })
      }
      continue
    }
    const [, file, line, column, message] = match as unknown as [string, string, string, string, string]
    const path = resolve(root, file)
    const example = relative(scratch, path).includes("/") ? undefined : byName.get(relative(scratch, path))
    diagnostics.push({
      example,
      location: `${relative(root, path)}:${line}:${column}`,
      origin: example === undefined ? undefined : `${example.source}:${example.line + Number(line) - 1}:${column}`,
      message
    })
  }
  return diagnostics
}
