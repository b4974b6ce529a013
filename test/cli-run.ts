/**
 * Runs the `effect-p2p` command as a user would: a child process through tsx with the `source`
 * condition, from the repository root.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export const root = path.resolve(import.meta.dirname, "..")
const tsx = path.join(root, "node_modules", ".bin", "tsx")
const bin = path.join(root, "packages", "cli", "src", "bin.ts")

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const start = (args: ReadonlyArray<string>, options: { readonly cwd?: string } = {}): ChildProcess =>
  spawn(tsx, ["--conditions=source", bin, ...args], {
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

export const run = (args: ReadonlyArray<string>, options: { readonly cwd?: string } = {}): Promise<Result> =>
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
