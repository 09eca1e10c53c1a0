import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { createGanTrainer } from '../../src/training/step.js';
import { Rng } from '../../src/util/rng.js';
import { batchFor, changed, identical, snapshot } from './step-helpers.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('bbox (tiny): after a burn-in step, a D-only step is leak-free and leaves G bit-identical', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' } });
  const tr = createGanTrainer(cfg, new Rng(0));
  const batch = batchFor(cfg);
  await tr.step(batch); // burn-in: Adam creates its moment variables on the first update
  const g0 = snapshot(tr.G);
  const d0 = snapshot(tr.D);
  const n0 = tf.memory().numTensors;
  const r = await tr.step(batch, { updateG: false });
  assert.equal(tf.memory().numTensors, n0, 'tensor leak in a bbox step');
  assert.ok(identical(g0, snapshot(tr.G)), 'G changed during a D-only step');
  assert.equal(changed(d0, tr.D).trainable, tr.D.trainableWeights.length);
  const w = cfg.train.clsWeight;
  assert.ok(Math.abs(r.lossD - (r.lossReal + w * r.lossWrong + (1 - w) * r.lossFake)) < 1e-5, JSON.stringify(r));
  for (const v of [r.lossD, r.lossG, r.dReal, r.dFake]) assert.ok(Number.isFinite(v));
  batch.dispose();
  tr.dispose();
});
