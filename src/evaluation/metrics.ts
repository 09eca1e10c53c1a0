/**
 * Control and quality metrics. Each function states its definition; all are pure JS on plain
 * arrays (no tensors), so they are exact and testable on hand-made cases.
 * Coordinates are normalised to the image: x right, y down in [0,1]; boxes are [x, y, w, h].
 */
import { PART_ADJECTIVES, type BirdAttribute } from '../data/synth-birds.js';
import { GawwnError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** Intersection over union of two boxes [x, y, w, h]; 0 when either is empty. */
export function boxIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** How PCK distances are normalised: by the image side (coordinates in [0,1]) or by max(w, h) of the GT box. */
export type PckNorm = 'image' | 'box';

/**
 * PCK@α of one image: the fraction of the requested (visible, v > 0) keypoints whose detected location lies
 * within α·L of the requested one, where L = 1 (the image side) for 'image' or max(w, h) of `box` for 'box'.
 * Detected visibility is not scored. Returns null when no keypoint was requested.
 * `detected` and `requested` are K×3 (x, y, v).
 */
export function pck(detected: ArrayLike<number>, requested: ArrayLike<number>, alpha = 0.1, norm: PckNorm = 'image', box?: ArrayLike<number>): number | null {
  if (detected.length !== requested.length || requested.length % 3 !== 0) throw new GawwnError(`pck: keypoint arrays differ in size (${detected.length} vs ${requested.length})`);
  let L = 1;
  if (norm === 'box') {
    if (!box) throw new GawwnError("pck: norm 'box' needs the box");
    L = Math.max(box[2], box[3]);
  }
  let hit = 0;
  let total = 0;
  for (let k = 0; k < requested.length; k += 3) {
    if (!(requested[k + 2] > 0)) continue;
    total++;
    if (Math.hypot(detected[k] - requested[k], detected[k + 1] - requested[k + 1]) <= alpha * L) hit++;
  }
  return total === 0 ? null : hit / total;
}

/** Fraction of the known attributes (expected ≥ 0) whose detected colour index equals the expected one; null if none known. */
export function attributeAccuracy(detected: ArrayLike<number>, expected: ArrayLike<number>): number | null {
  let hit = 0;
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] < 0) continue;
    total++;
    if (detected[i] === expected[i]) hit++;
  }
  return total === 0 ? null : hit / total;
}

/**
 * The colour a caption gives each part: "a red crown, pink wings" → {crown: red, wings: pink}. The synthetic
 * captions' patterns: a colour word directly followed by a part word or its adjective ("red crowned"), or a
 * part word followed by is/are and a colour ("its wings are pink"). Returns one index into `colours` per
 * attribute, −1 when the caption does not name it.
 */
export function captionColours(caption: string, attributes: readonly string[], colours: readonly string[]): Int32Array {
  const out = new Int32Array(attributes.length).fill(-1);
  const words = caption.toLowerCase().match(/[a-z]+/g) ?? [];
  // A part word, or its compound-adjective form ("crowned", "winged"; synth-birds PART_ADJECTIVES).
  const part = (w: string | undefined): number => {
    if (w === undefined) return -1;
    const a = attributes.indexOf(w);
    if (a >= 0) return a;
    return attributes.findIndex((x) => PART_ADJECTIVES[x as BirdAttribute] === w);
  };
  for (let i = 0; i + 1 < words.length; i++) {
    // "red crown", "red crowned"
    const c = colours.indexOf(words[i]);
    const a = part(words[i + 1]);
    if (c >= 0 && a >= 0) out[a] = c;
    // "crown is red", "wings are blue"
    const p = attributes.indexOf(words[i]);
    if (p >= 0 && (words[i + 1] === 'is' || words[i + 1] === 'are')) {
      const c2 = colours.indexOf(words[i + 2] ?? '');
      if (c2 >= 0) out[p] = c2;
    }
  }
  return out;
}

