/**
 * Control metrics of a generator on held-out conditions. The conditions are the test split
 * of a synthetic root — captions, boxes and keypoint layouts the generator never trained on. Each generated
 * image is read by the evaluator and compared with what was asked:
 * - box IoU: detected object box vs the requested box (for models not told a box — GAN-INT-CLS, the keypoint
 *   model — the box of the held-out layout the condition came from);
 * - PCK@0.1: detected vs requested keypoints, distance ≤ 0.1 × image side (`pckBox`: × max(w,h) of the box);
 *   only for models told keypoints (n/a for the box model and GAN-INT-CLS);
 * - attribute accuracy: detected part colours vs the colours the caption names;
 * - evaluator Fréchet distance: Fréchet distance of evaluator features, generated vs the real held-out images
 *   of the same conditions (NOT FID: the features are the evaluator's, not Inception's);
 * - diversity: mean pairwise feature distance of samples that differ only in z, for a fixed condition.
 * Every number comes with a percentile-bootstrap 95% CI. The same metrics on the real images ("real" row) and
 * the evaluator's ceiling are reported alongside.
 */
import * as tf from '@tensorflow/tfjs';
import { recordGroup } from '../data/types.js';
import { keypointsToGrid } from '../layers/keypoint-grid.js';
import type { LoadedGenerator } from '../sampling/load.js';
import type { Embedder } from '../sampling/sample.js';
import { GawwnError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { imageAsFloat, loadEvalSet, type ClassSelection, type EvalSet } from './eval-data.js';
import { runEvaluator, type EvaluatorOutput } from './evaluator.js';
import { attributeAccuracy, biasShiftedCi, bootstrapDistribution, boxIou, captionColours, featureFrechetDistance, meanPairwiseDistance, meanWithCi, pck, type Estimate } from './metrics.js';
import type { EvaluatorCeiling, LoadedEvaluator } from './train-evaluator.js';

export const EVAL_FORMAT = 'gawwn-eval/1';

/** One held-out condition. */
export interface Condition {
  imageId: number;
  caption: string;
  /** x, y, w, h in [0,1]. */
  box: Float32Array;
  /** K×3 (x, y, v). */
  keypoints: Float32Array;
}

/** The metrics of one set of images. null = not applicable. */
export interface MetricSet {
  boxIou: Estimate | null;
  pck: Estimate | null;
  pckBox: Estimate | null;
  attributeAccuracy: Estimate | null;
  evaluatorFrechetDistance: Estimate | null;
  diversity: Estimate | null;
  /**
   * Attribute accuracy per attribute (e.g. `crown`), over the conditions whose caption names it: which parts
   * follow the text. Absent in older result files (the field is optional).
   */
  attributeAccuracyByPart?: Record<string, Estimate | null>;
  /**
   * Per-pixel standard deviation (pixels in [0, 1]) across samples that differ only in z, averaged over pixels,
   * for a fixed condition (generated only; absent in older results). A generator that ignores z has ≈ 0.
   */
  zPixelStd?: Estimate | null;
  /** The same across captions, with the location and z fixed: the scale `zPixelStd` is read against. */
  captionPixelStd?: Estimate | null;
}

/** The metrics that are one estimate each (the table's columns). */
export type EstimateMetric = Exclude<keyof MetricSet, 'attributeAccuracyByPart' | 'zPixelStd' | 'captionPixelStd'>;

export interface EvalResult {
  format: typeof EVAL_FORMAT;
  model: string;
  family: string;
  steps: number;
  data: string;
  /**
   * Layout of the data root: 'cub' (birds) or 'mpii' (people). The control targets are for the bird models, so the
   * results table marks them only on birds. Absent in older result files, which are all birds.
   */
  dataFormat?: 'cub' | 'mpii';
  /**
   * Which held-out classes gave the conditions (EvaluateOptions.classes): 'unseen' = classes held out of training
   * entirely. Absent in older result files, which used every test record.
   */
  classes?: ClassSelection;
  evaluator: string;
  /** Number of held-out conditions (one generated image each). */
  n: number;
  seed: number;
  definitions: Record<string, string>;
  generated: MetricSet;
  real: MetricSet;
  ceiling: EvaluatorCeiling | null;
  seconds: number;
}

export const DEFINITIONS: Readonly<Record<string, string>> = Object.freeze({
  conditions: 'test split of the data root (captions, boxes, keypoint layouts never seen in training); one caption per image drawn with the seed',
  boxIou: 'IoU of the evaluator-detected object box with the requested box (the held-out layout box for models not told a box)',
  pck: 'PCK@0.1: fraction of requested visible keypoints detected within 0.1 x image side; n/a for models not told keypoints',
  pckBox: 'PCK@0.1 with distances normalised by max(w,h) of the requested box',
  attributeAccuracy: 'fraction of part colours named by the caption that the evaluator detects',
  attributeAccuracyByPart: 'attribute accuracy of each part, over the conditions whose caption names that part',
  evaluatorFrechetDistance: "Frechet distance between Gaussians fitted to evaluator features of generated vs real held-out images (not FID: evaluator features, not Inception's)",
  diversity: 'mean pairwise L2 distance of evaluator features of samples differing only in z, for a fixed condition (real row: real images of the same class, birds, or activity, people)',
  ci: '95% percentile bootstrap over images (conditions for diversity); for the evaluator Frechet distance the interval is shifted down by the bootstrap estimate of its bias (resampling inflates it)',
});

/** Draws n held-out conditions from an evaluation set (one caption per image). */
export function drawConditions(set: EvalSet, n: number, rng: Rng): Condition[] {
  const K = set.partNames.length;
  const withCaptions = set.records.map((r, i) => ({ r, i })).filter(({ r }) => (r.captions?.length ?? 0) > 0);
  if (withCaptions.length === 0) throw new GawwnError('the held-out records have no captions (text_c10)');
  const pick = rng.permutation(withCaptions.length).slice(0, Math.min(n, withCaptions.length));
  return pick.map((j) => {
    const { r, i } = withCaptions[j];
    return {
      imageId: r.imageId,
      caption: rng.pick(r.captions as string[]),
      box: set.box.slice(i * 4, i * 4 + 4),
      keypoints: set.keypoints.slice(i * K * 3, (i + 1) * K * 3),
    };
  });
}

/**
 * Generates one image per condition (z from `seed`), batched. Returns HWC float32 in [-1,1] and the side.
 * The keypoint model gets the visible requested keypoints only (v = 1), invisible ones off, as in training.
 */
export async function generateForConditions(gen: LoadedGenerator, embed: Embedder, conds: readonly Condition[], seed: number, batch = 32, sameZ = false): Promise<{ images: Float32Array; size: number }> {
  if (gen.family === 'keypoint-gen') throw new GawwnError('a keypoint generator draws keypoints, not images: evaluate the keypoint model');
  const nz = gen.config.model.nz;
  const rng = new Rng(seed);
  const txtRows = await embed(conds.map((c) => c.caption));
  const T = txtRows[0].length;
  const chunks: Float32Array[] = [];
  let size = 0;
  for (let s = 0; s < conds.length; s += batch) {
    const part = conds.slice(s, s + batch);
    const B = part.length;
    // sameZ: one noise vector for every row (only the conditions differ).
    const z1 = sameZ ? new Rng(seed).normalArray(nz) : null;
    const zData = z1 === null ? rng.normalArray(B * nz) : Float32Array.from({ length: B * nz }, (_, i) => z1[i % nz]);
    const txtData = new Float32Array(B * T);
    part.forEach((_, i) => txtData.set(txtRows[s + i], i * T));
    const out = tf.tidy(() => {
      const z = tf.tensor2d(zData, [B, nz]);
      const txt = tf.tensor2d(txtData, [B, T]);
      switch (gen.family) {
        case 'bbox': {
          const b = tf.tensor2d(Float32Array.from(part.flatMap((c) => Array.from(c.box))), [B, 4]);
          return gen.G.predict([z, txt, b]) as tf.Tensor4D;
        }
        case 'keypoint': {
          const K = (gen.config.model as { numParts: number }).numParts;
          const d = new Float32Array(B * K * 3);
          part.forEach((c, i) => {
            if (c.keypoints.length !== K * 3) throw new GawwnError(`the model has ${K} parts, the data ${c.keypoints.length / 3}`);
            for (let k = 0; k < K; k++) if (c.keypoints[k * 3 + 2] > 0) d.set([c.keypoints[k * 3], c.keypoints[k * 3 + 1], 1], (i * K + k) * 3);
          });
          const { maps } = keypointsToGrid(tf.tensor3d(d, [B, K, 3]), 16);
          return gen.G.predict([z, txt, maps]) as tf.Tensor4D;
        }
        case 'gan-int-cls':
          return gen.G.predict([z, txt]) as tf.Tensor4D;
        default:
          throw new GawwnError(`cannot evaluate family ${String(gen.family)}`);
      }
    });
    size = out.shape[1];
    chunks.push((await out.data()) as Float32Array);
    out.dispose();
  }
  const images = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    images.set(c, off);
    off += c.length;
  }
  return { images, size };
}

