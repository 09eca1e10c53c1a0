import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveGanIntClsConfig } from '../../src/config/gan-int-cls.js';
import { bceLoss, createGanIntClsTrainer, interpolateText, interpolatedLossWeights, type GanIntClsBatch } from '../../src/training/gan-int-cls-step.js';
import { GawwnError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number, b: number, tol = 2e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const EPS = 1e-12;

test('interpolateText appends (t_i + t_{i+B/2})/2 for i < B/2 (I: interp_type=1); odd B is rejected; no leak', () => {
  const t = tf.tensor2d([[0, 1], [2, 3], [4, 9], [8, -1]]);
  const n0 = tf.memory().numTensors;
  const out = interpolateText(t);
  assert.equal(tf.memory().numTensors, n0 + 1);
  assert.deepEqual(out.shape, [6, 2]);
  assert.deepEqual(out.arraySync(), [[0, 1], [2, 3], [4, 9], [8, -1], [2, 5], [5, 1]]);
  const odd = tf.zeros([3, 2]) as tf.Tensor2D;
  assert.throws(() => interpolateText(odd), (e: unknown) => e instanceof GawwnError && /even batch.*B = 3/.test(e.message));
  tf.dispose([t, out, odd]);
});

test('bceLoss is Torch BCECriterion(weights): -Σ w·log(q + 1e-12) / n, n = element count', () => {
  const p = tf.tensor2d([[0.8], [0.6], [0.3]]);
  const w = interpolatedLossWeights(2, 0.5); // 2 + 1 samples: weights [1, 1, 0.5]
  assert.deepEqual(Array.from(w.dataSync()), [1, 1, 0.5]);
  const l1 = bceLoss(p, 1, w);
  close(l1.dataSync()[0], -(Math.log(0.8) + Math.log(0.6) + 0.5 * Math.log(0.3)) / 3);
  const l0 = bceLoss(p, 0);
  close(l0.dataSync()[0], -(Math.log(0.2) + Math.log(0.4) + Math.log(0.7)) / 3);
  const zero = tf.tensor1d([0]);
  close(bceLoss(zero, 1).dataSync()[0], -Math.log(EPS));
  tf.dispose([p, w, l1, l0, zero]);
});

/** A fixed batch of B rows; wrong images differ from the real ones. */
function makeBatch(B: number, txtSize: number): GanIntClsBatch {
  const images = tf.randomUniform([B, 64, 64, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  const wrongImages = tf.randomUniform([B, 64, 64, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  const txt = tf.randomNormal([B, txtSize], 0, 1, 'float32', 5) as tf.Tensor2D;
  return { images, wrongImages, txt, dispose: () => tf.dispose([images, wrongImages, txt]) };
}

const snapshot = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.read().dataSync().slice());
const sameWeights = (a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>) => a.length === b.length && a.every((x, i) => x.length === b[i].length && x.every((v, j) => Object.is(v, b[i][j])));

test('tiny trainer: D and G losses match the GAN-INT-CLS formulas, each step leaves the other net bit-identical, G sees 1.5·B samples, no leak after burn-in', async () => {
  const cfg = resolveGanIntClsConfig('tiny');
  const { nz, txtSize } = cfg.model;
  const B = cfg.train.batchSize;
  assert.equal(B, 4);
  const rng = new Rng(11);
  const tr = createGanIntClsTrainer(cfg, rng);
  const probe = new Rng(rng.state()); // replays the trainer's noise draws
  const batch = makeBatch(B, txtSize);
  const { G, D } = tr;
  const col = (x: tf.Tensor) => Array.from(x.dataSync());

  // --- D step: errD = BCE(real, 1) + 0.5·BCE(wrong image, 0) + 0.5·BCE(fake, 0).
  const zD = tf.tensor2d(probe.normalArray(B * nz), [B, nz]);
  const [pR, pW, pF] = tf.tidy(() => {
    const fake = G.apply([zD, batch.txt], { training: true }) as tf.Tensor;
    return [batch.images, batch.wrongImages, fake].map((x) => col(D.apply([x, batch.txt], { training: true }) as tf.Tensor));
  });
  const real = mean(pR.map((p) => -Math.log(p + EPS)));
  const wrong = mean(pW.map((p) => -Math.log(1 - p + EPS)));
  const fake = mean(pF.map((p) => -Math.log(1 - p + EPS)));
  const g0 = snapshot(G);
  const d0 = snapshot(D);
  const rd = await tr.stepD(batch);
  close(rd.lossReal, real);
  close(rd.lossWrong, wrong);
  close(rd.lossFake, fake);
  close(rd.lossD, real + 0.5 * wrong + 0.5 * fake);
  close(rd.dReal, mean(pR));
  close(rd.dWrong, mean(pW));
  close(rd.dFake, mean(pF));
  assert.ok(Math.abs(wrong - real) > 1e-3, 'the wrong pass really uses the wrong images');
  assert.ok(sameWeights(snapshot(G), g0), 'D step leaves G bit-identical');
  assert.ok(!sameWeights(snapshot(D), d0), 'D step changes D');

  // --- G step on [t; interpolations] with fresh noise for all 1.5·B samples, through the updated D.
  const t = batch.txt.arraySync();
  const tI = tf.tensor2d([...t, ...t.slice(0, B / 2).map((row, i) => row.map((v, j) => (v + t[i + B / 2][j]) / 2))]);
  const zG = tf.tensor2d(probe.normalArray((B + B / 2) * nz), [B + B / 2, nz]);
  const pG = tf.tidy(() => col(D.apply([G.apply([zG, tI], { training: true }) as tf.Tensor, tI], { training: true }) as tf.Tensor));
  assert.equal(pG.length, 6);
  const g1 = snapshot(G);
  const d1 = snapshot(D);
  const rg = await tr.stepG(batch);
  assert.equal(rg.gBatchSize, 6);
  close(rg.lossG, mean(pG.map((p) => -Math.log(p + EPS))));
  close(rg.dFakeG, mean(pG));
  assert.ok(sameWeights(snapshot(D), d1), 'G step leaves D bit-identical');
  assert.ok(!sameWeights(snapshot(G), g1), 'G step changes G');
  tf.dispose([zD, zG, tI]);

  // --- Leak check: after the burn-in (Adam slots now exist for both nets) a full step adds no tensor.
  const n0 = tf.memory().numTensors;
  const r = await tr.step(batch);
  assert.equal(tf.memory().numTensors, n0);
  assert.ok([r.lossD, r.lossG, r.lossReal, r.lossWrong, r.lossFake].every(Number.isFinite));
  batch.dispose();
  tr.dispose();
});

test('interpWeight weights the B/2 interpolated samples in G\'s loss; the denominator stays 1.5·B', async () => {
  const cfg = resolveGanIntClsConfig('tiny', { train: { batchSize: 2, interpWeight: 0.25 } });
  const { nz, txtSize } = cfg.model;
  const rng = new Rng(3);
  const tr = createGanIntClsTrainer(cfg, rng);
  const probe = new Rng(rng.state());
  const batch = makeBatch(2, txtSize);
  const tI = tf.tidy(() => tf.concat([batch.txt, tf.mean(batch.txt, 0, true)], 0));
  const zG = tf.tensor2d(probe.normalArray(3 * nz), [3, nz]);
  const p = tf.tidy(() => Array.from((tr.D.apply([tr.G.apply([zG, tI], { training: true }) as tf.Tensor, tI], { training: true }) as tf.Tensor).dataSync()));
  const rg = await tr.stepG(batch);
  assert.equal(rg.gBatchSize, 3);
  close(rg.lossG, -(Math.log(p[0]) + Math.log(p[1]) + 0.25 * Math.log(p[2])) / 3);
  tf.dispose([tI, zG]);
  batch.dispose();
  tr.dispose();
});

test('bad batches are rejected with a GawwnError naming the tensor; setLearningRate updates both optimisers', async () => {
  const cfg = resolveGanIntClsConfig('tiny', { train: { batchSize: 2 } });
  const tr = createGanIntClsTrainer(cfg, new Rng(1));
  const good = makeBatch(2, cfg.model.txtSize);
  const small = tf.zeros([2, 32, 32, 3]) as tf.Tensor4D;
  const odd = makeBatch(3, cfg.model.txtSize);
  const n0 = tf.memory().numTensors;
  await assert.rejects(tr.stepD({ ...good, wrongImages: small }), (e: unknown) => e instanceof GawwnError && /batch\.wrongImages must be \[2, 64, 64, 3\], got \[2, 32, 32, 3\]/.test(e.message));
  await assert.rejects(tr.stepG({ ...good, txt: tf.zeros([2, 7]) as tf.Tensor2D }), (e: unknown) => e instanceof GawwnError && /batch\.txt must be \[B, 1024\], got \[2, 7\]/.test(e.message));
  await assert.rejects(tr.step(odd), (e: unknown) => e instanceof GawwnError && /batch size must be even.*got 3/.test(e.message));
  assert.equal(tf.memory().numTensors, n0 + 1); // only the zeros([2, 7]) made inline above
  tr.setLearningRate(1e-4);
  for (const o of [tr.optimizerG, tr.optimizerD]) assert.equal((o as unknown as { learningRate: number }).learningRate, 1e-4);
  assert.throws(() => tr.setLearningRate(-1), GawwnError);
  tf.dispose([small]);
  good.dispose();
  odd.dispose();
  tr.dispose();
});
