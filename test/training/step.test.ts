import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { createGanTrainer, withFrozenStats } from '../../src/training/step.js';
import { Rng } from '../../src/util/rng.js';
import { batchFor, changed, identical, snapshot } from './step-helpers.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

const cfgKg = resolveConfig('tiny', { model: { family: 'keypoint-gen' }, train: { batchSize: 8 } });

test('keypoint-gen: numTensors unchanged after a burn-in step; losses are finite and consistent', async () => {
  const tr = createGanTrainer(cfgKg, new Rng(0));
  const batch = batchFor(cfgKg);
  await tr.step(batch);
  const n0 = tf.memory().numTensors;
  const r = await tr.step(batch);
  assert.equal(tf.memory().numTensors, n0);
  assert.equal(r.lossWrong, 0);
  assert.ok(Math.abs(r.lossD - (r.lossReal + r.lossFake)) < 1e-5, JSON.stringify(r));
  for (const v of Object.values(r)) assert.ok(typeof v === 'boolean' || Number.isFinite(v));
  batch.dispose();
  tr.dispose();
});

test('keypoint-gen: a D update leaves G bit-identical (incl. BN statistics) and vice versa', async () => {
  const tr = createGanTrainer(cfgKg, new Rng(1));
  const batch = batchFor(cfgKg);
  let g0 = snapshot(tr.G);
  let d0 = snapshot(tr.D);
  const r = await tr.step(batch, { updateG: false });
  assert.ok(r.dUpdated);
  assert.ok(identical(g0, snapshot(tr.G)), 'G changed during a D-only step');
  const dc = changed(d0, tr.D);
  assert.equal(dc.trainable, tr.D.trainableWeights.length, 'every D weight moves under Adam');
  assert.ok(dc.stats > 0, 'D BN statistics updated by its passes');
  g0 = snapshot(tr.G);
  d0 = snapshot(tr.D);
  await tr.step(batch, { updateD: false });
  assert.ok(identical(d0, snapshot(tr.D)), 'D changed during a G-only step');
  const gc = changed(g0, tr.G);
  assert.equal(gc.trainable, tr.G.trainableWeights.length);
  assert.ok(gc.stats > 0);
  batch.dispose();
  tr.dispose();
});

test('same seed -> same losses; the fake-score gate closes D\'s update', async () => {
  const run = async (seed: number) => {
    const tr = createGanTrainer(cfgKg, new Rng(seed));
    const b = batchFor(cfgKg);
    const r = [await tr.step(b), await tr.step(b)];
    b.dispose();
    tr.dispose();
    return r;
  };
  assert.deepEqual(await run(5), await run(5));
  assert.notDeepEqual(await run(5), await run(6));
  const gated = resolveConfig('tiny', { model: { family: 'keypoint-gen' }, train: { batchSize: 8, fakeScoreThresh: 0.6 } });
  const tr = createGanTrainer(gated, new Rng(2));
  const b = batchFor(gated);
  const d0 = snapshot(tr.D);
  const r = await tr.step(b, { updateG: false });
  assert.equal(r.dUpdated, false); // the EMA starts at 0.5 < 0.6
  assert.equal(changed(d0, tr.D).trainable, 0);
  assert.ok(Math.abs(tr.fakeScore - (0.99 * (0.99 * 0.5 + 0.01 * r.dFake) + 0.01 * tr.fakeScore * 0)) < 0.01);
  b.dispose();
  tr.dispose();
});

test('BatchNorm in training mode updates moving stats without leaking; withFrozenStats restores them', () => {
  const tr = createGanTrainer(cfgKg, new Rng(3));
  const z = tf.randomNormal([8, cfgKg.model.nz]);
  const t = tf.randomNormal([8, 1024]);
  const k = tf.zeros([8, 15, 3]);
  const run = () => tf.dispose(tr.G.apply([z, t, k], { training: true }) as tf.Tensor);
  run();
  const n0 = tf.memory().numTensors;
  const s0 = snapshot(tr.G);
  run();
  run();
  assert.equal(tf.memory().numTensors, n0);
  assert.ok(changed(s0, tr.G).stats > 0);
  const s1 = snapshot(tr.G);
  withFrozenStats(tr.G, run);
  assert.ok(identical(s1, snapshot(tr.G)));
  assert.equal(tf.memory().numTensors, n0);
  tf.dispose([z, t, k]);
  tr.dispose();
});

test('setLearningRate validates and changes the Adam step size', async () => {
  const tr = createGanTrainer(cfgKg, new Rng(4));
  assert.throws(() => tr.setLearningRate(0));
  tr.setLearningRate(1e-3);
  assert.equal((tr.optimizerG as unknown as { learningRate: number }).learningRate, 1e-3);
  assert.equal((tr.optimizerD as unknown as { learningRate: number }).learningRate, 1e-3);
  tr.dispose();
});
