/**
 * Floods against `effect-p2p listen --echo` with its default limits, over TCP, from peers that
 * complete the handshake and then never read while they keep sending: 2 peers × empty messages,
 * 2 peers × 4 MiB messages, 40 peers × 1 MiB messages. The listener runs in a child process of its
 * own; its held memory (heap plus array buffers, after a forced collection, above what it held
 * before the flood) is sampled throughout and must stay under the per-connection bound it announces
 * times the peers, and under its host-wide budget, with nothing added for what the queues do not
 * charge (docs/LIMITS.md, "What a connection holds"); its queues must never have accounted for more
 * than the budget (the scheduler's own peak, not a sample). Meanwhile a good peer completes a
 * handshake and an echo every second, and the attackers must have been held back by TCP. At the end
 * SIGTERM stops the listener with 143.
 */
import { assert, describe, it } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Dialer from "@effect-p2p/node/Dialer"
import { Cause, Effect, Exit, Fiber, Option } from "effect"
import * as Attacker from "../support/attacker.ts"
import * as CliListener from "../support/cliListener.ts"
import * as Listener from "../support/listener.ts"
import * as Raw from "../support/raw.ts"

/** The smallest P2p envelope: a 4-byte length and a 2-byte tag, no body. */
const emptyEnvelope = 6

/**
 * One attacker: handshake, stop reading, then send `messageSize`-byte envelopes as fast as TCP
 * takes them until `deadline` (ms since the epoch). Returns the bytes written and whether a write
 * ever had to wait more than 250 ms for room (backpressure reached it).
 */
const attacker = (port: number, messageSize: number, deadline: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const identity = yield* Listener.makeIdentity
      const raw = yield* Raw.connect(port)
      const keys = yield* Attacker.handshake(raw, identity)
      raw.pause()
      const plaintext = Attacker.envelope(new Uint8Array(messageSize - emptyEnvelope).fill(0x5a))
      // Small messages go many to a write, as a real flood would send them.
      const perWrite = Math.max(1, Math.floor((64 * 1024) / (messageSize + 18)))
      let written = 0
      let heldBack = false
      while (Date.now() < deadline) {
        const room = yield* Effect.timeoutOption(raw.drained, 250)
        if (Option.isNone(room)) {
          heldBack = true
          continue
        }
        const chunks = Array.from({ length: perWrite }, () => Attacker.seal(keys, plaintext))
        const batch = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
        let offset = 0
        for (const chunk of chunks) {
          batch.set(chunk, offset)
          offset += chunk.length
        }
        raw.writeNoWait(batch)
        written += batch.length
        yield* Effect.yieldNow
      }
      yield* raw.destroy
      return { written, heldBack }
    })
  )

/** A good peer's round: a fresh handshake and one echoed message. */
const goodRound = (port: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const identity = yield* Listener.makeIdentity
      const body = CryptoBackend.noble.randomBytes(100)
      const peer = yield* Dialer.connect(Listener.dialOptions({ port }, identity, { timeout: "30 seconds" }))
      yield* peer.connection.writeSync({ tag: 0x10, body })
      const [, echoed] = yield* peer.connection.read.pipe(
        Effect.timeoutOrElse({
          duration: "30 seconds",
          orElse: () => Effect.fail(new Error("no echo within 30 s"))
        })
      )
      assert.deepStrictEqual(echoed.body, body)
    })
  ).pipe(Effect.provide(CryptoBackend.layerNoble))

const flood = (options: { readonly peers: number; readonly messageSize: number; readonly seconds: number }) =>
  Effect.gen(function* () {
    const listener = yield* Effect.acquireRelease(
      Effect.promise(() => CliListener.start()),
      (l) => Effect.sync(() => l.child.kill("SIGKILL"))
    )
    const memory = Effect.promise(() => listener.memory())
    const baseline = (yield* memory).held
    const deadline = Date.now() + options.seconds * 1000

    let goodRounds = 0
    const goodFailures: Array<string> = []
    const good = yield* Effect.forkChild(
      Effect.gen(function* () {
        while (Date.now() < deadline) {
          const exit = yield* Effect.exit(goodRound(listener.port))
          if (Exit.isSuccess(exit)) goodRounds++
          else goodFailures.push(Cause.pretty(exit.cause))
          yield* Effect.sleep(1000)
        }
      })
    )
    const attackers = yield* Effect.forEach(
      Array.from({ length: options.peers }),
      // Forked one after the other by this fiber, so they live as long as it does.
      () => Effect.forkChild(attacker(listener.port, options.messageSize, deadline))
    )
    let peak = 0
    let peakQueued = 0
    const sample = Effect.map(memory, ({ held, peakQueued: queued }) => {
      peak = Math.max(peak, held - baseline)
      peakQueued = Math.max(peakQueued, queued)
    })
    while (Date.now() < deadline) {
      yield* Effect.sleep(2000)
      yield* sample
    }
    const results = yield* Effect.forEach(attackers, Fiber.join)
    yield* Fiber.join(good)
    yield* sample

    const { perConnectionBytes, totalBytes } = listener.limits
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`
    const sent = results.map((r) => r.written)
    const summary = `${options.peers} × ${options.messageSize} B: peak ${mib(peak)} held above the baseline, at most ${mib(peakQueued)} accounted in queues; each attacker sent ${mib(Math.min(...sent))} to ${mib(Math.max(...sent))}; ${goodRounds} good rounds`
    console.log(summary)
    // Every check at once, so a failing run says all that went wrong, not only the first thing.
    const problems = [
      goodFailures.length === 0 ? undefined : `the good peer failed ${goodFailures.length} times: ${goodFailures[0]}`,
      goodRounds >= 3 ? undefined : `the good peer completed only ${goodRounds} rounds`,
      peak <= perConnectionBytes * options.peers ? undefined : `over ${mib(perConnectionBytes)} per peer`,
      peak <= totalBytes ? undefined : `over the host budget ${mib(totalBytes)}`,
      peakQueued <= totalBytes ? undefined : `queues accounted for more than the host budget ${mib(totalBytes)}`,
      results.every((r) => r.heldBack) ? undefined : "an attacker was never held back by TCP",
      (yield* Effect.promise(() => listener.stop())) === 143 ? undefined : "SIGTERM did not exit 143"
    ].filter((problem) => problem !== undefined)
    assert.strictEqual(problems.join("; "), "", summary)
  })

describe("adversarial (slow): floods against effect-p2p listen --echo", () => {
  it.live(
    "2 peers sending empty messages without reading",
    () => flood({ peers: 2, messageSize: emptyEnvelope, seconds: 20 }),
    300_000
  )

  it.live(
    "2 peers sending 4 MiB messages without reading",
    () => flood({ peers: 2, messageSize: 4 * 1024 * 1024, seconds: 20 }),
    300_000
  )

  it.live(
    "40 peers sending 1 MiB messages without reading",
    () => flood({ peers: 40, messageSize: 1024 * 1024, seconds: 30 }),
    300_000
  )
})
