/**
 * Byte buffers the caller overwrites completely before anyone reads them. Node's
 * `Buffer.allocUnsafeSlow` skips zero-filling, which matters for the 64 KiB chunk buffers
 * allocated per batch; small or non-Node buffers are plain zero-filled `Uint8Array`s. The result
 * is always a plain `Uint8Array` with its own memory (no Buffer pool, no Buffer `slice` semantics).
 */
const nodeBuffer = (globalThis as { readonly Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer

const unsafeFrom = 4096

export const allocUninitialized: (size: number) => Uint8Array =
  nodeBuffer === undefined
    ? (size) => new Uint8Array(size)
    : (size) => {
        if (size < unsafeFrom) return new Uint8Array(size)
        const buffer = nodeBuffer.allocUnsafeSlow(size)
        return new Uint8Array(buffer.buffer, buffer.byteOffset, size)
      }
