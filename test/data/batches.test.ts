import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { batches, drawCaptionIndices, meanEmbedding, type TextEmbeddingLookup } from '../../src/data/batches.js';
import { loadCub } from '../../src/data/cub.js';
import { loadMpii } from '../../src/data/mpii.js';
import { synthPeople } from '../../src/data/synth-people.js';
import type { DatasetRecord } from '../../src/data/types.js';
import { Rng } from '../../src/util/rng.js';
import { makeTinyCub, tmpDir } from './helpers.js';

/** Per-caption embedding of image id, caption i: every entry = 100·id + i (so the mean is checkable). */
const perCaption = (r: DatasetRecord, i: number): Float32Array => new Float32Array(1024).fill(100 * r.imageId + i);

test('caption indices: numCaptions distinct from the first n - holdout (CUB: 4 of 1..9, the 10th held out)', () => {
  const rng = new Rng(1);
  for (let k = 0; k < 200; k++) {
    const idx = drawCaptionIndices(10, rng);
    assert.equal(idx.length, 4);
    assert.equal(new Set(idx).size, 4);
    assert.ok(idx.every((i) => i >= 0 && i <= 8));
  }
  assert.deepEqual(drawCaptionIndices(2, rng), [0]);
  assert.deepEqual(drawCaptionIndices(1, rng), [0]);
  assert.equal(drawCaptionIndices(5, rng, 2).length, 2);
  assert.throws(() => drawCaptionIndices(0, rng), /record has no captions/);
});

test('CUB batches: shapes, float32, text code = mean of 4 caption embeddings, determinism, no leaks', async () => {
  await tf.setBackend('cpu');
  const dir = tmpDir('batch');
  await makeTinyCub(dir, { captions: true });
  const d = await loadCub(dir);
  const drawn: number[][] = [];
  const embed: TextEmbeddingLookup = (r, idx) => {
    drawn.push([...idx]);
    return meanEmbedding(perCaption)(r, idx);
  };
  const collect = async (seed: number): Promise<{ imgs: Float32Array[]; txt: Float32Array[]; box: Float32Array[]; kp: Float32Array[] }> => {
    drawn.length = 0;
    let k = 0;
    const o = { imgs: [] as Float32Array[], txt: [] as Float32Array[], box: [] as Float32Array[], kp: [] as Float32Array[] };
    for await (const b of batches(d.records, { batchSize: 4, rng: new Rng(seed), embed, numBatches: 3 })) {
      assert.deepEqual(b.images.shape, [4, 128, 128, 3]);
      assert.deepEqual(b.txt.shape, [4, 1024]);
      assert.deepEqual(b.box.shape, [4, 4]);
      assert.deepEqual(b.keypoints.shape, [4, 15, 3]);
      for (const t of [b.images, b.txt, b.box, b.keypoints]) assert.equal(t.dtype, 'float32');
      const txt = (await b.txt.data()) as Float32Array;
      b.records.forEach((r, i) => {
        const idx = drawn[4 * k + i]; // draws happen in batch order (prefetch prepares later batches early)
        const expect = 100 * r.imageId + idx.reduce((s, v) => s + v, 0) / idx.length;
        assert.ok(Math.abs(txt[i * 1024] - expect) < 1e-3 && Math.abs(txt[i * 1024 + 1023] - expect) < 1e-3);
        assert.ok(idx.length === 4 && idx.every((j) => j < 9), 'caption 10 held out');
      });
      k++;
      o.imgs.push((await b.images.data()) as Float32Array);
      o.txt.push(txt);
      o.box.push((await b.box.data()) as Float32Array);
      o.kp.push((await b.keypoints.data()) as Float32Array);
      b.dispose();
    }
    return o;
  };
  const before = tf.memory().numTensors;
  const a = await collect(7);
  assert.equal(tf.memory().numTensors, before, 'every batch tensor disposed');
  const b = await collect(7);
  assert.deepEqual(a, b);
  const c = await collect(8);
  assert.notDeepEqual(a.box, c.box);
  // Boxes of the tiny root: 100x80 px of 300x200 -> 50x60 at 150² = 50/128 x 60/128 unless clipped by the crop.
  for (const bx of a.box) for (let i = 0; i < 4; i++) assert.ok(bx[i * 4 + 2] <= 50 / 128 + 1e-6 && bx[i * 4 + 3] <= 60 / 128 + 1e-6);
  // Abandoning the iterator after the first batch (with prefetch pending) leaks nothing.
  const it = batches(d.records, { batchSize: 2, rng: new Rng(1), embed, numBatches: 10, prefetch: 3 });
  const first = await it.next();
  assert.equal(first.done, false);
  if (!first.done) first.value.dispose();
  await it.return(undefined);
  assert.equal(tf.memory().numTensors, before);
  // Default length: one epoch = floor(N / B).
  let n = 0;
  for await (const x of batches(d.records, { batchSize: 2, rng: new Rng(2), embed })) {
    n++;
    x.dispose();
  }
  assert.equal(n, 1);
});

test('bad batch inputs are clear errors', async () => {
  const dir = tmpDir('batchbad');
  await makeTinyCub(dir);
  const d = await loadCub(dir);
  const run = async (o: Partial<Parameters<typeof batches>[1]>, recs: DatasetRecord[] = d.records): Promise<void> => {
    for await (const b of batches(recs, { batchSize: 2, rng: new Rng(0), embed: meanEmbedding(perCaption), captionCount: () => 10, ...o })) b.dispose();
  };
  await assert.rejects(run({ embed: () => new Float32Array(10) }), /text embedding of length 10, expected txtSize 1024/);
  await assert.rejects(run({ captionCount: undefined }), /record has no captions/);
  await assert.rejects(run({ batchSize: 0 }), /batchSize must be a positive integer/);
  await assert.rejects(run({}, []), /empty dataset/);
});

test('MPII batches: 17 keypoints, 140 load size, 2 captions averaged', async () => {
  await tf.setBackend('cpu');
  const out = path.join(tmpDir('batchp'), 'p');
  await synthPeople({ out, images: 4, seed: 2 });
  const d = await loadMpii(out);
  const before = tf.memory().numTensors;
  for await (const b of batches(d.records, { batchSize: 3, rng: new Rng(3), embed: meanEmbedding(perCaption), numCaptions: 2, numBatches: 2 })) {
    assert.deepEqual(b.keypoints.shape, [3, 17, 3]);
    const kp = (await b.keypoints.data()) as Float32Array;
    // Most joints of a synthetic person stay inside the person crop.
    let vis = 0;
    for (let i = 2; i < kp.length; i += 3) vis += kp[i];
    assert.ok(vis >= 3 * 12, `visible keypoints ${vis}`);
    const txt = (await b.txt.data()) as Float32Array;
    b.records.forEach((r, i) => {
      const frac = txt[i * 1024] - 100 * r.imageId;
      assert.ok([0.5, 1, 1.5, 2, 2.5, 3, 3.5].some((v) => Math.abs(frac - v) < 1e-3), `mean of 2 of captions 0..3: ${frac}`);
    });
    b.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});
