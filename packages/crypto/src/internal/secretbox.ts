/**
 * XSalsa20-Poly1305 (NaCl's `crypto_secretbox`) in place, in plain 32-bit numbers, for the
 * pure-JavaScript backend. `@noble/ciphers` computes the same bytes, but each call pays several
 * microseconds of set-up (typed-array views, a Poly1305 object, a second HSalsa20 on open): more
 * than the cipher itself for the small messages of a handshake or a ping. Here a call costs one
 * HSalsa20, the Salsa20 blocks and the Poly1305 blocks, with no allocation.
 *
 * Layout, as everywhere in this library: `buffer` = tag (16 bytes) || text.
 */

// "expand 32-byte k" as little-endian words.
const s0 = 0x61707865
const s1 = 0x3320646e
const s2 = 0x79622d32
const s3 = 0x6b206574

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n))

const word = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)

/** The 16 state words before the rounds; index `j` of the Salsa20 matrix. */
const state = new Int32Array(16)
/** The 16 words after the rounds (Salsa20 adds the input back, HSalsa20 does not). */
const mixed = new Int32Array(16)
/** The current keystream block, as bytes. */
const block = new Uint8Array(64)
const blockWords = new DataView(block.buffer)
/** The HSalsa20 subkey of the current call. */
const subkey = new Int32Array(8)

/** Twenty rounds of Salsa20 over `state` into `mixed`. */
const rounds = () => {
  let x0 = state[0]!
  let x1 = state[1]!
  let x2 = state[2]!
  let x3 = state[3]!
  let x4 = state[4]!
  let x5 = state[5]!
  let x6 = state[6]!
  let x7 = state[7]!
  let x8 = state[8]!
  let x9 = state[9]!
  let x10 = state[10]!
  let x11 = state[11]!
  let x12 = state[12]!
  let x13 = state[13]!
  let x14 = state[14]!
  let x15 = state[15]!
  for (let i = 0; i < 10; i++) {
    // columns
    x4 ^= rotl((x0 + x12) | 0, 7)
    x8 ^= rotl((x4 + x0) | 0, 9)
    x12 ^= rotl((x8 + x4) | 0, 13)
    x0 ^= rotl((x12 + x8) | 0, 18)
    x9 ^= rotl((x5 + x1) | 0, 7)
    x13 ^= rotl((x9 + x5) | 0, 9)
    x1 ^= rotl((x13 + x9) | 0, 13)
    x5 ^= rotl((x1 + x13) | 0, 18)
    x14 ^= rotl((x10 + x6) | 0, 7)
    x2 ^= rotl((x14 + x10) | 0, 9)
    x6 ^= rotl((x2 + x14) | 0, 13)
    x10 ^= rotl((x6 + x2) | 0, 18)
    x3 ^= rotl((x15 + x11) | 0, 7)
    x7 ^= rotl((x3 + x15) | 0, 9)
    x11 ^= rotl((x7 + x3) | 0, 13)
    x15 ^= rotl((x11 + x7) | 0, 18)
    // rows
    x1 ^= rotl((x0 + x3) | 0, 7)
    x2 ^= rotl((x1 + x0) | 0, 9)
    x3 ^= rotl((x2 + x1) | 0, 13)
    x0 ^= rotl((x3 + x2) | 0, 18)
    x6 ^= rotl((x5 + x4) | 0, 7)
    x7 ^= rotl((x6 + x5) | 0, 9)
    x4 ^= rotl((x7 + x6) | 0, 13)
    x5 ^= rotl((x4 + x7) | 0, 18)
    x11 ^= rotl((x10 + x9) | 0, 7)
    x8 ^= rotl((x11 + x10) | 0, 9)
    x9 ^= rotl((x8 + x11) | 0, 13)
    x10 ^= rotl((x9 + x8) | 0, 18)
    x12 ^= rotl((x15 + x14) | 0, 7)
    x13 ^= rotl((x12 + x15) | 0, 9)
    x14 ^= rotl((x13 + x12) | 0, 13)
    x15 ^= rotl((x14 + x13) | 0, 18)
  }
  mixed[0] = x0
  mixed[1] = x1
  mixed[2] = x2
  mixed[3] = x3
  mixed[4] = x4
  mixed[5] = x5
  mixed[6] = x6
  mixed[7] = x7
  mixed[8] = x8
  mixed[9] = x9
  mixed[10] = x10
  mixed[11] = x11
  mixed[12] = x12
  mixed[13] = x13
  mixed[14] = x14
  mixed[15] = x15
}

