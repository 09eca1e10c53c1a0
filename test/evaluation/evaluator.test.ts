import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { synthBirds } from '../../src/data/synth-birds.js';
import { synthPeople } from '../../src/data/synth-people.js';
import { loadEvalSet, maskOf, readSyntheticAttributes, targetsOf } from '../../src/evaluation/eval-data.js';
import { buildEvaluator, evaluatorLoss, keypointBox, runEvaluator, softArgmax, widenEvaluator, type EvaluatorConfig } from '../../src/evaluation/evaluator.js';
import { augmentImages, chooseBoxRule, fitColourCentroids, loadEvaluator, trainEvaluator } from '../../src/evaluation/train-evaluator.js';
import { initBackend } from '../../src/backend/select.js';
import { Rng } from '../../src/util/rng.js';

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
  regions: ['crown', 'wings', 'eye'],
  colourCentroids: [
    [[200, 30, 30], [30, 30, 200], null],
    [[200, 30, 30], [30, 30, 200], [30, 200, 30]],
  ],
  boxFrom: 'mask',
});

test('evaluator outputs: features [B,F], heatmaps [B,64,64,K], visibility [B,K], segmentation [B,64,64,R+1]', () => {
  const cfg = tinyCfg();
  const m = buildEvaluator(cfg);
  const out = tf.tidy(() => (m.predict(tf.zeros([2, 128, 128, 3])) as tf.Tensor[]).map((t) => t.shape));
  assert.deepEqual(out, [[2, 8], [2, 64, 64, 15], [2, 15], [2, 64, 64, 4]]);
  assert.throws(() => buildEvaluator({ ...cfg, width: 0 }), /width/);
  assert.throws(() => buildEvaluator({ ...cfg, regions: [] }), /region/);
  assert.throws(() => buildEvaluator({ ...cfg, boxFrom: 'x' as 'mask' }), /boxFrom/);
  m.dispose();
});

test('softArgmax: a sharp peak reads its cell centre, two equal peaks their midpoint, a flat map the centre', () => {
  const H = 8;
  const W = 16;
  const v = new Float32Array(2 * H * W * 2);
  const at = (b: number, y: number, x: number, k: number): number => ((b * H + y) * W + x) * 2 + k;
  v[at(0, 3, 5, 0)] = 60; // part 0: one peak at row 3, column 5
  v[at(0, 1, 2, 1)] = 60; // part 1: two equal peaks (1,2) and (5,10)
  v[at(0, 5, 10, 1)] = 60; // image 1: all zeros → uniform
  const r = tf.tidy(() => softArgmax(tf.tensor4d(v, [2, H, W, 2])).arraySync());
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-5, `${a} vs ${b}`);
  close(r[0][0][0], 5.5 / W);
  close(r[0][0][1], 3.5 / H);
  close(r[0][1][0], (2.5 / W + 10.5 / W) / 2);
  close(r[0][1][1], (1.5 / H + 5.5 / H) / 2);
  close(r[1][0][0], 0.5);
  close(r[1][1][1], 0.5);
});

test('keypointBox: visible points padded by 0.1 × longer side + 0.05 (data/mpii.ts personBox), clipped', () => {
  // Points (0.3,0.2) and (0.5,0.6) visible; (0.9,0.9) not. Extent 0.2 × 0.4 → pad 0.04 + 0.05 = 0.09.
  const b = keypointBox([0.3, 0.2, 0.9, 0.5, 0.6, 0.8, 0.9, 0.9, 0.1], 3);
  [0.21, 0.11, 0.38, 0.58].forEach((x, i) => assert.ok(Math.abs(b[i] - x) < 1e-9, `${b} vs 0.21,0.11,0.38,0.58`));
  const c = keypointBox([0.02, 0.5, 1], 1); // pad 0.05: clipped at 0
  assert.ok(Math.abs(c[0]) < 1e-12 && Math.abs(c[2] - 0.07) < 1e-9);
  assert.deepEqual(keypointBox([0.2, 0.2, 0.1], 1), [0.5, 0.5, 0, 0]);
});

