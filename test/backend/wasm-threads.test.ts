/**
 * The threaded SIMD wasm build in Node (backend/wasm-threads.ts): 2 XNNPACK threads actually in use and
 * results equal to the cpu backend. Runs in its own process (node --test spawns one per file), because the
 * thread count is fixed when the wasm backend first initialises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/select.js';
import { Rng } from '../../src/util/rng.js';

test('wasm with 2 threads initialises, uses 2 threads, and matches cpu on matmul and conv gradients', async () => {
  const info = await initBackend({ force: 'wasm', report: null, wasmThreads: 2 });
  assert.equal(info.name, 'wasm');
  assert.equal(info.wasmThreads, 2);
  const rng = new Rng(5);
  const a = rng.normalArray(96 * 80);
  const b = rng.normalArray(80 * 64);
  const x = rng.normalArray(4 * 16 * 16 * 8);
  const w = rng.normalArray(4 * 4 * 8 * 16);
  const run = () => tf.tidy(() => {
    const m = tf.matMul(tf.tensor2d(a, [96, 80]), tf.tensor2d(b, [80, 64]));
    const xs = tf.tensor4d(x, [4, 16, 16, 8]);
    const ws = tf.tensor4d(w, [4, 4, 8, 16]);
    const [gx, gw] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same').square().sum())([xs, ws]);
    return [m, gx, gw].map((t) => t.dataSync().slice());
  });
  const onWasm = run();
  assert.ok(await tf.setBackend('cpu'));
  const onCpu = run();
  for (let i = 0; i < onCpu.length; i++) {
    for (let j = 0; j < onCpu[i].length; j++) {
      const d = Math.abs(onWasm[i][j] - onCpu[i][j]);
      assert.ok(d <= 1e-3 * (1 + Math.abs(onCpu[i][j])), `output ${i}[${j}]: ${onWasm[i][j]} vs ${onCpu[i][j]}`);
    }
  }
});
