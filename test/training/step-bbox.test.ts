import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { bce } from '../../src/training/losses.js';
import { createGanTrainer } from '../../src/training/step.js';
import { Rng } from '../../src/util/rng.js';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels.js';
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

test('bbox: D learns to tell flat-colour "real" images from G\'s fakes within 12 D-only steps (joint batch statistics)', async () => {
  // With Lua's separate all-real / all-fake passes, D's batch-only BN layers (netD_1, globalD_2) pin both batch
  // means: this stayed at dReal ≈ dFake ≈ 0.5 (step.ts header). wasm for speed; batch 8.
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  try {
    const cfg = resolveConfig('tiny', { model: { family: 'bbox', ngf: 8, ndf: 8 }, train: { batchSize: 8 } });
    const tr = createGanTrainer(cfg, new Rng(1));
    const rng = new Rng(5);
    const B = 8;
    let last = { dReal: 0.5, dFake: 0.5 };
    for (let s = 0; s < 12; s++) {
      const img = new Float32Array(B * 128 * 128 * 3);
      for (let b = 0; b < B; b++) {
        const c = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
        for (let i = 0; i < 128 * 128 * 3; i++) img[b * 128 * 128 * 3 + i] = c[i % 3];
      }
      const batch = { images: tf.tensor4d(img, [B, 128, 128, 3]), txt: tf.tensor2d(rng.normalArray(B * cfg.model.txtSize), [B, cfg.model.txtSize]), box: tf.tensor2d(new Float32Array(B * 4).fill(0.3), [B, 4]), dispose() { tf.dispose([this.images, this.txt, this.box]); } };
      last = await tr.step(batch, { updateG: false });
      batch.dispose();
    }
    assert.ok(last.dReal - last.dFake > 0.15, `dReal ${last.dReal} dFake ${last.dFake}`);
    tr.dispose();
  } finally {
    await tf.setBackend('cpu');
  }
});

test('bbox: the G step scores G(z) in the D step\'s batch composition [real | wrong | fake] (D\'s BN sees the same mix)', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' }, train: { batchSize: 4 } });
  const rng = new Rng(3);
  const tr = createGanTrainer(cfg, rng);
  const batch = batchFor(cfg) as { images: tf.Tensor4D; txt: tf.Tensor2D; box: tf.Tensor2D; dispose(): void };
  const B = 4;
  const replay = new Rng(rng.state()); // the step draws z, then the wrong-text permutation
  const r = await tr.step(batch, { updateD: false, updateG: false });
  const z = tf.tensor2d(replay.normalArray(B * cfg.model.nz), [B, cfg.model.nz]);
  const perm = replay.permutation(B);
  const scoreOfFakes = (withWrong: boolean): number =>
    tf.tidy(() => {
      const fake = tr.G.apply([z, batch.txt, batch.box], { training: true }) as tf.Tensor;
      const tWrong = tf.gather(batch.txt, tf.tensor1d(perm, 'int32'));
      const xs = withWrong ? [batch.images, batch.images, fake] : [batch.images, fake];
      const ts = withWrong ? [batch.txt, tWrong, batch.txt] : [batch.txt, batch.txt];
      const out = tr.D.apply([tf.concat(xs, 0), tf.concat(xs.map(() => batch.box), 0), tf.concat(ts, 0)], { training: true }) as tf.Tensor;
      const pFake = out.slice([(xs.length - 1) * B, 0], [B, 1]);
      return bce(pFake, 1).dataSync()[0]; // the G loss, BCE(D(G(z)), 1)
    });
  const sameMix = scoreOfFakes(true);
  const halfMix = scoreOfFakes(false);
  assert.ok(Math.abs(r.lossG - sameMix) < 1e-5, `lossG ${r.lossG} vs BCE over [real|wrong|fake] ${sameMix}`);
  assert.ok(Math.abs(halfMix - sameMix) > 1e-4, `the two compositions should score differently (${halfMix} vs ${sameMix})`);
  z.dispose();
  batch.dispose();
  tr.dispose();
});

