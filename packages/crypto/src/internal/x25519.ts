/**
 * X25519 (RFC 7748) in plain JavaScript numbers, for the pure-JavaScript backend.
 *
 * `@noble/curves` computes the Montgomery ladder with `bigint` arithmetic, about 3 ms per scalar
 * multiplication on our machine; a handshake needs one per side, and with the noble backend that
 * was most of a handshake's CPU time. This is the representation TweetNaCl uses: a field element
 * is 16 limbs of 16 bits in a `Float64Array`, so a limb product (32 bits) and the sums of a
 * schoolbook multiplication (below 2⁴⁸) stay exact in doubles, with no `bigint` allocation at all.
 * The ladder, the conditional swaps and the final reduction take the same steps whatever the
 * scalar (no branch or index depends on secret bits). It is checked against `@noble/curves` on
 * random inputs and against RFC 7748's vectors in the tests.
 *
 * @internal
 */

type Fe = Float64Array

const fe = (): Fe => new Float64Array(16)

/** Carries every limb into 16 bits; the carry out of the top limb wraps around times 38 (2²⁵⁶ ≡ 38). */
const carry = (o: Fe): void => {
  let c = 1
  for (let i = 0; i < 16; i++) {
    const v = o[i]! + c + 65535
    c = Math.floor(v / 65536)
    o[i] = v - c * 65536
  }
  o[0] = o[0]! + 38 * (c - 1)
}

/** Swaps `p` and `q` when `bit` is 1, with the same operations when it is 0. */
const swap = (p: Fe, q: Fe, bit: number): void => {
  const mask = ~(bit - 1)
  for (let i = 0; i < 16; i++) {
    const t = mask & (p[i]! ^ q[i]!)
    p[i] = p[i]! ^ t
    q[i] = q[i]! ^ t
  }
}

const add = (o: Fe, a: Fe, b: Fe): void => {
  for (let i = 0; i < 16; i++) o[i] = a[i]! + b[i]!
}

const sub = (o: Fe, a: Fe, b: Fe): void => {
  for (let i = 0; i < 16; i++) o[i] = a[i]! - b[i]!
}

/**
 * `o = a · b mod 2²⁵⁵ − 19`; `o` may be `a` or `b`. Unrolled into locals (as TweetNaCl-js does):
 * the loop form with an array of column sums runs about three times slower on V8.
 */