test('runEvaluator: boxes x,y,w,h in [0,1], keypoints K×3, colours read at the predicted region; no leaks', async () => {
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
  assert.equal(o.labels.length, 3 * 128 * 128);
  for (let i = 0; i < 3; i++) {
    const [x, y, w, h] = o.boxes.subarray(i * 4, i * 4 + 4);
    assert.ok(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= 1 + 1e-6 && y + h <= 1 + 1e-6);
  }
  // Whatever region the untrained net predicts, crown can only be red or blue (its green centroid is null).
  for (let i = 0; i < 3; i++) assert.ok(o.attributes[i * 2] === 0 || o.attributes[i * 2] === 1);
  await assert.rejects(runEvaluator(m, cfg, new Float32Array(10), 64), /multiple/);
  await assert.rejects(runEvaluator(m, { ...cfg, colourCentroids: null }, imgs, 64), /centroids/);
  m.dispose();
});

test('runEvaluator reads a pure blue image as blue and a pure red one as red, whatever the segmentation says', async () => {
  const cfg = tinyCfg();
  const m = buildEvaluator(cfg, 5);
  const S = 32;
  const imgs = new Float32Array(2 * S * S * 3);
  for (let j = 0; j < S * S; j++) {
    imgs.set([30 / 127.5 - 1, 30 / 127.5 - 1, 200 / 127.5 - 1], j * 3); // blue
    imgs.set([200 / 127.5 - 1, 30 / 127.5 - 1, 30 / 127.5 - 1], (S * S + j) * 3); // red
  }
  const o = await runEvaluator(m, cfg, imgs, S);
  assert.deepEqual(Array.from(o.attributes), [1, 1, 0, 0]);
  m.dispose();
});

test('evaluation set: 128² bytes, masks in the same frame, exact colour targets; mirroring swaps left/right', async () => {
  const set = await loadEvalSet(birds, { split: 'train', masks: true });
  const attrs = JSON.parse(fs.readFileSync(path.join(birds, 'attributes.json'), 'utf8'));
  const i = 0;
  const colours = attrs.images.find((im: { imageId: number }) => im.imageId === set.records[i].imageId).colours;
  set.attributes.forEach((a, ai) => assert.equal(set.colours[set.attr[i * set.attributes.length + ai]], colours[a]));
  assert.equal(set.images.length, set.records.length * 128 * 128 * 3);
  assert.deepEqual(set.regions, ['back', 'breast', 'belly', 'wings', 'crown', 'tail', 'beak', 'eye', 'legs']);
  assert.equal(set.masks?.length, set.records.length * 128 * 128);
  // The mask is aligned with the image: its tight box is the annotated box (the drawn bird's tight box).
  const rule = chooseBoxRule(set);
  assert.equal(rule.boxFrom, 'mask');
  assert.ok(rule.mask > 0.9, `mask box IoU ${rule.mask}`);
  const t = targetsOf(set, i, false);
  const f = targetsOf(set, i, true);
  assert.ok(Math.abs(f.box[0] - Math.max(0, 1 - t.box[0] - t.box[2] - 1 / 128)) < 1e-6);
  assert.equal(f.box[2], t.box[2]);
  // left eye (6) ↔ right eye (10).
  if (t.keypoints[10 * 3 + 2] > 0) {
    assert.ok(Math.abs(f.keypoints[6 * 3] - (1 - t.keypoints[10 * 3] - 1 / 128)) < 1e-6);
    assert.equal(f.keypoints[6 * 3 + 1], t.keypoints[10 * 3 + 1]);
  }
  const m = maskOf(set, i, false);
  const mf = maskOf(set, i, true);
  assert.equal(mf[5 * 128 + 127 - 9], m[5 * 128 + 9]);
  // Centroids fitted at the ground-truth masks sit near the vocabulary colours (data/raster.ts COLOURS).
  const cen = fitColourCentroids(set);
  const crown = set.attributes.indexOf('crown');
  const c = set.attr[crown];
  const rgb = cen[crown][c];
  assert.ok(rgb !== null);
  const ref: Record<string, number[]> = { red: [200, 30, 35], orange: [240, 130, 20], yellow: [240, 215, 40], green: [40, 150, 50], blue: [35, 70, 200], purple: [120, 45, 160], pink: [240, 130, 190], brown: [120, 75, 35], black: [20, 20, 20], white: [245, 245, 245], grey: [135, 135, 135] };
  const want = ref[set.colours[c]];
  assert.ok(Math.hypot(rgb[0] - want[0], rgb[1] - want[1], rgb[2] - want[2]) < 25, `${set.colours[c]} centroid ${rgb} vs ${want}`);
});

