/** Byte helpers shared by the codec's property tests. */

/** Cuts `bytes` at the given points (taken modulo its length + 1, sorted, deduplicated). */
export const split = (bytes: Uint8Array, points: ReadonlyArray<number>): Array<Uint8Array> => {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Array<Uint8Array> = []
  let from = 0
  for (const c of cuts) {
    pieces.push(bytes.subarray(from, c))
    from = c
  }
  pieces.push(bytes.subarray(from))
  return pieces
}

/** The concatenation of `parts`. */
export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
