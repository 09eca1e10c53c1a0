import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { averagePrecision, retrievalMetrics } from '../../src/text/retrieval.js';

test('retrieval: average precision of a ranking, by the definition', () => {
  // relevant at ranks 1 and 3: (1/1 + 2/3) / 2
  assert.ok(Math.abs(averagePrecision([true, false, true, false]) - (1 + 2 / 3) / 2) < 1e-12);
  assert.equal(averagePrecision([false, false]), 0);
  assert.equal(averagePrecision([true, true]), 1);
});

test('retrieval: top-1 and mAP on hand-made 2-d embeddings', () => {
  // class 1 images near (1,0), class 2 near (0,1); captions: two right, one of class 2 pointing to class 1
  const m = retrievalMetrics({
    dim: 2,
    imageEmb: Float32Array.from([1, 0, 0.9, 0.1, 0, 1, 0.2, 0.8]),
    imageClass: [1, 1, 2, 2],
    captionEmb: Float32Array.from([1, 0, 0, 1, 1, 0.1]),
    captionClass: [1, 2, 2],
  });
  assert.equal(m.captionToImageTop1, 2 / 3);
  // caption 3 (class 2) ranks images 0 (1.0), 1 (0.91), 3 (0.28), 2 (0.1): relevant at ranks 3, 4
  const ap3 = (1 / 3 + 2 / 4) / 2;
  assert.ok(Math.abs(m.captionToImageMap - (1 + 1 + ap3) / 3) < 1e-9, String(m.captionToImageMap));
  // class caption means: c1 = (1,0), c2 = (0.5, 0.55): image 3 (0.2,0.8) -> c1 0.2, c2 0.54 -> class 2 ✓;
  // image 2 (0,1) -> class 2 ✓; image 1 (0.9,0.1) -> c1 0.9 vs c2 0.505 ✓; image 0 ✓
  assert.equal(m.imageToCaptionTop1, 1);
  assert.deepEqual([m.images, m.captions, m.classes], [4, 3, 2]);
});