/** Loads the constants and a 32-byte key (as words `k`) into `state`. */
const loadKey = (k: ArrayLike<number>) => {
  state[0] = s0
  state[1] = k[0]!
  state[2] = k[1]!
  state[3] = k[2]!
  state[4] = k[3]!
  state[5] = s1
  state[10] = s2
  state[11] = k[4]!
  state[12] = k[5]!
  state[13] = k[6]!
  state[14] = k[7]!
  state[15] = s3
}

const keyWords = new Int32Array(8)

/** HSalsa20's output after `rounds`: the diagonal and the input words, without adding the input back. */
const takeSubkey = () => {
  subkey[0] = mixed[0]!
  subkey[1] = mixed[5]!
  subkey[2] = mixed[10]!
  subkey[3] = mixed[15]!
  subkey[4] = mixed[6]!
  subkey[5] = mixed[7]!
  subkey[6] = mixed[8]!
  subkey[7] = mixed[9]!
}

/** Sets `subkey` to HSalsa20(key, nonce[0..16]) and `state` to Salsa20 with it and nonce[16..24]. */
const setUp = (key: Uint8Array, nonce: Uint8Array) => {
  for (let i = 0; i < 8; i++) keyWords[i] = word(key, 4 * i)
  loadKey(keyWords)
  state[6] = word(nonce, 0)
  state[7] = word(nonce, 4)
  state[8] = word(nonce, 8)
  state[9] = word(nonce, 12)
  rounds()
  takeSubkey()
  loadKey(subkey)
  state[6] = word(nonce, 16)
  state[7] = word(nonce, 20)
}

/** Keystream block number `counter` (under 2^32 here: at most 65,535 / 64 blocks a chunk) into `block`. */
const streamBlock = (counter: number) => {
  state[8] = counter
  state[9] = 0
  rounds()
  for (let i = 0; i < 16; i++) blockWords.setInt32(4 * i, (mixed[i]! + state[i]!) | 0, true)
}

/** XORs the keystream from byte 32 of block 0 on into `text` (the first 32 bytes are Poly1305's key). */
const xorStream = (text: Uint8Array) => {
  const n = text.length
  const head = Math.min(32, n)
  for (let i = 0; i < head; i++) text[i]! ^= block[32 + i]!
  // Whole blocks are XORed a word at a time straight from the rounds' output, without going
  // through `block`: a quarter of the memory operations.
  let counter = 1
  let at = 32
  // (Short texts, the most frequent, make no view.)
  const view = n >= 96 ? new DataView(text.buffer, text.byteOffset, n) : undefined
  for (; view !== undefined && at + 64 <= n; at += 64) {
    state[8] = counter++
    state[9] = 0
    rounds()
    for (let i = 0; i < 16; i++) {
      const j = at + 4 * i
      view.setInt32(j, view.getInt32(j, true) ^ ((mixed[i]! + state[i]!) | 0), true)
    }
  }
  if (at < n) {
    streamBlock(counter)
    for (let i = 0; at + i < n; i++) text[at + i]! ^= block[i]!
  }
}

/** HSalsa20 with NaCl's `crypto_box_beforenm` input (16 zero bytes): the channel key from X25519's output. */
export const hsalsa20 = (key: Uint8Array): Uint8Array => {
  for (let i = 0; i < 8; i++) keyWords[i] = word(key, 4 * i)
  loadKey(keyWords)
  state[6] = 0
  state[7] = 0
  state[8] = 0
  state[9] = 0
  rounds()
  takeSubkey()
  const out = new Uint8Array(32)
  const view = new DataView(out.buffer)
  for (let i = 0; i < 8; i++) view.setInt32(4 * i, subkey[i]!, true)
  return out
}

