/**
 * A test-only browser bundle (built by session.browser.ts, never part of the page): opens a raw
 * `WebSocketByteSocket` over the browser's own `WebSocket` and reads from it on request, so the
 * Chromium tests can check the read bound and frame rules where there is no `pause()`.
 */
import type { ByteSocket } from "@effect-p2p/connection/ByteSocket"
import * as WebSocketByteSocket from "@effect-p2p/connection/WebSocketByteSocket"
import { Effect, Scope } from "effect"

const scope = Effect.runSync(Scope.make())
let socket: ByteSocket | undefined

const probe = {
  open: (url: string, maxReadBuffer: number): Promise<void> =>
    Effect.runPromise(Scope.provide(scope)(WebSocketByteSocket.connect({ url, maxReadBuffer }))).then((s) => {
      socket = s
    }),
  /** The next read: its size, or the reason the socket ended. */
  read: (): Promise<{ readonly bytes?: number; readonly reason?: string }> =>
    socket === undefined
      ? Promise.resolve({ reason: "not open" })
      : Effect.runPromise(
          Effect.match(socket.read, {
            onSuccess: (bytes) => ({ bytes: bytes.length }),
            onFailure: (error) => ({ reason: error.description })
          })
        )
}

;(globalThis as unknown as { probe: typeof probe }).probe = probe
