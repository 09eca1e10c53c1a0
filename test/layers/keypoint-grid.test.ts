import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { keypointCell, keypointMask, keypointsToGrid } from '../../src/layers/keypoint-grid.js';
import { replicate } from '../../src/layers/replicate.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('cell = clamp(round(16p), 1, 16) - 1: the Lua off-by-one is pinned', () => {
  assert.equal(keypointCell(0), 0); // round(0) = 0 clamps up to 1 -> 0
  assert.equal(keypointCell(1 / 32), 0); // 16p = 0.5 rounds (half away from zero) to 1 -> 0
  assert.equal(keypointCell(0.5), 7); // 16p = 8 -> 7 (P1's min(15, round(16p)) gives 8: one cell off)
  assert.equal(keypointCell(0.53), 7); // 8.48 -> 8 -> 7
  assert.equal(keypointCell(0.97), 15); // 15.52 -> 16 -> 15
  assert.equal(keypointCell(1), 15);
  assert.equal(keypointCell(0.3), 4); // 4.8 -> 5 -> 4
});

test('keypoints [B,K,3] -> one-hot maps [B,16,16,K] and the clamped mask', () => {
  const kp = tf.tensor3d([
    [[0.5, 0.25, 1], [0.3, 0.3, 0.05], [0.97, 0, 1], [0.5, 0.25, 1]],
    [[0, 0, 0], [0.3, 0.3, 1], [0.1, 0.9, 0.2], [1, 1, 1]],
  ]);
  const { maps, mask } = keypointsToGrid(kp);
  assert.deepEqual(maps.shape, [2, 16, 16, 4]);
  assert.deepEqual(mask.shape, [2, 16, 16, 1]);
  const m = maps.arraySync();
  const mk = mask.arraySync();
  // Sample 0: kp0 at (x=.5 -> col 7, y=.25 -> row 3); kp1 invisible (v <= .1); kp2 at row 0, col 15; kp3 = kp0.
  assert.equal(m[0][3][7][0], 1);
  assert.equal(m[0][0][15][2], 1);
  assert.equal(m[0][3][7][3], 1);
  assert.equal(maps.slice([0, 0, 0, 1], [1, 16, 16, 1]).sum().arraySync(), 0);
  assert.equal(maps.slice([0, 0, 0, 0], [1, 16, 16, 4]).sum().arraySync(), 3);
  assert.equal(mk[0][3][7][0], 1); // two keypoints in one cell: mask clamps to 1
  assert.equal(mask.slice([0, 0, 0, 0], [1, 16, 16, 1]).sum().arraySync(), 2);
  // Sample 1: kp1 at row 4, col 4; kp2 v = .2 > .1 at row round(14.4)=14 -> 13, col round(1.6)=2 -> 1; kp3 at (15, 15).
  assert.equal(m[1][4][4][1], 1);
  assert.equal(m[1][13][1][2], 1);
  assert.equal(m[1][15][15][3], 1);
  assert.equal(maps.slice([1, 0, 0, 0], [1, 16, 16, 4]).sum().arraySync(), 3);
  const again = keypointMask(maps);
  assert.deepEqual(again.arraySync(), mk);
  tf.dispose([kp, maps, mask, again]);
});

test('replicate tiles a vector over the grid', () => {
  const v = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const r = replicate(v, 4, 2);
  assert.deepEqual(r.shape, [2, 4, 2, 3]);
  const a = r.arraySync();
  assert.deepEqual(a[1][3][1], [4, 5, 6]);
  assert.deepEqual(a[0][2][0], [1, 2, 3]);
  tf.dispose([v, r]);
});
