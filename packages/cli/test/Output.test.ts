import { Result } from "effect"
import { describe, expect, it } from "vitest"
import * as Host from "../src/Host.ts"
import * as Output from "../src/Output.ts"

describe("Output.duration", () => {
  it.each([
    [0, "0 µs"],
    [0.2304, "230 µs"],
    [0.9996, "1 ms"],
    [4.94, "4.9 ms"],
    [9.96, "10 ms"],
    [49.2, "49 ms"],
    [999.6, "1 s"],
    [1234, "1.2 s"],
    [9960, "10 s"],
    [42_400, "42 s"],
    [59_700, "1 min"],
    [200_000, "3 min 20 s"],
    [3_600_000, "1 h"],
    [7_500_000, "2 h 5 min"],
    [Number.POSITIVE_INFINITY, "unknown"],
    [-1, "unknown"]
  ])("%s ms is %s", (millis, text) => {
    expect(Output.duration(millis)).toBe(text)
  })
})

describe("Output.bytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [4 * 1024 * 1024, "4 MiB"],
    [512 * 1024 * 1024, "512 MiB"],
    [3 * 1024 ** 3, "3 GiB"]
  ])("%s is %s", (count, text) => {
    expect(Output.bytes(count)).toBe(text)
  })
})

describe("Output.hexPrefix", () => {
  it("shows at most the first 64 bytes, marking the cut", () => {
    expect(Output.hexPrefix(new Uint8Array(64).fill(0xab))).toBe("ab".repeat(64))
    expect(Output.hexPrefix(new Uint8Array(100 * 1024 * 1024).fill(0xab))).toBe(`${"ab".repeat(64)}…`)
    expect(Output.hexPrefix(new Uint8Array(0))).toBe("")
  })
})

describe("Host.validate", () => {
  it.each(["127.0.0.1", "0.0.0.0", "::1", "fe80::1", "localhost", "node-1.example.org", "example.org."])(
    "accepts %s",
    (host) => {
      const result = Host.validate(host)
      expect(Result.isSuccess(result) && result.success).toBe(host)
    }
  )
  it.each(["", "1.2.3.4.5", "256.1.1.1", "::g", "bad host", "under_score", "-lead.example", "a..b", "x".repeat(64)])(
    "refuses %j",
    (host) => {
      expect(Host.validate(host)._tag).toBe("Failure")
    }
  )
})
