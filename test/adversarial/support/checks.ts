/**
 * What every case checks after the attack: the listener still completes a normal session with a
 * well-behaved peer, and nothing leaked (connection fibers the listener tracks, sockets and timers
 * Node reports as active). Counts are polled until they settle, with a deadline, so a slow close
 * never makes a case flaky, while a real leak still fails it.
 */
import { assert } from "@effect/vitest"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Dialer from "@effect-p2p/node/Dialer"
import { type Duration, Effect, type Scope } from "effect"
import * as Listener from "./listener.ts"
import * as Raw from "./raw.ts"

export interface Resources {
  readonly sockets: number
  readonly timers: number
}

export const resources = (): Resources => {
  let sockets = 0
  let timers = 0
  for (const name of process.getActiveResourcesInfo()) {
    if (name === "TCPSocketWrap") sockets++
    else if (name === "Timeout") timers++
  }
  return { sockets, timers }
}

/** A well-behaved peer: dials, completes the handshake, has one message echoed, closes. */
export const goodPeer = (listener: Listener.Listener) =>
  Effect.gen(function* () {
    const identity = yield* Listener.makeIdentity
    const body = CryptoBackend.noble.randomBytes(100)
    const echoed = yield* Effect.scoped(
      Effect.gen(function* () {
        const peer = yield* Dialer.connect(Listener.dialOptions(listener, identity, { timeout: "5 seconds" }))
        yield* peer.connection.writeSync({ tag: 0x10, body })
        const [, message] = yield* peer.connection.read.pipe(
          Effect.timeoutOrElse({
            duration: "20 seconds",
            orElse: () => Effect.die(new Error("the listener did not echo the good peer's message"))
          })
        )
        return message
      })
    )
    assert.strictEqual(echoed.tag, 0x10)
    assert.deepStrictEqual(echoed.body, body)
  }).pipe(Effect.provide(CryptoBackend.layerNoble))

/** Waits (up to 10 s) until the listener holds no connection and sockets and timers are back to `baseline`, then asserts it. */
export const noLeaks = (listener: Listener.Listener, baseline: Resources) =>
  Effect.gen(function* () {
    for (let i = 0; i < 500; i++) {
      const now = resources()
      if ((yield* listener.live) === 0 && now.sockets <= baseline.sockets && now.timers <= baseline.timers) break
      yield* Effect.sleep(20)
    }
    const now = resources()
    assert.strictEqual(yield* listener.live, 0, "connections still open")
    assert.isAtMost(now.sockets, baseline.sockets, "sockets left open")
    assert.isAtMost(now.timers, baseline.timers, "timers left running")
  })

/** Runs `attack` against a fresh baseline, then checks a good peer still gets through and nothing leaked. */
export const afterwards = (listener: Listener.Listener, baseline: Resources) =>
  Effect.gen(function* () {
    yield* noLeaks(listener, baseline)
    yield* goodPeer(listener)
    yield* noLeaks(listener, baseline)
  })

/**
 * Opens a raw connection, runs `script`, then returns the listener's outcome for it once the
 * listener has closed the connection (the attacker saw the end of the stream).
 */
export const attack = <E>(
  listener: Listener.Listener,
  script: (raw: Raw.Raw) => Effect.Effect<void, E, Scope.Scope>,
  deadline: Duration.Input = "20 seconds"
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const raw = yield* Raw.connect(listener.port)
      yield* script(raw)
      const outcome = yield* listener.outcomeOf(raw.localPort).pipe(
        Effect.timeoutOrElse({
          duration: deadline,
          orElse: () =>
            Effect.die(new Error(`no outcome for port ${raw.localPort}; events: ${JSON.stringify(listener.stats())}`))
        })
      )
      yield* raw.ended.pipe(
        Effect.timeoutOrElse({
          duration: deadline,
          orElse: () => Effect.die(new Error(`the listener did not close the connection (outcome ${outcome.tag})`))
        })
      )
      return outcome
    })
  )

/** A listener for one case: runs `body`, then {@link afterwards}. */
export const withListener = <A, E>(
  options: Listener.ListenerOptions,
  body: (listener: Listener.Listener) => Effect.Effect<A, E>
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const listener = yield* Listener.listen(options)
      const baseline = resources()
      const result = yield* body(listener)
      yield* afterwards(listener, baseline)
      return result
    })
  )
