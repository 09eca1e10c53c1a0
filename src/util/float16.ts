/**
 * IEEE 754 binary16 ("half") conversion by hand, for storing the shipped pretrained weights at half size
 * (data/pretrained/ ≤ 60 MB). tfjs has no float16 dtype on its CPU/wasm backends, so weights
 * are converted on write and widened back to float32 on read. Rounding is round-to-nearest-even, as the
 * hardware conversions (F16C, numpy's `astype(float16)`) do; overflow gives ±Infinity, NaN stays NaN.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to `x` (ties to even). */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const f = u32[0];
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // ±Inf, quiet NaN
  const e = exp - 127 + 15; // exponent rebiased for half
  if (e >= 0x1f) return sign | 0x7c00; // beyond 65504 even before rounding
  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^-24, m = (1.mant · 2^23) >> (14 - e).
    if (e < -10) return sign; // below 2^-25: rounds to ±0
    const full = mant | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (m & 1) === 1)) m++; // may carry into the smallest normal: still right
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry into the exponent is correct, up to Inf
  return h;
}

/** The number a binary16 bit pattern stands for. */
export function float16BitsToFloat32(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Converts a whole array to binary16 bit patterns. */
export function toFloat16Array(xs: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = float32ToFloat16Bits(xs[i]);
  return out;
}

/** Widens binary16 bit patterns back to float32 (exact: every half is a float32). */
export function fromFloat16Array(hs: ArrayLike<number>): Float32Array {
  const out = new Float32Array(hs.length);
  for (let i = 0; i < hs.length; i++) out[i] = float16BitsToFloat32(hs[i]);
  return out;
}