test('class selection: --test-classes K puts whole classes in test; seen/unseen split the test records by them; a root without held-out classes is refused', async () => {
  const held = path.join(base, 'held');
  await synthBirds({ out: held, images: 40, seed: 5, classes: 4, testClasses: 2 });
  const attrs = readSyntheticAttributes(held);
  assert.deepEqual(attrs.testClasses, [3, 4]);
  const all = await loadEvalSet(held, { split: 'test' });
  const seen = await loadEvalSet(held, { split: 'test', classes: 'seen' });
  const unseen = await loadEvalSet(held, { split: 'test', classes: 'unseen' });
  const cls = (s: typeof all): number[] => s.records.map((r) => ('classId' in r ? r.classId : -1));
  assert.ok(cls(unseen).length > 0 && cls(unseen).every((c) => c === 3 || c === 4), `unseen ${cls(unseen)}`);
  assert.ok(cls(seen).length > 0 && cls(seen).every((c) => c === 1 || c === 2), `seen ${cls(seen)}`);
  assert.equal(seen.records.length + unseen.records.length, all.records.length);
  // Every image of a held-out class is in test: no training record has class 3 or 4.
  const train = await loadEvalSet(held, { split: 'train' });
  assert.ok(cls(train).every((c) => c === 1 || c === 2));
  assert.deepEqual(readSyntheticAttributes(birds).testClasses, []);
  await assert.rejects(loadEvalSet(birds, { split: 'test', classes: 'unseen' }), /holds out whole classes.*--test-classes/);
  await assert.rejects(loadEvalSet(held, { split: 'test', classes: 'some' as never }), /classes must be one of all, seen, unseen/);
});

