/**
 * The paper's experiments (§3.2, §5.1–§5.5) and `reproduce` on tiny untrained models made once for this file
 * (fixture.ts): structure of the results (image and grid sizes, frame counts, the schedules' boxes against the
 * demo formulas, given vs generated keypoints), determinism, no leaked tensors, and the reproduce report.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { runBoxControl, type BoxControlResult } from '../../src/experiments/box-control.js';
import { runKeypointControl } from '../../src/experiments/keypoint-control.js';
import { runTextOnly } from '../../src/experiments/text-only.js';
import { runComparison } from '../../src/experiments/comparison.js';
import { runHumans } from '../../src/experiments/humans.js';
import { runTextEmbedding } from '../../src/experiments/text-embedding.js';
import { runReproduce } from '../../src/experiments/reproduce.js';
import { heldOutExamples, loadModel, moveCaptions, resolveIn, upscaleNearest } from '../../src/experiments/common.js';
import { sampleImages } from '../../src/sampling/sample.js';
import { CUB_PART_NAMES, MPII_POINT_NAMES } from '../../src/data/types.js';
import { GawwnError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { trainFromScratch } from '../../src/experiments/from-scratch.js';
import { main } from '../../src/cli/main.js';
import { makeTinyModels, type TinyModels } from './fixture.js';

let fx: TinyModels;
let box: BoxControlResult;

before(async () => {
  fx = await makeTinyModels();
});

after(() => {
  if (fx) fs.rmSync(fx.root, { recursive: true, force: true });
});

async function pngSize(png: Uint8Array): Promise<[number, number]> {
  const m = await sharp(Buffer.from(png)).metadata();
  return [m.width!, m.height!];
}

/** imageGrid's layout: gap 2 around and between cells. */
const gridWidth = (cols: number, cell: number) => 2 + cols * (cell + 2);

test('the shipped move captions are the three of N:scripts/cub_captions_move.txt', () => {
  const c = moveCaptions();
  assert.equal(c.length, 3);
  assert.equal(c[0].toLowerCase(), 'this bird has a black head, a pointy orange beak and yellow body');
});

test('resolveIn maps pretrained:NAME into a models dir and leaves folders alone', () => {
  assert.equal(resolveIn('pretrained:birds-bbox', '/m'), path.join('/m', 'birds-bbox'));
  assert.equal(resolveIn('pretrained:birds-bbox'), 'pretrained:birds-bbox');
  assert.equal(resolveIn('/runs/x', '/m'), '/runs/x');
});

test('upscaleNearest repeats each pixel factor² times', () => {
  const img = { data: Float32Array.from([1, 2, 3, 4]), width: 2, height: 2 };
  const u = upscaleNearest(img, 2);
  assert.equal(u.width, 4);
  assert.deepEqual(Array.from(u.data), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  assert.throws(() => upscaleNearest(img, 0), GawwnError);
});

test('§5.1 box control: 3 schedules × 3 captions × 3 frames, boxes = the demo affines, one z per row, no leaks', async () => {
  const n0 = tf.memory().numTensors;
  box = await runBoxControl({ modelsDir: fx.modelsDir, seed: 5 });
  assert.equal(tf.memory().numTensors, n0, 'tensors leaked');
  assert.equal(box.section, '5.1');
  assert.deepEqual(box.schedules.map((s) => s.demo), ['translate', 'stretch', 'shrink']);
  assert.equal(box.size, 128);
  // Golden boxes from gawwn-reference §8: G-affine scale s', translation t' → size 1/s', centre (−t'/s' + 1)/2.
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-9, `${a} vs ${b}`));
  const tr = box.schedules[0].boxes.map((b) => [b.x, b.y, b.w, b.h]);
  [-0.7, 0, 0.7].forEach((t, i) => close(tr[i], [0.25, (-t / 2 + 1) / 2 - 0.25, 0.5, 0.5]));
  const st = box.schedules[1].boxes.map((b) => [b.x, b.y, b.w, b.h]);
  [2, 1.5, 1].forEach((s, i) => close(st[i], [0.25, 0.5 - 0.5 / s, 0.5, 1 / s]));
  const sh = box.schedules[2].boxes.map((b) => [b.x, b.y, b.w, b.h]);
  [1.25, 1.75, 2.25].forEach((s, i) => close(sh[i], [0.5 - 0.5 / s, 0.5 - 0.5 / s, 1 / s, 1 / s]));
  for (const s of box.schedules) {
    assert.equal(s.images.length, 9);
    for (const im of s.images) assert.deepEqual([im.width, im.height, im.data.length], [128, 128, 128 * 128 * 3]);
    assert.equal((await pngSize(s.png))[0], gridWidth(3, 128));
  }
  // Same z along a row: row 1 of "shrink", frame 2, redrawn with z = the 2nd draw of Rng(seed).
  const m = await loadModel('pretrained:birds-bbox', fx.modelsDir);
  try {
    const rng = new Rng(5);
    rng.normalArray(m.gen.config.model.nz);
    const z = rng.normalArray(m.gen.config.model.nz);
    const r = await sampleImages(m.gen, m.embed, { captions: [box.captions[1]], n: 1, seed: 0, box: box.schedules[2].boxes[2], z });
    assert.deepEqual(r.images[0].data, box.schedules[2].images[1 * 3 + 2].data);
  } finally {
    m.gen.dispose();
  }
  // Deterministic per seed.
  const again = await runBoxControl({ modelsDir: fx.modelsDir, seed: 5, schedules: ['translate'] });
  assert.deepEqual(again.schedules[0].images[4].data, box.schedules[0].images[4].data);
});

