/**
 * An in-memory network for tests and simulations: hosts are labels (e.g. `10.0.0.7`), each gets a
 * `Transport` that listens on its own addresses and dials the others. Links are in-memory byte pipes
 * (`ByteSocket.makePair`), so sessions over them run the real handshake and the real crypto.
 *
 * What it can make happen, all in Effect time (so under `TestClock` too):
 * - a dial to an address nobody listens on is **refused** (`TransportError` `Refused`);
 * - a dial to a **silent** host never answers and fails `TimedOut` after the dial's timeout;
 * - each link has a **latency** (every write waits that long before it is delivered), a
 *   **capacity** (bytes buffered per direction before a write waits) and a **byte budget** (after
 *   that many bytes in one direction the link is reset);
 * - **reset** closes every open link between two hosts at once.
 *
 * @since 0.1.0
 */
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import { Cause, Clock, Duration, Effect, Latch, Queue, type Scope } from "effect"
import {
  type Address,
  type Connected,
  format,
  type Listening,
  TransportError,
  type TransportShape
} from "./Transport.ts"

/**
 * Properties of the links between two hosts (or every link, as defaults).
 *
 * @category models
 * @since 0.1.0
 */
export interface LinkOptions {
  /** Delay before written bytes reach the other end. Default 0. */
  readonly latency?: Duration.Input | undefined
  /** Bytes buffered per direction before a write waits. Default 1 MiB. */
  readonly capacity?: number | undefined
  /** Bytes one direction may carry before the link is reset. Default: unlimited. */
  readonly budget?: number | undefined
}

/**
 * A simulated network.
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryNetwork {
  /** The transport of one host: its dials come from `host`, it listens on `host`'s ports. */
  readonly transport: (host: string) => TransportShape
  /** Sets the properties of future links between `a` and `b` (either direction). */
  readonly setLink: (a: string, b: string, options: LinkOptions) => Effect.Effect<void>
  /** While true, dials to `host` are never answered (they time out). */
  readonly setSilent: (host: string, silent: boolean) => Effect.Effect<void>
  /** Closes every open link between `a` and `b`; returns how many. */
  readonly reset: (a: string, b: string) => Effect.Effect<number>
  /** Links open now. */
  readonly openLinks: Effect.Effect<number>
}

/**
 * Default dial timeout: 10 s, Octez's `connection_timeout`.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultDialTimeout: Duration.Duration = Duration.seconds(10)

const defaultCapacity = 1024 * 1024

interface Link {
  readonly hosts: readonly [string, string]
  readonly close: Effect.Effect<void>
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`)

/**
 * Waits `millis` of Clock time, sharing one timer among every wait that ends at the same Clock
 * millisecond. A simulation's writes come in bursts at one virtual instant (thousands of them), and
 * one `Effect.sleep` each was most of its cost: `TestClock` keeps its sleeps in one sorted array
 * and scans it when each ends. The shared timer runs detached, so that a waiter interrupted while
 * waiting does not cancel the others' wait.
 */
const makeDelay = () => {
  const gates = new Map<number, Latch.Latch>()
  return (millis: number): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const due = now + millis
      const gate = gates.get(due)
      if (gate !== undefined) return gate.await
      const created = Latch.makeUnsafe(false)
      gates.set(due, created)
      const timer = Effect.sleep(Duration.millis(millis)).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            gates.delete(due)
            created.openUnsafe()
          })
        )
      )
      return Effect.andThen(Effect.forkDetach(timer), created.await)
    })
}

/** One end of a link: latency on write, budget counted per direction, reset by closing. */
const wrap = (
  inner: ByteSocket.ByteSocket,
  options: {
    readonly latency: Duration.Duration
    readonly budget: number
    readonly reset: Effect.Effect<void>
    readonly delay: (millis: number) => Effect.Effect<void>
  }
): ByteSocket.ByteSocket => {
  let sent = 0
  const millis = Duration.toMillis(options.latency)
  const delay = millis > 0 ? options.delay(millis) : Effect.void
  return {
    read: inner.read,
    write: (bytes) =>
      Effect.suspend(() => {
        sent += bytes.length
        // Over budget: the link resets, and this write fails as a write to a closed socket does.
        if (sent > options.budget) return Effect.andThen(options.reset, inner.write(bytes))
        return Effect.andThen(delay, inner.write(bytes))
      }),
    close: inner.close
  }
}

/**
 * Creates an empty network. `defaults` apply to every link `setLink` did not configure.
 *
 * @category constructors
 * @since 0.1.0
 * @example
 * ```ts
 * import { MemoryNetwork } from "@effect-p2p/pool"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const network = yield* MemoryNetwork.make()
 *   const server = yield* network.transport("10.0.0.1").listen({ host: "10.0.0.1", port: 9732 })
 *   const client = yield* network.transport("10.0.0.2").dial(server.address)
 *   yield* client.socket.write(new Uint8Array([1]))
 * }))
 * ```
 */
