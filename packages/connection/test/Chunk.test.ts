import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Chunk from "../src/Chunk.ts"

const backend = CryptoBackend.noble
const key = new Uint8Array(32).fill(7)

/** Splits back-to-back wire chunks, checking each header. */
const splitChunks = (wire: Uint8Array): Array<Uint8Array> => {
  const bodies: Array<Uint8Array> = []
  let at = 0
  while (at < wire.length) {
    const length = Chunk.readHeader(wire.subarray(at, at + 2))
    bodies.push(wire.subarray(at + 2, at + 2 + length))
    at += 2 + length
  }
  expect(at).toBe(wire.length)
  return bodies
}

describe("Chunk", () => {
  it.each([
    [undefined, 65517],
    [19, 1],
    [21, 3],
    [65535, 65517]
  ])("binaryChunksSize %s gives pieces of %i bytes", (size, piece) => {
    expect(Chunk.pieceSize(size)).toEqual(Result.succeed(piece))
  })

  it.each([18, 0, -1, 65536, 19.5, Number.NaN])("rejects binaryChunksSize %s with InvalidChunksSize", (size) => {
    const result = Chunk.pieceSize(size)
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) {
      expect(result.failure).toMatchObject({ _tag: "InvalidChunksSize", value: size, min: 19, max: 65535 })
    }
  })

  it("frames as u16(16 + n) || tag || ciphertext and opens with the same nonce sequence", () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 1000 }), (message, piece) => {
        const sender = { current: Nonce.zero() }
        const wire = Chunk.sealMessage(backend, key, sender, message, piece)
        const bodies = splitChunks(wire)
        expect(bodies.length).toBe(Math.max(1, Math.ceil(message.length / piece)))
        const receiver = { current: Nonce.zero() }
        const plain = bodies.map((body) => Chunk.openChunk(backend, key, receiver, body))
        expect(Buffer.concat(plain.map((p) => p!))).toEqual(Buffer.from(message))
        expect(receiver.current).toEqual(sender.current)
      })
    ))

  it("sealMessages without packing is sealMessage of each message, back to back (Octez's writer)", () =>
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 700 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 500 }),
        (messages, piece) => {
          const one = { current: Nonce.zero() }
          const expected = Buffer.concat(messages.map((m) => Chunk.sealMessage(backend, key, one, m, piece)))
          const batch = { current: Nonce.zero() }
          expect(Buffer.from(Chunk.sealMessages(backend, key, batch, messages, piece, false))).toEqual(expected)
          expect(batch.current).toEqual(one.current)
        }
      )
    ))

  it("sealMessages with packing: the messages as one stream in the fewest chunks, opened in place", () =>
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 500 }),
        (messages, piece) => {
          const stream = Buffer.concat(messages)
          const sender = { current: Nonce.zero() }
          const wire = Chunk.sealMessages(backend, key, sender, messages, piece, true)
          const bodies = splitChunks(wire)
          expect(bodies.length).toBe(Math.max(1, Math.ceil(stream.length / piece)))
          for (const body of bodies.slice(0, -1)) expect(body.length).toBe(piece + Chunk.tagLength)
          const receiver = { current: Nonce.zero() }
          const plain = bodies.map((body) => Chunk.openChunkInPlace(backend, key, receiver, body)!)
          expect(Buffer.concat(plain)).toEqual(stream)
          expect(receiver.current).toEqual(sender.current)
        }
      )
    ))

  it("sealMessages with packing: an empty message after a full chunk (fast-check counterexample)", () => {
    // The empty message's place is past the end of the output: copying it must not touch `out`.
    const messages = [new Uint8Array([9]), new Uint8Array(0)]
    const sender = { current: Nonce.zero() }
    const wire = Chunk.sealMessages(backend, key, sender, messages, 1, true)
    const bodies = splitChunks(wire)
    expect(bodies.length).toBe(1)
    const receiver = { current: Nonce.zero() }
    expect(Array.from(Chunk.openChunkInPlace(backend, key, receiver, bodies[0]!)!)).toEqual([9])
  })

  it("openChunkInPlace refuses a flipped bit and still advances the nonce", () => {
    const wire = Chunk.sealMessage(backend, key, { current: Nonce.zero() }, new Uint8Array([1, 2, 3]), 100)
    wire[5]! ^= 0x10
    const receiver = { current: Nonce.zero() }
    expect(Chunk.openChunkInPlace(backend, key, receiver, wire.subarray(2))).toBeUndefined()
    expect(receiver.current).toEqual(Nonce.increment(Nonce.zero()))
  })

  it("an empty message is one chunk of 16 bytes (the tag)", () => {
    const wire = Chunk.sealMessage(backend, key, { current: Nonce.zero() }, new Uint8Array(0), 100)
    expect(wire.length).toBe(18)
    expect(Chunk.readHeader(wire)).toBe(16)
  })

  it("a chunk opened with the wrong nonce fails, and the nonce still advances", () => {
    const wire = Chunk.sealMessage(backend, key, { current: Nonce.zero() }, new Uint8Array([1, 2, 3]), 100)
    const receiver = { current: Nonce.increment(Nonce.zero()) }
    expect(Chunk.openChunk(backend, key, receiver, wire.subarray(2))).toBeUndefined()
    expect(receiver.current).toEqual(Nonce.increment(Nonce.increment(Nonce.zero())))
  })
})
