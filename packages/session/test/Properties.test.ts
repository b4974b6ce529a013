/**
 * Properties of the handshake's wire messages: round trips, exact framing, and arbitrary bytes
 * giving a value or a typed error, never an exception.
 */
import * as Encoding from "@effect-p2p/codec/Encoding"
import * as ByteReader from "@effect-p2p/connection/ByteReader"
import * as ByteSocket from "@effect-p2p/connection/ByteSocket"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type { PowStamp, PublicKey } from "@effect-p2p/crypto/Keys"
import type { Nonce } from "@effect-p2p/crypto/Nonce"
import { Effect, Exit, Option, Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Ack from "../src/Ack.ts"
import * as ConnectionMessage from "../src/ConnectionMessage.ts"
import * as Metadata from "../src/Metadata.ts"
import * as Rejection from "../src/Rejection.ts"

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })

const connectionMessage: fc.Arbitrary<ConnectionMessage.ConnectionMessage> = fc.record({
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }).map(Option.fromUndefinedOr),
  publicKey: bytes(32).map((b) => b as PublicKey),
  powStamp: bytes(24).map((b) => b as PowStamp),
  messageNonce: bytes(24).map((b) => b as Nonce),
  version: fc.record({
    chainName: fc.string({ maxLength: 200 }),
    distributedDbVersion: fc.integer({ min: 0, max: 65535 }),
    p2pVersion: fc.integer({ min: 0, max: 65535 })
  })
})

/** Runs `read` over a socket whose peer sent `input` and then closed. */
const readFrom = <A, E>(input: Uint8Array, read: (reader: ByteReader.ByteReader) => Effect.Effect<A, E>) =>
  Effect.runSyncExit(read(ByteReader.make(ByteSocket.fromBytes(input.length > 0 ? [input] : []).socket)))

describe("ConnectionMessage properties", () => {
  it("frame then read gives the message back and the exact framed bytes", () =>
    fc.assert(
      fc.property(connectionMessage, (message) => {
        const framed = Result.getOrThrow(ConnectionMessage.frame(message))
        expect((framed[0]! << 8) | framed[1]!).toBe(framed.length - 2)
        expect(framed.length).toBe(92 + new TextEncoder().encode(message.version.chainName).length)
        const exit = readFrom(framed, ConnectionMessage.read)
        expect(Exit.isSuccess(exit)).toBe(true)
        if (Exit.isSuccess(exit)) {
          expect(exit.value.message).toEqual(message)
          expect(exit.value.bytes).toEqual(framed)
        }
      })
    ))

  it("arbitrary bytes give a message, a DecodeError or ConnectionClosed, never an exception", () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (input) => {
        const exit = readFrom(input, ConnectionMessage.read)
        if (Exit.isFailure(exit)) {
          const error = Exit.findErrorOption(exit)
          expect(Option.isSome(error)).toBe(true)
          if (Option.isSome(error)) expect(["DecodeError", "ConnectionClosed"]).toContain(error.value._tag)
        }
      }),
      { numRuns: 3000 }
    ))
})

describe("encrypted handshake chunks", () => {
  const backend = CryptoBackend.noble
  const key = new Uint8Array(32).fill(9)
  const nonce = () => ({ current: new Uint8Array(24) as Nonce })

  it("Ack and Nack messages round-trip through seal and read", () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant<Ack.AckMessage>({ _tag: "Ack" }),
          fc.constant<Ack.AckMessage>({ _tag: "NackV0" }),
          fc.record({
            _tag: fc.constant("Nack" as const),
            // Every int16 code: the named ones as their names, the rest as UnknownMotive.
            motive: fc
              .integer({ min: -32768, max: 32767 })
              .map((code): Rejection.Received => Rejection.Motive.literals[code] ?? { _tag: "UnknownMotive", code }),
            alternativePoints: fc.array(
              fc.ipV4().map((ip) => `${ip}:9732`),
              { maxLength: 100 }
            )
          })
        ),
        (message) => {
          const chunk = Ack.seal(backend, key, nonce(), message)
          const exit = readFrom(chunk, (reader) => Ack.read(backend, key, nonce(), reader))
          expect(exit).toEqual(Exit.succeed(message))
        }
      )
    ))

  it("metadata round-trips, and arbitrary sealed plaintext decodes or fails with DecodeError", () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (plaintext) => {
        const chunk = Metadata.seal(backend, key, nonce(), Encoding.Variable.bytes, plaintext)
        const exit = readFrom(Result.getOrThrow(chunk), (reader) =>
          Metadata.read(backend, key, nonce(), reader, Metadata.octez)
        )
        if (plaintext.length === 2) {
          expect(exit).toEqual(Exit.succeed({ disableMempool: plaintext[0] !== 0, privateNode: plaintext[1] !== 0 }))
        } else {
          const error = Exit.findErrorOption(exit)
          expect(Option.map(error, (e) => e._tag)).toEqual(Option.some("DecodeError"))
        }
      })
    ))
})
