/**
 * Pipeline on the shipped models, copied to a temp models directory (so the embedding cache the text encoder
 * writes stays out of data/pretrained): image shapes, the condition it reports, seeds that reproduce, the
 * interpolation strip, Gk completing a keypoint model's missing parts (§4.3), and dispose freeing every tensor.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/select.js';
import { pretrainedDir } from '../../src/sampling/load.js';
import { load, defaultCompleter, Pipeline } from '../../src/sampling/pipeline.js';
import { GawwnError } from '../../src/util/errors.js';

let modelsDir = '';
let bbox: Pipeline;
let kp: Pipeline;

before(async () => {
  await initBackend({ report: null });
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-pipeline-'));
  // The shipped bird models were trained with text-birds200 (birds-keypoint-gen only draws keypoints, from the
  // keypoint model's text codes), so that is the one text encoder the models directory needs.
  for (const m of ['birds-bbox', 'birds-keypoint', 'birds-keypoint-gen', 'text-birds200']) {
    fs.cpSync(path.join(pretrainedDir(), m), path.join(modelsDir, m), { recursive: true });
  }
  bbox = await load('pretrained:birds-bbox', { modelsDir });
  kp = await load('pretrained:birds-keypoint', { modelsDir });
});

after(() => {
  bbox?.dispose();
  kp?.dispose();
  if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
});

const caption = 'this bird is red with a black crown and black wings';
const box = { x: 0.2, y: 0.25, w: 0.6, h: 0.5 };

test('sample: n images of the model size in [-1,1], with the condition used', async () => {
  assert.equal(bbox.family, 'bbox');
  assert.deepEqual([bbox.generator.textEncoder, kp.generator.textEncoder], ['pretrained:text-birds200', 'pretrained:text-birds200']);
  const r = await bbox.sample({ caption, box, n: 3, seed: 5 });
  assert.equal(r.images.length, 3);
  const S = bbox.imageSize;
  for (const im of r.images) {
    assert.deepEqual([im.width, im.height, im.data.length], [S, S, S * S * 3]);
    assert.ok(im.data.every((v) => v >= -1 && v <= 1));
  }
  assert.deepEqual(r.condition, { run: 'pretrained:birds-bbox', family: 'bbox', caption, n: 3, seed: 5, size: S, box });
  assert.deepEqual(r.captions, [caption, caption, caption]);
  // Different z per sample: the three images differ.
  assert.notDeepEqual(r.images[0].data, r.images[1].data);
});

test('sample: the same seed gives the same images, another seed other images', async () => {
  const a = await bbox.sample({ caption, box, n: 2, seed: 7 });
  const b = await bbox.sample({ caption, box, n: 2, seed: 7 });
  const c = await bbox.sample({ caption, box, n: 2, seed: 8 });
  assert.deepEqual(a.images.map((i) => i.data), b.images.map((i) => i.data));
  assert.notDeepEqual(a.images[0].data, c.images[0].data);
});

test('embed: one code per caption, the same code for the same caption, cached', async () => {
  const [e1, e2, e3] = await bbox.embed([caption, 'a small yellow bird', caption]);
  assert.equal(e1.length, e2.length);
  assert.ok(e1.length > 0);
  assert.deepEqual(e1, e3);
  assert.notDeepEqual(e1, e2);
});

test('interpolate: frames from → to, frame 0 is the seed\'s first sample at the from-box', async () => {
  const to = { x: 0.05, y: 0.1, w: 0.4, h: 0.4 };
  const r = await bbox.interpolate({ caption, from: { box }, to: { box: to }, frames: 3, seed: 2 });
  assert.equal(r.images.length, 3);
  assert.deepEqual(r.layouts[0].box, box);
  for (const k of ['x', 'y', 'w', 'h'] as const) assert.ok(Math.abs(r.layouts[2].box![k] - to[k]) < 1e-9);
  assert.ok(Math.abs(r.layouts[1].box!.x - 0.125) < 1e-9);
  const first = await bbox.sample({ caption, box, n: 1, seed: 2 });
  assert.deepEqual(r.images[0].data, first.images[0].data);
  assert.notDeepEqual(r.images[0].data, r.images[2].data);
});

test('keypoint model: the shipped Gk completes the parts not given; given parts stay where they were put', async () => {
  assert.equal(kp.completerSpec, 'pretrained:birds-keypoint-gen');
  assert.equal(defaultCompleter('pretrained:birds-keypoint', modelsDir), 'pretrained:birds-keypoint-gen');
  const r = await kp.sample({ caption, keypoints: { beak: { x: 0.3, y: 0.4 }, tail: { x: 0.8, y: 0.7 } }, n: 2, seed: 1 });
  assert.equal(r.keypoints!.length, 2);
  const K = kp.partNames.length;
  assert.equal(K, 15);
  const beak = kp.partNames.indexOf('beak');
  for (const row of r.keypoints!) {
    assert.equal(row.length, K);
    // float32 round trip through the keypoint tensor: equal to 1e-6.
    assert.ok(Math.abs(row[beak].x - 0.3) < 1e-6 && Math.abs(row[beak].y - 0.4) < 1e-6);
    assert.deepEqual([row[beak].v, row[beak].generated], [1, false]);
    assert.equal(row.filter((k) => k.generated).length, K - 2);
  }
  assert.equal(r.condition.keypointGen, 'pretrained:birds-keypoint-gen');
  // The same parts as a map by index and as {name, x, y} items: the same images.
  const tail = kp.partNames.indexOf('tail');
  const m = await kp.sample({ caption, keypoints: new Map([[beak, { x: 0.3, y: 0.4 }], [tail, { x: 0.8, y: 0.7 }]]), n: 2, seed: 1 });
  const l = await kp.sample({ caption, keypoints: [{ name: 'beak', x: 0.3, y: 0.4 }, { name: 'tail', x: 0.8, y: 0.7 }], n: 2, seed: 1 });
  assert.deepEqual(m.images[1].data, r.images[1].data);
  assert.deepEqual(l.images[1].data, r.images[1].data);
  await assert.rejects(kp.sample({ caption, keypoints: { wing: { x: 0.1, y: 0.1 } } }), /unknown part 'wing'/);
});

test('dispose leaves tf.memory().numTensors as it was before load, and a disposed pipeline refuses to draw', async () => {
  const n0 = tf.memory().numTensors;
  const p = await load('pretrained:birds-keypoint', { modelsDir });
  assert.ok(tf.memory().numTensors > n0);
  await p.sample({ caption, n: 2, seed: 0 });
  await p.interpolate({ caption, from: { keypoints: [{ name: 'beak', x: 0.2, y: 0.3 }] }, to: { keypoints: [{ name: 'beak', x: 0.6, y: 0.3 }] }, frames: 2 });
  p.dispose();
  assert.equal(tf.memory().numTensors, n0);
  p.dispose();
  await assert.rejects(p.sample({ caption, n: 1 }), (e: unknown) => e instanceof GawwnError && /was disposed/.test(e.message));
});

test('load refuses an unknown shipped model and names the ones there are', async () => {
  await assert.rejects(load('pretrained:no-such-model'), /no shipped model 'no-such-model' \(have: .*birds-bbox/);
});
