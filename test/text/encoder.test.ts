import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/rng.js';
import { encodeOneHot } from '../../src/text/alphabet.js';
import {
  CharTextEncoder, resolveTextEncoderConfig, sequenceLengths, TEXT_ENCODER_PAPER, temporalConv, maxPoolNonOverlapping, maxPool3Stride2,
} from '../../src/text/encoder.js';
import { PatchImageEncoder, spaceToDepth, imageEncoderForPreset } from '../../src/text/image-encoder.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

test('encoder: sequence lengths 201 -> 198 -> 66 -> 63 -> 21 -> 18 (GRU) / 8 (RNN)', () => {
  assert.deepEqual(sequenceLengths(TEXT_ENCODER_PAPER), { conv1: 198, pool1: 66, conv2: 63, pool2: 21, conv3: 18, steps: 18 });
  assert.equal(sequenceLengths({ ...TEXT_ENCODER_PAPER, arch: 'cnn-rnn' }).steps, 8);
});

test('encoder: paper char-CNN-GRU, shape of every stage and parameter count from the layer formulas', async () => {
  await tf.setBackend('cpu');
  const cfg = resolveTextEncoderConfig('paper');
  const enc = new CharTextEncoder(cfg, new Rng(1));
  const conv = (k: number, i: number, o: number) => k * i * o + o;
  const lin = (i: number, o: number) => i * o + o;
  assert.equal(enc.countParams(), conv(4, 70, 384) + conv(4, 384, 512) + conv(4, 512, 512) + 6 * lin(512, 512) + lin(512, 1024));
  const x = tf.tensor3d(encodeOneHot(['this bird has a red crown', 'a small yellow bird']), [2, 201, 70]);
  const s = enc.stages(x);
  assert.deepEqual(s.conv1.shape, [2, 198, 384]);
  assert.deepEqual(s.pool1.shape, [2, 66, 384]);
  assert.deepEqual(s.conv2.shape, [2, 63, 512]);
  assert.deepEqual(s.pool2.shape, [2, 21, 512]);
  assert.deepEqual(s.conv3.shape, [2, 18, 512]);
  assert.deepEqual(s.steps.shape, [2, 18, 512]);
  assert.deepEqual(s.hidden.shape, [2, 512]);
  assert.deepEqual(s.out.shape, [2, 1024]);
  tf.dispose(Object.values(s));
  x.dispose();
  enc.dispose();
});

test('encoder: char-CNN-RNN variant, stages and cnn_dim 256', async () => {
  await tf.setBackend('cpu');
  const enc = new CharTextEncoder(resolveTextEncoderConfig('paper-cnn-rnn'), new Rng(2));
  const x = tf.tensor3d(encodeOneHot(['a bird']), [1, 201, 70]);
  const s = enc.stages(x);
  assert.deepEqual(s.conv3.shape, [1, 18, 256]);
  assert.deepEqual(s.steps.shape, [1, 8, 256]);
  assert.deepEqual(s.hidden.shape, [1, 256]);
  assert.deepEqual(s.out.shape, [1, 1024]);
  tf.dispose(Object.values(s));
  x.dispose();
  enc.dispose();
});

test('encoder: unfold+matmul conv and the poolings equal tf.conv1d / tf.maxPool', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(3);
  const x = tf.tensor3d(rng.normalArray(2 * 18 * 5), [2, 18, 5]);
  const w = tf.tensor2d(rng.normalArray(4 * 5 * 3), [20, 3]);
  const b = tf.tensor1d([0.1, -0.2, 0.3]);
  const tm = (t: tf.Tensor3D) => t.transpose([1, 0, 2]) as tf.Tensor3D; // [B,T,C] <-> [T,B,C]
  const ours = tm(temporalConv(tm(x), w, b, 4));
  const ref = tf.conv1d(x, w.reshape([4, 5, 3]) as tf.Tensor3D, 1, 'valid').add(b);
  close(await ours.data(), await ref.data(), 1e-4, 'conv');
  const pool = (t: tf.Tensor3D, k: number, s: number) => tf.maxPool(t.reshape([t.shape[0], 1, t.shape[1], t.shape[2]]) as tf.Tensor4D, [1, k], [1, s], 'valid').reshape([t.shape[0], -1, t.shape[2]]);
  close(await tm(maxPoolNonOverlapping(tm(x), 3)).data(), await pool(x, 3, 3).data(), 0, 'pool 3/3');
  const x17 = x.slice([0, 0, 0], [2, 17, 5]);
  close(await tm(maxPoolNonOverlapping(tm(x17), 3)).data(), await pool(x17, 3, 3).data(), 0, 'pool 3/3 ragged');
  for (const T of [18, 17]) {
    const xt = x.slice([0, 0, 0], [2, T, 5]);
    const p = tm(maxPool3Stride2(tm(xt)));
    assert.deepEqual(p.shape, [2, Math.floor((T - 3) / 2) + 1, 5]);
    close(await p.data(), await pool(xt, 3, 2).data(), 0, `pool 3/2 T=${T}`);
  }
});