/** Per-image control metrics of evaluator readings against conditions. */
export function controlMetrics(
  out: EvaluatorOutput,
  conds: readonly Condition[],
  ev: { attributes: string[]; colours: string[]; numParts: number },
  opts: { pck: boolean },
  rng: Rng,
): Pick<MetricSet, 'boxIou' | 'pck' | 'pckBox' | 'attributeAccuracy' | 'attributeAccuracyByPart'> {
  const K = ev.numParts;
  const A = ev.attributes.length;
  const ious: number[] = [];
  const pcks: (number | null)[] = [];
  const pckBoxes: (number | null)[] = [];
  const accs: (number | null)[] = [];
  const byPart: number[][] = ev.attributes.map(() => []);
  conds.forEach((c, i) => {
    ious.push(boxIou(out.boxes.subarray(i * 4, i * 4 + 4), c.box));
    const det = out.keypoints.subarray(i * K * 3, (i + 1) * K * 3);
    if (opts.pck) {
      pcks.push(pck(det, c.keypoints, 0.1, 'image'));
      pckBoxes.push(pck(det, c.keypoints, 0.1, 'box', c.box));
    }
    const read = out.attributes.subarray(i * A, (i + 1) * A);
    const told = captionColours(c.caption, ev.attributes, ev.colours);
    accs.push(attributeAccuracy(read, told));
    told.forEach((t, a) => {
      if (t >= 0) byPart[a].push(read[a] === t ? 1 : 0);
    });
  });
  return {
    boxIou: meanWithCi(ious, rng),
    pck: opts.pck ? meanWithCi(pcks, rng) : null,
    pckBox: opts.pck ? meanWithCi(pckBoxes, rng) : null,
    attributeAccuracy: meanWithCi(accs, rng),
    attributeAccuracyByPart: Object.fromEntries(ev.attributes.map((name, a) => [name, meanWithCi(byPart[a], rng)])),
  };
}

