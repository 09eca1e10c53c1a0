/** The stable recipe's trainer (TrainConfig.recipe 'stable'): spectral-norm D, hinge, projection, EMA, mode seeking, augmentation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { spectralLayers } from '../../src/layers/spectral-norm.js';
import { familyBuilders } from '../../src/models/registry.js';
import { createGanTrainer, emaDecay, fakeConditionIndices, nextFakeScore } from '../../src/training/step.js';
import { Rng } from '../../src/util/rng.js';
import { batchFor, snapshot } from './step-helpers.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('stable D: no batch norm, every kernel spectrally normalised, a logit output with the projection term', () => {
  for (const family of ['bbox', 'keypoint', 'keypoint-gen'] as const) {
    const cfg = resolveConfig('tiny', { model: { family }, train: { recipe: 'stable' } });
    assert.deepEqual([cfg.model.dNorm, cfg.model.dOutput, cfg.model.dProjection, cfg.train.loss], ['spectral', 'logit', true, 'hinge']);
    const D = familyBuilders(family).buildD(cfg.model, 1);
    assert.equal(D.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 0, family);
    const kernels = D.layers.filter((l) => l.getClassName() === 'Conv2D' || l.getClassName() === 'Dense');
    assert.equal(kernels.length, 0, `${family}: plain kernels ${kernels.map((l) => l.name)}`);
    assert.ok(spectralLayers(D).some((l) => l.name === 'netD_projection'));
    assert.ok(!D.layers.some((l) => l.name === 'netD_prob'));
    D.dispose();
  }
});

test('a spectral D scores each sample on its own (no batch coupling), in training mode', () => {
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' }, train: { recipe: 'stable' } });
  const D = familyBuilders('bbox').buildD(cfg.model, 1);
  const img = tf.randomUniform([3, 128, 128, 3], -1, 1, 'float32', 4);
  const box = tf.tensor2d([[0.1, 0.2, 0.5, 0.5], [0.3, 0.3, 0.4, 0.6], [0, 0, 1, 1]]);
  const t = tf.randomNormal([3, cfg.model.txtSize], 0, 1, 'float32', 5);
  const a = (D.apply([img.slice(0, 2), box.slice(0, 2), t.slice(0, 2)], { training: true }) as tf.Tensor).dataSync();
  const b = (D.apply([tf.gather(img, [0, 2]), tf.gather(box, [0, 2]), tf.gather(t, [0, 2])], { training: true }) as tf.Tensor).dataSync();
  assert.ok(Math.abs(a[0] - b[0]) < 1e-5, `${a[0]} vs ${b[0]}`);
  D.dispose();
});

for (const family of ['bbox', 'keypoint', 'keypoint-gen'] as const) {
  test(`${family} (tiny, stable): leak-free steps, hinge losses consistent, the averaged G follows β's warm-up`, async () => {
    const cfg = resolveConfig('tiny', { model: { family }, train: { recipe: 'stable', batchSize: 4 } });
    const tr = createGanTrainer(cfg, new Rng(0));
    assert.ok(tr.Gema !== null);
    const batch = batchFor(cfg);
    const g0 = snapshot(tr.G);
    assert.deepEqual(snapshot(tr.Gema!), g0, 'Gema starts as G');
    const wrongIndex = [1, 0, 3, 2];
    const r1 = await tr.step(batch, { wrongIndex });
    // After one update: Gema = β₀·G₀ + (1 − β₀)·G₁, β₀ = min(0.999, 1/10).
    const beta0 = emaDecay(0.999, 0);
    assert.equal(beta0, 0.1);
    const g1 = snapshot(tr.G);
    const e1 = snapshot(tr.Gema!);
    const ti = tr.G.weights.findIndex((w) => w.trainable);
    for (let j = 0; j < 5; j++) assert.ok(Math.abs(e1[ti][j] - (beta0 * g0[ti][j] + (1 - beta0) * g1[ti][j])) < 1e-6);
    assert.equal(tr.emaUpdates, 1);
    const n0 = tf.memory().numTensors;
    const r = await tr.step(batch, { wrongIndex });
    assert.equal(tf.memory().numTensors, n0, 'tensor leak in a stable step');
    const w = cfg.train.clsWeight;
    assert.ok(Math.abs(r.lossD - (r.lossReal + (family === 'keypoint-gen' ? 1 : w) * r.lossWrong + (family === 'keypoint-gen' ? 1 : 1 - w) * r.lossFake)) < 1e-5, JSON.stringify(r));
    for (const v of [r.lossD, r.lossG, r.dReal, r.dFake, r.modeSeeking, r1.lossG]) assert.ok(Number.isFinite(v), JSON.stringify(r));
    // Hinge terms are ≥ 0; the mode-seeking term is positive (G(z₁) ≠ G(z₂)).
    assert.ok(r.lossReal >= 0 && r.lossFake >= 0 && r.modeSeeking > 0, JSON.stringify(r));
    tr.refreshAveraged();
    assert.equal(tf.memory().numTensors, n0, 'refreshAveraged leaks');
    batch.dispose();
    tr.dispose();
  });
}

test('refreshAveraged recomputes only the averaged G\'s batch-norm statistics', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' }, train: { recipe: 'stable', batchSize: 4 } });
  const tr = createGanTrainer(cfg, new Rng(2));
  const batch = batchFor(cfg);
  await tr.step(batch);
  const before = snapshot(tr.Gema!);
  const g = snapshot(tr.G);
  tr.refreshAveraged();
  const after = snapshot(tr.Gema!);
  tr.Gema!.weights.forEach((w, i) => {
    const same = before[i].every((v, j) => v === after[i][j]);
    if (w.trainable) assert.ok(same, `trainable ${w.name} changed`);
  });
  assert.ok(tr.Gema!.weights.some((w, i) => !w.trainable && !before[i].every((v, j) => v === after[i][j])), 'no statistic moved');
  assert.deepEqual(snapshot(tr.G), g, 'G untouched');
  batch.dispose();
  tr.dispose();
});

test('mode seeking pairs conditions: B/2 conditions × 2 noise vectors', () => {
  assert.deepEqual(fakeConditionIndices(6, true), [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(fakeConditionIndices(5, true), [0, 1, 0, 1, 4]);
  assert.equal(fakeConditionIndices(6, false), null);
  assert.equal(fakeConditionIndices(1, true), null);
});

test('MHP gate: both EMA updates of a step use the D pass\'s (pre-update) fake score, hand-computed', () => {
  // fake_score = 0.99·fake_score + 0.01·s, twice per step with the same s (Lua's fGx reuses netD.output).
  let f = 0.5;
  const seq = [0.3, 0.1, 0.9];
  const want = [0.49602, 0.488139202, 0.4963352319];
  seq.forEach((s, i) => {
    f = nextFakeScore(f, s);
    assert.ok(Math.abs(f - want[i]) < 1e-7, `step ${i + 1}: ${f}`);
  });
});

test('paper recipe is unchanged by the new options: same losses as the paper step formulas (BCE on probabilities)', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' } });
  assert.equal(cfg.train.recipe, 'paper');
  assert.equal(cfg.model.dNorm, 'batch');
  const tr = createGanTrainer(cfg, new Rng(0));
  assert.equal(tr.Gema, null);
  const batch = batchFor(cfg);
  const r = await tr.step(batch);
  assert.ok(r.dReal > 0 && r.dReal < 1 && r.dFake > 0 && r.dFake < 1);
  assert.equal(r.modeSeeking, 0);
  batch.dispose();
  tr.dispose();
});

test('stable recipe: D updates on every step although a logit D\'s fake scores are negative (no gate at fakeScoreThresh 0)', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'keypoint-gen' }, train: { recipe: 'stable', batchSize: 4 } });
  const tr = createGanTrainer(cfg, new Rng(4));
  tr.fakeScore = -3; // what the EMA of negative logits reaches
  const batch = batchFor(cfg);
  const d0 = snapshot(tr.D);
  const r = await tr.step(batch);
  assert.equal(r.dUpdated, true);
  assert.ok(snapshot(tr.D).some((w, i) => tr.D.weights[i].trainable && !w.every((v, j) => v === d0[i][j])), 'D did not move');
  assert.throws(() => resolveConfig('cpu', { train: { fakeScoreThresh: 0.2 } }), /fakeScoreThresh = 0.2 needs model.dOutput = prob/);
  batch.dispose();
  tr.dispose();
});
