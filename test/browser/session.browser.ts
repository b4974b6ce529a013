/**
 * The browser page (examples/browser) in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser download), against the real commands: `effect-p2p listen --ws-port`
 * for the direct path, and `effect-p2p bridge` in front of a TCP `effect-p2p listen`. Run with
 * `pnpm test:browser` (CI installs chromium first). A screenshot of the page after the bridged
 * session is saved to test/browser/artifacts/.
 */
import { type ChildProcess, execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as WS from "@effect/platform-node/NodeWS"
import { BrowserDemo } from "@effect-p2p/cli"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as ProofOfWork from "@effect-p2p/crypto/ProofOfWork"
import { Effect, Exit, Scope } from "effect"
import * as esbuild from "esbuild"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, root, start, until, waitForLine } from "../cli-run.ts"

/** What the page's `p2p.run` returns (examples/browser/src/session.ts `Report`). */
interface Report {
  readonly ok: boolean
  readonly peerId?: string
  readonly steps: ReadonlyArray<string>
  readonly echoed: ReadonlyArray<{ readonly size: number; readonly rttMs: number; readonly same: boolean }>
  readonly error?: string
  readonly message?: string
}
type Probe = {
  readonly probe: {
    readonly open: (url: string, maxReadBuffer: number) => Promise<void>
    readonly read: () => Promise<{ readonly bytes?: number; readonly reason?: string }>
  }
}
type PageApi = {
  readonly p2p: {
    readonly run: (options: unknown) => Promise<Report>
    readonly generateIdentity: (difficulty: number) => Promise<string>
    readonly useIdentity: (json: string) => Promise<void>
  }
}

const difficulty = 8
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium"
const artifacts = path.join(import.meta.dirname, "artifacts")
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-p2p-browser-"))
const children: Array<ChildProcess> = []
const scope = Effect.runSync(Scope.make())
let context: BrowserContext
let page: Page
let pageUrl: string

const generate = (d: number) =>
  Effect.runSync(Identity.generate({ difficulty: d }).pipe(Effect.provide(CryptoBackend.layerNoble)))
const writeIdentity = (name: string, identity: Identity.Identity) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, Identity.toJson(identity), { mode: 0o600 })
  return file
}

/** Starts a command with --json; collects its lines; resolves once one matches `ready`. */
const startJson = async (args: ReadonlyArray<string>, ready: RegExp) => {
  const child = start(args)
  children.push(child)
  const lines = jsonLines(child)
  const match = await waitForLine(child, ready)
  return { lines, port: Number(match[1]) }
}

const direct = generate(difficulty)
const behindBridge = generate(difficulty)
const directId = PeerId.toBase58(direct.peerId)
const bridgedId = PeerId.toBase58(behindBridge.peerId)
let directListener: Awaited<ReturnType<typeof startJson>>
let tcpListener: Awaited<ReturnType<typeof startJson>>
let bridge: Awaited<ReturnType<typeof startJson>>
let browserId: string

const runInPage = (options: {
  readonly url: string
  readonly expectedPeerId?: string
  readonly sizes: ReadonlyArray<number>
  readonly identity?: string
}): Promise<Report> =>
  page.evaluate((o) => (globalThis as unknown as PageApi).p2p.run(o), {
    ...options,
    expectedPow: difficulty,
    chainName: "TEZOS_MAINNET"
  })

beforeAll(async () => {
  const common = ["--json", "--echo", "--host", "127.0.0.1", "--expected-pow", String(difficulty)]
  ;[directListener, tcpListener] = await Promise.all([
    startJson(
      ["listen", "--port", "0", "--ws-port", "0", "--identity", writeIdentity("direct.json", direct), ...common],
      /"event":"listening_ws","host":"[^"]+","port":(\d+)/
    ),
    startJson(
      ["listen", "--port", "0", "--identity", writeIdentity("bridged.json", behindBridge), ...common],
      /"event":"listening","host":"[^"]+","port":(\d+)/
    )
  ])
  bridge = await startJson(
    [
      "bridge",
      "--ws-port",
      "0",
      "--host",
      "127.0.0.1",
      "--to",
      `127.0.0.1:${tcpListener.port}`,
      "--expected-pow",
      String(difficulty),
      "--json"
    ],
    /"event":"bridging","host":"[^"]+","port":(\d+)/
  )
  // The page as `pnpm --filter examples/browser build` makes it, into a fresh directory.
  const outdir = path.join(dir, "page")
  execFileSync(path.join(root, "node_modules", ".bin", "tsx"), [
    path.join(root, "examples", "browser", "build.ts"),
    outdir
  ])
  const httpPort = await Effect.runPromise(Scope.provide(scope)(BrowserDemo.serveStatic(outdir, "127.0.0.1", 0)))
  pageUrl = `http://127.0.0.1:${httpPort}/`
  // A fresh profile (playwright passes --user-data-dir itself), headless, and the flags that keep
  // Chromium from calling hosts this closed network refuses.
  context = await chromium.launchPersistentContext(path.join(dir, "chromium"), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1000, height: 1100 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.on("console", (message) => console.log(`[page] ${message.type()}: ${message.text()}`))
  page.on("pageerror", (error) => console.log(`[page] error: ${error.message}`))
  await page.goto(pageUrl)
}, 120_000)