test('people roots (attributes keyed by imageName) load with their regions and colours', async () => {
  const people = path.join(base, 'people');
  await synthPeople({ out: people, images: 6, seed: 3 });
  const a = readSyntheticAttributes(people);
  assert.deepEqual(a.regions, ['shirt', 'trousers', 'skin', 'hair', 'shoes']);
  assert.ok(a.attributes.includes('shirt'));
  const j = JSON.parse(fs.readFileSync(path.join(people, 'attributes.json'), 'utf8'));
  assert.deepEqual(a.byImage.get(j.images[0].imageName), j.images[0].colours);
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
  assert.ok(r.ceiling.boxRuleIou !== null && r.ceiling.boxRuleIou > 0.9);
  assert.equal(r.config.boxFrom, 'mask');
  assert.equal(r.config.colourCentroids?.length, r.config.attributes.length);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.steps, 40);
  const ev = await loadEvaluator(out);
  assert.deepEqual(ev.config, r.config);
  assert.deepEqual(ev.ceiling, JSON.parse(JSON.stringify(r.ceiling)));
  // The loaded evaluator reads images exactly as the ceiling was scored: same numbers again.
  const set = await loadEvalSet(birds, { split: 'test', limit: 4 });
  const imgs = new Float32Array(set.images.length);
  set.images.forEach((v, j) => (imgs[j] = v / 127.5 - 1));
  const a = await runEvaluator(ev.model, ev.config, imgs, 128);
  const m2 = buildEvaluator(r.config, 99);
  const wts = ev.model.getWeights();
  m2.setWeights(wts);
  const b = await runEvaluator(m2, ev.config, imgs, 128);
  assert.deepEqual(Array.from(a.keypoints), Array.from(b.keypoints));
  assert.deepEqual(Array.from(a.attributes), Array.from(b.attributes));
  m2.dispose();
  // Continuing from it (--init): same shape, steps accumulate, and the first loss starts where training ended.
  const out2 = path.join(base, 'ev2');
  const r2 = await trainEvaluator({ dataRoot: birds, outDir: out2, init: out, steps: 2, batchSize: 8, lr: 1e-4, log: null, seed: 2 });
  assert.equal(r2.config.width, 4);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out2, 'metrics.json'), 'utf8')).steps, 42);
  assert.ok(r2.firstLoss < first, `continued loss ${r2.firstLoss} vs fresh ${first}`);
  // --steps 0 with --init re-measures the same evaluator: the same ceiling to the last digit.
  const out3 = path.join(base, 'ev3');
  const r3 = await trainEvaluator({ dataRoot: birds, outDir: out3, init: out, steps: 0, log: null, seed: 2 });
  assert.equal(r3.steps, 0);
  assert.deepEqual(r3.ceiling, r.ceiling);
  assert.deepEqual(r3.config, r.config);
  await assert.rejects(trainEvaluator({ dataRoot: birds, outDir: out3, steps: 0, log: null }), /`steps`/);
  // A larger --width widens it: the widened evaluator scores the held-out images as the narrow one did.
  const out4 = path.join(base, 'ev4');
  const r4 = await trainEvaluator({ dataRoot: birds, outDir: out4, init: out, steps: 0, width: 8, log: null, seed: 2 });
  assert.equal(r4.config.width, 8);
  assert.ok(Math.abs((r4.ceiling.pck?.value ?? -1) - (r.ceiling.pck?.value ?? -2)) < 0.05, `pck ${r4.ceiling.pck?.value} vs ${r.ceiling.pck?.value}`);
  assert.ok(Math.abs((r4.ceiling.boxIou?.value ?? -1) - (r.ceiling.boxIou?.value ?? -2)) < 0.05);
  const ev4 = await loadEvaluator(out4);
  assert.equal(ev4.model.getLayer('conv1').getWeights()[0].shape[3], 8);
  ev4.dispose();
  const bad6 = path.join(base, 'ev-w6');
  await assert.rejects(trainEvaluator({ dataRoot: birds, outDir: bad6, init: out, steps: 1, width: 6, log: null }), /`width` 6: the `init` evaluator has width 4/);
  assert.equal(fs.existsSync(bad6), false);
  ev.dispose();
  await assert.rejects(loadEvaluator(base), /no evaluator/);
});

test('--test-data: trained on one root, the ceiling is measured on the test split of another root with the same classes', async () => {
  // A second root drawn with the first root's classes (same class seed), new images: the larger-training-set setup.
  const more = path.join(base, 'birds-more');
  await synthBirds({ out: more, images: 16, seed: 9, classes: 3, classSeed: 4 });
  const out = path.join(base, 'ev-td');
  const r = await trainEvaluator({ dataRoot: more, testDataRoot: birds, outDir: out, steps: 3, batchSize: 4, width: 2, featureDim: 8, log: null, seed: 5 });
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.data, path.resolve(more));
  assert.equal(metrics.testData, path.resolve(birds));
  const birdsTest = (await loadEvalSet(birds, { split: 'test' })).records.length;
  assert.equal(metrics.heldOutImages, birdsTest);
  assert.equal(r.ceiling.boxIou?.n, birdsTest);
  // The same weights re-measured with --data birds (steps 0): the same box and keypoint ceiling, which do not
  // depend on where the colour centroids were fitted.
  const again = await trainEvaluator({ dataRoot: birds, init: out, outDir: path.join(base, 'ev-td2'), steps: 0, log: null, seed: 5 });
  assert.deepEqual(again.ceiling.boxIou, r.ceiling.boxIou);
  assert.deepEqual(again.ceiling.pck, r.ceiling.pck);
  // A test root of another kind (people: other parts and regions) is refused before any training.
  const people = path.join(base, 'people-td');
  await synthPeople({ out: people, images: 20, seed: 3 });
  const bad = path.join(base, 'ev-bad');
  await assert.rejects(trainEvaluator({ dataRoot: more, testDataRoot: people, outDir: bad, steps: 1, log: null }), /test root's partNames .* differ/);
  assert.equal(fs.existsSync(bad), false);
  // The same check guards --init: a birds evaluator is not continued on people, and nothing is written.
  await assert.rejects(trainEvaluator({ dataRoot: people, init: out, outDir: bad, steps: 1, log: null }), /`init` evaluator .*: its partNames .* differ/);
  assert.equal(fs.existsSync(bad), false);
});