/**
 * Evaluator Fréchet distance of two feature sets with a bootstrap CI (both sets resampled). The interval is the
 * bias-shifted percentile interval (metrics.ts `biasShiftedCi`): resampling inflates a Fréchet distance.
 */
export function frechetWithCi(a: Float32Array, na: number, b: Float32Array, nb: number, d: number, rng: Rng, reps = 100): Estimate | null {
  if (na < 2 || nb < 2) return null;
  const rows = (x: Float32Array, idx: Int32Array): Float32Array => {
    const o = new Float32Array(idx.length * d);
    idx.forEach((j, i) => o.set(x.subarray(j * d, (j + 1) * d), i * d));
    return o;
  };
  const { value, sorted } = bootstrapDistribution(na, (idx) => {
    const idxB = idx.length === na && idx.every((v, i) => v === i) ? Int32Array.from({ length: nb }, (_, i) => i) : Int32Array.from({ length: nb }, () => rng.int(0, nb - 1));
    return featureFrechetDistance(rows(a, idx), na, rows(b, idxB), nb, d);
  }, rng, reps);
  return { value, ci: biasShiftedCi(value, sorted, 0), n: na };
}

export interface EvaluateOptions {
  dataRoot: string;
  /** Held-out conditions. Default 200. */
  n?: number;
  /** Conditions for diversity and samples per condition. Default 10 × 8. */
  diversityConditions?: number;
  diversitySamples?: number;
  seed?: number;
  /** Name to report for the model (e.g. `pretrained:birds-bbox`). */
  modelName?: string;
  /** Name to report for the evaluator. */
  evaluatorName?: string;
  /** Held-out classes to draw conditions from (eval-data.ts ClassSelection). Default 'all'. */
  classes?: ClassSelection;
}