test('§5.1 and §5.4 take their default captions from the test split of `data` when given', async () => {
  const want = (await heldOutExamples(fx.birds, 3, 2)).examples.map((e) => e.caption);
  assert.equal(want.length, 3);
  const b = await runBoxControl({ modelsDir: fx.modelsDir, data: fx.birds, seed: 2, schedules: ['translate'], frames: 2 });
  assert.deepEqual(b.captions, want);
  const c = await runComparison({ modelsDir: fx.modelsDir, data: fx.birds, seed: 2, samples: 1 });
  assert.deepEqual(c.captions, want);
  assert.notDeepEqual(want, moveCaptions());
});

test('§5.1 rejects a model of the wrong family, naming it', async () => {
  await assert.rejects(runBoxControl({ modelsDir: fx.modelsDir, model: 'pretrained:birds-keypoint' }), /box control needs a box model.*keypoint model/);
});

test('§5.2 keypoint control: ground-truth rows (real + samples) and moving beak/tail completed by Gk', async () => {
  const n0 = tf.memory().numTensors;
  const r = await runKeypointControl({ modelsDir: fx.modelsDir, data: fx.birds, images: 2, samples: 3, seed: 1 });
  assert.equal(tf.memory().numTensors, n0, 'tensors leaked');
  assert.deepEqual(r.partNames, [...CUB_PART_NAMES]);
  assert.equal(r.rows.length, 2);
  for (const row of r.rows) {
    assert.equal(row.keypoints.length, 15);
    assert.ok(row.keypoints.some((k) => k.v === 1));
    assert.ok(row.caption.length > 0);
  }
  const [w, h] = await pngSize(r.groundTruthPng);
  assert.equal(w, gridWidth(4, 128));
  assert.ok(h > 2 * 128);
  assert.equal(r.moving.length, 3);
  const beak = CUB_PART_NAMES.indexOf('beak');
  const tail = CUB_PART_NAMES.indexOf('tail');
  for (const s of r.moving) {
    assert.equal(s.keypoints.length, 3 * 3);
    s.keypoints.forEach((kps, j) => {
      const b = s.boxes[j % 3];
      assert.equal(kps.length, 15);
      assert.deepEqual([kps[beak].x, kps[beak].y, kps[beak].v, kps[beak].generated], [b.x, b.y, 1, false].map((v) => (typeof v === 'number' ? Math.fround(v) : v)));
      assert.ok(Math.abs(kps[tail].x - (b.x + b.w)) < 1e-6 && Math.abs(kps[tail].y - (b.y + b.h)) < 1e-6);
      assert.equal(kps[tail].generated, false);
      kps.forEach((k, i) => {
        if (i !== beak && i !== tail) {
          assert.equal(k.generated, true);
          assert.ok(k.v === 0 || k.v === 1);
        }
      });
    });
    assert.equal((await pngSize(s.png))[0], gridWidth(3, 128));
  }
});

