import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { augmentImages, drawAugment, shiftBoxes, shiftKeypoints, type AugmentDraw } from '../../src/training/diff-augment.js';
import { Rng } from '../../src/util/rng.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

const draw = (dx: number[], dy: number[], cut: { x: number[]; y: number[]; side: number } = { x: dx.map(() => 0), y: dy.map(() => 0), side: 0 }): AugmentDraw => ({
  dx: Int32Array.from(dx), dy: Int32Array.from(dy), cutX: Int32Array.from(cut.x), cutY: Int32Array.from(cut.y), cutSide: cut.side,
});

test('translation moves the content by (dx, dy) with zero padding; cutout zeroes its square', () => {
  // 4×4 single-channel image with values 1..16.
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
  const y = augmentImages(x, draw([1], [-1])).reshape([4, 4]).arraySync();
  assert.deepEqual(y, [
    [0, 5, 6, 7],
    [0, 9, 10, 11],
    [0, 13, 14, 15],
    [0, 0, 0, 0],
  ]);
  const c = augmentImages(x, draw([0], [0], { x: [-1], y: [2], side: 2 })).reshape([4, 4]).arraySync();
  assert.deepEqual(c, [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [0, 10, 11, 12],
    [0, 14, 15, 16],
  ]);
});

test('the augmentation is differentiable: its gradient is the inverse shift of the upstream gradient', () => {
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const r = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 2);
  const d = draw([2, -1], [0, 3]);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(augmentImages(v as tf.Tensor4D, d), r)))(x).arraySync() as number[][][][];
  const ra = r.arraySync() as number[][][][];
  for (let b = 0; b < 2; b++) for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) for (let c = 0; c < 3; c++) {
    // x[i][j] lands at (i + dy, j + dx).
    const ii = i + d.dy[b], jj = j + d.dx[b];
    const want = ii >= 0 && ii < 6 && jj >= 0 && jj < 6 ? ra[b][ii][jj][c] : 0;
    assert.ok(Math.abs(g[b][i][j][c] - want) < 1e-6, `${b},${i},${j},${c}`);
  }
});

test('boxes and keypoints move with the pixels; keypoints pushed out of the image become invisible', () => {
  // A filled box at (x, y, w, h) = (0.25, 0.5, 0.25, 0.25) of a 16-px image; shift (3, -2) px.
  const S = 16;
  const img = new Float32Array(S * S);
  for (let i = 8; i < 12; i++) for (let j = 4; j < 8; j++) img[i * S + j] = 1;
  const d = draw([3], [-2]);
  const out = augmentImages(tf.tensor4d(img, [1, S, S, 1]), d).dataSync();
  let x0 = S, y0 = S, x1 = -1, y1 = -1;
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) if (out[i * S + j] > 0.5) { x0 = Math.min(x0, j); x1 = Math.max(x1, j); y0 = Math.min(y0, i); y1 = Math.max(y1, i); }
  const box = shiftBoxes(tf.tensor2d([[4 / S, 8 / S, 4 / S, 4 / S]]), d, S).arraySync()[0];
  assert.deepEqual(box.map((v) => Math.round(v * S)), [x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
  const kp = shiftKeypoints(tf.tensor3d([[[0.5, 0.5, 1], [0.9, 0.05, 1], [0.1, 0.1, 0]]]), d, S).arraySync()[0];
  assert.ok(Math.abs(kp[0][0] - (0.5 + 3 / S)) < 1e-6 && Math.abs(kp[0][1] - (0.5 - 2 / S)) < 1e-6 && kp[0][2] === 1);
  assert.equal(kp[1][2], 0, 'moved above the top edge');
  assert.ok(Math.abs(kp[1][0] - (0.9 + 3 / S)) < 1e-6);
  assert.equal(kp[2][2], 0);
});

test('drawAugment: shifts within ±⌊r·S⌋, cutout of side round(c·S) centred in the image, seeded', () => {
  const a = drawAugment(500, 128, 0.125, 0.25, new Rng(3));
  const b = drawAugment(500, 128, 0.125, 0.25, new Rng(3));
  assert.deepEqual(a, b);
  assert.equal(a.cutSide, 32);
  assert.equal(Math.max(...a.dx), 16);
  assert.equal(Math.min(...a.dy), -16);
  for (let i = 0; i < 500; i++) {
    const cx = a.cutX[i] + 16, cy = a.cutY[i] + 16;
    assert.ok(cx >= 0 && cx < 128 && cy >= 0 && cy < 128);
  }
  const off = drawAugment(4, 128, 0, 0, new Rng(3));
  assert.deepEqual(Array.from(off.dx), [0, 0, 0, 0]);
  assert.equal(off.cutSide, 0);
});
