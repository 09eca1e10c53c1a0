import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { buildKeypointCompleter, buildKeypointCritic } from '../../src/models/keypoint-gen.js';
import { countForwardMacs, runBench, stepFlops } from '../../src/bench/training.js';
import { main } from '../../src/cli/main.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('forward MACs count conv (Ho·Wo·k²·Cin·Cout), transposed conv (Hin·Win·k²·Cin·Cout) and dense (in·out)', () => {
  const x = tf.input({ shape: [8, 8, 2] });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor; // 8·8·9·2·4
  h = tf.layers.conv2d({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' }).apply(h) as tf.SymbolicTensor; // 4·4·16·4·3
  h = tf.layers.conv2dTranspose({ filters: 5, kernelSize: 4, strides: 2, padding: 'same' }).apply(h) as tf.SymbolicTensor; // 4·4·16·3·5
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor; // not counted
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 7 }).apply(h) as tf.SymbolicTensor; // 320·7
  const m = tf.model({ inputs: x, outputs: y });
  assert.equal(countForwardMacs(m), 8 * 8 * 9 * 2 * 4 + 4 * 4 * 16 * 4 * 3 + 4 * 4 * 16 * 3 * 5 + 320 * 7);
  m.dispose();
});

test('step FLOPs = 4·F_G + 12·F_D (image families) or 4·F_G + 9·F_D (keypoint-gen), F = 2·MACs·B', () => {
  const cfg = resolveConfig('tiny', { model: { family: 'keypoint-gen' } }).model;
  const G = buildKeypointCompleter(cfg);
  const D = buildKeypointCritic(cfg);
  const fG = 2 * countForwardMacs(G) * 16;
  const fD = 2 * countForwardMacs(D) * 16;
  // Gk: Linear layers only; check the MAC count against the layer list too.
  const g = cfg.ngf;
  assert.equal(countForwardMacs(G), 100 * 4 * g + 1024 * 4 * g + 45 * 4 * g + 4 * g * 2 * g + 10 * g * 8 * g + 8 * g * 4 * g + 4 * g * 2 * g + 2 * g * 45);
  assert.equal(stepFlops(G, D, 'keypoint-gen', 16), 4 * fG + 9 * fD);
  assert.equal(stepFlops(G, D, 'keypoint', 16), 4 * fG + 12 * fD);
  G.dispose();
  D.dispose();
});

test('runBench reports a leak-free run with consistent numbers', async () => {
  const r = await runBench({ model: 'keypoint-gen', preset: 'tiny', batch: 4, steps: 2, backend: 'cpu' });
  assert.equal(r.tensor_delta, 0);
  assert.equal(r.model, 'keypoint-gen');
  assert.equal(r.batch, 4);
  assert.ok(r.step_s > 0 && r.sample_images_per_s > 0 && r.gflop_per_step > 0);
  assert.ok(Math.abs(r.gflops - r.gflop_per_step / r.step_s) <= 0.01 * r.gflops + 2e-3);
});

test('gawwn bench --json prints one JSON line; bad flags exit 2', async () => {
  process.env.GAWWN_BACKEND = 'cpu';
  const out: string[] = [];
  const err: string[] = [];
  const w = process.stdout.write.bind(process.stdout);
  const we = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
  let code: number;
  let bad: number;
  try {
    code = await main(['bench', '--model', 'keypoint-gen', '--preset', 'tiny', '--batch', '2', '--steps', '1', '--json']);
    bad = await main(['bench', '--batch', 'x']);
  } finally {
    process.stdout.write = w;
    process.stderr.write = we;
  }
  assert.equal(code, 0, err.join(''));
  const lines = out.join('').trim().split('\n');
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(j), ['backend', 'model', 'preset', 'batch', 'steps', 'step_s', 'sample_images_per_s', 'gflop_per_step', 'gflops', 'tensor_delta']);
  assert.equal(j.backend, 'cpu');
  assert.equal(j.tensor_delta, 0);
  assert.equal(bad, 2);
  assert.ok(err.some((s) => /--batch must be/.test(s)));
});
