/**
 * A scripted peer that speaks the protocol with the library's own pieces (ConnectionMessage.frame,
 * Box.precompute, Nonce.deriveWith, Chunk.sealMessage), so it can get exactly as far as a case
 * needs and then lie, stall or tamper with one specific chunk.
 */
import * as Binary from "@effect-p2p/codec/Binary"
import * as P2pMessage from "@effect-p2p/codec/P2pMessage"
import * as Chunk from "@effect-p2p/connection/Chunk"
import * as Box from "@effect-p2p/crypto/Box"
import * as CryptoBackend from "@effect-p2p/crypto/CryptoBackend"
import type * as Identity from "@effect-p2p/crypto/Identity"
import type { PublicKey } from "@effect-p2p/crypto/Keys"
import * as Nonce from "@effect-p2p/crypto/Nonce"
import * as Ack from "@effect-p2p/session/Ack"
import * as ConnectionMessage from "@effect-p2p/session/ConnectionMessage"
import * as Metadata from "@effect-p2p/session/Metadata"
import { Effect, Option, Result } from "effect"
import * as Listener from "./listener.ts"

/** What the attacker needs of its end: a raw TCP socket (`Raw`) or an in-memory `ByteReader`. */
export interface Wire<E> {
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, E>
  readonly readExactly: (n: number) => Effect.Effect<Uint8Array, E>
}

const backend = CryptoBackend.noble

/** The framed connection message an honest dialler with `identity` would send. */
export const connectionMessage = (
  identity: Identity.Identity,
  overrides: Partial<ConnectionMessage.ConnectionMessage> = {}
): Uint8Array =>
  Result.getOrThrow(
    ConnectionMessage.frame({
      port: Option.none(),
      publicKey: identity.publicKey,
      powStamp: identity.powStamp,
      messageNonce: backend.randomBytes(24) as Nonce.Nonce,
      version: Listener.version,
      ...overrides
    })
  )

/** Reads the listener's framed connection message. */
export const readConnectionMessage = <E>(raw: Wire<E>) =>
  Effect.gen(function* () {
    const header = yield* raw.readExactly(2)
    const body = yield* raw.readExactly((header[0]! << 8) | header[1]!)
    const bytes = new Uint8Array(2 + body.length)
    bytes.set(header)
    bytes.set(body, 2)
    return { bytes, message: Result.getOrThrow(ConnectionMessage.unframe(bytes)) }
  })

/** The channel key and the two nonce counters of the dialler's side. */
export interface Keys {
  readonly channelKey: Uint8Array
  readonly local: Chunk.NonceCounter
  readonly remote: Chunk.NonceCounter
}

// The last channel key, so a fuzz loop between the same two identities does not pay X25519 each run.
let lastKey: { readonly secretKey: Uint8Array; readonly peer: Uint8Array; readonly channelKey: Uint8Array } | undefined
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

export const keysOf = (identity: Identity.Identity, sent: Uint8Array, received: Uint8Array, peer: PublicKey): Keys => {
  const cached =
    lastKey !== undefined && sameBytes(lastKey.secretKey, identity.secretKey) && sameBytes(lastKey.peer, peer)
      ? lastKey.channelKey
      : undefined
  const channelKey = cached ?? Result.getOrThrow(Box.precomputeWith(backend, identity.secretKey, peer))
  lastKey = { secretKey: identity.secretKey, peer, channelKey }
  const nonces = Nonce.deriveWith(backend.blake2b, { incoming: false, sent, received })
  return { channelKey, local: { current: nonces.local }, remote: { current: nonces.remote } }
}

/** One chunk carrying `plaintext`, sealed with the next local nonce. */
export const seal = (keys: Keys, plaintext: Uint8Array): Uint8Array =>
  Chunk.sealMessage(backend, keys.channelKey, keys.local, plaintext, Chunk.maxContentLength)

/** Reads one chunk and opens it with the next remote nonce; `undefined` if it does not open. */
export const readChunk = <E>(raw: Wire<E>, keys: Keys) =>
  Effect.gen(function* () {
    const header = yield* raw.readExactly(2)
    const body = yield* raw.readExactly(Chunk.readHeader(header))
    return Chunk.openChunk(backend, keys.channelKey, keys.remote, body)
  })

export const metadataPlaintext = Result.getOrThrow(Binary.encode(Metadata.octez, Listener.metadata))
export const ackPlaintext = Result.getOrThrow(Binary.encode(Ack.encoding, { _tag: "Ack" }))
export const envelope = (body: Uint8Array, tag = 0x10): Uint8Array =>
  Result.getOrThrow(Binary.encode(P2pMessage.envelope, { tag, body }))

/** Step 1: exchanges connection messages and derives the keys. */
export const step1 = <E>(raw: Wire<E>, identity: Identity.Identity) =>
  Effect.gen(function* () {
    const sent = connectionMessage(identity)
    yield* raw.write(sent)
    const received = yield* readConnectionMessage(raw)
    return keysOf(identity, sent, received.bytes, received.message.publicKey)
  })

/** Steps 1 and 2: the listener's metadata is read and checked to open. */
export const step2 = <E>(raw: Wire<E>, identity: Identity.Identity) =>
  Effect.gen(function* () {
    const keys = yield* step1(raw, identity)
    yield* raw.write(seal(keys, metadataPlaintext))
    const theirs = yield* readChunk(raw, keys)
    if (theirs === undefined) throw new Error("the listener's metadata did not open")
    return keys
  })

/** The whole handshake: after it, chunks carry P2p envelopes and the listener serves them. */
export const handshake = <E>(raw: Wire<E>, identity: Identity.Identity) =>
  Effect.gen(function* () {
    const keys = yield* step2(raw, identity)
    yield* raw.write(seal(keys, ackPlaintext))
    const answer = yield* readChunk(raw, keys)
    if (answer === undefined || answer.length !== 1 || answer[0] !== 0) throw new Error("the listener did not Ack")
    return keys
  })
