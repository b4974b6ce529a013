/**
 * Runs the `effect-p2p` command as a user would: one Node process (tsx's loader imported into it,
 * with the `source` condition, so no build is needed and signals reach the command itself), from
 * the repository root unless told otherwise.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import { Effect } from "effect"

export const root = path.resolve(import.meta.dirname, "..")
const tsxLoader = pathToFileURL(path.join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
const bin = path.join(root, "packages", "cli", "src", "bin.ts")

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface StartOptions {
  readonly cwd?: string
  /** Flags for Node itself (`--expose-gc`, ...). */
  readonly node?: ReadonlyArray<string>
}

export const start = (args: ReadonlyArray<string>, options: StartOptions = {}): ChildProcess =>
  spawn(process.execPath, [...(options.node ?? []), "--conditions=source", "--import", tsxLoader, bin, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"]
  })

export const collect = (child: ChildProcess): Promise<Result> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString()
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

export const run = (args: ReadonlyArray<string>, options: StartOptions = {}): Promise<Result> =>
  collect(start(args, options))

/** Resolves with the first stdout line matching `pattern` (the child keeps running). */
export const waitForLine = (child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> =>
  new Promise((resolve, reject) => {
    let buffer = ""
    let stderr = ""
    const onData = (d: Buffer) => {
      buffer += d.toString()
      const match = pattern.exec(buffer)
      if (match !== null) {
        child.stdout?.off("data", onData)
        resolve(match)
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString()
    })
    child.on("close", (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${stderr}`)))
  })

export const tempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "effect-p2p-cli-"))

export const vectorsDir = path.resolve(root, "test", "vectors", "identities")

/**
 * Every stdout line of a `--json` child, parsed as it arrives (a line that is not JSON fails the
 * parse); lines for which `skip` says true are left out unparsed (a flood's message events).
 */
export const jsonLines = (
  child: ChildProcess,
  skip: (line: string) => boolean = () => false
): Array<Record<string, unknown>> => {
  const lines: Array<Record<string, unknown>> = []
  let partial = ""
  child.stdout?.on("data", (d: Buffer) => {
    const text = partial + d.toString()
    const complete = text.split("\n")
    partial = complete.pop() ?? ""
    for (const line of complete) if (line.trim() !== "" && !skip(line)) lines.push(JSON.parse(line))
  })
  return lines
}

/** Polls `predicate` every 20 ms; rejects with `what` after `deadlineMs` (a generous bound, not a timing assertion). */
export const until = async (predicate: () => boolean, what: string, deadlineMs = 60_000): Promise<void> => {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > deadlineMs) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Resolves with the child's exit code and signal once it has exited. */
export const exited = (
  child: ChildProcess
): Promise<{ readonly code: number | null; readonly signal: string | null }> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resolve({ code: child.exitCode, signal: child.signalCode })
    }
    child.once("exit", (code, signal) => resolve({ code, signal }))
  })

/**
 * Writes `count` identities of difficulty 0 (noble backend) into `dir` as `identity-<i>.json`, for
 * tests that start several `effect-p2p node` processes; returns their paths.
 */
export const writeIdentities = (dir: string, count: number): ReadonlyArray<string> =>
  Array.from({ length: count }, (_, i) => {
    const identity = Effect.runSync(Identity.generate({ difficulty: 0 }).pipe(Effect.provide(CryptoBackend.layerNoble)))
    const file = path.join(dir, `identity-${i}.json`)
    fs.writeFileSync(file, Identity.toJson(identity))
    return file
  })

/** The arguments of an `effect-p2p node` on 127.0.0.1, any port, `--json`, difficulty 0, then `extra`. */
export const nodeArgs = (identityFile: string, extra: ReadonlyArray<string>): ReadonlyArray<string> => [
  "node",
  "--json",
  "--port",
  "0",
  "--host",
  "127.0.0.1",
  "--identity",
  identityFile,
  "--expected-pow",
  "0",
  ...extra
]
