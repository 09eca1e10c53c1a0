import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { interpolationWeights } from '../../src/layers/geometry.js';
import { interpolationMatrices, SpatialTransformer, spatialTransform } from '../../src/layers/spatial-transformer.js';
import { KeypointGate } from '../../src/layers/keypoint-grid.js';
import { Replicate } from '../../src/layers/replicate.js';

/** 5×5 map with f(i, j) = 10i + j in channel 0 and −f in channel 1; bilinear sampling of it is exact. */
function rampMap(): tf.Tensor4D {
  const v: number[] = [];
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) v.push(10 * i + j, -(10 * i + j));
  return tf.tensor4d(v, [1, 5, 5, 2]);
}

test.before(async () => {
  await tf.setBackend('cpu');
});

test('interpolation matrices match the scalar formula', () => {
  const m = interpolationMatrices(tf.tensor1d([1, 0.5]), tf.tensor1d([-0.5, 0.25]), 3, 4);
  const got = m.arraySync();
  const want = [interpolationWeights(1, -0.5, 3, 4), interpolationWeights(0.5, 0.25, 3, 4)];
  for (let b = 0; b < 2; b++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(got[b][i][j] - want[b][i][j]) < 1e-6);
  m.dispose();
});

test('crop of a hand-computed ramp: centred and off-centre half-size boxes', () => {
  const x = rampMap();
  // Centred half box: sX = sY = .5, t = 0 -> pos = (0.5 g + 1) * 2 = 1, 1.5, 2, 2.5, 3 on both axes.
  // Off-centre box x=0, y=.5, w=h=.5: tX = -.5 -> posX = 0, .5, 1, 1.5, 2; tY = .5 -> posY = 2, 2.5, 3, 3.5, 4.
  const box = tf.tensor2d([[0.25, 0.25, 0.5, 0.5]]);
  const box2 = tf.tensor2d([[0, 0.5, 0.5, 0.5]]);
  const out = spatialTransform(x, box, 'crop').arraySync()[0];
  const out2 = spatialTransform(x, box2, 'crop').arraySync()[0];
  const pos = [1, 1.5, 2, 2.5, 3];
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      assert.ok(Math.abs(out[i][j][0] - (10 * pos[i] + pos[j])) < 1e-4, `crop[${i}][${j}] = ${out[i][j][0]}`);
      assert.ok(Math.abs(out[i][j][1] + (10 * pos[i] + pos[j])) < 1e-4);
      assert.ok(Math.abs(out2[i][j][0] - (10 * (2 + 0.5 * i) + 0.5 * j)) < 1e-4, `crop2[${i}][${j}] = ${out2[i][j][0]}`);
    }
  }
  tf.dispose([x, box, box2]);
});

test('paste places the whole map inside the box and zeros outside', () => {
  const x = rampMap();
  // Paste with the centred half box: s = 2, t = 0 -> pos = (2g + 1) * 2 = -2, 0, 2, 4, 6.
  const box = tf.tensor2d([[0.25, 0.25, 0.5, 0.5]]);
  const out = spatialTransform(x, box, 'paste').arraySync()[0];
  const pos = [-2, 0, 2, 4, 6];
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      const inside = pos[i] >= 0 && pos[i] <= 4 && pos[j] >= 0 && pos[j] <= 4;
      const want = inside ? 10 * pos[i] + pos[j] : 0;
      assert.ok(Math.abs(out[i][j][0] - want) < 1e-4, `paste[${i}][${j}] = ${out[i][j][0]}, want ${want}`);
    }
  }
  // A constant map pasted into a box covers exactly the box cells (16×16 grid, box = cells 4..11).
  const ones = tf.ones([1, 16, 16, 1]) as tf.Tensor4D;
  const b16 = tf.tensor2d([[0.25, 0.25, 0.5, 0.5]]);
  const pasted = spatialTransform(ones, b16, 'paste');
  const total = pasted.sum().arraySync() as number;
  // Row/column weights: positions (2g+1)*7.5 with g = -1 + 2i/15; entries in [0,15] count fully, edges partially.
  const w = interpolationWeights(2, 0, 16, 16).map((r) => r.reduce((a, c) => a + c, 0));
  const want = w.reduce((a, c) => a + c, 0) ** 2;
  assert.ok(Math.abs(total - want) < 1e-3, `${total} vs ${want}`);
  assert.equal(pasted.slice([0, 0, 0, 0], [1, 3, 16, 1]).sum().arraySync(), 0);
  tf.dispose([x, box, ones, b16, pasted]);
});

