import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropOffset, mapBox, mapKeypoints, mhpRegion, type CropPlan } from '../../src/data/geometry.js';
import { cropFlipScale } from '../../src/data/augment.js';
import { CUB_FLIP_PAIRS, type Part } from '../../src/data/types.js';

const plan = (flip: boolean): CropPlan => ({ region: { x: 0, y: 0, w: 300, h: 200 }, loadSize: 150, fineSize: 128, offX: 5, offY: 10, flip });
const close = (a: ArrayLike<number>, b: number[], eps = 1e-6): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < eps, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('box: resize 300x200 -> 150², crop at (5,10), then flip x <- 128 - (x + w)', () => {
  // x: 10*0.5-5 = 0 .. 110*0.5-5 = 50; y: 20*0.75-10 = 5 .. 100*0.75-10 = 65.
  close(mapBox(plan(false), { x: 10, y: 20, w: 100, h: 80 }), [0, 5 / 128, 50 / 128, 60 / 128]);
  close(mapBox(plan(true), { x: 10, y: 20, w: 100, h: 80 }), [78 / 128, 5 / 128, 50 / 128, 60 / 128]);
  // Clipped at the crop border: the whole image maps to the whole crop.
  close(mapBox(plan(false), { x: 0, y: 0, w: 300, h: 200 }), [0, 0, 1, 1]);
  close(mapBox(plan(false), { x: 290, y: 190, w: 10, h: 10 }), [1, 1, 0, 0]);
});

test('keypoints: mapped, flipped x <- 128 - x, cropped-out and invisible parts get v = 0', () => {
  const parts: Part[] = [
    { name: 'a', x: 100, y: 50, visible: true }, // -> (45, 27.5)
    { name: 'b', x: 2, y: 50, visible: true }, // x = 1 - 5 < 0: cropped out
    { name: 'c', x: 100, y: 50, visible: false },
  ];
  close(mapKeypoints(plan(false), parts), [45 / 128, 27.5 / 128, 1, 0, 27.5 / 128, 0, 0, 0, 0]);
  close(mapKeypoints(plan(true), parts), [83 / 128, 27.5 / 128, 1, 1, 27.5 / 128, 0, 0, 0, 0]);
});

test('flip swaps left/right CUB channels only when asked (DEVIATION switch)', () => {
  const parts: Part[] = Array.from({ length: 15 }, (_, k) => ({ name: `p${k}`, x: 0, y: 0, visible: false }));
  parts[6] = { name: 'left eye', x: 100, y: 50, visible: true };
  const swapped = mapKeypoints(plan(true), parts, CUB_FLIP_PAIRS);
  close(swapped.slice(30, 33), [83 / 128, 27.5 / 128, 1]); // right-eye channel 10
  close(swapped.slice(18, 21), [0, 0, 0]);
  const kept = mapKeypoints(plan(true), parts);
  close(kept.slice(18, 21), [83 / 128, 27.5 / 128, 1]);
  // No flip: no swap even when asked.
  close(mapKeypoints(plan(false), parts, CUB_FLIP_PAIRS).slice(18, 21), [45 / 128, 27.5 / 128, 1]);
});

test('crop offset is ceil(U(0.01, L - 128)): 1..22 for L = 150, 0 when L = 128', () => {
  assert.equal(cropOffset(0, 150, 128), 1);
  assert.equal(cropOffset(0.999999, 150, 128), 22);
  assert.equal(cropOffset(0.5, 150, 128), Math.ceil(0.01 + 21.99 * 0.5));
  assert.equal(cropOffset(0.7, 128, 128), 0);
  assert.equal(cropOffset(0.5, 140, 128), 7);
});

test('MHP region: square of side ceil(scale·200·1.1) around objpos, clipped at the border', () => {
  assert.deepEqual(mhpRegion({ x: 200, y: 150 }, 1, 400, 300), { x: 90, y: 40, w: 220, h: 220 });
  // side ceil(1.5*220) = 330 around (50, 280): clipped on the left and bottom.
  assert.deepEqual(mhpRegion({ x: 50, y: 280 }, 1.5, 400, 300), { x: 0, y: 115, w: 215, h: 185 });
  assert.throws(() => mhpRegion({ x: 1000, y: 150 }, 0.1, 400, 300), /lies outside the 400x300 image/);
});

test('crop + flip + scale of pixels: golden 4x4 -> 2x2', () => {
  // Pixel (x, y) of the 4x4 image has R = 10y + x, G = 0, B = 255.
  const L = 4;
  const rgb = new Uint8Array(L * L * 3);
  for (let y = 0; y < L; y++) for (let x = 0; x < L; x++) rgb.set([10 * y + x, 0, 255], (y * L + x) * 3);
  const p: CropPlan = { region: { x: 0, y: 0, w: 4, h: 4 }, loadSize: 4, fineSize: 2, offX: 1, offY: 2, flip: false };
  const r = (v: number): number => v / 127.5 - 1;
  close(cropFlipScale(rgb, p), [r(21), -1, 1, r(22), -1, 1, r(31), -1, 1, r(32), -1, 1]);
  close(cropFlipScale(rgb, { ...p, flip: true }), [r(22), -1, 1, r(21), -1, 1, r(32), -1, 1, r(31), -1, 1]);
});
