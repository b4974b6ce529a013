import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { hex, p2pVectors, toHex } from "../../../test/support/vectors.ts"
import { Binary, CodecError, NetworkVersion, P2pMessage, StreamDecoder } from "../src/index.ts"

interface NetworkVersionVector {
  readonly chain_name: string
  readonly distributed_db_version: number
  readonly p2p_version: number
  readonly bytes: string
}
interface P2pMessageVector {
  readonly name: string
  readonly bytes: string
  readonly fails?: boolean
}

const vectors = p2pVectors()
const networkVersions = vectors.network_version as ReadonlyArray<NetworkVersionVector>
const p2pMessages = vectors.p2p_message as ReadonlyArray<P2pMessageVector>

describe("p2p.json vectors", () => {
  it("has the sections this suite relies on", () => {
    expect(networkVersions.length).toBeGreaterThan(0)
    expect(p2pMessages.filter((m) => m.fails === true).length).toBe(2)
  })

  it.each(networkVersions)("network_version $chain_name", (v) => {
    const value = NetworkVersion.make(v.chain_name, v.distributed_db_version, v.p2p_version)
    expect(toHex(Result.getOrThrow(Binary.encode(NetworkVersion.encoding, value)))).toBe(v.bytes)
    expect(Result.getOrThrow(Binary.decode(NetworkVersion.encoding, hex(v.bytes)))).toEqual(value)
  })

  it.each(p2pMessages.filter((m) => m.fails !== true))("p2p_message $name", (v) => {
    const bytes = hex(v.bytes)
    const decoded = Result.getOrThrow(Binary.decode(P2pMessage.encoding, bytes))
    expect(decoded._tag).toBe(v.name)
    expect(toHex(Result.getOrThrow(Binary.encode(P2pMessage.encoding, decoded)))).toBe(v.bytes)
    const env = Result.getOrThrow(Binary.decode(P2pMessage.envelope, bytes))
    expect(toHex(Result.getOrThrow(Binary.encode(P2pMessage.envelope, env)))).toBe(v.bytes)
  })

  it("p2p_message must fail: empty dynamic block (no room for the tag)", () => {
    const bytes = hex(p2pMessages.find((m) => m.name.includes("empty dynamic block"))!.bytes)
    for (const enc of [P2pMessage.encoding, P2pMessage.envelope]) {
      const r = Binary.decode(enc as typeof P2pMessage.envelope, bytes)
      expect(Result.isFailure(r)).toBe(true)
      if (Result.isFailure(r)) {
        expect(r.failure.reason).toBe("NotEnoughBytes")
        expect(r.failure.offset).toBe(4)
      }
    }
    // a stream must not wait for more bytes: the block is complete and too short
    const stream = StreamDecoder.make(P2pMessage.encoding).feed(bytes)
    expect(Result.isFailure(stream) && stream.failure.reason).toBe("NotEnoughBytes")
  })

  it("p2p_message must fail: two messages in one block", () => {
    const bytes = hex(p2pMessages.find((m) => m.name.includes("two messages"))!.bytes)
    const r = Binary.decode(P2pMessage.encoding, bytes)
    expect(Result.isFailure(r)).toBe(true)
    if (Result.isFailure(r)) {
      expect(CodecError.isDecodeError(r.failure)).toBe(true)
      expect(r.failure.reason).toBe("TrailingBytes")
      expect(r.failure.offset).toBe(6)
    }
    const stream = StreamDecoder.make(P2pMessage.encoding).feed(bytes)
    expect(Result.isFailure(stream) && stream.failure.reason).toBe("TrailingBytes")
  })
})
