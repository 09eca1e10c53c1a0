import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { sjeLossFromScores, sjeLoss, sjeScores } from '../../src/text/sje.js';

test('DS-SJE: golden value on a 3x3 score matrix, computed by hand', async () => {
  await tf.setBackend('cpu');
  // S[i][j] = s(img_i, txt_j)
  const S = [
    [2.0, 0.5, 1.8],
    [0.3, 1.0, 0.9],
    [-1.0, 2.5, 0.2],
  ];
  // image anchors (rows): Σ_{j≠i} max(0, 1 + S[i][j] − S[i][i])
  //   i=0: max(0, 1+0.5−2)=0,   max(0, 1+1.8−2)=0.8          -> 0.8
  //   i=1: max(0, 1+0.3−1)=0.3, max(0, 1+0.9−1)=0.9          -> 1.2
  //   i=2: max(0, 1−1−0.2)=0,   max(0, 1+2.5−0.2)=3.3        -> 3.3
  const imgSide = 0.8 + 1.2 + 3.3;
  // text anchors (columns): Σ_{i≠j} max(0, 1 + S[i][j] − S[j][j])
  //   j=0: max(0, 1+0.3−2)=0,   max(0, 1−1−2)=0              -> 0
  //   j=1: max(0, 1+0.5−1)=0.5, max(0, 1+2.5−1)=2.5          -> 3.0
  //   j=2: max(0, 1+1.8−0.2)=2.6, max(0, 1+0.9−0.2)=1.7      -> 4.3
  const txtSide = 0 + 3.0 + 4.3;
  const s = tf.tensor2d(S);
  const sym = sjeLossFromScores(s, true);
  const asym = sjeLossFromScores(s, false);
  assert.ok(Math.abs((await sym.data())[0] - (imgSide + txtSide) / 9) < 1e-6);
  assert.ok(Math.abs((await asym.data())[0] - imgSide / 9) < 1e-6);
  tf.dispose([s, sym, asym]);
});

test('DS-SJE: scores are inner products; loss 0 when matches win by the margin; gradient vs finite differences', async () => {
  await tf.setBackend('cpu');
  const img = tf.tensor2d([[3, 0], [0, 3]]);
  const txt = tf.tensor2d([[1, 0], [0, 1]]);
  assert.deepEqual(await sjeScores(img, txt).array(), [[3, 0], [0, 3]]);
  assert.equal((await sjeLoss(img, txt).data())[0], 0);
  const before = tf.memory().numTensors;
  const a = tf.tensor2d([[0.3, -0.2, 0.1], [0.05, 0.4, -0.3], [0.2, 0.1, 0.25]]);
  const b = tf.tensor2d([[0.1, 0.2, -0.1], [0.3, -0.4, 0.2], [-0.2, 0.1, 0.5]]);
  const g = tf.grad((x: tf.Tensor) => sjeLoss(x as tf.Tensor2D, b))(a);
  const ga = await g.data();
  const av = await a.data();
  const eps = 1e-3;
  for (let k = 0; k < 9; k++) {
    const p = Float32Array.from(av); p[k] += eps;
    const m = Float32Array.from(av); m[k] -= eps;
    const fp = tf.tidy(() => sjeLoss(tf.tensor2d(p, [3, 3]), b).dataSync()[0]);
    const fm = tf.tidy(() => sjeLoss(tf.tensor2d(m, [3, 3]), b).dataSync()[0]);
    assert.ok(Math.abs((fp - fm) / (2 * eps) - ga[k]) < 2e-3, `grad ${k}: ${(fp - fm) / (2 * eps)} vs ${ga[k]}`);
  }
  tf.dispose([a, b, g]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([img, txt]);
  assert.throws(() => sjeLossFromScores(tf.zeros([2, 3]) as tf.Tensor2D), /square/);
});
