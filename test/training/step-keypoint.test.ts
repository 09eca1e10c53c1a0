import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { createGanTrainer } from '../../src/training/step.js';
import { Rng } from '../../src/util/rng.js';
import { batchFor, changed, identical, snapshot } from './step-helpers.js';

// Image-family steps on the cpu backend are slow (its Conv2DBackpropFilter is a scalar loop), so each
// step here is doing double duty: burn-in, leak check and the D-only / G-only weight checks.
test.before(async () => {
  await tf.setBackend('cpu');
});

test('keypoint (tiny): after a burn-in step, D-only and G-only steps are leak-free and leave the other net bit-identical', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'keypoint' } });
  const tr = createGanTrainer(cfg, new Rng(0));
  const batch = batchFor(cfg);
  await tr.step(batch); // burn-in: Adam creates its moment variables on the first update
  let g0 = snapshot(tr.G);
  let d0 = snapshot(tr.D);
  let n0 = tf.memory().numTensors;
  const r0 = await tr.step(batch, { updateG: false });
  assert.equal(tf.memory().numTensors, n0, 'tensor leak in a keypoint D-only step');
  assert.ok(identical(g0, snapshot(tr.G)), 'G changed during a D-only step');
  assert.equal(changed(d0, tr.D).trainable, tr.D.trainableWeights.length);
  const w = cfg.train.clsWeight;
  assert.ok(Math.abs(r0.lossD - (r0.lossReal + w * r0.lossWrong + (1 - w) * r0.lossFake)) < 1e-5, JSON.stringify(r0));
  g0 = snapshot(tr.G);
  d0 = snapshot(tr.D);
  n0 = tf.memory().numTensors;
  await tr.step(batch, { updateD: false });
  assert.equal(tf.memory().numTensors, n0, 'tensor leak in a keypoint G-only step');
  assert.ok(identical(d0, snapshot(tr.D)), 'D changed during a G-only step');
  assert.equal(changed(g0, tr.G).trainable, tr.G.trainableWeights.length);
  batch.dispose();
  tr.dispose();
});
