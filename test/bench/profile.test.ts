import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { formatKernelProfile, profileKernels } from '../../src/bench/profile.js';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels.js';

test('profileKernels ranks kernels by total time, counts calls, shares sum to 1', async () => {
  assert.ok(await tf.setBackend('wasm'));
  await tf.ready();
  registerWasmTrainingKernels();
  const x = tf.ones([2, 8, 8, 3]);
  const w = tf.ones([4, 4, 3, 4]);
  const before = tf.memory().numTensors;
  // Three convs and their gradients: Conv2DBackpropFilter must be there with exactly 3 calls.
  const p = await profileKernels(() => tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').square().sum();
    let acc = tf.scalar(0);
    for (let i = 0; i < 3; i++) acc = acc.add(tf.grads(f)([x, w])[1].sum());
    return acc;
  }), 5);
  const total = (await p.result.data())[0];
  p.result.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(total) && total > 0);
  assert.ok(p.top.length <= 5 && p.top.length > 0);
  for (let i = 1; i < p.top.length; i++) assert.ok(p.top[i - 1].totalMs >= p.top[i].totalMs, 'sorted slowest first');
  const all = await profileKernels(() => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w])[1]), 100);
  all.result.dispose();
  const bf = all.top.find((r) => r.name === 'Conv2DBackpropFilter');
  assert.ok(bf, 'Conv2DBackpropFilter profiled');
  assert.equal(bf.calls, 1);
  assert.equal(all.top.reduce((s, r) => s + r.calls, 0), all.calls);
  if (all.kernelMs > 0) assert.ok(Math.abs(all.top.reduce((s, r) => s + r.share, 0) - 1) < 1e-9);
  for (const r of all.top) assert.ok(tf.getKernel(r.name, 'wasm'), `${r.name} is a registered kernel, not an op wrapper`);
  assert.match(formatKernelProfile(all), /Conv2DBackpropFilter\s+\d+\.\d\s+1\s/);
  tf.dispose([x, w]);
});
