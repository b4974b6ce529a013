/**
 * `effect-p2p demo --browser`: serves the browser page (`examples/browser`, built to static files)
 * and two peers for it on this machine: an echo listener on a WebSocket port (the page's direct
 * path), and an echo listener on TCP behind a WebSocket-to-TCP bridge (the path to an Octez node).
 * It prints both page URLs, with the peer's address, id and difficulty filled in.
 *
 * @since 0.1.0
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as IoScheduler from "@effect-p2p/connection/IoScheduler"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Bridge from "@effect-p2p/node/Bridge"
import * as Listener from "@effect-p2p/node/Listener"
import * as WebSocket from "@effect-p2p/node/WebSocket"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Console, Effect, type Scope } from "effect"
import * as CliFailure from "./CliFailure.ts"
import * as IdentityCommand from "./IdentityCommand.ts"

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".png": "image/png"
}

/**
 * Serves the files of `dir` (no listing, nothing outside it) on `host:port` until the scope
 * closes; returns the bound port. Can fail with `CliFailure` (port in use, no such directory).
 *
 * @example
 * ```ts
 * import { BrowserDemo } from "@effect-p2p/cli"
 * import { Effect } from "effect"
 * const serve = Effect.scoped(Effect.andThen(BrowserDemo.serveStatic("examples/browser/dist", "127.0.0.1", 0), Effect.never))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const serveStatic = (
  dir: string,
  host: string,
  port: number
): Effect.Effect<number, CliFailure.CliFailure, Scope.Scope> => {
  const root = Path.resolve(dir)
  if (!Fs.existsSync(Path.join(root, "index.html"))) {
    return CliFailure.fail(`${root} has no index.html: build the page first (pnpm --filter examples/browser build)`)
  }
  return Effect.acquireRelease(
    Effect.callback<Http.Server, CliFailure.CliFailure>((resume) => {
      const server = Http.createServer((req, res) => {
        const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)
        const file = Path.resolve(root, `.${pathname === "/" ? "/index.html" : pathname}`)
        if (!file.startsWith(root + Path.sep) || !Fs.existsSync(file) || !Fs.statSync(file).isFile()) {
          res.writeHead(404).end("not found")
          return
        }
        res.writeHead(200, { "content-type": contentTypes[Path.extname(file)] ?? "application/octet-stream" })
        Fs.createReadStream(file).pipe(res)
      })
      server.once("error", (error) =>
        resume(
          CliFailure.fail(`cannot serve the page on ${host}:${port}: ${error.message}`, CliFailure.ExitCode.network)
        )
      )
      server.listen(port, host, () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  ).pipe(Effect.map((server) => (server.address() as { port: number }).port))
}

/**
 * Asks the desktop to open `url` in the default browser, detached; says so if it cannot (no
 * desktop, no `xdg-open`): the URLs are printed anyway.
 */
const openInBrowser = (url: string) =>
  Effect.callback<void>((resume) => {
    const [command, args] =
      process.platform === "darwin"
        ? ["open", [url]]
        : process.platform === "win32"
          ? ["cmd", ["/c", "start", "", url]]
          : ["xdg-open", [url]]
    const child = ChildProcess.spawn(command, args, { detached: true, stdio: "ignore" })
    child.once("error", () => resume(Console.log(`(could not run ${command}: open the URL yourself)`)))
    child.once("spawn", () => {
      child.unref()
      resume(Effect.void)
    })
  })

/** Where the built page is, from this file: `examples/browser/dist` in the repository. */
export const defaultPageDir = Path.resolve(import.meta.dirname, "..", "..", "..", "examples", "browser", "dist")

const supported = { chainName: "EFFECT_P2P_DEMO", distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] } as const

/**
 * Runs the browser demo until interrupted.
 *
 * @example
 * ```ts
 * import { BrowserDemo } from "@effect-p2p/cli"
 * BrowserDemo.run({ difficulty: 8, page: BrowserDemo.defaultPageDir, httpPort: 0, open: false })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const run = Effect.fn("BrowserDemo.run")(function* (options: {
  readonly difficulty: number
  readonly page: string
  readonly httpPort: number
  /** Also ask the desktop to open the first URL (`xdg-open`, `open` on macOS, `start` on Windows). */
  readonly open?: boolean | undefined
}) {
  const host = "127.0.0.1"
  const httpPort = yield* serveStatic(options.page, host, options.httpPort)
  const identity = yield* IdentityCommand.generateIdentity({ difficulty: options.difficulty, progress: false })
  const common = {
    identity,
    expectedPow: options.difficulty,
    supported,
    metadata: { disableMempool: false, privateNode: false },
    metadataEncoding: Metadata.octez,
    messageEncoding: P2pMessage.envelope,
    onEvent: (event: Listener.Event) =>
      event._tag === "Accepted" || event._tag === "HandshakeFailed"
        ? Console.log(`  listener: ${event._tag === "Accepted" ? `accepted ${event.peerId}` : event.message}`)
        : Effect.void
  }
  const echo = (peer: { readonly connection: EchoConnection }) =>
    Effect.forever(Effect.flatMap(peer.connection.read, ([, m]) => peer.connection.write(m))).pipe(Effect.ignore)
  const scheduler = yield* IoScheduler.make()
  const servers = Effect.gen(function* () {
    const ws = yield* Effect.flatMap(WebSocket.listen({ port: 0, host }), (server) =>
      Listener.fromServer(server, common, echo)
    )
    const tcp = yield* Listener.make({ ...common, port: 0, host }, echo)
    const bridge = yield* Bridge.make({
      port: 0,
      host,
      targets: [tcp.address],
      expectedPow: common.expectedPow
    })
    return { ws, bridge }
  }).pipe(Effect.provideService(IoScheduler.IoScheduler, scheduler), CliFailure.orFail(CliFailure.ExitCode.network))
  const { ws, bridge } = yield* servers
  const peerId = PeerId.toBase58(identity.peerId)
  const page = (wsUrl: string) =>
    `http://${host}:${httpPort}/?${new URLSearchParams({
      url: wsUrl,
      peer: peerId,
      pow: String(options.difficulty),
      chain: supported.chainName,
      difficulty: String(options.difficulty)
    })}`
  yield* Console.log(
    `effect-p2p browser demo: an echo peer ${peerId} (difficulty ${options.difficulty})\n\n` +
      `  straight over WebSocket:  ${page(`ws://${host}:${ws.address.port}/`)}\n` +
      `  through the TCP bridge:   ${page(`ws://${host}:${bridge.address.port}/`)}\n\n` +
      "Open a URL, generate an identity, connect. Ctrl-C to stop."
  )
  if (options.open) yield* openInBrowser(page(`ws://${host}:${ws.address.port}/`))
  return yield* Effect.never
})

/** What the echo handler uses of a connection. */
type EchoConnection = {
  readonly read: Effect.Effect<readonly [number, P2pMessage.Envelope], unknown>
  readonly write: (m: P2pMessage.Envelope) => Effect.Effect<void, unknown>
}
