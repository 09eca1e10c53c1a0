import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attributeAccuracy,
  biasShiftedCi,
  bootstrap,
  bootstrapDistribution,
  boxIou,
  captionColours,
  featureFrechetDistance,
  frechetDistance,
  meanPairwiseDistance,
  meanWithCi,
  pck,
  sqrtPsd,
  symmetricEigen,
} from '../../src/evaluation/metrics.js';
import { frechetWithCi } from '../../src/evaluation/evaluate.js';
import { Rng } from '../../src/util/rng.js';

const close = (a: number, b: number, tol = 1e-9, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

test('box IoU = |A∩B| / (|A| + |B| − |A∩B|) on hand-made boxes', () => {
  close(boxIou([0, 0, 0.5, 0.5], [0, 0, 0.5, 0.5]), 1);
  // Overlap 0.25×0.5 = 0.125; union 0.25 + 0.25 − 0.125.
  close(boxIou([0, 0, 0.5, 0.5], [0.25, 0, 0.5, 0.5]), 0.125 / 0.375);
  close(boxIou([0, 0, 0.2, 0.2], [0.5, 0.5, 0.2, 0.2]), 0);
  // Nested: inner 0.1×0.1 in outer 0.4×0.4.
  close(boxIou([0.1, 0.1, 0.4, 0.4], [0.2, 0.2, 0.1, 0.1]), 0.01 / 0.16);
  close(boxIou([0, 0, 0, 0], [0, 0, 0, 0]), 0);
});

test('PCK@0.1 counts requested visible points within 0.1·L (L = 1 or max(w,h) of the box)', () => {
  // Three requested points (v=1) and one not requested (v=0).
  const req = [0.5, 0.5, 1, 0.2, 0.2, 1, 0.8, 0.8, 1, 0.1, 0.9, 0];
  // Distances ≈0.036, 0.15, 0.099, (far, ignored).
  const det = [0.52, 0.53, 0.9, 0.2, 0.35, 0.9, 0.8, 0.899, 0.9, 0.9, 0.1, 0.1];
  close(pck(det, req, 0.1, 'image') as number, 2 / 3);
  // Box norm: max(w,h) = 0.5 → threshold 0.05: only the 0.036 point counts.
  close(pck(det, req, 0.1, 'box', [0, 0, 0.3, 0.5]) as number, 1 / 3);
  close(pck(det, req, 0.2, 'image') as number, 1);
  assert.equal(pck(det, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.1), null);
  assert.throws(() => pck([0, 0, 1], req), /differ in size/);
});

test('attribute accuracy over known attributes; caption colours parsed as "<colour> <part>"', () => {
  close(attributeAccuracy([1, 2, 3, 4], [1, -1, 0, 4]) as number, 2 / 3);
  assert.equal(attributeAccuracy([1], [-1]), null);
  const attrs = ['crown', 'wings', 'belly', 'beak'];
  const colours = ['red', 'blue', 'brown', 'grey'];
  const c = captionColours('this small bird has blue wings, a red crown and a short brown beak', attrs, colours);
  assert.deepEqual(Array.from(c), [0, 1, -1, 2]);
});

test('Jacobi eigen-decomposition reconstructs a symmetric matrix; sqrtPsd squares back', () => {
  const d = 4;
  const rng = new Rng(3);
  const b = Float64Array.from({ length: d * d }, () => rng.normal());
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) m[i * d + j] += b[i * d + k] * b[j * d + k];
  const { values, vectors } = symmetricEigen(m, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k] * values[k] * vectors[j * d + k];
      close(s, m[i * d + j], 1e-9, `A[${i},${j}]`);
    }
  }
  const r = sqrtPsd(m, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += r[i * d + k] * r[k * d + j];
      close(s, m[i * d + j], 1e-8, `sqrt² [${i},${j}]`);
    }
  }
});

test('Fréchet distance of two known Gaussians matches the closed form', () => {
  // Diagonal covariances: FD = ‖μ1−μ2‖² + Σ (√a_i − √b_i)².
  const d = 3;
  const mu1 = Float64Array.from([0, 1, 2]);
  const mu2 = Float64Array.from([1, 1, 0]);
  const a = [1, 4, 9];
  const b = [4, 1, 0.25];
  const c1 = new Float64Array(d * d);
  const c2 = new Float64Array(d * d);
  a.forEach((v, i) => (c1[i * d + i] = v));
  b.forEach((v, i) => (c2[i * d + i] = v));
  const expected = 1 + 0 + 4 + a.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(b[i])) ** 2, 0);
  close(frechetDistance(mu1, c1, mu2, c2, d), expected, 1e-9);
  // Same Gaussian, rotated non-diagonal covariance: distance 0.
  const rot = Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 1]);
  close(frechetDistance(mu1, rot, mu1, rot, d), 0, 1e-9);
  // 1-D: (μ1−μ2)² + (σ1−σ2)².
  close(frechetDistance(Float64Array.from([3]), Float64Array.from([4]), Float64Array.from([1]), Float64Array.from([9]), 1), 4 + 1, 1e-12);
});

