import { Cause, Exit } from "effect"
import { describe, expect, it } from "vitest"
import * as CliFailure from "../src/CliFailure.ts"
import * as Signals from "../src/Signals.ts"

describe("Signals.exitCode", () => {
  const interrupted = Exit.failCause(Cause.interrupt())
  it("is the shell's code for the signal that interrupted the run", () => {
    expect(Signals.exitCode(interrupted, "SIGINT")).toBe(130)
    expect(Signals.exitCode(interrupted, "SIGTERM")).toBe(143)
  })
  it("is Effect's otherwise: 0, the failure's own code, 130 for an interruption without a signal", () => {
    expect(Signals.exitCode(Exit.succeed(1), undefined)).toBe(0)
    expect(Signals.exitCode(Exit.succeed(1), "SIGTERM")).toBe(0)
    const failed = Exit.fail(new CliFailure.CliFailure({ reason: "unreachable", exitCode: 2 }))
    expect(Signals.exitCode(failed, undefined)).toBe(2)
    expect(Signals.exitCode(failed, "SIGTERM")).toBe(2)
    expect(Signals.exitCode(interrupted, undefined)).toBe(130)
  })
})
