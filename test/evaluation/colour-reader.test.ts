import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ColourCentroids, foregroundBox, medianRgb, regionPixels, voteColour, type Rgb } from '../../src/evaluation/colour-reader.js';

test('medianRgb: per-channel median ignores a minority of edge/eye pixels', () => {
  // Five pixels: three of the part colour (jittered), one white eye pixel, one blended edge pixel.
  const img = new Uint8Array([
    40, 150, 50, /**/ 44, 146, 52, /**/ 38, 155, 47, /**/ 240, 240, 240, /**/ 120, 130, 110, /**/ 0, 0, 0,
  ]);
  assert.deepEqual(medianRgb(img, [0, 1, 2, 3, 4]), [44, 150, 52]);
  assert.deepEqual(medianRgb(img, [0, 1]), [42, 148, 51]); // even count: mean of the middle two
  assert.throws(() => medianRgb(img, []), /no pixels/);
});

test('ColourCentroids: fit = mean per (attribute, colour); classify = nearest non-null centroid', () => {
  const s = (attr: number, colour: number, rgb: Rgb): { attr: number; colour: number; rgb: Rgb } => ({ attr, colour, rgb });
  const c = ColourCentroids.fit([s(0, 0, [200, 30, 30]), s(0, 0, [210, 40, 20]), s(0, 1, [30, 30, 200]), s(1, 2, [100, 100, 100])], 2, 3);
  assert.deepEqual(c.centroids[0], [[205, 35, 25], [30, 30, 200], null]);
  assert.deepEqual(c.centroids[1], [null, null, [100, 100, 100]]);
  assert.equal(c.classify(0, [190, 50, 40]), 0);
  assert.equal(c.classify(0, [60, 60, 180]), 1);
  assert.equal(c.classify(0, [100, 100, 100]), 1); // distance² to blue 19,800 < to red 20,875
  assert.equal(c.classify(1, [255, 0, 0]), 2); // only one colour ever seen for attribute 1
  assert.throws(() => ColourCentroids.fit([s(2, 0, [0, 0, 0])], 2, 3), /out of range/);
  assert.throws(() => new ColourCentroids([[null, null]]).classify(0, [0, 0, 0]), /no fitted colour/);
});

test('regionPixels: labelled pixels, or the top-probability ones when the region is (almost) absent', () => {
  const labels = new Uint8Array([0, 2, 2, 0, 1, 2, 0, 0, 1]);
  assert.deepEqual(regionPixels(labels, 2, null, 2), [1, 2, 5]);
  const prob = new Float32Array([0.1, 0.2, 0.3, 0.45, 0.05, 0.0, 0.4, 0.35, 0.01]);
  assert.deepEqual(regionPixels(labels, 3, prob, 3), [3, 6, 7]);
  assert.deepEqual(regionPixels(labels, 3, null, 3), []);
});

test('foregroundBox: tight box of label > 0 in [0,1]; rows/columns below minCount ignored', () => {
  const S = 8;
  const m = new Uint8Array(S * S);
  for (let y = 2; y <= 4; y++) for (let x = 1; x <= 5; x++) m[y * S + x] = 3;
  assert.deepEqual(foregroundBox(m, S), [1 / 8, 2 / 8, 5 / 8, 3 / 8]);
  m[7 * S + 7] = 1; // an isolated false positive
  assert.deepEqual(foregroundBox(m, S), [1 / 8, 2 / 8, 7 / 8, 6 / 8]);
  assert.deepEqual(foregroundBox(m, S, 2), [1 / 8, 2 / 8, 5 / 8, 3 / 8]);
  assert.deepEqual(foregroundBox(new Uint8Array(S * S), S), [0.5, 0.5, 0, 0]);
});

test('voteColour: a red/blue mixture (a region spilling over its neighbour) votes red or blue; its median reads purple', () => {
  const cen = new ColourCentroids([[[200, 30, 35], [35, 70, 200], [120, 45, 160]]]); // red, blue, purple
  // 3 red, 3 blue, 1 in-between pixel: the channel medians are those of the in-between pixel, (120, 45, 150).
  const img = new Uint8Array([200, 30, 35, 205, 28, 40, 210, 32, 38, 35, 70, 200, 30, 72, 205, 40, 68, 198, 120, 45, 150]);
  const all = [0, 1, 2, 3, 4, 5, 6];
  assert.deepEqual(medianRgb(img, all), [120, 45, 150]);
  assert.equal(cen.classify(0, medianRgb(img, all)), 2);
  assert.equal(voteColour(img, all, cen, 0), 0); // 3–3 tie → the lower index
  assert.equal(voteColour(img, [2, 3, 4, 6], cen, 0), 1);
  assert.throws(() => voteColour(img, [], cen, 0), /no pixels/);
});