/** Evaluates a generator on held-out conditions (see the file header). */
export async function evaluateGenerator(gen: LoadedGenerator, embed: Embedder, ev: LoadedEvaluator, o: EvaluateOptions): Promise<EvalResult> {
  const t0 = Date.now();
  const n = o.n ?? 200;
  const seed = o.seed ?? 1;
  if (!Number.isInteger(n) || n < 2) throw new GawwnError(`\`n\` must be an integer >= 2, got ${n}`, { options: ['n'] });
  const rng = new Rng(seed);
  // Decode only a seeded subset of the held-out split (a few more than n: some records may lack captions).
  const set = await loadEvalSet(o.dataRoot, { split: 'test', classes: o.classes ?? 'all', limit: Math.ceil(n * 1.1) + 2, seed });
  if (set.partNames.length !== ev.config.numParts) throw new GawwnError(`the evaluator reads ${ev.config.numParts} keypoints, the data has ${set.partNames.length}`, { file: o.dataRoot });
  const conds = drawConditions(set, n, rng);
  const F = ev.config.featureDim;
  // Generated images.
  const gen1 = await generateForConditions(gen, embed, conds, seed + 1);
  const outGen = await runEvaluator(ev.model, ev.config, gen1.images, gen1.size);
  // The real images of the same conditions.
  const S = set.size;
  const index = new Map(set.records.map((r, i) => [r.imageId, i]));
  const realImgs = new Float32Array(conds.length * S * S * 3);
  conds.forEach((c, i) => imageAsFloat(set, index.get(c.imageId) as number, false, realImgs.subarray(i * S * S * 3, (i + 1) * S * S * 3)));
  const outReal = await runEvaluator(ev.model, ev.config, realImgs, S);
  const toldKeypoints = gen.family === 'keypoint';
  const generated: MetricSet = {
    ...controlMetrics(outGen, conds, ev.config, { pck: toldKeypoints }, rng),
    evaluatorFrechetDistance: frechetWithCi(outGen.features, outGen.n, outReal.features, outReal.n, F, rng),
    diversity: null,
  };
  // Diversity: fixed condition, different z.
  const dc = Math.min(o.diversityConditions ?? 10, conds.length);
  const m = o.diversitySamples ?? 8;
  const divs: number[] = [];
  const zStd: number[] = [];
  const capStd: number[] = [];
  for (let c = 0; c < dc; c++) {
    const rep = Array(m).fill(conds[c]) as Condition[];
    const g = await generateForConditions(gen, embed, rep, seed + 100 + c);
    const r = await runEvaluator(ev.model, ev.config, g.images, g.size);
    divs.push(meanPairwiseDistance(r.features, m, F) as number);
    zStd.push(meanPixelStd(g.images, m));
    // The same location and z, the captions of m different conditions.
    const caps = Array.from({ length: m }, (_, j) => ({ ...conds[c], caption: conds[(c + j) % conds.length].caption }));
    capStd.push(meanPixelStd((await generateForConditions(gen, embed, caps, seed + 200 + c, 32, true)).images, m));
  }
  generated.diversity = meanWithCi(divs, rng);
  generated.zPixelStd = meanWithCi(zStd, rng);
  generated.captionPixelStd = meanWithCi(capStd, rng);
  // Real row: control metrics of real images vs their own conditions; Fréchet distance between two halves;
  // diversity among real images of the same class.
  const half = Math.floor(outReal.n / 2);
  const real: MetricSet = {
    ...controlMetrics(outReal, conds, ev.config, { pck: true }, rng),
    evaluatorFrechetDistance: frechetWithCi(outReal.features, half, outReal.features.subarray(half * F), outReal.n - half, F, rng),
    diversity: realClassDiversity(set, conds, outReal, F, rng),
  };
  return {
    format: EVAL_FORMAT,
    model: o.modelName ?? gen.source,
    family: gen.family,
    steps: gen.steps,
    data: o.dataRoot,
    dataFormat: set.format,
    classes: o.classes ?? 'all',
    evaluator: o.evaluatorName ?? ev.source,
    n: conds.length,
    seed,
    definitions: { ...DEFINITIONS },
    generated,
    real,
    ceiling: ev.ceiling,
    seconds: (Date.now() - t0) / 1000,
  };
}

/**
 * Per-pixel standard deviation across `m` images (G's [−1, 1] output, reported in [0, 1] units), averaged over
 * pixels and channels.
 */
export function meanPixelStd(images: Float32Array, m: number): number {
  const P = images.length / m;
  let acc = 0;
  for (let p = 0; p < P; p++) {
    let s = 0;
    let ss = 0;
    for (let i = 0; i < m; i++) {
      const v = images[i * P + p] / 2;
      s += v;
      ss += v * v;
    }
    const mean = s / m;
    acc += Math.sqrt(Math.max(0, ss / m - mean * mean));
  }
  return acc / P;
}

/**
 * Mean pairwise feature distance among the real condition images of each class (birds) or activity (people),
 * over the groups with ≥ 2 images; null with fewer than 2 such groups, where a bootstrap interval would not be an
 * estimate.
 */
export function realClassDiversity(set: EvalSet, conds: readonly Condition[], out: EvaluatorOutput, F: number, rng: Rng): Estimate | null {
  const group = new Map<number, string>(set.records.map((r) => [r.imageId, recordGroup(r)]));
  const groups = new Map<string, number[]>();
  conds.forEach((c, i) => {
    const k = group.get(c.imageId) ?? '';
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  const vals: number[] = [];
  for (const idx of groups.values()) {
    if (idx.length < 2) continue;
    const x = new Float32Array(idx.length * F);
    idx.forEach((j, i) => x.set(out.features.subarray(j * F, (j + 1) * F), i * F));
    vals.push(meanPairwiseDistance(x, idx.length, F) as number);
  }
  if (vals.length < 2) return null;
  return meanWithCi(vals, rng);
}
