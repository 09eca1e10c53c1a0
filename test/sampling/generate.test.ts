import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { buildBboxGenerator } from '../../src/models/bbox.js';
import { generate, sampleNoise } from '../../src/sampling/generate.js';
import { GawwnError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('generate runs G in inference mode: deterministic per z, batch-independent, leak-free', () => {
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' } }).model;
  const G = buildBboxGenerator(cfg, 0);
  const z = sampleNoise(new Rng(1), 3, cfg.nz);
  const z2 = sampleNoise(new Rng(1), 3, cfg.nz);
  assert.deepEqual(z.dataSync(), z2.dataSync());
  const t = tf.randomNormal([3, 1024], 0, 1, 'float32', 2) as tf.Tensor2D;
  const box = tf.tensor2d([[0.1, 0.1, 0.5, 0.5], [0.2, 0.3, 0.6, 0.4], [0, 0, 1, 1]]);
  const a = generate(G, z, t, box);
  const n0 = tf.memory().numTensors;
  const b = generate(G, z, t, box);
  assert.equal(tf.memory().numTensors, n0 + 1);
  assert.deepEqual(a.shape, [3, 128, 128, 3]);
  assert.deepEqual(a.dataSync(), b.dataSync());
  // Moving statistics, not batch statistics: sample 0 alone gives the same image as in the batch.
  const one = generate(G, z.slice([0, 0], [1, -1]), t.slice([0, 0], [1, -1]), box.slice([0, 0], [1, -1]));
  const first = a.slice([0, 0, 0, 0], [1, -1, -1, -1]);
  assert.ok(tf.max(tf.abs(tf.sub(one, first))).arraySync() as number < 1e-5);
  assert.throws(() => generate(G, z, t.slice([0, 0], [2, -1]), box), GawwnError);
  tf.dispose([z, z2, t, box, a, b, one, first]);
  G.dispose();
});