test('encoder: GRU and ReLU-RNN follow the original equations (recomputed in plain JS)', async () => {
  await tf.setBackend('cpu');
  for (const arch of ['cnn-gru', 'cnn-rnn'] as const) {
    const enc = new CharTextEncoder(resolveTextEncoderConfig('test-tiny', { arch, initRange: 0.5 }), new Rng(4));
    const x = tf.tensor3d(encodeOneHot(['the bird has a blue crown and white wings']), [1, 201, 70]);
    const s = enc.stages(x);
    const xs = await s.steps.data();
    const [, T, H] = s.steps.shape; // stages are reported [B, T, C]
    const W: Record<string, Float32Array> = await enc.weights();
    const lin = (v: ArrayLike<number>, n: string) => {
      const out = new Float64Array(H);
      for (let o = 0; o < H; o++) {
        let a = W[`${n}.b`][o];
        for (let i = 0; i < H; i++) a += v[i] * W[`${n}.w`][i * H + o];
        out[o] = a;
      }
      return out;
    };
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const xt = (t: number) => xs.subarray(t * H, (t + 1) * H);
    let h: Float64Array = arch === 'cnn-gru' ? lin(xt(0), 'i2h').map(Math.tanh) : lin(xt(0), 'i2h').map((v) => Math.max(0, v));
    const sum = Float64Array.from(h);
    for (let t = 1; t < T; t++) {
      if (arch === 'cnn-gru') {
        const a = lin(xt(t), 'i2h_update'), bu = lin(h, 'h2h_update');
        const ar = lin(xt(t), 'i2h_reset'), br = lin(h, 'h2h_reset');
        const u = a.map((v, i) => sig(v + bu[i]));
        const r = ar.map((v, i) => sig(v + br[i]));
        const hc = lin(xt(t), 'i2h');
        const hr = lin(h.map((v, i) => v * r[i]), 'h2h');
        const cand = hc.map((v, i) => Math.tanh(v + hr[i]));
        h = cand.map((c, i) => u[i] * c + (1 - u[i]) * h[i]);
      } else {
        const a = lin(xt(t), 'i2h'), bh = lin(h, 'h2h');
        h = a.map((v, i) => Math.max(0, v + bh[i]));
      }
      h.forEach((v, i) => (sum[i] += v));
    }
    close(await s.hidden.data(), sum.map((v) => v / T), 1e-5, arch);
    tf.dispose(Object.values(s));
    x.dispose();
    enc.dispose();
  }
});

test('encoder: apply does not leak; same seed -> same weights; embed batches agree', async () => {
  await tf.setBackend('cpu');
  const cfg = resolveTextEncoderConfig('test-tiny');
  const nStart = tf.memory().numTensors;
  const a = new CharTextEncoder(cfg, new Rng(5));
  assert.equal(tf.memory().numTensors, nStart + Object.keys(a.params).length);
  const b = new CharTextEncoder(cfg, new Rng(5));
  assert.deepEqual(await a.weights(), await b.weights());
  const texts = ['one bird', 'two birds', 'three'];
  await a.embed(texts, 2); // burn-in
  const n0 = tf.memory().numTensors;
  const e2 = await a.embed(texts, 2);
  const e3 = await a.embed(texts, 3);
  assert.equal(tf.memory().numTensors, n0);
  assert.equal(e2.length, 3 * 32);
  close(e2, e3, 1e-6, 'batching');
  a.dispose();
  b.dispose();
  assert.equal(tf.memory().numTensors, nStart);
});

test('encoder: trains on wasm (no Conv2DBackpropFilter needed); gradients equal the cpu backend', async () => {
  require('@tensorflow/tfjs-backend-wasm');
  const cfg = resolveTextEncoderConfig('test-tiny');
  const grads = async (backend: string) => {
    await tf.setBackend(backend);
    const enc = new CharTextEncoder(cfg, new Rng(6));
    const x = tf.tensor3d(encodeOneHot(['a red bird', 'a blue bird']), [2, 201, 70]);
    const { value, grads } = tf.variableGrads(() => enc.apply(x).square().sum() as tf.Scalar, enc.variables());
    const out = [await value.data(), ...(await Promise.all(enc.variables().map((v) => grads[v.name].data())))];
    tf.dispose([value, x]);
    tf.dispose(grads);
    enc.dispose();
    return out;
  };
  const c = await grads('cpu');
  const w = await grads('wasm');
  c.forEach((g, i) => close(w[i], g, 1e-4 * Math.max(1, Math.abs(g[0])), `grad ${i}`));
  await tf.setBackend('cpu');
});

test('image encoder: space-to-depth layout and output shape', async () => {
  await tf.setBackend('cpu');
  const x = tf.tensor4d(Float32Array.from({ length: 1 * 4 * 4 * 2 }, (_, i) => i), [1, 4, 4, 2]);
  const y = spaceToDepth(x, 2);
  assert.deepEqual(y.shape, [1, 2, 2, 8]);
  // output cell (0,1) holds pixels (0,2),(0,3),(1,2),(1,3), channels interleaved
  const v = await y.array();
  const px = (r: number, c: number) => [(r * 4 + c) * 2, (r * 4 + c) * 2 + 1];
  assert.deepEqual(v[0][0][1], [...px(0, 2), ...px(0, 3), ...px(1, 2), ...px(1, 3)]);
  const enc = new PatchImageEncoder(imageEncoderForPreset('cpu-small', 1024), new Rng(7));
  const out = enc.apply(tf.zeros([3, 64, 64, 3]) as tf.Tensor4D);
  assert.deepEqual(out.shape, [3, 1024]);
  assert.throws(() => enc.apply(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D), /\[B, 64, 64, 3\]/);
  tf.dispose([x, y, out]);
  enc.dispose();
});