const mul = (o: Fe, a: Fe, b: Fe): void => {
  const b0 = b[0]!
  const b1 = b[1]!
  const b2 = b[2]!
  const b3 = b[3]!
  const b4 = b[4]!
  const b5 = b[5]!
  const b6 = b[6]!
  const b7 = b[7]!
  const b8 = b[8]!
  const b9 = b[9]!
  const b10 = b[10]!
  const b11 = b[11]!
  const b12 = b[12]!
  const b13 = b[13]!
  const b14 = b[14]!
  const b15 = b[15]!
  let t0 = 0
  let t1 = 0
  let t2 = 0
  let t3 = 0
  let t4 = 0
  let t5 = 0
  let t6 = 0
  let t7 = 0
  let t8 = 0
  let t9 = 0
  let t10 = 0
  let t11 = 0
  let t12 = 0
  let t13 = 0
  let t14 = 0
  let t15 = 0
  let t16 = 0
  let t17 = 0
  let t18 = 0
  let t19 = 0
  let t20 = 0
  let t21 = 0
  let t22 = 0
  let t23 = 0
  let t24 = 0
  let t25 = 0
  let t26 = 0
  let t27 = 0
  let t28 = 0
  let t29 = 0
  let t30 = 0
  let v = 0
  v = a[0]!
  t0 += v * b0
  t1 += v * b1
  t2 += v * b2
  t3 += v * b3
  t4 += v * b4
  t5 += v * b5
  t6 += v * b6
  t7 += v * b7
  t8 += v * b8
  t9 += v * b9
  t10 += v * b10
  t11 += v * b11
  t12 += v * b12
  t13 += v * b13
  t14 += v * b14
  t15 += v * b15
  v = a[1]!
  t1 += v * b0
  t2 += v * b1
  t3 += v * b2
  t4 += v * b3
  t5 += v * b4
  t6 += v * b5
  t7 += v * b6
  t8 += v * b7
  t9 += v * b8
  t10 += v * b9
  t11 += v * b10
  t12 += v * b11
  t13 += v * b12
  t14 += v * b13
  t15 += v * b14
  t16 += v * b15
  v = a[2]!
  t2 += v * b0
  t3 += v * b1
  t4 += v * b2
  t5 += v * b3
  t6 += v * b4
  t7 += v * b5
  t8 += v * b6
  t9 += v * b7
  t10 += v * b8
  t11 += v * b9
  t12 += v * b10
  t13 += v * b11
  t14 += v * b12
  t15 += v * b13
  t16 += v * b14
  t17 += v * b15
  v = a[3]!
  t3 += v * b0
  t4 += v * b1
  t5 += v * b2
  t6 += v * b3
  t7 += v * b4
  t8 += v * b5
  t9 += v * b6
  t10 += v * b7
  t11 += v * b8
  t12 += v * b9
  t13 += v * b10
  t14 += v * b11
  t15 += v * b12
  t16 += v * b13
  t17 += v * b14
  t18 += v * b15
  v = a[4]!
  t4 += v * b0
  t5 += v * b1
  t6 += v * b2
  t7 += v * b3
  t8 += v * b4
  t9 += v * b5
  t10 += v * b6
  t11 += v * b7
  t12 += v * b8
  t13 += v * b9
  t14 += v * b10
  t15 += v * b11
  t16 += v * b12
  t17 += v * b13
  t18 += v * b14
  t19 += v * b15
  v = a[5]!
  t5 += v * b0
  t6 += v * b1
  t7 += v * b2
  t8 += v * b3
  t9 += v * b4
  t10 += v * b5
  t11 += v * b6
  t12 += v * b7
  t13 += v * b8
  t14 += v * b9
  t15 += v * b10
  t16 += v * b11
  t17 += v * b12
  t18 += v * b13
  t19 += v * b14
  t20 += v * b15
  v = a[6]!
  t6 += v * b0
  t7 += v * b1
  t8 += v * b2
  t9 += v * b3
  t10 += v * b4
  t11 += v * b5
  t12 += v * b6
  t13 += v * b7
  t14 += v * b8
  t15 += v * b9
  t16 += v * b10
  t17 += v * b11
  t18 += v * b12
  t19 += v * b13
  t20 += v * b14
  t21 += v * b15
  v = a[7]!
  t7 += v * b0
  t8 += v * b1
  t9 += v * b2
  t10 += v * b3
  t11 += v * b4
  t12 += v * b5
  t13 += v * b6
  t14 += v * b7
  t15 += v * b8
  t16 += v * b9
  t17 += v * b10
  t18 += v * b11
  t19 += v * b12
  t20 += v * b13
  t21 += v * b14
  t22 += v * b15
  v = a[8]!
  t8 += v * b0
  t9 += v * b1
  t10 += v * b2
  t11 += v * b3
  t12 += v * b4
  t13 += v * b5
  t14 += v * b6
  t15 += v * b7
  t16 += v * b8
  t17 += v * b9
  t18 += v * b10
  t19 += v * b11
  t20 += v * b12
  t21 += v * b13
  t22 += v * b14
  t23 += v * b15
  v = a[9]!
  t9 += v * b0
  t10 += v * b1
  t11 += v * b2
  t12 += v * b3
  t13 += v * b4
  t14 += v * b5
  t15 += v * b6
  t16 += v * b7
  t17 += v * b8
  t18 += v * b9
  t19 += v * b10
  t20 += v * b11
  t21 += v * b12
  t22 += v * b13
  t23 += v * b14
  t24 += v * b15
  v = a[10]!
  t10 += v * b0
  t11 += v * b1
  t12 += v * b2
  t13 += v * b3
  t14 += v * b4
  t15 += v * b5
  t16 += v * b6
  t17 += v * b7
  t18 += v * b8
  t19 += v * b9
  t20 += v * b10
  t21 += v * b11
  t22 += v * b12
  t23 += v * b13
  t24 += v * b14
  t25 += v * b15
  v = a[11]!
  t11 += v * b0
  t12 += v * b1
  t13 += v * b2
  t14 += v * b3
  t15 += v * b4
  t16 += v * b5
  t17 += v * b6
  t18 += v * b7
  t19 += v * b8
  t20 += v * b9
  t21 += v * b10
  t22 += v * b11
  t23 += v * b12
  t24 += v * b13
  t25 += v * b14
  t26 += v * b15
  v = a[12]!
  t12 += v * b0
  t13 += v * b1
  t14 += v * b2
  t15 += v * b3
  t16 += v * b4
  t17 += v * b5
  t18 += v * b6
  t19 += v * b7
  t20 += v * b8
  t21 += v * b9
  t22 += v * b10
  t23 += v * b11
  t24 += v * b12
  t25 += v * b13
  t26 += v * b14
  t27 += v * b15
  v = a[13]!
  t13 += v * b0
  t14 += v * b1
  t15 += v * b2
  t16 += v * b3
  t17 += v * b4
  t18 += v * b5
  t19 += v * b6
  t20 += v * b7
  t21 += v * b8
  t22 += v * b9
  t23 += v * b10
  t24 += v * b11
  t25 += v * b12
  t26 += v * b13
  t27 += v * b14
  t28 += v * b15
  v = a[14]!
  t14 += v * b0
  t15 += v * b1
  t16 += v * b2
  t17 += v * b3
  t18 += v * b4
  t19 += v * b5
  t20 += v * b6
  t21 += v * b7
  t22 += v * b8
  t23 += v * b9
  t24 += v * b10
  t25 += v * b11
  t26 += v * b12
  t27 += v * b13
  t28 += v * b14
  t29 += v * b15
  v = a[15]!
  t15 += v * b0
  t16 += v * b1
  t17 += v * b2
  t18 += v * b3
  t19 += v * b4
  t20 += v * b5
  t21 += v * b6
  t22 += v * b7
  t23 += v * b8
  t24 += v * b9
  t25 += v * b10
  t26 += v * b11
  t27 += v * b12
  t28 += v * b13
  t29 += v * b14
  t30 += v * b15
  t0 += 38 * t16
  t1 += 38 * t17
  t2 += 38 * t18
  t3 += 38 * t19
  t4 += 38 * t20
  t5 += 38 * t21
  t6 += 38 * t22
  t7 += 38 * t23
  t8 += 38 * t24
  t9 += 38 * t25
  t10 += 38 * t26
  t11 += 38 * t27
  t12 += 38 * t28
  t13 += 38 * t29
  t14 += 38 * t30
  let c0 = 1
  v = t0 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t0 = v - c0 * 65536
  v = t1 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t1 = v - c0 * 65536
  v = t2 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t2 = v - c0 * 65536
  v = t3 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t3 = v - c0 * 65536
  v = t4 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t4 = v - c0 * 65536
  v = t5 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t5 = v - c0 * 65536
  v = t6 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t6 = v - c0 * 65536
  v = t7 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t7 = v - c0 * 65536
  v = t8 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t8 = v - c0 * 65536
  v = t9 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t9 = v - c0 * 65536
  v = t10 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t10 = v - c0 * 65536
  v = t11 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t11 = v - c0 * 65536
  v = t12 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t12 = v - c0 * 65536
  v = t13 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t13 = v - c0 * 65536
  v = t14 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t14 = v - c0 * 65536
  v = t15 + c0 + 65535
  c0 = Math.floor(v / 65536)
  t15 = v - c0 * 65536
  t0 += 38 * (c0 - 1)
  let c1 = 1
  v = t0 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t0 = v - c1 * 65536
  v = t1 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t1 = v - c1 * 65536
  v = t2 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t2 = v - c1 * 65536
  v = t3 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t3 = v - c1 * 65536
  v = t4 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t4 = v - c1 * 65536
  v = t5 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t5 = v - c1 * 65536
  v = t6 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t6 = v - c1 * 65536
  v = t7 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t7 = v - c1 * 65536
  v = t8 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t8 = v - c1 * 65536
  v = t9 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t9 = v - c1 * 65536
  v = t10 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t10 = v - c1 * 65536
  v = t11 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t11 = v - c1 * 65536
  v = t12 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t12 = v - c1 * 65536
  v = t13 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t13 = v - c1 * 65536
  v = t14 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t14 = v - c1 * 65536
  v = t15 + c1 + 65535
  c1 = Math.floor(v / 65536)
  t15 = v - c1 * 65536
  t0 += 38 * (c1 - 1)
  o[0] = t0
  o[1] = t1
  o[2] = t2
  o[3] = t3
  o[4] = t4
  o[5] = t5
  o[6] = t6
  o[7] = t7
  o[8] = t8
  o[9] = t9
  o[10] = t10
  o[11] = t11
  o[12] = t12
  o[13] = t13
  o[14] = t14
  o[15] = t15
}

