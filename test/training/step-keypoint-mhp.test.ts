import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { createGanTrainer } from '../../src/training/step.js';
import { Rng } from '../../src/util/rng.js';
import { batchFor } from './step-helpers.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('keypoint MHP variant (tiny, ELU + dropout in D): a full step is leak-free after burn-in', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'keypoint', variant: 'mhp', numParts: 17 }, train: { fakeScoreThresh: 0.2 } });
  const tr = createGanTrainer(cfg, new Rng(1));
  const batch = batchFor(cfg);
  await tr.step(batch);
  const n0 = tf.memory().numTensors;
  const r = await tr.step(batch);
  assert.equal(tf.memory().numTensors, n0);
  assert.ok(r.dUpdated && Number.isFinite(r.lossG));
  batch.dispose();
  tr.dispose();
});