// ------------------------------------------------------------------ Poly1305
// Ten 13-bit limbs (26 bits of product headroom in a double), as in poly1305-donna's 16-bit version.

const g = new Uint16Array(10)
const h = new Uint16Array(10)
const words = new Uint16Array(8)
const last = new Uint8Array(16)
const pad = new Uint16Array(8)
const tag = new Uint8Array(16)

/** The one-time Poly1305 key: the first 32 bytes of keystream block 0. */
const polyKey = new Uint8Array(32)

/** Poly1305 of `message` under `polyKey`, into `tag`. */
const poly1305 = (message: Uint8Array) => {
  const k = polyKey
  const t0 = k[0]! | (k[1]! << 8)
  const t1 = k[2]! | (k[3]! << 8)
  const t2 = k[4]! | (k[5]! << 8)
  const t3 = k[6]! | (k[7]! << 8)
  const t4 = k[8]! | (k[9]! << 8)
  const t5 = k[10]! | (k[11]! << 8)
  const t6 = k[12]! | (k[13]! << 8)
  const t7 = k[14]! | (k[15]! << 8)
  // r, clamped (r &= 0x0ffffffc0ffffffc0ffffffc0fffffff), in 13-bit limbs
  const r0 = t0 & 0x1fff
  const r1 = ((t0 >>> 13) | (t1 << 3)) & 0x1fff
  const r2 = ((t1 >>> 10) | (t2 << 6)) & 0x1f03
  const r3 = ((t2 >>> 7) | (t3 << 9)) & 0x1fff
  const r4 = ((t3 >>> 4) | (t4 << 12)) & 0x00ff
  const r5 = (t4 >>> 1) & 0x1ffe
  const r6 = ((t4 >>> 14) | (t5 << 2)) & 0x1fff
  const r7 = ((t5 >>> 11) | (t6 << 5)) & 0x1f81
  const r8 = ((t6 >>> 8) | (t7 << 8)) & 0x1fff
  const r9 = (t7 >>> 5) & 0x007f
  for (let i = 0; i < 8; i++) pad[i] = k[16 + 2 * i]! | (k[17 + 2 * i]! << 8)

  let h0 = 0
  let h1 = 0
  let h2 = 0
  let h3 = 0
  let h4 = 0
  let h5 = 0
  let h6 = 0
  let h7 = 0
  let h8 = 0
  let h9 = 0
  const n = message.length
  let m = message
  let at = 0
  let hibit = 1 << 11
  // The last partial block is copied out, padded with 1 then zeros, and has no high bit.
  while (at < n) {
    if (n - at < 16) {
      last.fill(0)
      last.set(m.subarray(at))
      last[n - at] = 1
      m = last
      at = 0
      hibit = 0
    }
    const m0 = m[at]! | (m[at + 1]! << 8)
    const m1 = m[at + 2]! | (m[at + 3]! << 8)
    const m2 = m[at + 4]! | (m[at + 5]! << 8)
    const m3 = m[at + 6]! | (m[at + 7]! << 8)
    const m4 = m[at + 8]! | (m[at + 9]! << 8)
    const m5 = m[at + 10]! | (m[at + 11]! << 8)
    const m6 = m[at + 12]! | (m[at + 13]! << 8)
    const m7 = m[at + 14]! | (m[at + 15]! << 8)
    h0 += m0 & 0x1fff
    h1 += ((m0 >>> 13) | (m1 << 3)) & 0x1fff
    h2 += ((m1 >>> 10) | (m2 << 6)) & 0x1fff
    h3 += ((m2 >>> 7) | (m3 << 9)) & 0x1fff
    h4 += ((m3 >>> 4) | (m4 << 12)) & 0x1fff
    h5 += (m4 >>> 1) & 0x1fff
    h6 += ((m4 >>> 14) | (m5 << 2)) & 0x1fff
    h7 += ((m5 >>> 11) | (m6 << 5)) & 0x1fff
    h8 += ((m6 >>> 8) | (m7 << 8)) & 0x1fff
    h9 += (m7 >>> 5) | hibit

    // h *= r (mod 2^130 - 5): a limb product past the top wraps around times 5. Each sum is carried
    // in two halves: ten products of up to 2^29.3 could pass 2^32, where `>>>` would wrap.
    let c = 0
    let d0 = c + h0 * r0 + h1 * (5 * r9) + h2 * (5 * r8) + h3 * (5 * r7) + h4 * (5 * r6)
    c = d0 >>> 13
    d0 &= 0x1fff
    d0 += h5 * (5 * r5) + h6 * (5 * r4) + h7 * (5 * r3) + h8 * (5 * r2) + h9 * (5 * r1)
    c += d0 >>> 13
    d0 &= 0x1fff
    let d1 = c + h0 * r1 + h1 * r0 + h2 * (5 * r9) + h3 * (5 * r8) + h4 * (5 * r7)
    c = d1 >>> 13
    d1 &= 0x1fff
    d1 += h5 * (5 * r6) + h6 * (5 * r5) + h7 * (5 * r4) + h8 * (5 * r3) + h9 * (5 * r2)
    c += d1 >>> 13
    d1 &= 0x1fff
    let d2 = c + h0 * r2 + h1 * r1 + h2 * r0 + h3 * (5 * r9) + h4 * (5 * r8)
    c = d2 >>> 13
    d2 &= 0x1fff
    d2 += h5 * (5 * r7) + h6 * (5 * r6) + h7 * (5 * r5) + h8 * (5 * r4) + h9 * (5 * r3)
    c += d2 >>> 13
    d2 &= 0x1fff
    let d3 = c + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * (5 * r9)
    c = d3 >>> 13
    d3 &= 0x1fff
    d3 += h5 * (5 * r8) + h6 * (5 * r7) + h7 * (5 * r6) + h8 * (5 * r5) + h9 * (5 * r4)
    c += d3 >>> 13
    d3 &= 0x1fff
    let d4 = c + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0
    c = d4 >>> 13
    d4 &= 0x1fff
    d4 += h5 * (5 * r9) + h6 * (5 * r8) + h7 * (5 * r7) + h8 * (5 * r6) + h9 * (5 * r5)
    c += d4 >>> 13
    d4 &= 0x1fff
    let d5 = c + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1
    c = d5 >>> 13
    d5 &= 0x1fff
    d5 += h5 * r0 + h6 * (5 * r9) + h7 * (5 * r8) + h8 * (5 * r7) + h9 * (5 * r6)
    c += d5 >>> 13
    d5 &= 0x1fff
    let d6 = c + h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2
    c = d6 >>> 13
    d6 &= 0x1fff
    d6 += h5 * r1 + h6 * r0 + h7 * (5 * r9) + h8 * (5 * r8) + h9 * (5 * r7)
    c += d6 >>> 13
    d6 &= 0x1fff
    let d7 = c + h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3
    c = d7 >>> 13
    d7 &= 0x1fff
    d7 += h5 * r2 + h6 * r1 + h7 * r0 + h8 * (5 * r9) + h9 * (5 * r8)
    c += d7 >>> 13
    d7 &= 0x1fff
    let d8 = c + h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4
    c = d8 >>> 13
    d8 &= 0x1fff
    d8 += h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * (5 * r9)
    c += d8 >>> 13
    d8 &= 0x1fff
    let d9 = c + h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5
    c = d9 >>> 13
    d9 &= 0x1fff
    d9 += h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0
    c += d9 >>> 13
    d9 &= 0x1fff
    c = ((c << 2) + c) | 0
    c = (c + d0) | 0
    d0 = c & 0x1fff
    c = c >>> 13
    d1 += c
    h0 = d0
    h1 = d1
    h2 = d2
    h3 = d3
    h4 = d4
    h5 = d5
    h6 = d6
    h7 = d7
    h8 = d8
    h9 = d9
    at += 16
    if (hibit === 0) break
  }

  // Full carry, then h mod 2^130 - 5 by computing h + 5 - 2^130 and keeping it if it did not borrow.
  h[0] = h0
  h[1] = h1
  h[2] = h2
  h[3] = h3
  h[4] = h4
  h[5] = h5
  h[6] = h6
  h[7] = h7
  h[8] = h8
  h[9] = h9
  let c = h[1]! >>> 13
  h[1]! &= 0x1fff
  for (let i = 2; i < 10; i++) {
    h[i]! += c
    c = h[i]! >>> 13
    h[i]! &= 0x1fff
  }
  h[0]! += c * 5
  c = h[0]! >>> 13
  h[0]! &= 0x1fff
  h[1]! += c
  c = h[1]! >>> 13
  h[1]! &= 0x1fff
  h[2]! += c

  g[0] = h[0]! + 5
  c = g[0]! >>> 13
  g[0]! &= 0x1fff
  for (let i = 1; i < 10; i++) {
    g[i] = h[i]! + c
    c = g[i]! >>> 13
    g[i]! &= 0x1fff
  }
  g[9]! -= 1 << 13

  let mask = (c ^ 1) - 1
  for (let i = 0; i < 10; i++) g[i]! &= mask
  mask = ~mask
  for (let i = 0; i < 10; i++) h[i] = (h[i]! & mask) | g[i]!

  // To 16-bit words, plus the pad (s), mod 2^128.
  words[0] = h[0]! | (h[1]! << 13)
  words[1] = (h[1]! >>> 3) | (h[2]! << 10)
  words[2] = (h[2]! >>> 6) | (h[3]! << 7)
  words[3] = (h[3]! >>> 9) | (h[4]! << 4)
  words[4] = (h[4]! >>> 12) | (h[5]! << 1) | (h[6]! << 14)
  words[5] = (h[6]! >>> 2) | (h[7]! << 11)
  words[6] = (h[7]! >>> 5) | (h[8]! << 8)
  words[7] = (h[8]! >>> 8) | (h[9]! << 5)
  let f = 0
  for (let i = 0; i < 8; i++) {
    f = words[i]! + pad[i]! + (f >>> 16)
    tag[2 * i] = f & 0xff
    tag[2 * i + 1] = (f >>> 8) & 0xff
  }
}