/** `o = i⁻¹ = i^(p − 2)`. */
const invert = (o: Fe, i: Fe): void => {
  const c = Float64Array.from(i)
  for (let a = 253; a >= 0; a--) {
    mul(c, c, c)
    if (a !== 2 && a !== 4) mul(c, c, i)
  }
  o.set(c)
}

/** The canonical 32-byte little-endian encoding of `n` (fully reduced mod p). */
const pack = (n: Fe): Uint8Array => {
  const t = Float64Array.from(n)
  const m = fe()
  carry(t)
  carry(t)
  carry(t)
  for (let round = 0; round < 2; round++) {
    m[0] = t[0]! - 0xffed
    for (let i = 1; i < 15; i++) {
      m[i] = t[i]! - 0xffff - ((m[i - 1]! >> 16) & 1)
      m[i - 1] = m[i - 1]! & 0xffff
    }
    m[15] = t[15]! - 0x7fff - ((m[14]! >> 16) & 1)
    const borrow = (m[15]! >> 16) & 1
    m[14] = m[14]! & 0xffff
    swap(t, m, 1 - borrow)
  }
  const out = new Uint8Array(32)
  for (let i = 0; i < 16; i++) {
    out[2 * i] = t[i]! & 0xff
    out[2 * i + 1] = t[i]! >> 8
  }
  return out
}

