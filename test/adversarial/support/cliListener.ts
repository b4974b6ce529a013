/**
 * `effect-p2p listen --echo` as an operator runs it (default limits), in a child process of its
 * own so that what it holds is measured apart from the attackers: Node runs it with `--expose-gc`,
 * and `memory` sends SIGUSR2, on which the command collects garbage and prints its `memory` event
 * (heap plus array buffers, where socket data and queued messages live).
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import { Effect } from "effect"
import { exited, jsonLines, start as startCommand, until, waitForLine } from "../../cli-run.ts"
import * as Listener from "./listener.ts"

export interface CliListener {
  readonly port: number
  readonly events: ReadonlyArray<Record<string, unknown>>
  /** The start-up `limits` event: what the listener documents it may hold. */
  readonly limits: { readonly perConnectionBytes: number; readonly totalBytes: number }
  /**
   * Heap plus array buffers held by the listener now, after a full collection, what its queues
   * account for, and the most they ever accounted for.
   */
  readonly memory: () => Promise<{ readonly held: number; readonly queued: number; readonly peakQueued: number }>
  /** SIGTERM, then the exit code (rejects if it has not exited within `deadlineMs`). */
  readonly stop: (deadlineMs?: number) => Promise<number | null>
  readonly child: ChildProcess
}

/** The arguments of `effect-p2p listen` as these tests run it: loopback, JSON events, echo, the suite's chain and PoW. */
export const listenArgs = (identityFile: string): Array<string> => [
  "listen",
  "--port",
  "0",
  "--host",
  "127.0.0.1",
  "--json",
  "--echo",
  "--identity",
  identityFile,
  "--expected-pow",
  String(Listener.difficulty),
  "--chain-name",
  Listener.chainName
]

/** Writes a fresh identity at the suite's difficulty into `dir`; returns the file. */
export const writeIdentity = (dir: string, name = "identity.json"): string => {
  const identity = Effect.runSync(
    Identity.generate({ difficulty: Listener.difficulty }).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
  const file = path.join(dir, name)
  fs.writeFileSync(file, Identity.toJson(identity), { mode: 0o600 })
  return file
}

export const start = async (extraArgs: ReadonlyArray<string> = []): Promise<CliListener> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-p2p-flood-"))
  const child = startCommand([...listenArgs(writeIdentity(dir)), ...extraArgs], { node: ["--expose-gc"] })
  child.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
  // A flood makes hundreds of thousands of message events: they are not kept.
  const events = jsonLines(child, (line) => line.startsWith('{"event":"message"'))
  const [, port] = await waitForLine(child, /"port":(\d+)/)
  await until(() => events.some((e) => e.event === "limits"), "the limits event")
  const limits = events.find((e) => e.event === "limits") as { perConnectionBytes: number; totalBytes: number }
  let asked = 0
  return {
    port: Number(port),
    events,
    limits,
    child,
    memory: async () => {
      const seen = events.filter((e) => e.event === "memory").length
      asked++
      child.kill("SIGUSR2")
      await until(() => events.filter((e) => e.event === "memory").length > seen, `memory event ${asked}`)
      const event = events.filter((e) => e.event === "memory").at(-1) as {
        held_bytes: number
        queued_bytes: number
        peak_queued_bytes: number
        after_gc: boolean
      }
      if (!event.after_gc) throw new Error("the listener runs without --expose-gc: its memory would include garbage")
      return { held: event.held_bytes, queued: event.queued_bytes, peakQueued: event.peak_queued_bytes }
    },
    stop: async (deadlineMs = 30_000) => {
      child.kill("SIGTERM")
      const exit = await Promise.race([
        exited(child),
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`the listener was still running ${deadlineMs} ms after SIGTERM`)),
            deadlineMs
          )
        )
      ])
      return exit.code
    }
  }
}