/** The Poly1305 tag of `message` under a 32-byte one-time key (for tests: NaCl derives the key itself). */
export const poly1305Tag = (key: Uint8Array, message: Uint8Array): Uint8Array => {
  polyKey.set(key)
  poly1305(message)
  return tag.slice()
}

/** Seals `buffer[16..]` in place and writes the tag into `buffer[0..16]`. */
export const sealInPlace = (key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array): void => {
  // A short key or nonce would otherwise be read as zero-padded, silently.
  if (key.length !== 32 || nonce.length !== 24 || buffer.length < 16) {
    throw new RangeError(
      `XSalsa20-Poly1305 takes a 32-byte key, a 24-byte nonce and a buffer of at least 16 bytes, got ${key.length}, ${nonce.length} and ${buffer.length}`
    )
  }
  setUp(key, nonce)
  streamBlock(0)
  polyKey.set(block.subarray(0, 32))
  const text = buffer.subarray(16)
  xorStream(text)
  poly1305(text)
  buffer.set(tag, 0)
}

/**
 * Checks `buffer[0..16]` against the Poly1305 of `buffer[16..]`, and only then decrypts
 * `buffer[16..]` in place. `false` leaves the buffer as it was.
 */
export const openInPlace = (key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array): boolean => {
  if (key.length !== 32 || nonce.length !== 24 || buffer.length < 16) return false
  setUp(key, nonce)
  streamBlock(0)
  polyKey.set(block.subarray(0, 32))
  const text = buffer.subarray(16)
  poly1305(text)
  let diff = 0
  for (let i = 0; i < 16; i++) diff |= tag[i]! ^ buffer[i]!
  if (diff !== 0) return false
  xorStream(text)
  return true
}
