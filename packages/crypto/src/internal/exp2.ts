/**
 * `trunc(pow(2, 54 − φ))` for a double φ in (0, 1), equal to what C's correctly rounded `pow` gives
 * (V8's `Math.pow` is off by one ulp for about 11 % of such φ, which changes the PoW target).
 *
 * The value is computed in 192-bit fixed point with BigInt (series for ln 2 and exp), then
 * rounded to the nearest double: in [2^53, 2^54] doubles are the even integers, so that is
 * rounding half to even at a step of 2. An exact tie cannot happen (2^(54−φ) is irrational for
 * every dyadic φ in (0, 1)), and the fixed-point error (~2^-180) is far below how close to a
 * midpoint the value of any double φ comes in practice.
 */
const P = 192n
const ONE = 1n << P

// ln 2 = Σ_{k≥1} 1 / (k · 2^k)
const LN2 = (() => {
  let sum = 0n
  for (let k = 1n; k <= P + 8n; k++) sum += ONE / (k << k)
  return sum
})()

/** φ as an exact fixed-point value (doubles below 1 are k / 2^e with e ≤ 1074). */
const toFixed = (phi: number): bigint => {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, phi)
  const bits = view.getBigUint64(0)
  const exponent = Number((bits >> 52n) & 0x7ffn)
  const fraction = bits & ((1n << 52n) - 1n)
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n)
  const shift = BigInt((exponent === 0 ? 1 : exponent) - 1075) + P // value = mantissa · 2^(e−1075)
  return shift >= 0n ? mantissa << shift : mantissa >> -shift
}

/** exp(x) for 0 ≤ x < 1 in fixed point. */
const exp = (x: bigint): bigint => {
  let sum = ONE
  let term = ONE
  for (let k = 1n; term !== 0n; k++) {
    term = (term * x) / ONE / k
    sum += term
  }
  return sum
}

/** `trunc(round_to_double(2^(54 − φ)))` for 0 < φ < 1, as a BigInt. */
export const pow2_54MinusFraction = (phi: number): bigint => {
  // Like C, the exponent 54 − φ is first rounded to a double; e − 53 is then exact (Sterbenz).
  const r = 54 - phi - 53
  const value = exp((toFixed(r) * LN2) >> P) << 53n // 2^53 · e^(r ln 2), fixed point
  const halfSteps = value >> P // floor(value), an integer in [2^53, 2^54]
  const rest = value & (ONE - 1n)
  // Nearest even integer to value: look at value / 2.
  const q = halfSteps >> 1n
  const remainder = ((halfSteps & 1n) << P) | rest // (value − 2q) in fixed point, in [0, 2)
  if (remainder > ONE) return 2n * (q + 1n)
  if (remainder < ONE) return 2n * q
  return 2n * (q % 2n === 0n ? q : q + 1n)
}