afterAll(async () => {
  await context?.close()
  for (const child of children) child.kill()
  await Effect.runPromise(Scope.close(scope, Exit.void))
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("the browser page in Chromium", { timeout: 120_000 }, () => {
  it("generates an identity in a Web Worker with progress, as an Octez identity.json", async () => {
    const json = await page.evaluate((d) => (globalThis as unknown as PageApi).p2p.generateIdentity(d), difficulty)
    const file = JSON.parse(json) as Record<string, string>
    expect(Object.keys(file).sort()).toEqual(["peer_id", "proof_of_work_stamp", "public_key", "secret_key"])
    const identity = await Effect.runPromise(Identity.fromJson(json).pipe(Effect.provide(CryptoBackend.layerNoble)))
    expect(
      ProofOfWork.checkWith(CryptoBackend.noble, identity.publicKey, identity.powStamp, ProofOfWork.target(difficulty))
    ).toBe(true)
    browserId = file.peer_id!
    expect(await page.textContent("#identity-peer")).toBe(browserId)
    expect(await page.textContent("#pow-status")).toMatch(/^found in/)
    // Stored: a reload keeps it.
    await page.reload()
    await page.waitForSelector(`#identity-peer:text-is("${browserId}")`)
  })

  it("exports the stored identity as identity.json and loads one from a file", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")])
    expect(download.suggestedFilename()).toBe("identity.json")
    const exported = JSON.parse(fs.readFileSync(await download.path(), "utf8")) as Record<string, string>
    expect(exported.peer_id).toBe(browserId)
    // Loading another file replaces it (after Octez's checks); a broken one is refused.
    const other = generate(difficulty)
    await page.setInputFiles("#load", writeIdentity("other.json", other))
    await page.waitForSelector(`#identity-peer:text-is("${PeerId.toBase58(other.peerId)}")`)
    const broken = path.join(dir, "broken.json")
    fs.writeFileSync(broken, JSON.stringify({ ...exported, public_key: Identity.toFile(other).public_key }))
    await page.setInputFiles("#load", broken)
    await page.waitForSelector("#identity-peer:text-matches('^refused: ')")
    // Back to the browser's own identity for the sessions below.
    await page.evaluate((json) => (globalThis as unknown as PageApi).p2p.useIdentity(json), JSON.stringify(exported))
    await page.waitForSelector(`#identity-peer:text-is("${browserId}")`)
  })

  it("completes a session with effect-p2p listen --ws-port; 1 B, 64 KiB and 1 MiB echoed", async () => {
    const report = await runInPage({
      url: `ws://127.0.0.1:${directListener.port}/`,
      expectedPeerId: directId,
      sizes: [1, 65536, 1048576]
    })
    expect(report.error).toBeUndefined()
    expect(report.ok).toBe(true)
    expect(report.peerId).toBe(directId)
    expect(report.steps.slice(0, 4)).toEqual(["Opening", "Open", "Authenticated", "Accepted"])
    expect(report.echoed.map((e) => [e.size, e.same])).toEqual([
      [1, true],
      [65536, true],
      [1048576, true]
    ])
    await until(() => directListener.lines.some((l) => l.event === "closed"), "the event")
    expect(directListener.lines.find((l) => l.event === "accepted")?.peer_id).toBe(browserId)
    // The envelope's size: 4 bytes of length, 2 of tag, the body.
    expect(directListener.lines.filter((l) => l.event === "message").map((l) => l.size)).toEqual([
      1 + 6,
      65536 + 6,
      1048576 + 6
    ])
  })

  it("completes a session through effect-p2p bridge with a TCP listener; 1 B, 64 KiB and 1 MiB echoed", async () => {
    const report = await runInPage({
      url: `ws://127.0.0.1:${bridge.port}/`,
      expectedPeerId: bridgedId,
      sizes: [1, 65536, 1048576]
    })
    expect(report.error).toBeUndefined()
    expect(report.peerId).toBe(bridgedId)
    expect(report.echoed.every((e) => e.same)).toBe(true)
    expect(report.echoed.map((e) => e.size)).toEqual([1, 65536, 1048576])
    await until(() => tcpListener.lines.some((l) => l.event === "closed"), "the event")
    expect(tcpListener.lines.find((l) => l.event === "accepted")?.peer_id).toBe(browserId)
    expect(bridge.lines.find((l) => l.event === "relaying")?.peer_id).toBe(browserId)
    expect(await page.textContent("#received")).toBe("3")
    fs.mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: path.join(artifacts, "session-through-bridge.png"), fullPage: true })
  })

  it("fails with UnexpectedPeerId when the peer is not the expected one (and nacks it)", async () => {
    const report = await runInPage({ url: `ws://127.0.0.1:${bridge.port}/`, expectedPeerId: directId, sizes: [1] })
    expect(report.ok).toBe(false)
    expect(report.error).toBe("UnexpectedPeerId")
    expect(report.message).toBe(`expected peer ${directId}, got ${bridgedId}`)
    await until(() => tcpListener.lines.some((l) => l.event === "handshake_failed"), "the event")
    expect(tcpListener.lines.find((l) => l.event === "handshake_failed")?.error).toBe("RejectedByNack")
  })

  it("a proof of work below the target's is refused by the bridge without a TCP dial", async () => {
    let weak = generate(0)
    while (ProofOfWork.checkWith(CryptoBackend.noble, weak.publicKey, weak.powStamp, ProofOfWork.target(difficulty))) {
      weak = generate(0)
    }
    const before = tcpListener.lines.length
    const report = await runInPage({
      url: `ws://127.0.0.1:${bridge.port}/`,
      expectedPeerId: bridgedId,
      sizes: [1],
      identity: Identity.toJson(weak)
    })
    expect(report.ok).toBe(false)
    expect(report.error).toBe("ConnectionClosed")
    expect(report.message).toMatch(/code 4003: proof of work too low/)
    await until(() => bridge.lines.some((l) => l.event === "refused"), "the event")
    const refused = bridge.lines.find((l) => l.event === "refused")
    expect(refused?.code).toBe(4003)
    expect(bridge.lines.filter((l) => l.event === "relaying")).toHaveLength(2)
    expect(tcpListener.lines.length).toBe(before)
  })
})

