import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float32ToFloat16Bits as toH, float16BitsToFloat32 as fromH, toFloat16Array, fromFloat16Array } from '../../src/util/float16.js';
import { Rng } from '../../src/util/rng.js';

test('binary16 golden bit patterns (IEEE 754, round to nearest even)', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [65519, 0x7bff], // below the midpoint to 65536: rounds down
    [65520, 0x7c00], // the midpoint ties to even = 65536 = overflow -> Inf
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half of it: tie to even -> 0
    [1.5 * 2 ** -25, 0x0001],
    [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: even mantissa (1)
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1+2^-10 and 1+2^-9: even mantissa (…02)
    [0.1, 0x2e66],
    [1e-8, 0x0000],
  ];
  for (const [x, h] of cases) assert.equal(toH(x), h, `toH(${x}) = 0x${toH(x).toString(16)}, want 0x${h.toString(16)}`);
  const nan = toH(NaN);
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x3ff, 0);
  assert.ok(Number.isNaN(fromH(nan)));
});

test('binary16 decoding golden values', () => {
  assert.equal(fromH(0x3555), 0.333251953125);
  assert.equal(fromH(0x0001), 2 ** -24);
  assert.equal(fromH(0x7bff), 65504);
  assert.equal(fromH(0xfc00), -Infinity);
  assert.ok(Object.is(fromH(0x8000), -0));
  assert.equal(fromH(0xc000), -2);
});

test('every non-NaN half survives half -> float32 -> half exactly', () => {
  for (let h = 0; h < 0x10000; h++) {
    const x = fromH(h);
    if (Number.isNaN(x)) continue;
    if (toH(x) !== h) assert.fail(`0x${h.toString(16)} -> ${x} -> 0x${toH(x).toString(16)}`);
  }
});

test('float32 -> half picks the nearest half (random values over the whole range)', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 20000; i++) {
    const x = Math.fround((rng.next() < 0.5 ? -1 : 1) * 2 ** rng.uniform(-26, 15.99));
    const h = toH(x);
    const err = Math.abs(fromH(h) - x);
    // The neighbours of h (same sign) are never strictly closer.
    for (const n of [h - 1, h + 1]) {
      if ((n & 0x7fff) > 0x7bff || (n & 0x8000) !== (h & 0x8000) || n < 0) continue;
      assert.ok(err <= Math.abs(fromH(n) - x), `x=${x}: 0x${h.toString(16)} not nearest`);
    }
    // Relative error bound of binary16 for normals: 2^-11.
    if (Math.abs(x) >= 2 ** -14) assert.ok(err <= Math.abs(x) * 2 ** -11, `x=${x} err=${err}`);
  }
});

test('array helpers round-trip within fp16 tolerance', () => {
  const xs = new Float32Array([0.02, -0.3, 1.7, 123.456, -6e-5, 0]);
  const back = fromFloat16Array(toFloat16Array(xs));
  assert.ok(back instanceof Float32Array);
  for (let i = 0; i < xs.length; i++) assert.ok(Math.abs(back[i] - xs[i]) <= Math.abs(xs[i]) * 2 ** -11 + 2 ** -25, `${xs[i]} -> ${back[i]}`);
});