test('gradient w.r.t. the input map matches central finite differences', () => {
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const box = tf.tensor2d([[0.1, 0.2, 0.6, 0.5], [0.3, 0.0, 0.5, 0.9]]);
  const r = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 2);
  for (const mode of ['crop', 'paste'] as const) {
    const f = (m: tf.Tensor) => tf.sum(tf.mul(spatialTransform(m as tf.Tensor4D, box, mode), r));
    const g = tf.grad(f)(x);
    const ga = g.arraySync() as number[][][][];
    const xv = x.arraySync() as number[][][][];
    const eps = 1e-2;
    for (const [b, i, j, c] of [[0, 0, 0, 0], [0, 2, 3, 1], [1, 5, 5, 2], [1, 1, 4, 0], [0, 5, 0, 2]]) {
      const plus = xv.map((a) => a.map((bb) => bb.map((cc) => cc.slice())));
      const minus = xv.map((a) => a.map((bb) => bb.map((cc) => cc.slice())));
      plus[b][i][j][c] += eps;
      minus[b][i][j][c] -= eps;
      const fp = tf.tidy(() => f(tf.tensor4d(plus)).arraySync() as number);
      const fm = tf.tidy(() => f(tf.tensor4d(minus)).arraySync() as number);
      const fd = (fp - fm) / (2 * eps);
      assert.ok(Math.abs(fd - ga[b][i][j][c]) < 2e-3 * Math.max(1, Math.abs(fd)), `${mode} [${b},${i},${j},${c}] fd ${fd} vs grad ${ga[b][i][j][c]}`);
    }
    g.dispose();
  }
  tf.dispose([x, box, r]);
});

test('custom layers save and load through a model with identical outputs; no tensor leak', async () => {
  const feat = tf.input({ shape: [8] });
  const box = tf.input({ shape: [4] });
  const kp = tf.input({ shape: [16, 16, 2] });
  const tiled = new Replicate({ height: 16 }).apply(feat) as tf.SymbolicTensor;
  const pasted = new SpatialTransformer({ mode: 'paste' }).apply([tiled, box]) as tf.SymbolicTensor;
  const cropped = new SpatialTransformer({ mode: 'crop', outSize: 8 }).apply([pasted, box]) as tf.SymbolicTensor;
  const gated = new KeypointGate().apply([pasted, kp]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [feat, box, kp], outputs: [cropped, gated] });
  assert.deepEqual(model.outputs[0].shape, [null, 8, 8, 8]);
  assert.deepEqual(model.outputs[1].shape, [null, 16, 16, 8]);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const inputs = [tf.randomNormal([2, 8], 0, 1, 'float32', 3), tf.tensor2d([[0.1, 0.1, 0.5, 0.7], [0.4, 0.2, 0.3, 0.3]]), tf.randomUniform([2, 16, 16, 2], 0, 1, 'float32', 4).round()];
  const a = model.predict(inputs) as tf.Tensor[];
  const n0 = tf.memory().numTensors;
  const b = loaded.predict(inputs) as tf.Tensor[];
  assert.equal(tf.memory().numTensors, n0 + 2);
  for (let k = 0; k < 2; k++) assert.deepEqual(await a[k].data(), await b[k].data());
  tf.dispose([...a, ...b, ...inputs]);
  model.dispose();
  loaded.dispose();
});
