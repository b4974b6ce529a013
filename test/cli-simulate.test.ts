/**
 * `effect-p2p simulate` as a user runs it: one process per run, the real simulator (real pools,
 * handshakes and crypto on the in-memory network, in virtual time). Small N and `--connections 8`
 * (bounds 5 / 11) keep each run to a few seconds on this 2-core machine.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { exited, run, start, tempDir, waitForLine } from "./cli-run.ts"
import * as Xml from "./support/xml.ts"

const dir = tempDir()
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

const small = ["--peers", "20", "--minutes", "3", "--seed", "7", "--connections", "8"]

describe("effect-p2p simulate", { timeout: 60_000 }, () => {
  it("--json prints exactly one JSON object with the summary, and the same seed gives the same object", async () => {
    const [first, second] = await Promise.all([
      run(["simulate", ...small, "--json"]),
      run(["simulate", ...small, "--json"])
    ])
    for (const result of [first!, second!]) {
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout.trim().split("\n")).toHaveLength(1)
    }
    const report = JSON.parse(first!.stdout) as Record<string, unknown>
    expect(report).toMatchObject({ peers: 20, minutes: 3, seed: 7, churn: 0, minThreshold: 5, maxThreshold: 11 })
    for (const field of ["converged", "connected"]) expect(typeof report[field], field).toBe("boolean")
    for (const field of ["minConnections", "maxConnections", "dials", "greylisted", "swaps", "violations"]) {
      expect(Number.isInteger(report[field]), field).toBe(true)
    }
    expect(report.minConnections as number).toBeLessThanOrEqual(report.maxConnections as number)
    expect(report.maxConnections as number).toBeLessThanOrEqual(19)
    expect(report.dials as number).toBeGreaterThan(0)
    const perMinute = report.perMinute as Array<{ minute: number; connections: { max: number } }>
    expect(perMinute.map((m) => m.minute)).toEqual([1, 2, 3])
    expect(perMinute.at(-1)!.connections.max).toBe(report.maxConnections)
    expect(JSON.parse(second!.stdout)).toEqual(report)
  })

  it("a different seed gives a different run", async () => {
    const [a, b] = await Promise.all([
      run(["simulate", ...small, "--json"]),
      run(["simulate", ...small.slice(0, 4), "--seed", "8", "--connections", "8", "--json"])
    ])
    expect(a!.code, a!.stderr).toBe(0)
    expect(b!.code, b!.stderr).toBe(0)
    expect(JSON.parse(b!.stdout).seed).toBe(8)
    expect(JSON.parse(b!.stdout).perMinute).not.toEqual(JSON.parse(a!.stdout).perMinute)
  })

  it("prints one line per virtual minute and a summary; --svg writes a well-formed picture with a circle per peer", async () => {
    const svg = path.join(dir, "network.svg")
    fs.writeFileSync(svg, "an older picture")
    const result = await run(["simulate", ...small, "--churn", "0.1", "--svg", "network.svg"], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trim().split("\n")
    expect(lines).toHaveLength(5)
    lines.slice(0, 3).forEach((line, i) => {
      expect(line).toMatch(
        new RegExp(
          `^minute ${i + 1}/3: \\d+ running, connections min \\d+ median [\\d.]+ max \\d+, (connected \\(diameter \\d+\\)|not connected \\(\\d+ components\\)), \\d+ dials?, \\d+ greylisted, \\d+ swaps?`
        )
      )
    })
    expect(lines[3]).toMatch(
      /^(converged|not converged): 20 peers after 3 virtual minutes \(seed 7\), connections \d+ to \d+ \(band \[5, 11\]\)/
    )
    expect(lines[4]).toBe(`picture written to ${svg}`)
    const elements = Xml.parse(fs.readFileSync(svg, "utf8"))
    expect(elements[0]!.name).toBe("svg")
    const circles = elements.filter((e) => e.name === "circle")
    // With churn, replaced peers stay in the picture as stopped nodes: one circle per node ever started.
    const running = circles.filter((e) => !(e.attributes.get("class") ?? "").includes("dead"))
    expect(running).toHaveLength(20)
    expect(circles.length).toBeGreaterThan(20)
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([])
  })

  it("--svg with --json: the path is in the object, nothing else on standard output", async () => {
    const svg = path.join(dir, "json.svg")
    const result = await run(["simulate", ...small, "--json", "--svg", svg])
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.svg).toBe(svg)
    expect(Xml.parse(fs.readFileSync(svg, "utf8")).filter((e) => e.name === "circle")).toHaveLength(20)
  })

  it("refuses bad flags with a usage error, before simulating", async () => {
    const cases: Array<[Array<string>, RegExp]> = [
      [["--peers", "1", "--minutes", "1"], /--peers/],
      [["--peers", "x", "--minutes", "1"], /--peers/],
      [["--peers", "5", "--minutes", "0"], /--minutes/],
      [["--peers", "5", "--minutes", "1.5"], /--minutes/],
      [["--peers", "5", "--minutes", "1", "--churn", "1.5"], /--churn/],
      [["--peers", "5", "--minutes", "1", "--churn", "-0.1"], /--churn/],
      [["--peers", "5", "--minutes", "1", "--seed", "1.5"], /--seed/],
      [["--peers", "5", "--minutes", "1", "--seed", "seven"], /--seed/],
      [["--minutes", "1"], /--peers/],
      [["--peers", "5"], /--minutes/],
      [["--peers", "5", "--minutes", "1", "--bootstrap-peers", "6"], /bootstrapPeers/],
      [["--peers", "5", "--minutes", "1", "--svg", path.join(dir, "missing", "x.svg")], /no directory/],
      [["--peers", "5", "--minutes", "1", "--svg", dir], /is a directory/]
    ]
    const results = await Promise.all(cases.map(([flags]) => run(["simulate", ...flags])))
    results.forEach((result, i) => {
      expect(result.code, cases[i]![0].join(" ")).toBe(1)
      expect(result.stderr, cases[i]![0].join(" ")).toMatch(cases[i]![1])
      expect(result.stdout, cases[i]![0].join(" ")).not.toMatch(/^minute /m)
    })
  })

  it("--help gives every flag's default, or says it is required", async () => {
    const help = await run(["simulate", "--help"])
    expect(help.code).toBe(0)
    // The command's FLAGS section (not the global flags after it).
    const section = /\nFLAGS\n([\s\S]*?)\n\n/.exec(`${help.stdout}\n\n`)?.[1] ?? ""
    const flags = section.split("\n").filter((line) => /^\s+--/.test(line))
    expect(flags.length).toBeGreaterThanOrEqual(8)
    for (const line of flags) expect(line).toMatch(/\((default: [^)]+|required)\)$/)
    expect(flags.filter((line) => line.endsWith("(required)")).map((line) => line.trim().split(" ")[0])).toEqual([
      "--peers",
      "--minutes"
    ])
  })

  it("stops on SIGINT with exit code 130", async () => {
    const child = start(["simulate", "--peers", "20", "--minutes", "100000", "--connections", "8"])
    children.push(child)
    await waitForLine(child, /^minute 1\/100000:/m)
    child.kill("SIGINT")
    expect(await exited(child)).toEqual({ code: 130, signal: null })
  })
})