test('augmentImages: per image a 3x3 blur (p 0.3) and/or Gaussian noise (p 0.5, sigma <= 0.25), seeded, no leaks', async () => {
  const B = 64;
  const S = 16;
  // A flat image of 0.2: a blur leaves it unchanged (tfjs averages only the pixels inside the image), so any
  // change is the noise, whose per-image spread must be at most 0.25.
  const flat = tf.fill([B, S, S, 3], 0.2) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const y = augmentImages(flat, new Rng(3));
  assert.equal(tf.memory().numTensors, before + 1);
  assert.deepEqual(y.shape, flat.shape);
  const v = await y.data();
  let noisy = 0;
  for (let b = 0; b < B; b++) {
    const d = Array.from(v.subarray(b * S * S * 3, (b + 1) * S * S * 3), (t) => t - 0.2);
    const sd = Math.sqrt(d.reduce((a, t) => a + t * t, 0) / d.length);
    assert.ok(sd <= 0.25 * 1.15, `image ${b}: spread ${sd}`);
    if (sd > 1e-6) noisy++;
  }
  // p = 0.5 of 64 images (binomial sd 4): far from none and from all.
  assert.ok(noisy > 16 && noisy < 48, `${noisy} noisy images of ${B}`);
  // Same seed, same result; a blur of a step edge moves the pixels next to it.
  const y2 = augmentImages(flat, new Rng(3));
  assert.deepEqual(Array.from(await y2.data()), Array.from(v));
  const edge = tf.tidy(() => tf.concat([tf.fill([B, S, S / 2, 3], -1), tf.fill([B, S, S / 2, 3], 1)], 2)) as tf.Tensor4D;
  const ye = augmentImages(edge, new Rng(4));
  const e = await ye.data();
  let blurred = 0;
  for (let b = 0; b < B; b++) {
    // A blurred image without noise: the pixel left of the edge averages two columns of -1 and one of 1.
    const at = (x: number): number => e[((b * S + 5) * S + x) * 3];
    if (Math.abs(at(S / 2 - 1) + 1 / 3) < 1e-5 && Math.abs(at(S / 2) - 1 / 3) < 1e-5) blurred++;
  }
  assert.ok(blurred > 3 && blurred < 30, `${blurred} blurred noiseless images of ${B} (expected about 0.3 x 0.5 x 64 = 10)`);
  tf.dispose([flat, y, y2, edge, ye]);
  assert.equal(tf.memory().numTensors, before - 1);
});