describe("WebSocketByteSocket in Chromium (no pause: the read bound fails the socket)", { timeout: 120_000 }, () => {
  /** A raw ws server that runs `onConnection` for each client; resolves with its port and the close codes it saw. */
  const rawServer = async (onConnection: (ws: WS.WebSocket) => void) => {
    const server = new WS.WebSocketServer({ host: "127.0.0.1", port: 0 })
    await new Promise<void>((resolve) => server.once("listening", () => resolve()))
    const codes: Array<number> = []
    server.on("connection", (ws) => {
      ws.on("close", (code) => codes.push(code))
      onConnection(ws)
    })
    const port = (server.address() as { port: number }).port
    return { url: `ws://127.0.0.1:${port}/`, codes, close: () => server.close() }
  }

  const loadProbe = async () => {
    const bundle = path.join(dir, "probe.js")
    await esbuild.build({
      entryPoints: [path.join(import.meta.dirname, "probe.ts")],
      outfile: bundle,
      bundle: true,
      format: "iife",
      platform: "browser",
      conditions: ["source"],
      logLevel: "warning"
    })
    await page.goto(pageUrl)
    await page.addScriptTag({ path: bundle })
  }

  it("a peer flooding past maxReadBuffer fails the socket with read buffer overflow (close 4002)", async () => {
    await loadProbe()
    const frame = new Uint8Array(65536).fill(7)
    const server = await rawServer((ws) => {
      for (let i = 0; i < 16; i++) ws.send(frame)
    })
    try {
      await page.evaluate((url) => (globalThis as unknown as Probe).probe.open(url, 256 * 1024), server.url)
      // Nobody reads in the page: the socket overflows and closes itself.
      await until(() => server.codes.length > 0, "the page's close")
      expect(server.codes).toEqual([4002])
      const read = await page.evaluate(() => (globalThis as unknown as Probe).probe.read())
      expect(read).toEqual({ reason: "read buffer overflow" })
    } finally {
      server.close()
    }
  })

  it("a text frame fails the socket (close 4002); what was buffered is dropped", async () => {
    await loadProbe()
    const server = await rawServer((ws) => {
      ws.send(new Uint8Array([1, 2, 3]))
      ws.send("not binary")
    })
    try {
      await page.evaluate((url) => (globalThis as unknown as Probe).probe.open(url, 256 * 1024), server.url)
      await until(() => server.codes.length > 0, "the page's close")
      expect(server.codes).toEqual([4002])
      const read = await page.evaluate(() => (globalThis as unknown as Probe).probe.read())
      expect(read).toEqual({ reason: "unexpected text frame" })
    } finally {
      server.close()
    }
  })
})