test('§5.3 text only: every keypoint generated by Gk, thresholded visibility, one row per caption', async () => {
  const r = await runTextOnly({ modelsDir: fx.modelsDir, samples: 2, seed: 2 });
  assert.equal(r.captions.length, 3);
  assert.equal(r.keypoints.length, 3);
  for (const row of r.keypoints) {
    assert.equal(row.length, 2);
    for (const kps of row) {
      assert.equal(kps.length, 15);
      for (const k of kps) {
        assert.equal(k.generated, true);
        assert.ok(k.v === 0 || k.v === 1);
      }
    }
  }
  assert.equal((await pngSize(r.png))[0], gridWidth(2, 128));
  assert.deepEqual(await pngSize(r.png), await pngSize(r.plainPng));
  const fromData = await runTextOnly({ modelsDir: fx.modelsDir, data: fx.birds, rows: 2, samples: 1 });
  assert.equal(fromData.captions.length, 2);
});

test('§5.4 comparison: GAWWN 128 px beside GAN-INT-CLS 64 px upscaled ×2, metric rows become a chart', async () => {
  const metrics = [{ label: 'GAWWN', value: 3.1 }, { label: 'GAN-INT-CLS', value: 2.9 }];
  const r = await runComparison({ modelsDir: fx.modelsDir, samples: 2, captions: ['a red bird', 'a blue bird with white wings'], metrics });
  assert.equal(r.gawwnSize, 128);
  assert.equal(r.baselineSize, 64);
  assert.equal(r.baselineUpscale, 2);
  assert.match(r.note, /upscaled ×2/);
  assert.equal((await pngSize(r.png))[0], gridWidth(4, 128));
  assert.equal((await pngSize(r.baselinePng))[0], gridWidth(2, 64));
  assert.ok(r.metricsChart !== undefined);
  assert.deepEqual(r.metrics, metrics);
  assert.equal(r.baseline.family, 'gan-int-cls');
  const none = await runComparison({ modelsDir: fx.modelsDir, samples: 1, captions: ['a red bird'] });
  assert.equal(none.metricsChart, undefined);
});

test('§5.5 humans: 17 MPII points, ground-truth and Gk-generated rows', async () => {
  const r = await runHumans({ modelsDir: fx.modelsDir, data: fx.people, images: 2, samples: 2, seed: 3 });
  assert.deepEqual(r.partNames, [...MPII_POINT_NAMES]);
  assert.equal(r.rows.length, 2);
  assert.equal(r.generatedKeypoints.length, 2);
  assert.ok(r.generatedKeypoints.flat(2).every((k) => k.generated === true));
  assert.equal((await pngSize(r.groundTruthPng))[0], gridWidth(3, 128));
  assert.equal((await pngSize(r.generatedPng))[0], gridWidth(2, 128));
  assert.ok(r.model.lossChart !== undefined, 'the run log gives a loss chart');
});

test('§3.2 text embedding: held-out retrieval metrics in [0,1] and nearest captions sorted by cosine', async () => {
  const r = await runTextEmbedding({ modelsDir: fx.modelsDir, data: fx.birds, queries: 2, k: 3 });
  assert.ok(r.metrics !== undefined);
  for (const v of [r.metrics.captionToImageTop1, r.metrics.imageToCaptionTop1, r.metrics.captionToImageMap]) assert.ok(v >= 0 && v <= 1, String(v));
  assert.equal(r.embDim, 32);
  assert.equal(r.nearest.length, 2);
  for (const n of r.nearest) {
    assert.equal(n.neighbours.length, 3);
    for (let i = 1; i < 3; i++) assert.ok(n.neighbours[i - 1].cosine >= n.neighbours[i].cosine);
    for (const x of n.neighbours) assert.equal(x.sameClass, x.classId === n.queryClass);
  }
  const same = r.nearest.flatMap((n) => n.neighbours).filter((x) => x.sameClass).length;
  assert.equal(r.neighbourPrecision, same / 6);
  assert.ok(r.lossChart !== undefined, 'loss.jsonl of the encoder run gives a chart');
});