/** The u-coordinate, top bit ignored (RFC 7748, section 5). */
const unpack = (bytes: Uint8Array): Fe => {
  const o = fe()
  for (let i = 0; i < 16; i++) o[i] = bytes[2 * i]! + (bytes[2 * i + 1]! << 8)
  o[15] = o[15]! & 0x7fff
  return o
}

const a24 = Float64Array.from([0xdb41, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) // 121665

/**
 * X25519(scalar, u): 32-byte scalar (clamped here) and 32-byte u-coordinate; the 32-byte result
 * (all zero for a low-order `u`, which the caller must refuse).
 */
export const scalarMult = (scalar: Uint8Array, u: Uint8Array): Uint8Array => {
  const k = Uint8Array.from(scalar.subarray(0, 32))
  k[31] = (k[31]! & 127) | 64
  k[0] = k[0]! & 248
  const x = unpack(u)
  const a = fe()
  const b = Float64Array.from(x)
  const c = fe()
  const d = fe()
  const e = fe()
  const f = fe()
  a[0] = 1
  d[0] = 1
  for (let i = 254; i >= 0; i--) {
    const bit = (k[i >>> 3]! >>> (i & 7)) & 1
    swap(a, b, bit)
    swap(c, d, bit)
    add(e, a, c)
    sub(a, a, c)
    add(c, b, d)
    sub(b, b, d)
    mul(d, e, e)
    mul(f, a, a)
    mul(a, c, a)
    mul(c, b, e)
    add(e, a, c)
    sub(a, a, c)
    mul(b, a, a)
    sub(c, d, f)
    mul(a, c, a24)
    add(a, a, d)
    mul(c, c, a)
    mul(a, d, f)
    mul(d, b, x)
    mul(b, e, e)
    swap(a, b, bit)
    swap(c, d, bit)
  }
  invert(c, c)
  mul(a, a, c)
  return pack(a)
}

const basePoint = Uint8Array.from([9, ...new Array<number>(31).fill(0)])

/** X25519(scalar, 9): the public key of a secret key. */
export const publicKeyOf = (scalar: Uint8Array): Uint8Array => scalarMult(scalar, basePoint)
