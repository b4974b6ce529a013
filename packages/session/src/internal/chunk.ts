/**
 * One handshake chunk: the metadata and Ack/Nack records are single encrypted chunks with the
 * same framing as the message connection's (`u16 (16 + n) || tag || ciphertext`).
 */

import type { ByteReader } from "@effect-p2p/connection/ByteReader"
import * as Chunk from "@effect-p2p/connection/Chunk"
import { type ConnectionClosed, InvalidIncomingCiphertextSize } from "@effect-p2p/connection/ConnectionError"
import type { CryptoBackendShape } from "@effect-p2p/crypto/CryptoBackend"
import { Effect } from "effect"

/** Seals one plaintext as one wire chunk with the current nonce, which is then incremented. */
export const seal = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: Chunk.NonceCounter,
  plaintext: Uint8Array
): Uint8Array => Chunk.sealMessage(backend, key, nonce, plaintext, Chunk.maxContentLength)

/** The outcome of reading one chunk: its plaintext, or the length of a body that did not open. */
export type Opened =
  | { readonly _tag: "Opened"; readonly plaintext: Uint8Array }
  | { readonly _tag: "Tampered"; readonly length: number }

/** Reads one chunk and opens it with the current remote nonce (incremented either way, as Octez). */
export const read = (
  backend: CryptoBackendShape,
  key: Uint8Array,
  nonce: Chunk.NonceCounter,
  reader: ByteReader
): Effect.Effect<Opened, ConnectionClosed | InvalidIncomingCiphertextSize> =>
  Effect.gen(function* () {
    const length = Chunk.readHeader(yield* reader.readExactly(Chunk.headerLength))
    if (length < Chunk.tagLength) return yield* new InvalidIncomingCiphertextSize({ size: length })
    const body = yield* reader.readExactly(length)
    const plaintext = Chunk.openChunk(backend, key, nonce, body)
    return plaintext === undefined ? { _tag: "Tampered", length } : { _tag: "Opened", plaintext }
  })
