import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { synthBirds } from '../../src/data/synth-birds.js';
import { loadEvalSet, targetsOf } from '../../src/evaluation/eval-data.js';
import { buildEvaluator, runEvaluator, type EvaluatorConfig } from '../../src/evaluation/evaluator.js';
import { loadEvaluator, trainEvaluator } from '../../src/evaluation/train-evaluator.js';
import { initBackend } from '../../src/util/backend.js';

let base = '';
let birds = '';

test.before(async () => {
  // wasm (with the training kernels initBackend registers): the cpu backend's conv gradients are too slow here.
  await initBackend({ force: 'wasm', report: null });
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-evaluator-'));
  birds = path.join(base, 'birds');
  await synthBirds({ out: birds, images: 24, seed: 4, classes: 3 });
});

test.after(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

const tinyCfg = (): EvaluatorConfig => ({
  imageSize: 128,
  numParts: 15,
  partNames: Array.from({ length: 15 }, (_, i) => `p${i}`),
  attributes: ['crown', 'wings'],
  colours: ['red', 'blue', 'green'],
  width: 2,
  featureDim: 8,
});

test('evaluator outputs: features [B,F], box [B,4], keypoints [B,2K], visibility [B,K], attributes [B,A·C]', () => {
  const cfg = tinyCfg();
  const m = buildEvaluator(cfg);
  const out = tf.tidy(() => (m.predict(tf.zeros([2, 128, 128, 3])) as tf.Tensor[]).map((t) => t.shape));
  assert.deepEqual(out, [[2, 8], [2, 4], [2, 30], [2, 15], [2, 6]]);
  assert.throws(() => buildEvaluator({ ...cfg, width: 0 }), /width/);
  m.dispose();
});

test('runEvaluator returns boxes as x,y,w,h, keypoints K×3, argmax colours, and leaks no tensors', async () => {
  const cfg = tinyCfg();
  const m = buildEvaluator(cfg, 3);
  const before = tf.memory().numTensors;
  const imgs = new Float32Array(3 * 64 * 64 * 3).fill(0.1); // resized to 128 inside
  const o = await runEvaluator(m, cfg, imgs, 64, 2);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(o.n, 3);
  assert.equal(o.boxes.length, 12);
  assert.equal(o.keypoints.length, 3 * 15 * 3);
  assert.equal(o.attributes.length, 6);
  for (let i = 0; i < 3; i++) {
    const [x, y, w, h] = o.boxes.subarray(i * 4, i * 4 + 4);
    assert.ok(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= 1 + 1e-6 && y + h <= 1 + 1e-6);
  }
  for (const a of o.attributes) assert.ok(a >= 0 && a < 3);
  await assert.rejects(runEvaluator(m, cfg, new Float32Array(10), 64), /multiple/);
  m.dispose();
});

test('evaluation set: 128² bytes and exact colour targets; mirroring moves x to 1 − x − 1/S and swaps left/right', async () => {
  const set = await loadEvalSet(birds, { split: 'train' });
  const attrs = JSON.parse(fs.readFileSync(path.join(birds, 'attributes.json'), 'utf8'));
  const i = 0;
  const colours = attrs.images.find((im: { imageId: number }) => im.imageId === set.records[i].imageId).colours;
  set.attributes.forEach((a, ai) => assert.equal(set.colours[set.attr[i * set.attributes.length + ai]], colours[a]));
  assert.equal(set.images.length, set.records.length * 128 * 128 * 3);
  const t = targetsOf(set, i, false);
  const f = targetsOf(set, i, true);
  assert.ok(Math.abs(f.box[0] - Math.max(0, 1 - t.box[0] - t.box[2] - 1 / 128)) < 1e-6);
  assert.equal(f.box[2], t.box[2]);
  // left eye (6) ↔ right eye (10).
  if (t.keypoints[10 * 3 + 2] > 0) {
    assert.ok(Math.abs(f.keypoints[6 * 3] - (1 - t.keypoints[10 * 3] - 1 / 128)) < 1e-6);
    assert.equal(f.keypoints[6 * 3 + 1], t.keypoints[10 * 3 + 1]);
  }
});

test('the evaluator learns on a tiny synthetic set (loss decreases), saves and loads back identically', async () => {
  const out = path.join(base, 'ev');
  const r = await trainEvaluator({ dataRoot: birds, outDir: out, steps: 40, batchSize: 8, lr: 3e-3, width: 4, featureDim: 16, log: null, seed: 2 });
  const log = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number });
  assert.equal(log.length, 40);
  const mean = (xs: { loss: number }[]): number => xs.reduce((a, b) => a + b.loss, 0) / xs.length;
  const first = mean(log.slice(0, 5));
  const last = mean(log.slice(-5));
  assert.ok(last < 0.8 * first, `loss ${first} -> ${last}`);
  assert.ok(r.ceiling.boxIou !== null && r.ceiling.boxIou.value >= 0 && r.ceiling.boxIou.value <= 1);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.steps, 40);
  const ev = await loadEvaluator(out);
  assert.deepEqual(ev.config, r.config);
  assert.deepEqual(ev.ceiling, JSON.parse(JSON.stringify(r.ceiling)));
  // Continuing from it (--init): same shape, steps accumulate, and the first loss starts where training ended.
  const out2 = path.join(base, 'ev2');
  const r2 = await trainEvaluator({ dataRoot: birds, outDir: out2, init: out, steps: 2, batchSize: 8, lr: 1e-4, width: 16, log: null, seed: 2 });
  assert.equal(r2.config.width, 4);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out2, 'metrics.json'), 'utf8')).steps, 42);
  assert.ok(r2.firstLoss < first, `continued loss ${r2.firstLoss} vs fresh ${first}`);
  ev.dispose();
  await assert.rejects(loadEvaluator(base), /no evaluator/);
});