test('trainEvaluator --resume: killed after a checkpoint, the run continues to the same weights, log and ceiling as one that never stopped', async () => {
  const opts = { dataRoot: birds, steps: 6, batchSize: 4, width: 2, featureDim: 8, log: null, seed: 7, augment: true, segWeight: 2, checkpointEvery: 2 } as const;
  const whole = path.join(base, 'ev-whole');
  const a = await trainEvaluator({ ...opts, outDir: whole });
  assert.deepEqual(fs.readdirSync(path.join(whole, 'checkpoints')).filter((n) => n.startsWith('step-')).sort(), ['step-000002', 'step-000004', 'step-000006']);
  // The same run killed between its step-4 and step-6 checkpoints: step 5 was logged, nothing else was written.
  const cut = path.join(base, 'ev-cut');
  fs.cpSync(whole, cut, { recursive: true });
  for (const p of ['checkpoints/step-000006', 'evaluator', 'metrics.json']) fs.rmSync(path.join(cut, p), { recursive: true });
  const lines = fs.readFileSync(path.join(whole, 'log.jsonl'), 'utf8').trim().split('\n');
  fs.writeFileSync(path.join(cut, 'log.jsonl'), lines.slice(0, 5).join('\n') + '\n' + lines[5].slice(0, 20));
  // Options that define the run cannot change on resume; the refusal writes nothing.
  const before = fs.readdirSync(path.join(cut, 'checkpoints')).sort();
  await assert.rejects(trainEvaluator({ outDir: cut, resume: true, lr: 1e-4, log: null }), /`resume`: this run was started with `lr` 0.002, not 0.0001/);
  await assert.rejects(trainEvaluator({ outDir: cut, resume: true, dataRoot: path.join(base, 'elsewhere'), log: null }), /started with `dataRoot` .*birds, not .*elsewhere/);
  assert.deepEqual(fs.readdirSync(path.join(cut, 'checkpoints')).sort(), before);
  assert.ok(!fs.existsSync(path.join(cut, 'metrics.json')));
  const tensors = tf.memory().numTensors;
  const b = await trainEvaluator({ outDir: cut, resume: true, dataRoot: birds, log: null });
  assert.equal(tf.memory().numTensors, tensors, 'no tensors leak across a resumed run');
  assert.equal(b.steps, 6);
  assert.equal(b.firstLoss, a.firstLoss);
  const losses = (run: string): number[] => fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
  assert.equal(losses(cut).length, 6);
  assert.deepEqual(losses(cut), losses(whole));
  const wa = await loadEvaluator(whole);
  const wb = await loadEvaluator(cut);
  const ta = wa.model.getWeights();
  const tb = wb.model.getWeights();
  for (let i = 0; i < ta.length; i++) assert.deepEqual(Array.from(tb[i].dataSync()), Array.from(ta[i].dataSync()), `weight ${wa.model.weights[i].name}`);
  wa.dispose();
  wb.dispose();
  assert.deepEqual(b.ceiling, a.ceiling);
  // More steps continue the finished run (its schedule is the new total's); a run folder is not overwritten without --resume.
  const c = await trainEvaluator({ outDir: cut, resume: true, steps: 8, log: null });
  assert.equal(c.steps, 8);
  assert.equal(losses(cut).length, 8);
  await assert.rejects(trainEvaluator({ ...opts, outDir: cut }), /already holds an evaluator run; pass `resume`/);
  await assert.rejects(trainEvaluator({ outDir: path.join(base, 'ev-none'), resume: true, log: null }), /`resume`: no evaluator checkpoint/);
});

test('trainEvaluator --augment trains on degraded images and records it', async () => {
  const out = path.join(base, 'ev-aug');
  const r = await trainEvaluator({ dataRoot: birds, outDir: out, steps: 2, batchSize: 4, width: 2, featureDim: 8, log: null, seed: 6, augment: true });
  assert.ok(Number.isFinite(r.lastLoss));
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).augment, true);
  const plain = path.join(base, 'ev-noaug');
  await trainEvaluator({ dataRoot: birds, outDir: plain, steps: 2, batchSize: 4, width: 2, featureDim: 8, log: null, seed: 6 });
  assert.equal(JSON.parse(fs.readFileSync(path.join(plain, 'metrics.json'), 'utf8')).augment, false);
});