test('reproduce writes every PNG, summary.json and one self-contained report; missing models are named', async () => {
  const out = path.join(fx.root, 'results');
  // A committed people evaluation (eval/people) is shown as its own table under §5.5, never in §5.4's birds table.
  const peopleEval = path.join(fx.modelsDir, 'eval', 'people');
  fs.mkdirSync(peopleEval, { recursive: true });
  const est = { value: 0.617, ci: [0.598, 0.639], n: 200 };
  const none = { boxIou: null, pck: null, pckBox: null, attributeAccuracy: null, evaluatorFrechetDistance: null, diversity: null };
  fs.writeFileSync(path.join(peopleEval, 'people-keypoint.json'), JSON.stringify({
    format: 'gawwn-eval/1', model: 'pretrained:people-keypoint', family: 'keypoint', steps: 2, data: 'people', dataFormat: 'mpii', evaluator: 'e', n: 200, seed: 7,
    definitions: {}, generated: { ...none, boxIou: est }, real: none, ceiling: null, seconds: 1,
  }));
  let r: Awaited<ReturnType<typeof runReproduce>>;
  try {
    r = await runReproduce({ out, modelsDir: fx.modelsDir, birdsData: fx.birds, peopleData: fx.people, samples: 2 });
  } finally {
    fs.rmSync(path.join(fx.modelsDir, 'eval'), { recursive: true });
  }
  assert.deepEqual(r.sections.map((s) => [s.id, s.status]), [['3.2', 'done'], ['5.1', 'done'], ['5.2', 'done'], ['5.3', 'done'], ['5.4', 'done'], ['5.5', 'done']]);
  const files = r.sections.flatMap((s) => s.files);
  assert.equal(files.length, 3 + 4 + 2 + 1 + 2);
  for (const f of files) assert.ok((await pngSize(fs.readFileSync(path.join(out, f))))[0] > 128, f);
  const html = fs.readFileSync(r.report, 'utf8');
  for (const s of ['§3.2', '§5.1', '§5.2', '§5.3', '§5.4', '§5.5']) assert.ok(html.includes(s), s);
  const e6 = html.slice(html.indexOf('<h2>§5.5'));
  assert.ok(html.indexOf('<h2>§5.5') > html.indexOf('<h2>§5.4'));
  assert.match(e6, /Measured control of the people model/);
  assert.match(e6, /<td>people-keypoint<\/td><td>2<\/td><td>0\.617 \[0\.598, 0\.639\]<\/td>/);
  assert.doesNotMatch(html.slice(0, html.indexOf('<h2>§5.5')), /people-keypoint<\/td>/);
  assert.ok((html.match(/<img src="data:image\/png;base64,/g) ?? []).length >= files.length + 6, 'grids and loss charts embedded');
  assert.ok(!/src="http/.test(html), 'no network references');
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).sections.length, 6);

  const empty = path.join(fx.root, 'no-models');
  fs.mkdirSync(empty);
  fs.cpSync(path.join(fx.modelsDir, 'birds-bbox'), path.join(empty, 'birds-bbox'), { recursive: true });
  await assert.rejects(runReproduce({ out: path.join(fx.root, 'r2'), modelsDir: empty }),
    (e: unknown) => e instanceof GawwnError && /missing models: text-birds200, birds-keypoint, birds-keypoint-gen, birds-gan-int-cls, people-keypoint, people-keypoint-gen/.test(e.message));
  assert.ok(!fs.existsSync(path.join(fx.root, 'r2')), 'nothing written when models are missing');
});

test('reproduce --allow-missing reports missing sections; without datasets it generates synthetic ones', async () => {
  const partial = path.join(fx.root, 'partial');
  fs.mkdirSync(partial);
  fs.cpSync(path.join(fx.modelsDir, 'birds-bbox'), path.join(partial, 'birds-bbox'), { recursive: true });
  fs.cpSync(path.join(fx.modelsDir, 'text-birds200'), path.join(partial, 'text-birds200'), { recursive: true });
  const out = path.join(fx.root, 'r3');
  const r = await runReproduce({ out, modelsDir: partial, allowMissing: true, samples: 1 });
  assert.deepEqual(r.sections.map((s) => s.status), ['done', 'done', 'missing-models', 'missing-models', 'missing-models', 'missing-models']);
  assert.deepEqual(r.sections[5].missing, ['people-keypoint', 'people-keypoint-gen']);
  assert.deepEqual(r.synthetic, { birds: true, people: true });
  assert.equal(r.birdsData, path.join(out, 'data', 'birds-1000-c11x200t50'));
  assert.ok(fs.existsSync(path.join(r.birdsData, 'images.txt')));
  // Its birds are of the shipped models' classes (birds200's 200, the last 50 held out of training).
  const attrs = JSON.parse(fs.readFileSync(path.join(r.birdsData, 'attributes.json'), 'utf8')) as { classSeed: number; classes: unknown[]; testClasses: number[] };
  assert.deepEqual([attrs.classSeed, attrs.classes.length, attrs.testClasses.length, attrs.testClasses[0]], [11, 200, 50, 151]);
  assert.ok(fs.existsSync(path.join(r.peopleData, 'captions.tsv')));
  assert.match(fs.readFileSync(r.report, 'utf8'), /Not run: missing model\(s\) people-keypoint, people-keypoint-gen/);
});

test('trainFromScratch (the notebooks switch) trains a usable models dir with the library trainers', async () => {
  const out = path.join(fx.root, 'scratch');
  const dir = await trainFromScratch({ out, models: ['text-birds200', 'birds-bbox'], birds: fx.birds, steps: 1, textSteps: 2, batch: 4 });
  assert.equal(dir, out);
  assert.ok(fs.existsSync(path.join(out, 'text-birds', 'text-encoder.json')));
  // text-birds200 is the same stand-in encoder, byte for byte.
  assert.deepEqual(fs.readFileSync(path.join(out, 'text-birds200', 'text-encoder.bin')), fs.readFileSync(path.join(out, 'text-birds', 'text-encoder.bin')));
  assert.ok(fs.existsSync(path.join(out, 'birds-bbox', 'final', 'manifest.json')));
  const r = await runBoxControl({ modelsDir: out, schedules: ['shrink'], captions: ['a red bird'] });
  assert.equal(r.schedules[0].images.length, 3);
  assert.equal(r.model.steps, 1);
  await assert.rejects(trainFromScratch({ out, models: ['birds-nope'] }), /unknown model name 'birds-nope'/);
});

test('gawwn reproduce (CLI) writes the report; bad options and missing models exit 2', async () => {
  const out = path.join(fx.root, 'cli-results');
  const write = process.stdout.write.bind(process.stdout);
  let printed = '';
  // Only the command's JSON line is taken; everything else (the test runner's own messages) passes through.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s === 'string' && s.startsWith('{"report"')) { printed += s; return true; }
    return (write as (...a: unknown[]) => boolean)(s, ...rest);
  }) as typeof process.stdout.write;
  try {
    assert.equal(await main(['reproduce', '--out', out, '--models-dir', fx.modelsDir, '--data', fx.birds, '--people-data', fx.people, '--samples', '1']), 0);
  } finally {
    process.stdout.write = write;
  }
  const summary = JSON.parse(printed.trim().split('\n').pop()!);
  assert.equal(summary.report, path.join(out, 'report.html'));
  assert.ok(fs.existsSync(summary.report));
  assert.deepEqual(summary.sections.map((s: { status: string }) => s.status), Array(6).fill('done'));
  assert.equal(await main(['reproduce', '--out', out, '--models-dir', fx.modelsDir, '--samples', '0']), 2);
  assert.equal(await main(['reproduce', '--out', path.join(fx.root, 'cli-missing'), '--models-dir', path.join(fx.root, 'nowhere')]), 2);
});