/** Mean and covariance (divisor n − 1) of N×D rows. */
export function meanCov(x: Float32Array | Float64Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2) throw new GawwnError(`need at least 2 samples for a covariance, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= n - 1;
      cov[b * d + a] = cov[a * d + b];
    }
  }
  return { mean, cov };
}

/** Eigen-decomposition of a symmetric d×d matrix by cyclic Jacobi rotations: values and column eigenvectors. */
export function symmetricEigen(m: Float64Array, d: number, tol = 1e-12, maxSweeps = 60): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off <= tol * tol * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

/** Principal square root of a symmetric positive semi-definite matrix (negative eigenvalues from rounding → 0). */
export function sqrtPsd(m: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(m, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = vectors[i * d + k] * s;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += vik * vectors[j * d + k];
    }
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  }
  return out;
}

/**
 * Fréchet distance between Gaussians N(μ1,Σ1) and N(μ2,Σ2):
 * ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr (Σ1^½ Σ2 Σ1^½)^½ (Dowson & Landau 1982; the FID formula of Heusel et al.
 * 2017). Computed with the symmetric form, so only symmetric square roots are needed.
 */
export function frechetDistance(mu1: Float64Array, cov1: Float64Array, mu2: Float64Array, cov2: Float64Array, d: number): number {
  let dm = 0;
  for (let i = 0; i < d; i++) dm += (mu1[i] - mu2[i]) ** 2;
  let tr = 0;
  for (let i = 0; i < d; i++) tr += cov1[i * d + i] + cov2[i * d + i];
  const s1 = sqrtPsd(cov1, d);
  const inner = matmul(matmul(s1, cov2, d), s1, d);
  // Symmetrise against rounding before the second root.
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) inner[i * d + j] = inner[j * d + i] = (inner[i * d + j] + inner[j * d + i]) / 2;
  const { values } = symmetricEigen(inner, d);
  let trSqrt = 0;
  for (const v of values) trSqrt += Math.sqrt(Math.max(0, v));
  return Math.max(0, dm + tr - 2 * trSqrt);
}

/** Evaluator Fréchet distance between two sets of feature rows (N1×D, N2×D). Not FID: the features are the evaluator's. */
export function featureFrechetDistance(a: Float32Array, na: number, b: Float32Array, nb: number, d: number): number {
  const A = meanCov(a, na, d);
  const B = meanCov(b, nb, d);
  return frechetDistance(A.mean, A.cov, B.mean, B.cov, d);
}

/** Mean Euclidean distance over all unordered pairs of N rows of D features (diversity); null when N < 2. */
export function meanPairwiseDistance(x: Float32Array, n: number, d: number): number | null {
  if (n < 2) return null;
  let s = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let q = 0;
      for (let k = 0; k < d; k++) q += (x[i * d + k] - x[j * d + k]) ** 2;
      s += Math.sqrt(q);
      pairs++;
    }
  }
  return s / pairs;
}

/** A statistic with its bootstrap 95% confidence interval. */
export interface Estimate {
  value: number;
  /** 2.5% and 97.5% percentiles of the bootstrap distribution. */
  ci: [number, number];
  /** Number of units (images or conditions) it was computed from. */
  n: number;
}

/** Percentile (linear interpolation) of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new GawwnError('percentile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Percentile bootstrap (Efron 1979): resample the units with replacement `reps` times, recompute the
 * statistic, take the 2.5/97.5 percentiles. `stat` receives the resampled unit indices.
 */
export function bootstrap(n: number, stat: (idx: Int32Array) => number, rng: Rng, reps = 1000): Estimate {
  const { value, sorted } = bootstrapDistribution(n, stat, rng, reps);
  return { value, ci: [percentile(sorted, 0.025), percentile(sorted, 0.975)], n };
}

/** The statistic on all units and its `reps` bootstrap replicates, sorted ascending. */
export function bootstrapDistribution(n: number, stat: (idx: Int32Array) => number, rng: Rng, reps = 1000): { value: number; sorted: number[] } {
  if (n < 1) throw new GawwnError('bootstrap of no units');
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const value = stat(all);
  const vals: number[] = [];
  const idx = new Int32Array(n);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(0, n - 1);
    vals.push(stat(idx));
  }
  vals.sort((a, b) => a - b);
  return { value, sorted: vals };
}

/**
 * Bias-shifted percentile interval: the 2.5/97.5 percentiles of the replicates moved down by the bootstrap's
 * own estimate of its bias (mean of the replicates − the value), clipped at `floor`. For statistics the
 * resampling itself inflates, as a Fréchet distance: duplicated units shrink the resampled covariance, so every
 * replicate lies above the value and the plain percentile interval can miss it (measured: real-vs-real 16.6,
 * plain interval [18.1, 53.1]).
 */
export function biasShiftedCi(value: number, sorted: readonly number[], floor = -Infinity): [number, number] {
  const bias = sorted.reduce((a, b) => a + b, 0) / sorted.length - value;
  return [Math.max(floor, percentile(sorted, 0.025) - bias), Math.max(floor, percentile(sorted, 0.975) - bias)];
}

/** Mean of per-unit values with a bootstrap CI; nulls (unit not applicable) are dropped. Null when none remain. */
export function meanWithCi(values: readonly (number | null)[], rng: Rng, reps = 1000): Estimate | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return null;
  return bootstrap(v.length, (idx) => {
    let s = 0;
    for (const i of idx) s += v[i];
    return s / idx.length;
  }, rng, reps);
}