test('evaluatorLoss: total = kp + vis + segWeight × seg (seg reported unweighted); a bad --seg-weight is refused before anything is written', async () => {
  const cfg = tinyCfg();
  const m = buildEvaluator(cfg, 3);
  const rng = new Rng(5);
  const B = 2;
  const H = 64;
  const R1 = cfg.regions.length + 1;
  const seg = new Float32Array(B * H * H * R1);
  for (let j = 0; j < B * H * H; j++) seg[j * R1 + rng.int(0, R1 - 1)] = 1;
  const kp = Float32Array.from({ length: B * 15 * 3 }, (_, j) => (j % 3 === 2 ? j % 2 : rng.next()));
  const [w1, w5] = tf.tidy(() => {
    const outs = m.predict(tf.randomUniform([B, 128, 128, 3], -1, 1, 'float32', 2)) as tf.Tensor[];
    const t = { kp: tf.tensor3d(kp, [B, 15, 3]), seg: tf.tensor4d(seg, [B, H, H, R1]) };
    const a = evaluatorLoss(cfg, outs, t);
    const b = evaluatorLoss(cfg, outs, t, 5);
    return [a, b].map((l) => [l.total, l.kp, l.vis, l.seg].map((s) => s.dataSync()[0]));
  });
  m.dispose();
  // An untrained 4-way segmentation: cross-entropy near ln 4, so the weight changes the total by ~4 × 1.4.
  assert.ok(w1[3] > 0.5, `seg ${w1[3]}`);
  assert.ok(Math.abs(w1[0] - (w1[1] + w1[2] + w1[3])) < 1e-4);
  assert.ok(Math.abs(w5[0] - (w5[1] + w5[2] + 5 * w5[3])) < 1e-4);
  assert.deepEqual(w5.slice(1).map((v) => v.toFixed(6)), w1.slice(1).map((v) => v.toFixed(6)));
  for (const bad of [0, -1, Number.NaN]) {
    const out = path.join(base, `ev-badw-${bad}`);
    await assert.rejects(trainEvaluator({ dataRoot: birds, outDir: out, steps: 1, log: null, segWeight: bad }), /`segWeight` must be a positive number/);
    assert.equal(fs.existsSync(out), false);
  }
});

test('trainEvaluator records its segmentation weight', async () => {
  const out = path.join(base, 'ev-segw');
  await trainEvaluator({ dataRoot: birds, outDir: out, steps: 2, batchSize: 4, width: 2, featureDim: 8, log: null, seed: 6, segWeight: 3 });
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).segWeight, 3);
});

test('widenEvaluator: a 2× or 3× wider copy computes the same outputs; its noise breaks the copies apart; other widths are refused', () => {
  const cfg = tinyCfg();
  const narrow = buildEvaluator(cfg, 7);
  const x = tf.randomUniform([2, 128, 128, 3], -1, 1, 'float32', 9);
  const ref = tf.tidy(() => (narrow.predict(x) as tf.Tensor[]).map((t) => Float32Array.from(t.dataSync())));
  const maxDiff = (m: tf.LayersModel): number[] =>
    tf.tidy(() => (m.predict(x) as tf.Tensor[]).map((t, i) => Float32Array.from(t.dataSync()).reduce((a, v, j) => Math.max(a, Math.abs(v - ref[i][j])), 0)));
  const before = tf.memory().numTensors;
  for (const f of [2, 3]) {
    const wideCfg = { ...cfg, width: cfg.width * f };
    const wide = buildEvaluator(wideCfg, 8);
    assert.ok(Math.max(...maxDiff(wide)) > 0.01, 'a fresh wide net differs');
    widenEvaluator(narrow, cfg, wide, wideCfg, new Rng(1), 0);
    for (const d of maxDiff(wide)) assert.ok(d < 1e-4, `exact copy, diff ${d}`);
    assert.equal(wide.getLayer('dec16').getWeights()[0].shape[2], 12 * cfg.width * f);
    widenEvaluator(narrow, cfg, wide, wideCfg, new Rng(1), 0.01);
    const noisy = maxDiff(wide);
    assert.ok(Math.max(...noisy) > 1e-6 && Math.max(...noisy) < 0.5, `noisy copy, diffs ${noisy}`);
    // The two copies of conv1's first channel now differ.
    const k = wide.getLayer('conv1').getWeights()[0].arraySync() as number[][][][];
    assert.notEqual(k[1][1][0][0], k[1][1][0][cfg.width]);
    wide.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  const odd = buildEvaluator({ ...cfg, width: 3 }, 1);
  assert.throws(() => widenEvaluator(narrow, cfg, odd, { ...cfg, width: 3 }, new Rng(1)), /multiple/);
  assert.throws(() => widenEvaluator(narrow, cfg, odd, { ...cfg, width: 4, featureDim: 9 }, new Rng(1)), /keeps its featureDim/);
  odd.dispose();
  narrow.dispose();
  x.dispose();
});
