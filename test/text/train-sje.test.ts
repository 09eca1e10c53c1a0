import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/rng.js';
import { resolveTextEncoderConfig } from '../../src/text/encoder.js';
import { imageEncoderForPreset } from '../../src/text/image-encoder.js';
import { SJE_TRAIN_DEFAULT, SjeTrainer, drawSjeBatch, trainTextEncoder } from '../../src/text/train-sje.js';
import { makeFixture, fixtureSource } from './fixture.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('DS-SJE batch: distinct classes, one caption of the chosen image each, deterministic per seed', async () => {
  const items = makeFixture({ numClasses: 5, perClass: 3, testPerClass: 1, size: 16, seed: 1 });
  const src = fixtureSource(items.filter((i) => i.split === 'train'));
  const b1 = await drawSjeBatch(src, new Rng(9), 40, 16);
  const b2 = await drawSjeBatch(src, new Rng(9), 40, 16);
  assert.deepEqual(b1, b2);
  assert.equal(b1.classIds.length, 5);
  assert.equal(new Set(b1.classIds).size, 5);
  assert.equal(b1.images.length, 5 * 16 * 16 * 3);
  b1.captions.forEach((c, i) => assert.ok(items.some((it) => it.classId === b1.classIds[i] && it.captions.includes(c))));
  const b3 = await drawSjeBatch(src, new Rng(9), 3, 16);
  assert.equal(b3.classIds.length, 3);
});

test('DS-SJE training on a tiny synthetic set: the loss decreases; steps do not leak tensors', async () => {
  await tf.setBackend('cpu');
  const items = makeFixture({ numClasses: 6, perClass: 6, testPerClass: 2, size: 16, seed: 2 });
  const src = fixtureSource(items.filter((i) => i.split === 'train'));
  const textConfig = resolveTextEncoderConfig('test-tiny');
  const imageConfig = imageEncoderForPreset('test-tiny', textConfig.embDim);
  const nStart = tf.memory().numTensors;
  const trainer = new SjeTrainer(textConfig, imageConfig, { ...SJE_TRAIN_DEFAULT, learningRate: 3e-3 }, new Rng(3));
  const rng = new Rng(4);
  const fixed = await drawSjeBatch(src, new Rng(5), 6, 16);
  const before = trainer.evalLoss(fixed);
  await trainer.trainStep(await drawSjeBatch(src, rng, 6, 16)); // burn-in (optimizer slots)
  const n0 = tf.memory().numTensors;
  const losses: number[] = [];
  for (let s = 0; s < 120; s++) losses.push(await trainer.trainStep(await drawSjeBatch(src, rng, 6, 16)));
  assert.equal(tf.memory().numTensors, n0);
  const after = trainer.evalLoss(fixed);
  assert.ok(mean(losses.slice(-15)) < 0.6 * mean(losses.slice(0, 15)), `first ${mean(losses.slice(0, 15))} last ${mean(losses.slice(-15))}`);
  assert.ok(after < 0.6 * before, `fixed-batch loss ${before} -> ${after}`);
  assert.equal(trainer.step, 121);
  trainer.dispose();
  assert.equal(tf.memory().numTensors, nStart);
});

test('trainTextEncoder: held-out retrieval beats chance after training', async () => {
  await tf.setBackend('cpu');
  const items = makeFixture({ numClasses: 6, perClass: 8, testPerClass: 3, size: 16, seed: 6 });
  const textConfig = resolveTextEncoderConfig('test-tiny');
  const r = await trainTextEncoder({
    train: fixtureSource(items.filter((i) => i.split === 'train')), heldOut: fixtureSource(items.filter((i) => i.split === 'test')),
    textConfig, imageConfig: imageEncoderForPreset('test-tiny', textConfig.embDim), trainConfig: { ...SJE_TRAIN_DEFAULT, learningRate: 3e-3 },
    steps: 150, seed: 7,
  });
  assert.equal(r.losses.length, 150);
  assert.ok(r.metrics);
  assert.equal(r.metrics.images, 18);
  assert.equal(r.metrics.captions, 180);
  // chance is 1/6 for top-1 and about 0.2 for the mAP of a random ranking here; require twice that
  assert.ok(r.metrics.captionToImageTop1 > 1 / 3, JSON.stringify(r.metrics));
  assert.ok(r.metrics.captionToImageMap > 0.4, JSON.stringify(r.metrics));
});

test('fixture: held-out captions never occur among training captions, and name the class colours', () => {
  const items = makeFixture({ numClasses: 20, perClass: 12, testPerClass: 4, size: 8, seed: 42 });
  const train = new Set(items.filter((i) => i.split === 'train').flatMap((i) => i.captions));
  const test = items.filter((i) => i.split === 'test');
  assert.equal(test.length, 80);
  for (const it of test) {
    assert.equal(it.captions.length, 10);
    for (const c of it.captions) assert.ok(!train.has(c), c);
  }
  const novel = makeFixture({ numClasses: 3, perClass: 2, testPerClass: 1, size: 8, seed: 1, novelSentenceShapes: true });
  assert.equal(novel.filter((i) => i.split === 'test')[0].captions.length, 4);
});

test('freezeText: a step moves every image weight tensor and no text weight; the loss still falls', async () => {
  await tf.setBackend('cpu');
  const items = makeFixture({ numClasses: 4, perClass: 3, testPerClass: 1, size: 16, seed: 6 });
  const src = fixtureSource(items.filter((i) => i.split === 'train'));
  const textConfig = resolveTextEncoderConfig('test-tiny');
  const imageConfig = imageEncoderForPreset('test-tiny', textConfig.embDim);
  const trainer = new SjeTrainer(textConfig, imageConfig, { ...SJE_TRAIN_DEFAULT, learningRate: 3e-3, freezeText: true }, new Rng(3));
  const text0 = await trainer.text.weights();
  const image0 = await trainer.image.weights();
  const fixed = await drawSjeBatch(src, new Rng(5), 4, 16);
  const before = trainer.evalLoss(fixed);
  for (let s = 0; s < 30; s++) await trainer.trainStep(fixed);
  const text1 = await trainer.text.weights();
  const image1 = await trainer.image.weights();
  for (const k of Object.keys(text0)) assert.deepEqual(text1[k], text0[k], `text weight ${k} changed`);
  for (const k of Object.keys(image0)) assert.notDeepEqual(image1[k], image0[k], `image weight ${k} did not change`);
  assert.ok(trainer.evalLoss(fixed) < 0.8 * before, `fixed-batch loss ${before} -> ${trainer.evalLoss(fixed)}`);
  trainer.dispose();
});