export const make = (defaults: LinkOptions = {}): Effect.Effect<MemoryNetwork> =>
  Effect.sync(() => {
    const listeners = new Map<string, Queue.Queue<Connected>>()
    const linkOptions = new Map<string, LinkOptions>()
    const silent = new Set<string>()
    const links = new Set<Link>()
    const nextPort = new Map<string, number>()
    const delay = makeDelay()

    const ephemeral = (host: string): number => {
      const port = nextPort.get(host) ?? 49152
      nextPort.set(host, port >= 65535 ? 49152 : port + 1)
      return port
    }

    const connect = (
      from: string,
      to: Address,
      timeout: Duration.Duration
    ): Effect.Effect<Connected, TransportError, Scope.Scope> =>
      Effect.gen(function* () {
        const key = format(to)
        // Only a silent host keeps a dial waiting: the others answer at once, so they need no timer.
        if (silent.has(to.host)) {
          yield* Effect.sleep(timeout)
          return yield* new TransportError({ operation: "dial", address: key, reason: "TimedOut" })
        }
        const queue = listeners.get(key)
        if (queue === undefined) {
          return yield* new TransportError({ operation: "dial", address: key, reason: "Refused" })
        }
        const options = { ...defaults, ...linkOptions.get(pairKey(from, to.host)) }
        const [a, b] = ByteSocket.makePair({ capacity: options.capacity ?? defaultCapacity })
        const local: Address = { host: from, port: ephemeral(from) }
        const close = Effect.andThen(a.close, b.close)
        const link: Link = {
          hosts: [from, to.host],
          close: Effect.andThen(
            Effect.sync(() => links.delete(link)),
            close
          )
        }
        const latency = Duration.fromInputUnsafe(options.latency ?? 0)
        const budget = options.budget ?? Number.POSITIVE_INFINITY
        const ours = wrap(a, { latency, budget, reset: link.close, delay })
        const theirs = wrap(b, { latency, budget, reset: link.close, delay })
        links.add(link)
        yield* Effect.addFinalizer(() => link.close)
        const accepted = yield* Queue.offer(queue, { socket: theirs, local: to, remote: local, abort: link.close })
        if (!accepted) {
          yield* link.close
          return yield* new TransportError({ operation: "dial", address: key, reason: "Refused" })
        }
        return { socket: ours, local, remote: to, abort: link.close }
      })

    const transport = (host: string): TransportShape => ({
      listen: (address) =>
        Effect.gen(function* () {
          const bound: Address = { host, port: address.port === 0 ? ephemeral(host) : address.port }
          const key = format(bound)
          if (listeners.has(key)) {
            return yield* new TransportError({ operation: "listen", address: key, reason: "AddressInUse" })
          }
          const queue = yield* Queue.unbounded<Connected>()
          listeners.set(key, queue)
          // Closing the listener resets the connections it had not taken yet, as a kernel does with its backlog.
          yield* Effect.addFinalizer(() =>
            Effect.gen(function* () {
              listeners.delete(key)
              const pending = yield* Queue.clear(queue)
              yield* Effect.forEach(pending, (connected) => connected.abort, { discard: true })
              yield* Queue.shutdown(queue)
            })
          )
          const listening: Listening = {
            address: bound,
            run: (handler) =>
              Effect.forever(
                Effect.flatMap(Queue.take(queue), (connected) =>
                  Effect.forkChild(
                    handler(connected).pipe(
                      Effect.ensuring(connected.socket.close),
                      Effect.scoped,
                      // A handler that dies is a bug: said, never silent; the other connections go on.
                      Effect.tapCause((cause) =>
                        Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("connection handler died", cause)
                      )
                    ),
                    { startImmediately: true }
                  )
                )
              ).pipe(
                // The queue is shut down when the listener closes: serve nothing more, until interrupted.
                Effect.catchCause(() => Effect.never)
              ) as never
          }
          return listening
        }),
      dial: (address, options) => {
        return connect(host, address, Duration.fromInputUnsafe(options?.timeout ?? defaultDialTimeout))
      }
    })

    return {
      transport,
      setLink: (a, b, options) => Effect.sync(() => void linkOptions.set(pairKey(a, b), options)),
      setSilent: (host, value) => Effect.sync(() => void (value ? silent.add(host) : silent.delete(host))),
      reset: (a, b) =>
        Effect.suspend(() => {
          const matching = [...links].filter(
            (link) => (link.hosts[0] === a && link.hosts[1] === b) || (link.hosts[0] === b && link.hosts[1] === a)
          )
          return Effect.as(
            Effect.forEach(matching, (link) => link.close, { discard: true }),
            matching.length
          )
        }),
      openLinks: Effect.sync(() => links.size)
    }
  })
