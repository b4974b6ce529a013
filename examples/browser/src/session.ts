/**
 * A session from a browser: open a WebSocket (straight to `effect-p2p listen --ws-port`, or to
 * `effect-p2p bridge` in front of a TCP peer), run the Octez handshake over it step by step, then
 * send messages and time their echoes. Platform-free: the global `WebSocket`, the pure-JS crypto
 * backend, no `node:*`.
 */
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import type * as Connection from "@effect-p2p/connection/Connection"
import type * as Stat from "@effect-p2p/connection/Stat"
import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type * as Identity from "@effect-p2p/crypto/Identity"
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Metadata from "@effect-p2p/session/Metadata"
import * as Negotiation from "@effect-p2p/session/Negotiation"
import * as Session from "@effect-p2p/session/Session"
import { Cause, Effect, Exit, Fiber, Result } from "effect"

/** What the page shows as the session goes. */
export type Step =
  | { readonly _tag: "Opening"; readonly url: string }
  | { readonly _tag: "Open" }
  | { readonly _tag: "Authenticated"; readonly peerId: string; readonly chainName: string }
  | { readonly _tag: "Accepted"; readonly version: string }
  | { readonly _tag: "Sent"; readonly size: number }
  | { readonly _tag: "Echoed"; readonly size: number; readonly rttMs: number }
  | { readonly _tag: "Stat"; readonly stat: Stat.Stat }
  | { readonly _tag: "Failed"; readonly error: string; readonly message: string }
  | { readonly _tag: "Closed" }

export interface Options {
  readonly url: string
  readonly identity: Identity.Identity
  /** The peer's id (`idt…`): pins it, so a bridge cannot substitute its own keys. */
  readonly expectedPeerId?: string | undefined
  /** Difficulty the peer's stamp must meet. */
  readonly expectedPow: number
  readonly chainName: string
  /** Sizes of the messages to send, each echoed back by the peer before the next. */
  readonly sizes: ReadonlyArray<number>
  readonly onStep?: ((step: Step) => void) | undefined
}

/** The JSON the page (and the Chromium test) gets back. */
export interface Report {
  readonly ok: boolean
  readonly peerId?: string
  readonly version?: string
  readonly steps: ReadonlyArray<string>
  readonly echoed: ReadonlyArray<{ readonly size: number; readonly rttMs: number; readonly same: boolean }>
  readonly stat?: Stat.Stat
  readonly error?: string
  readonly message?: string
}

class UnexpectedPeerId extends Error {
  readonly _tag = "UnexpectedPeerId"
}

const pattern = (size: number) => {
  const body = new Uint8Array(size)
  for (let i = 0; i < size; i++) body[i] = (i * 7 + size) & 0xff
  return body
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

const session = (options: Options, step: (s: Step) => void) =>
  Effect.gen(function* () {
    step({ _tag: "Opening", url: options.url })
    const socket = yield* WebSocketByteSocket.connect({ url: options.url })
    step({ _tag: "Open" })
    const supported: Negotiation.Supported = {
      chainName: options.chainName,
      distributedDbVersions: [0, 1, 2],
      p2pVersions: [0, 1]
    }
    // Steps 1 and 2: connection messages (cleartext, the only bytes a bridge can read), then
    // encrypted metadata. Browsers announce no listening port: they cannot accept connections.
    const [info, auth] = yield* Session.authenticate({
      socket,
      identity: options.identity,
      incoming: false,
      expectedPow: options.expectedPow,
      version: Negotiation.announced(supported),
      metadata: { disableMempool: true, privateNode: false },
      metadataEncoding: Metadata.octez
    })
    const peerId = PeerId.toBase58(info.peerId)
    step({ _tag: "Authenticated", peerId, chainName: info.announcedVersion.chainName })
    if (options.expectedPeerId !== undefined && options.expectedPeerId !== peerId) {
      yield* Session.nack(auth)
      return yield* Effect.fail(new UnexpectedPeerId(`expected peer ${options.expectedPeerId}, got ${peerId}`))
    }
    const selected = Negotiation.select(supported, info.announcedVersion)
    if (Result.isFailure(selected)) {
      yield* Session.nack(auth, { motive: selected.failure })
      return yield* Effect.fail(new Error(`no common version with ${peerId}`))
    }
    // Step 3: Ack both ways; the connection is open.
    const connection: Connection.Connection<P2pMessage.Envelope> = yield* Session.accept(auth, {
      messageEncoding: P2pMessage.envelope
    })
    const v = selected.success
    const version = `${v.chainName} db ${v.distributedDbVersion} p2p ${v.p2pVersion}`
    step({ _tag: "Accepted", version })
    step({ _tag: "Stat", stat: yield* connection.stat })
    const sampler = yield* Effect.forkChild(
      Effect.forever(
        Effect.andThen(
          Effect.sleep("250 millis"),
          Effect.map(connection.stat, (stat) => step({ _tag: "Stat", stat }))
        )
      )
    )
    const echoed: Array<{ size: number; rttMs: number; same: boolean }> = []
    for (const size of options.sizes) {
      const sent = { tag: 0x10, body: pattern(size) }
      const started = performance.now()
      yield* connection.write(sent)
      step({ _tag: "Sent", size })
      const [, back] = yield* connection.read
      const rttMs = performance.now() - started
      echoed.push({ size, rttMs, same: back.tag === sent.tag && sameBytes(back.body, sent.body) })
      step({ _tag: "Echoed", size, rttMs })
    }
    yield* Fiber.interrupt(sampler)
    const stat = yield* connection.stat
    step({ _tag: "Stat", stat })
    yield* connection.close({ wait: true, reason: "done" })
    step({ _tag: "Closed" })
    return { peerId, version, echoed, stat }
  })

const describe = (cause: Cause.Cause<unknown>) => {
  const error = Cause.squash(cause)
  const tag =
    typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
      ? error._tag
      : "Error"
  return { error: tag, message: error instanceof Error ? error.message : String(error) }
}

/** Runs a session and reports it as JSON; never rejects. */
export const run = async (options: Options): Promise<Report> => {
  const steps: Array<string> = []
  const step = (s: Step) => {
    if (s._tag !== "Stat") steps.push(s._tag)
    options.onStep?.(s)
  }
  const exit = await Effect.runPromiseExit(
    Effect.scoped(session(options, step)).pipe(Effect.provide(CryptoBackend.layerNoble))
  )
  if (Exit.isSuccess(exit)) return { ok: true, steps, ...exit.value }
  const failure = describe(exit.cause)
  step({ _tag: "Failed", ...failure })
  return { ok: false, steps, echoed: [], ...failure }
}
