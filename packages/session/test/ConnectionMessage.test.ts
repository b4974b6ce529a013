import { assert, describe, it } from "@effect/vitest"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import type { PowStamp, PublicKey } from "@effect-p2p/crypto/Keys"
import type { Nonce } from "@effect-p2p/crypto/Nonce"
import { Effect, Option, Result } from "effect"
import * as ConnectionMessage from "../src/ConnectionMessage.ts"

const message = (port: Option.Option<number>, chainName = "TEZOS_MAINNET"): ConnectionMessage.ConnectionMessage => ({
  port,
  publicKey: new Uint8Array(32).fill(1) as PublicKey,
  powStamp: new Uint8Array(24).fill(2) as PowStamp,
  messageNonce: new Uint8Array(24).fill(3) as Nonce,
  version: { chainName, distributedDbVersion: 2, p2pVersion: 1 }
})

describe("ConnectionMessage", () => {
  it("frames as u16 length || body, 92 + |chain name| bytes, port first", () => {
    const framed = Result.getOrThrow(ConnectionMessage.frame(message(Option.some(9732))))
    assert.strictEqual(framed.length, 92 + 13)
    assert.deepStrictEqual([...framed.subarray(0, 4)], [0x00, 0x67, 0x26, 0x04])
    assert.deepStrictEqual(Result.getOrThrow(ConnectionMessage.unframe(framed)), message(Option.some(9732)))
  })

  it("port 0 on the wire is None, and None is written as 0", () => {
    const framed = Result.getOrThrow(ConnectionMessage.frame(message(Option.none())))
    assert.deepStrictEqual([...framed.subarray(2, 4)], [0, 0])
    assert.deepStrictEqual(Result.getOrThrow(ConnectionMessage.unframe(framed)).port, Option.none())
  })

  it("refuses a body of 65536 bytes or more, accepts the largest that fits", () => {
    const fits = message(Option.none(), "x".repeat(65535 - 90))
    assert.strictEqual(Result.getOrThrow(ConnectionMessage.frame(fits)).length, 65537)
    const tooBig = ConnectionMessage.frame(message(Option.none(), "x".repeat(65536 - 90)))
    assert.isTrue(Result.isFailure(tooBig))
    if (Result.isFailure(tooBig)) assert.strictEqual(tooBig.failure._tag, "InvalidMessageSize")
  })

  it("rejects a port out of range with EncodeError", () => {
    const result = ConnectionMessage.frame(message(Option.some(70000)))
    assert.isTrue(Result.isFailure(result) && result.failure._tag === "EncodeError")
  })

  it.effect("read consumes exactly one frame and leaves what follows in the reader", () =>
    Effect.gen(function* () {
      const framed = Result.getOrThrow(ConnectionMessage.frame(message(Option.some(1))))
      // Split across socket reads, with the next record glued to the end.
      const { socket } = ByteSocket.fromBytes([framed.subarray(0, 1), new Uint8Array([...framed.subarray(1), 9, 9])])
      const reader = ByteReader.make(socket)
      const received = yield* ConnectionMessage.read(reader)
      assert.deepStrictEqual(received.bytes, framed)
      assert.deepStrictEqual(received.message, message(Option.some(1)))
      assert.strictEqual(reader.buffered(), 2)
    })
  )

  const malformed: ReadonlyArray<readonly [string, (framed: Uint8Array) => Uint8Array, string]> = [
    ["a frame shorter than its fields", (f) => new Uint8Array([0, 10, ...f.subarray(2, 12)]), "NotEnoughBytes"],
    [
      "a byte the body does not account for",
      (f) => new Uint8Array([f[0]!, f[1]! + 1, ...f.subarray(2), 0]),
      "TrailingBytes"
    ],
    [
      "a chain name longer than the frame",
      (f) => {
        const g = f.slice()
        g[87] = 0xff
        return g
      },
      "NotEnoughBytes"
    ]
  ]
  for (const [name, corrupt, reason] of malformed) {
    it.effect(`read rejects ${name} with DecodeError ${reason}`, () =>
      Effect.gen(function* () {
        const framed = corrupt(Result.getOrThrow(ConnectionMessage.frame(message(Option.some(1)))))
        const { socket } = ByteSocket.fromBytes([framed])
        const error = yield* Effect.flip(ConnectionMessage.read(ByteReader.make(socket)))
        assert.strictEqual(error._tag, "DecodeError")
        if (error._tag === "DecodeError") assert.strictEqual(error.reason, reason)
      })
    )
  }
})