test('bbox: instance noise adds N(0, σ²) from the Rng to each D pass; D and G losses are those of D on the noisy batches', async () => {
  const sigma = 0.3;
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' }, train: { batchSize: 4, instanceNoise: sigma } });
  const rng = new Rng(3);
  const tr = createGanTrainer(cfg, rng);
  const batch = batchFor(cfg) as { images: tf.Tensor4D; txt: tf.Tensor2D; box: tf.Tensor2D; dispose(): void };
  const B = 4;
  const size = 3 * B * 128 * 128 * 3;
  const replay = new Rng(rng.state()); // z, the wrong-text permutation, the D step's noise, the G step's noise
  const r = await tr.step(batch, { updateD: false, updateG: false });
  const z = tf.tensor2d(replay.normalArray(B * cfg.model.nz), [B, cfg.model.nz]);
  const perm = replay.permutation(B);
  const noiseD = replay.normalArray(size, sigma);
  const noiseG = replay.normalArray(size, sigma);
  const scores = (noise: Float32Array | null): Float32Array =>
    tf.tidy(() => {
      const fake = tr.G.apply([z, batch.txt, batch.box], { training: true }) as tf.Tensor;
      const tWrong = tf.gather(batch.txt, tf.tensor1d(perm, 'int32'));
      let x = tf.concat([batch.images, batch.images, fake], 0);
      if (noise !== null) x = tf.add(x, tf.tensor(noise, x.shape));
      const out = tr.D.apply([x, tf.concat([batch.box, batch.box, batch.box], 0), tf.concat([batch.txt, tWrong, batch.txt], 0)], { training: true }) as tf.Tensor;
      return out.dataSync() as Float32Array;
    });
  const mean = (a: Float32Array, from: number): number => a.slice(from, from + B).reduce((s, v) => s + v, 0) / B;
  const dStep = scores(noiseD);
  assert.ok(Math.abs(r.dReal - mean(dStep, 0)) < 1e-5, `D(real + noise) ${r.dReal} vs ${mean(dStep, 0)}`);
  assert.ok(Math.abs(r.dFake - mean(dStep, 2 * B)) < 1e-5, `D(fake + noise) ${r.dFake} vs ${mean(dStep, 2 * B)}`);
  const gStep = scores(noiseG);
  const lossG = -gStep.slice(2 * B).reduce((s, v) => s + Math.log(v), 0) / B; // BCE(D(G(z) + noise), 1)
  assert.ok(Math.abs(r.lossG - lossG) < 1e-4, `lossG ${r.lossG} vs ${lossG}`);
  const clean = scores(null);
  assert.ok(Math.abs(mean(clean, 0) - r.dReal) > 1e-4, 'the noise changes what D sees');
  const sd = Math.sqrt(noiseD.reduce((s, v) => s + v * v, 0) / size);
  assert.ok(Math.abs(sd - sigma) < 0.01, `noise sd ${sd}`);
  z.dispose();
  batch.dispose();
  tr.dispose();
});

test("bbox: train.dLrScale sets D's Adam rate to lr·scale (first Adam step moves each weight by at most that rate), and the schedule keeps the ratio", async () => {
  // Adam's first update is lr·m̂/(√v̂ + ε) = lr·g/(|g| + ε): every weight with a non-zero gradient moves by ≈ lr, so
  // the largest move of a net is its learning rate.
  const lr = 2e-4;
  const scale = 0.25;
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' }, train: { batchSize: 4, lr, dLrScale: scale } });
  const tr = createGanTrainer(cfg, new Rng(5));
  const batch = batchFor(cfg);
  const g0 = snapshot(tr.G);
  const d0 = snapshot(tr.D);
  const r = await tr.step(batch);
  assert.equal(r.dUpdated, true);
  const maxMove = (before: Float32Array[], m: tf.LayersModel): number => {
    const after = snapshot(m);
    let mx = 0;
    m.weights.forEach((w, i) => {
      if (!w.trainable) return;
      for (let j = 0; j < after[i].length; j++) mx = Math.max(mx, Math.abs(after[i][j] - before[i][j]));
    });
    return mx;
  };
  const dMove = maxMove(d0, tr.D);
  const gMove = maxMove(g0, tr.G);
  assert.ok(Math.abs(dMove - lr * scale) < 0.02 * lr * scale, `D's largest first-step move ${dMove}, expected ${lr * scale}`);
  assert.ok(Math.abs(gMove - lr) < 0.02 * lr, `G's largest first-step move ${gMove}, expected ${lr}`);
  tr.setLearningRate(1e-4); // the schedule's halving
  assert.equal((tr.optimizerG as unknown as { learningRate: number }).learningRate, 1e-4);
  assert.equal((tr.optimizerD as unknown as { learningRate: number }).learningRate, 1e-4 * scale);
  assert.throws(() => resolveConfig('tiny', { train: { dLrScale: 0 } }), /train\.dLrScale/);
  assert.equal(resolveConfig('paper').train.dLrScale, 1);
  batch.dispose();
  tr.dispose();
});
