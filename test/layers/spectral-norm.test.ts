import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { powerIterate, spectralLayers, spectralSigma, SpectralConv2D, SpectralDense } from '../../src/layers/spectral-norm.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** A model of one SpectralDense [3 → 2] with kernel `w` (rows = fan-in). */
function denseModel(w: number[][]): tf.LayersModel {
  const x = tf.input({ shape: [3] });
  const l = new SpectralDense({ name: 'sd', units: 2, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), biasInitializer: tf.initializers.zeros() });
  const m = tf.model({ inputs: x, outputs: l.apply(x) as tf.SymbolicTensor });
  l.kernel.write(tf.tensor2d(w));
  return m;
}

test('power iteration converges to the largest singular value; the kernel is used as W / σ', () => {
  // W = [[3, 0], [0, 1], [0, 0]]: σ₁ = 3.
  const m = denseModel([[3, 0], [0, 1], [0, 0]]);
  const l = spectralLayers(m)[0];
  for (let i = 0; i < 30; i++) powerIterate(m);
  assert.ok(Math.abs(spectralSigma(l) - 3) < 1e-4, `σ ${spectralSigma(l)}`);
  const y = (m.predict(tf.tensor2d([[1, 2, 5]])) as tf.Tensor).arraySync() as number[][];
  // x·W / 3 = [3, 2] / 3.
  assert.ok(Math.abs(y[0][0] - 1) < 1e-4 && Math.abs(y[0][1] - 2 / 3) < 1e-4, JSON.stringify(y));
  // A rotated matrix: σ₁ of [[1, 2], [3, 4], [5, 6]] is 9.52551809.
  const m2 = denseModel([[1, 2], [3, 4], [5, 6]]);
  for (let i = 0; i < 30; i++) powerIterate(m2);
  assert.ok(Math.abs(spectralSigma(spectralLayers(m2)[0]) - 9.52551809) < 1e-4);
});

test('u and v are non-trainable weights: saved with the model and restored exactly', () => {
  const m = denseModel([[1, 2], [3, 4], [5, 6]]);
  for (let i = 0; i < 3; i++) powerIterate(m);
  const names = m.weights.map((w) => `${w.name.split('/').pop()!.replace(/_\d+$/, '')}:${w.trainable}`);
  assert.deepEqual(names.sort(), ['bias:true', 'kernel:true', 'sn_u:false', 'sn_v:false']);
  const saved = m.getWeights().map((t) => t.clone());
  const m2 = denseModel([[0, 0], [0, 0], [0, 1]]);
  m2.setWeights(saved);
  const x = tf.tensor2d([[0.3, -1, 2]]);
  assert.deepEqual(Array.from((m2.predict(x) as tf.Tensor).dataSync()), Array.from((m.predict(x) as tf.Tensor).dataSync()));
});

test('SpectralConv2D: output is conv(x, W/σ) + b and its kernel gradient matches finite differences', () => {
  const x = tf.input({ shape: [5, 5, 2] });
  const l = new SpectralConv2D({ name: 'sc', filters: 3, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.randomNormal({ seed: 3 }), biasInitializer: tf.initializers.zeros() });
  const m = tf.model({ inputs: x, outputs: l.apply(x) as tf.SymbolicTensor });
  assert.deepEqual(m.outputs[0].shape, [null, 3, 3, 3]);
  const input = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 7);
  const sigma = spectralSigma(l);
  const ref = tf.conv2d(input as tf.Tensor4D, tf.div(l.kernel.read(), sigma) as tf.Tensor4D, 2, 'same');
  const out = m.predict(input) as tf.Tensor;
  assert.ok(tf.max(tf.abs(tf.sub(out, ref))).dataSync()[0] < 1e-5);
  // d/dW of sum(out · r), u and v held constant, against central differences on a few entries.
  const r = tf.randomNormal(out.shape, 0, 1, 'float32', 9);
  const kv = l.kernel.read() as tf.Variable;
  const f = (): tf.Scalar => tf.sum(tf.mul(m.apply(input) as tf.Tensor, r)) as tf.Scalar;
  const { grads } = tf.variableGrads(f, [kv]);
  const g = grads[kv.name].dataSync();
  const w0 = kv.dataSync().slice();
  const h = 1e-2;
  for (const idx of [0, 7, 20, 53]) {
    const at = (d: number): number => {
      const w = w0.slice();
      w[idx] += d;
      l.kernel.write(tf.tensor(w, kv.shape));
      return f().dataSync()[0];
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    l.kernel.write(tf.tensor(w0, kv.shape));
    assert.ok(Math.abs(fd - g[idx]) < 2e-2 * Math.max(1, Math.abs(fd)), `entry ${idx}: fd ${fd} grad ${g[idx]}`);
  }
});