test('feature Fréchet distance of samples of N(0,I) vs N(m,I) approaches ‖m‖²', () => {
  const rng = new Rng(7);
  const n = 4000;
  const d = 2;
  const a = Float32Array.from({ length: n * d }, () => rng.normal());
  const b = Float32Array.from({ length: n * d }, (_, i) => rng.normal() + (i % d === 0 ? 2 : 0));
  const fd = featureFrechetDistance(a, n, b, n, d);
  assert.ok(Math.abs(fd - 4) < 0.25, `fd ${fd}`);
});

test('mean pairwise distance of hand-made points', () => {
  // (0,0), (3,4), (0,4): distances 5, 4, 3.
  close(meanPairwiseDistance(Float32Array.from([0, 0, 3, 4, 0, 4]), 3, 2) as number, 4);
  assert.equal(meanPairwiseDistance(Float32Array.from([1, 2]), 1, 2), null);
});

test('bootstrap 95% CI contains the mean and narrows with more data', () => {
  const rng = new Rng(11);
  const small = Array.from({ length: 30 }, () => rng.normal(5, 1));
  const big = Array.from({ length: 1000 }, () => rng.normal(5, 1));
  const es = meanWithCi(small, new Rng(1)) as NonNullable<ReturnType<typeof meanWithCi>>;
  const eb = meanWithCi(big, new Rng(1)) as NonNullable<ReturnType<typeof meanWithCi>>;
  for (const e of [es, eb]) {
    assert.ok(e.ci[0] <= e.value && e.value <= e.ci[1], `ci ${e.ci} mean ${e.value}`);
  }
  close(es.value, small.reduce((a, b) => a + b, 0) / small.length, 1e-12);
  // CI width ≈ 2·1.96·σ/√n.
  close(eb.ci[1] - eb.ci[0], (2 * 1.96) / Math.sqrt(1000), 0.03);
  assert.ok(es.ci[1] - es.ci[0] > eb.ci[1] - eb.ci[0]);
  assert.equal(meanWithCi([null, null], new Rng(1)), null);
  const constant = bootstrap(10, () => 2, new Rng(1), 50);
  assert.deepEqual(constant, { value: 2, ci: [2, 2], n: 10 });
});

test('bias-shifted CI: percentiles moved down by (mean of replicates − value), clipped at the floor', () => {
  // Replicates 12, 14, 16, 18 (mean 15) around a value of 10: bias 5.
  const [lo, hi] = biasShiftedCi(10, [12, 14, 16, 18]);
  close(lo, 12 + 0.025 * 3 * 2 - 5, 1e-12);
  close(hi, 12 + 0.975 * 3 * 2 - 5, 1e-12);
  assert.deepEqual(biasShiftedCi(1, [12, 14, 16, 18], 0), [0, 12 + 0.975 * 6 - 14]);
  // bootstrapDistribution is what bootstrap() takes its percentiles from.
  const stat = (idx: Int32Array): number => idx.reduce((a, i) => a + i * i, 0);
  const d = bootstrapDistribution(20, stat, new Rng(3), 200);
  const e = bootstrap(20, stat, new Rng(3), 200);
  assert.equal(d.value, e.value);
  assert.equal(d.sorted.length, 200);
  assert.ok(d.sorted.every((v, i) => i === 0 || d.sorted[i - 1] <= v));
});

test('evaluator Fréchet distance CI contains its value even though resampling inflates every replicate', () => {
  // Two samples of the same 8-d Gaussian: the true distance is 0 and the estimate is small; a resampled set
  // has duplicates, so its covariance loses rank and its distance is larger.
  const rng = new Rng(5);
  const d = 8;
  const n = 100;
  const a = Float32Array.from({ length: n * d }, () => rng.normal());
  const b = Float32Array.from({ length: n * d }, () => rng.normal());
  const value = featureFrechetDistance(a, n, b, n, d);
  const plain = bootstrap(n, (idx) => {
    const rows = new Float32Array(n * d);
    idx.forEach((j, i) => rows.set(a.subarray(j * d, (j + 1) * d), i * d));
    return featureFrechetDistance(rows, n, b, n, d);
  }, new Rng(7), 100);
  assert.ok(plain.ci[0] > value, `the plain percentile interval [${plain.ci}] misses the value ${value}: the defect this guards`);
  const e = frechetWithCi(a, n, b, n, d, new Rng(7)) as NonNullable<ReturnType<typeof frechetWithCi>>;
  close(e.value, value, 1e-9);
  assert.ok(e.ci[0] <= e.value && e.value <= e.ci[1], `ci ${e.ci} value ${e.value}`);
  assert.ok(e.ci[0] >= 0);
});
