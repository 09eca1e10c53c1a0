/**
 * Training the evaluator on the train split of a synthetic root, and measuring its ceiling on
 * the held-out (test) split: box IoU, PCK@0.1 and attribute accuracy of the evaluator on real images vs their
 * exact ground truth. Run folder: RUN/{evaluator/ (manifest.json + weights.bin), log.jsonl, metrics.json}.
 * The colour centroids (colour-reader.ts) are fitted on the training split at the ground-truth masks before any
 * gradient step, and stored in the manifest with the rest of the config.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { adam } from '../training/adam.js';
import { resolveModelSpec } from '../sampling/load.js';
import { assignModelWeights, assignOptimizerWeights, checkpointsDir, exportWeights, extractModelWeights, extractOptimizerWeights, importWeights, loadLatest, saveCheckpoint } from '../training/checkpoint.js';
import { truncateLog } from '../training/loop.js';
import { writeFileAtomic } from '../util/atomic.js';
import { GawwnError } from '../util/errors.js';
import { lockFolder } from '../util/run-lock.js';
import { Rng } from '../util/rng.js';
import { ColourCentroids, foregroundBox, medianRgb, regionPixels, type Rgb } from './colour-reader.js';
import { imageAsFloat, loadEvalSet, maskOf, targetsOf, type EvalSet } from './eval-data.js';
import { buildEvaluator, evaluatorLoss, keypointBox, mapSize, runEvaluator, widenEvaluator, type EvaluatorConfig } from './evaluator.js';
import { attributeAccuracy, boxIou, meanWithCi, pck, type Estimate } from './metrics.js';

/** /2: heatmap + segmentation evaluator with fitted colour centroids (/1 was the dense-regression one). */
export const EVALUATOR_FORMAT = 'gawwn-evaluator/2';

/** A part counts as drawn in a real image when its region covers at least this many pixels of the 128² frame. */
export const MIN_PART_PIXELS = 4;

export interface TrainEvaluatorOptions {
  /** Training root. Required, except with `resume` (the run's own is used). */
  dataRoot?: string;
  /**
   * Root whose test split measures the ceiling. Default `dataRoot`. A larger training root drawn with the same
   * classes (`gawwn data synth-birds --class-seed`) can train the evaluator while the ceiling stays measured on
   * the held-out split the generators are evaluated on. Its parts, attributes, colours and regions must match.
   */
  testDataRoot?: string;
  outDir: string;
  /** Optimiser steps. Default 1500. 0 (only with `init`): refit the colour centroids and re-score. */
  steps?: number;
  /** Stop early after this many minutes (the machine is shared). Default: no limit. */
  maxMinutes?: number;
  batchSize?: number;
  /** Adam learning rate (halved at 50%, 75% and 90% of the steps). Default 2e-3. */
  lr?: number;
  seed?: number;
  /** Base channel count. Default 8 (with `init`: the init evaluator's). */
  width?: number;
  featureDim?: number;
  /** Use at most this many training / held-out images. */
  trainLimit?: number;
  testLimit?: number;
  /**
   * Start from the weights of this evaluator run (continue training; its featureDim is used, and its width unless
   * `width` is a larger multiple of it: then the evaluator is widened first, `widenEvaluator`).
   */
  init?: string;
  /**
   * Degrade training images as generated ones are (`augmentImages`): Gaussian noise and box blur. Default
   * false. Measured: evaluators trained on clean images lose their keypoints under noise of σ = 25/255
   * (docs/evaluation.md), and generated images are noisy.
   */
  augment?: boolean;
  /**
   * Weight of the segmentation cross-entropy in the loss. Default 1. The cross-entropy is a mean over every
   * 64² cell, ~90 % of them easy background, while the attribute reading depends on the part labels of the
   * few foreground cells: measured, a perfect 64² segmentation reads 0.99 of the drawn parts' colours,
   * the trained ones 0.83.
   */
  segWeight?: number;
  /** Write a checkpoint (RUN/checkpoints/step-N: weights, Adam state, data order, Rng) every N steps. Default 250. */
  checkpointEvery?: number;
  /**
   * Continue RUN (`outDir`) from its newest complete checkpoint, with the options it was started with: a kill, or
   * the end of a sitting, loses at most `checkpointEvery` steps. Only `steps` and `maxMinutes` (both totals of
   * the run, counting earlier sittings) may be changed; any other option given must equal the run's own.
   */
  resume?: boolean;
  /** Progress lines (default stderr); null for silence. */
  log?: ((line: string) => void) | null;
}

/** What an evaluator checkpoint is tagged as (training/checkpoint.ts refuses a GAN run's checkpoint here). */
const EVALUATOR_CHECKPOINT = { modelFamily: 'evaluator', preset: EVALUATOR_FORMAT };

/** The options that define an evaluator run, resolved (defaults applied); stored in every checkpoint. */
interface RunOptions {
  dataRoot: string;
  testDataRoot: string;
  batchSize: number;
  lr: number;
  seed: number;
  width: number;
  featureDim: number;
  trainLimit: number | null;
  testLimit: number;
  init: string | null;
  augment: boolean;
  segWeight: number;
}

/** The run options a resumed run must keep (its learning-rate schedule and data order depend on them). */
const RUN_OPTIONS: readonly (keyof RunOptions)[] = [
  'dataRoot', 'testDataRoot', 'batchSize', 'lr', 'seed', 'width', 'featureDim', 'trainLimit', 'testLimit', 'init', 'augment', 'segWeight',
];

/** Checkpoint `config` of an evaluator run. */
interface EvaluatorRunState {
  evaluator: EvaluatorConfig;
  run: RunOptions;
  steps: number;
  maxMinutes: number | null;
  /** Steps of the --init evaluator (its own history). */
  initSteps: number;
}

/** Checkpoint `extra` of an evaluator run: where the data order stands, and the clock. */
interface EvaluatorProgress {
  order: number[];
  pos: number;
  firstLoss: number;
  trainSeconds: number;
}

/** An --init spec as stored: `pretrained:NAME` as is, a run folder resolved. */
const initSpec = (spec: string): string => (spec.startsWith('pretrained:') ? spec : path.resolve(spec));

/**
 * The options of a resumed run: the stored ones, with `steps` / `maxMinutes` from `o` when given. Any other
 * option given in `o` must equal the stored value (paths compared resolved): a run continued with another
 * learning rate or data root would no longer be the run its log and checkpoints describe.
 */
function resumedOptions(o: TrainEvaluatorOptions, state: EvaluatorRunState, file: string): TrainEvaluatorOptions {
  const given: Partial<Record<keyof RunOptions, unknown>> = {
    dataRoot: o.dataRoot === undefined ? undefined : path.resolve(o.dataRoot),
    testDataRoot: o.testDataRoot === undefined ? undefined : path.resolve(o.testDataRoot),
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed,
    width: o.width,
    featureDim: o.featureDim,
    trainLimit: o.trainLimit,
    testLimit: o.testLimit,
    init: o.init === undefined ? undefined : initSpec(o.init),
    augment: o.augment,
    segWeight: o.segWeight,
  };
  for (const k of RUN_OPTIONS) {
    if (given[k] !== undefined && given[k] !== state.run[k]) {
      throw new GawwnError(`\`resume\`: this run was started with \`${k}\` ${String(state.run[k])}, not ${String(given[k])} (only \`steps\` and \`maxMinutes\` can change)`, { file, options: ['resume', k, 'steps', 'maxMinutes'] });
    }
  }
  const r = state.run;
  return {
    ...o,
    dataRoot: r.dataRoot,
    testDataRoot: r.testDataRoot,
    batchSize: r.batchSize,
    lr: r.lr,
    seed: r.seed,
    width: r.width,
    featureDim: r.featureDim,
    trainLimit: r.trainLimit ?? undefined,
    testLimit: r.testLimit,
    init: r.init ?? undefined,
    augment: r.augment,
    segWeight: r.segWeight,
    steps: o.steps ?? state.steps,
    maxMinutes: o.maxMinutes ?? state.maxMinutes ?? undefined,
  };
}

/** Held-out accuracy of the evaluator on real images vs their ground truth: the ceiling. */
export interface EvaluatorCeiling {
  boxIou: Estimate | null;
  /** PCK@0.1, distances normalised by the image side. */
  pck: Estimate | null;
  /** PCK@0.1, distances normalised by max(w, h) of the ground-truth box (stricter). */
  pckBox: Estimate | null;
  /**
   * Attribute accuracy over the parts DRAWN in each image (region ≥ MIN_PART_PIXELS px of the 128² frame in the
   * ground-truth mask): how well the evaluator reads colours. A part that is occluded or cropped away has no
   * colour to read; those are counted in `attributeAccuracyAll`.
   */
  attributeAccuracy: Estimate | null;
  /** Attribute accuracy over every named part, drawn or not (undrawn parts mostly count as errors). */
  attributeAccuracyAll: Estimate | null;
  /** Attribute accuracy (drawn parts) per coloured part. */
  perAttribute: Record<string, number>;
  /** Box IoU of the ground-truth mask's tight box (birds) or padded ground-truth keypoint box (people) with the
   * ground-truth box: the best the box rule can do with perfect segmentation / keypoints. */
  boxRuleIou: number | null;
}

export interface TrainEvaluatorResult {
  steps: number;
  seconds: number;
  firstLoss: number;
  lastLoss: number;
  ceiling: EvaluatorCeiling;
  config: EvaluatorConfig;
}

/** Adam's learning rate is a plain field read at every step; tfjs types it protected. */
const lrOf = (o: tf.Optimizer): { learningRate: number } => o as unknown as { learningRate: number };

/**
 * Makes one training batch (random images, random mirror): images, keypoints and the soft segmentation
 * targets at half resolution (fraction of each label in every 2×2 block of the 128² mask).
 */
function makeBatch(set: EvalSet, cfg: EvaluatorConfig, idx: readonly number[], rng: Rng): { x: tf.Tensor4D; kp: tf.Tensor3D; seg: tf.Tensor4D } {
  const S = set.size;
  const K = set.partNames.length;
  const B = idx.length;
  const H = mapSize(cfg);
  const R1 = cfg.regions.length + 1;
  const img = new Float32Array(B * S * S * 3);
  const kp = new Float32Array(B * K * 3);
  const seg = new Float32Array(B * H * H * R1);
  const m = new Uint8Array(S * S);
  idx.forEach((i, b) => {
    const flip = rng.next() < 0.5;
    imageAsFloat(set, i, flip, img.subarray(b * S * S * 3, (b + 1) * S * S * 3));
    kp.set(targetsOf(set, i, flip).keypoints, b * K * 3);
    maskOf(set, i, flip, m);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const l = Math.min(m[y * S + x], R1 - 1);
        seg[((b * H + (y >> 1)) * H + (x >> 1)) * R1 + l] += 0.25;
      }
    }
  });
  return { x: tf.tensor4d(img, [B, S, S, 3]), kp: tf.tensor3d(kp, [B, K, 3]), seg: tf.tensor4d(seg, [B, H, H, R1]) };
}

/**
 * Noise and blur augmentation of a batch `x [B,S,S,3]` in [-1,1], drawn per image from `rng`: with probability
 * 0.3 a 3×3 box blur, with probability 0.5 Gaussian noise of σ uniform in [0, 0.25] (up to 32/255 of the 0…255
 * range), then clipped to [-1,1]. Targets are unchanged: position, parts and colours stay where they were.
 * Not in the paper (the evaluator is ours).
 */
export function augmentImages(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const B = x.shape[0];
  const blur = Float32Array.from({ length: B }, () => (rng.next() < 0.3 ? 1 : 0));
  const sigma = Float32Array.from({ length: B }, () => (rng.next() < 0.5 ? rng.uniform(0, 0.25) : 0));
  const seed = rng.int(0, 2 ** 31 - 1);
  return tf.tidy(() => {
    const m = tf.tensor4d(blur, [B, 1, 1, 1]);
    const blurred = tf.avgPool(x, 3, 1, 'same');
    const y = x.mul(tf.sub(1, m)).add(blurred.mul(m));
    const noise = tf.randomNormal(x.shape, 0, 1, 'float32', seed).mul(tf.tensor4d(sigma, [B, 1, 1, 1]));
    return y.add(noise).clipByValue(-1, 1) as tf.Tensor4D;
  });
}

/** What an evaluator reads and names: keypoints, coloured parts, colour words, mask regions. */
type Vocabulary = Pick<EvaluatorConfig, 'partNames' | 'attributes' | 'colours' | 'regions'>;

/**
 * The first vocabulary list on which `a` differs from `b`, described for an error message ("partNames (…) differ
 * from (…)"), or null when they agree: an evaluator only reads data named as it was trained.
 */
export function vocabularyMismatch(a: Vocabulary, b: Vocabulary): string | null {
  for (const k of ['partNames', 'attributes', 'colours', 'regions'] as const) {
    if (a[k].join() !== b[k].join()) return `${k} (${a[k].join(', ')}) differ from the training root's (${b[k].join(', ')})`;
  }
  return null;
}

/** Pixels of attribute a's region in image i of a set with masks (empty when no region has its name). */
function gtRegionPixels(set: EvalSet, i: number, a: number): number[] {
  const r = set.regions.indexOf(set.attributes[a]) + 1;
  if (r === 0 || !set.masks) return [];
  const S = set.size;
  return regionPixels(set.masks.subarray(i * S * S, (i + 1) * S * S), r, null);
}

/**
 * Fits the colour centroids on a set with masks: the median RGB of each drawn part (≥ MIN_PART_PIXELS pixels)
 * of each image, averaged per (attribute, colour word).
 */
export function fitColourCentroids(set: EvalSet): (Rgb | null)[][] {
  const S = set.size;
  const A = set.attributes.length;
  const samples: { attr: number; colour: number; rgb: Rgb }[] = [];
  for (let i = 0; i < set.records.length; i++) {
    const img = set.images.subarray(i * S * S * 3, (i + 1) * S * S * 3);
    for (let a = 0; a < A; a++) {
      const colour = set.attr[i * A + a];
      if (colour < 0) continue;
      const px = gtRegionPixels(set, i, a);
      if (px.length >= MIN_PART_PIXELS) samples.push({ attr: a, colour, rgb: medianRgb(img, px) });
    }
  }
  return ColourCentroids.fit(samples, A, set.colours.length).centroids;
}

/**
 * Which box rule matches the dataset's boxes: birds' boxes are the drawn bird's tight box (= the mask's),
 * MPII's are the padded box of the visible joints (data/mpii.ts personBox). Scored on ground truth.
 */
export function chooseBoxRule(set: EvalSet): { boxFrom: 'mask' | 'keypoints'; mask: number; keypoints: number } {
  const S = set.size;
  const K = set.partNames.length;
  let mask = 0;
  let kps = 0;
  const n = set.records.length;
  for (let i = 0; i < n; i++) {
    const gt = set.box.subarray(i * 4, i * 4 + 4);
    if (set.masks) mask += boxIou(foregroundBox(set.masks.subarray(i * S * S, (i + 1) * S * S), S), gt);
    kps += boxIou(keypointBox(set.keypoints.subarray(i * K * 3, (i + 1) * K * 3), K), gt);
  }
  return { boxFrom: mask >= kps ? 'mask' : 'keypoints', mask: mask / n, keypoints: kps / n };
}

/** Scores the evaluator on a labelled set: the ceiling (or the real-data row of `gawwn eval`). */
export async function scoreOnRealSet(model: tf.LayersModel, cfg: EvaluatorConfig, set: EvalSet, rng: Rng): Promise<EvaluatorCeiling> {
  const n = set.records.length;
  const K = cfg.numParts;
  const A = cfg.attributes.length;
  const S = set.size;
  const imgs = new Float32Array(n * S * S * 3);
  for (let i = 0; i < n; i++) imageAsFloat(set, i, false, imgs.subarray(i * S * S * 3, (i + 1) * S * S * 3));
  const out = await runEvaluator(model, cfg, imgs, S);
  const ious: number[] = [];
  const pcks: (number | null)[] = [];
  const pckBoxes: (number | null)[] = [];
  const attrs: (number | null)[] = [];
  const attrsAll: (number | null)[] = [];
  const perHit = new Array(A).fill(0);
  const perTot = new Array(A).fill(0);
  let ruleIou = 0;
  for (let i = 0; i < n; i++) {
    const gtBox = set.box.subarray(i * 4, i * 4 + 4);
    if (set.masks) {
      const rule = cfg.boxFrom === 'mask' ? foregroundBox(set.masks.subarray(i * S * S, (i + 1) * S * S), S) : keypointBox(set.keypoints.subarray(i * K * 3, (i + 1) * K * 3), K);
      ruleIou += boxIou(rule, gtBox);
    }
    ious.push(boxIou(out.boxes.subarray(i * 4, i * 4 + 4), gtBox));
    const det = out.keypoints.subarray(i * K * 3, (i + 1) * K * 3);
    const gt = set.keypoints.subarray(i * K * 3, (i + 1) * K * 3);
    pcks.push(pck(det, gt, 0.1, 'image'));
    pckBoxes.push(pck(det, gt, 0.1, 'box', gtBox));
    const da = out.attributes.subarray(i * A, (i + 1) * A);
    const ga = set.attr.subarray(i * A, (i + 1) * A);
    attrsAll.push(attributeAccuracy(da, ga));
    // Drawn parts only (without masks every part counts).
    const drawn = Int32Array.from(ga, (g, a) => (set.masks && gtRegionPixels(set, i, a).length < MIN_PART_PIXELS ? -1 : g));
    attrs.push(attributeAccuracy(da, drawn));
    for (let a = 0; a < A; a++) {
      if (drawn[a] < 0) continue;
      perTot[a]++;
      if (da[a] === ga[a]) perHit[a]++;
    }
  }
  const perAttribute: Record<string, number> = {};
  cfg.attributes.forEach((a, i) => {
    if (perTot[i] > 0) perAttribute[a] = perHit[i] / perTot[i];
  });
  return {
    boxIou: meanWithCi(ious, rng),
    pck: meanWithCi(pcks, rng),
    pckBox: meanWithCi(pckBoxes, rng),
    attributeAccuracy: meanWithCi(attrs, rng),
    attributeAccuracyAll: meanWithCi(attrsAll, rng),
    perAttribute,
    boxRuleIou: set.masks && n > 0 ? ruleIou / n : null,
  };
}

/** Trains an evaluator and writes its run folder, locked for the duration (a second writer is refused naming this pid). */
export async function trainEvaluator(opts: TrainEvaluatorOptions): Promise<TrainEvaluatorResult> {
  if (fs.existsSync(opts.outDir) && !fs.statSync(opts.outDir).isDirectory()) {
    throw new GawwnError('exists and is not a folder; --out names an evaluator run folder', { file: opts.outDir });
  }
  const created = !fs.existsSync(opts.outDir);
  const lock = lockFolder(opts.outDir, 'gawwn train-evaluator');
  try {
    return await trainEvaluatorLocked(opts);
  } catch (e) {
    // A refused start (bad option, bad data) leaves no folder behind; one with checkpoints is kept for --resume.
    if (created && !fs.existsSync(checkpointsDir(opts.outDir))) {
      lock.release();
      fs.rmSync(opts.outDir, { recursive: true, force: true });
    }
    throw e;
  } finally {
    lock.release();
  }
}

async function trainEvaluatorLocked(opts: TrainEvaluatorOptions): Promise<TrainEvaluatorResult> {
  const log = opts.log === null ? () => undefined : (opts.log ?? ((l: string) => process.stderr.write(l + '\n')));
  const checkpointEvery = opts.checkpointEvery ?? 250;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) throw new GawwnError(`checkpointEvery must be a positive integer, got ${checkpointEvery}`);
  // --resume: the run's own options (refusing different ones) and its newest complete checkpoint.
  const ck = opts.resume ? await loadLatest(opts.outDir, EVALUATOR_CHECKPOINT, { warn: (m) => log(`gawwn: warning: ${m}`) }) : null;
  if (opts.resume && ck === null) throw new GawwnError('`resume`: no evaluator checkpoint to continue from', { file: checkpointsDir(opts.outDir), options: ['resume'] });
  if (!opts.resume && fs.existsSync(checkpointsDir(opts.outDir))) {
    throw new GawwnError('already holds an evaluator run; pass `resume` to continue it or choose another `outDir`', { file: opts.outDir, options: ['resume', 'outDir'] });
  }
  const state = ck ? (ck.config as EvaluatorRunState) : null;
  const o = ck && state ? resumedOptions(opts, state, path.join(ck.dir, 'manifest.json')) : opts;
  if (o.dataRoot === undefined) throw new GawwnError('train-evaluator needs `dataRoot` (the training root)', { options: ['dataRoot'] });
  const steps = o.steps ?? 1500;
  const B = o.batchSize ?? 32;
  const lr0 = o.lr ?? 2e-3;
  const seed = o.seed ?? 1;
  // 0 steps with --init: refit the centroids and re-measure the ceiling of an existing evaluator.
  if (!Number.isInteger(steps) || steps < (o.init !== undefined ? 0 : 1)) throw new GawwnError(`\`steps\` must be a positive integer (or 0 with \`init\`), got ${steps}`, { options: ['steps', 'init'] });
  if (!Number.isInteger(B) || B < 1) throw new GawwnError(`\`batchSize\` must be a positive integer, got ${B}`, { options: ['batchSize'] });
  const segWeight = o.segWeight ?? 1;
  if (!(segWeight > 0) || !Number.isFinite(segWeight)) throw new GawwnError(`\`segWeight\` must be a positive number, got ${segWeight}`, { options: ['segWeight'] });
  const t0 = Date.now();
  const train = await loadEvalSet(o.dataRoot, { split: 'train', limit: o.trainLimit, seed, masks: true });
  const testRoot = o.testDataRoot ?? o.dataRoot;
  const test = await loadEvalSet(testRoot, { split: 'test', limit: o.testLimit ?? 1000, seed: seed + 1, masks: true });
  if (train.regions.length === 0) throw new GawwnError('attributes.json has no regions: the evaluator needs the label masks of a synthetic root', { file: o.dataRoot });
  const testMismatch = vocabularyMismatch(test, train);
  if (testMismatch) throw new GawwnError(`the test root's ${testMismatch}`, { file: testRoot });
  log(`gawwn: evaluator data: ${train.records.length} train, ${test.records.length} held-out images (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  let cfg: EvaluatorConfig;
  let initSteps = 0;
  let model: tf.LayersModel;
  if (state) {
    // The stored config carries the centroids and box rule fitted when the run started.
    cfg = state.evaluator;
    initSteps = state.initSteps;
    model = buildEvaluator(cfg, seed);
  } else {
    cfg = {
      imageSize: 128,
      numParts: train.partNames.length,
      partNames: train.partNames,
      attributes: train.attributes,
      colours: train.colours,
      width: o.width ?? 8,
      featureDim: o.featureDim ?? 128,
      regions: train.regions,
      colourCentroids: fitColourCentroids(train),
      boxFrom: 'mask',
    };
    const rule = chooseBoxRule(train);
    cfg.boxFrom = rule.boxFrom;
    log(`gawwn: evaluator box rule: ${rule.boxFrom} (ground-truth IoU on train: mask ${rule.mask.toFixed(3)}, keypoints ${rule.keypoints.toFixed(3)})`);
    // The --init evaluator stays loaded until the new model has its weights (copied, or widened from it).
    const prev = o.init !== undefined ? await loadEvaluator(o.init) : null;
    try {
      if (prev) {
        const initMismatch = vocabularyMismatch(prev.config, cfg);
        if (initMismatch) throw new GawwnError(`\`init\` evaluator was trained on a dataset with other parts/attributes/colours/regions: its ${initMismatch}`, { file: o.init, options: ['init'] });
        // A larger --width widens the --init evaluator (widenEvaluator: same function, more channels to train).
        cfg.width = o.width ?? prev.config.width;
        if (cfg.width % prev.config.width !== 0) {
          throw new GawwnError(`\`width\` ${cfg.width}: the \`init\` evaluator has width ${prev.config.width}, and can only be continued at a multiple of it`, { file: o.init, options: ['width', 'init'] });
        }
        cfg.featureDim = prev.config.featureDim;
        initSteps = prev.steps;
      }
      fs.mkdirSync(o.outDir, { recursive: true });
      model = buildEvaluator(cfg, seed);
      if (prev && prev.config.width === cfg.width) {
        model.setWeights(prev.model.getWeights());
      } else if (prev) {
        widenEvaluator(prev.model, prev.config, model, cfg, new Rng(seed + 3));
        log(`gawwn: evaluator widened from width ${prev.config.width} to ${cfg.width}`);
      }
    } finally {
      prev?.dispose();
    }
  }
  const run: RunOptions = {
    dataRoot: path.resolve(o.dataRoot),
    testDataRoot: path.resolve(testRoot),
    batchSize: B,
    lr: lr0,
    seed,
    width: cfg.width,
    featureDim: cfg.featureDim,
    trainLimit: o.trainLimit ?? null,
    testLimit: o.testLimit ?? 1000,
    init: o.init === undefined ? null : initSpec(o.init),
    augment: o.augment ?? false,
    segWeight,
  };
  const opt = adam(lr0);
  const rng = new Rng(seed);
  const logFile = path.join(o.outDir, 'log.jsonl');
  let order: number[];
  let pos = 0;
  let firstLoss = NaN;
  let lastLoss = NaN;
  let recent: number[] = [];
  let done = 0;
  let tTrain = Date.now();
  try {
    if (ck) {
      assignModelWeights(model, ck.groups.model, `${ck.dir} model`);
      await assignOptimizerWeights(opt, ck.groups.opt);
      rng.setState(ck.rng);
      const p = ck.extra as EvaluatorProgress;
      order = p.order;
      pos = p.pos;
      firstLoss = p.firstLoss;
      done = ck.step;
      // The time limit and the time-based schedule count the earlier sittings' training time.
      tTrain -= p.trainSeconds * 1000;
      // Lines past the checkpoint belong to steps lost with the process that wrote them.
      truncateLog(logFile, ck.step);
      log(`gawwn: evaluator resumed at step ${ck.step} (${ck.dir})`);
    } else {
      order = rng.permutation(train.records.length);
      fs.writeFileSync(logFile, '');
    }
    const save = async (step: number): Promise<void> => {
      const runState: EvaluatorRunState = { evaluator: cfg, run, steps, maxMinutes: o.maxMinutes ?? null, initSteps };
      const progress: EvaluatorProgress = { order, pos, firstLoss, trainSeconds: (Date.now() - tTrain) / 1000 };
      const groups = { model: await extractModelWeights(model), opt: await extractOptimizerWeights(opt) };
      await saveCheckpoint(o.outDir, { ...EVALUATOR_CHECKPOINT, config: runState, step, epoch: 0, rng: rng.state(), groups, extra: progress }, { warn: (m) => log(`gawwn: warning: ${m}`) });
    };
    for (let step = done + 1; step <= steps; step++) {
      // Progress through the schedule: by steps, or by time when a time limit ends training first.
      const frac = Math.max(step / steps, o.maxMinutes !== undefined ? (Date.now() - tTrain) / 60000 / o.maxMinutes : 0);
      lrOf(opt).learningRate = lr0 * (frac > 0.9 ? 0.125 : frac > 0.75 ? 0.25 : frac > 0.5 ? 0.5 : 1);
      if (pos + B > order.length) {
        order = rng.permutation(train.records.length);
        pos = 0;
      }
      const idx = order.slice(pos, pos + Math.min(B, order.length));
      pos += B;
      const batch = makeBatch(train, cfg, idx, rng);
      if (o.augment) {
        const clean = batch.x;
        batch.x = augmentImages(clean, rng);
        clean.dispose();
      }
      let parts: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const outs = model.apply(batch.x, { training: true }) as tf.Tensor[];
        const l = evaluatorLoss(cfg, outs, batch, segWeight);
        parts = [tf.keep(l.kp), tf.keep(l.vis), tf.keep(l.seg)];
        return l.total;
      });
      opt.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
      const vals = await Promise.all([value, ...parts].map((t) => t.data()));
      tf.dispose([value, ...parts, batch.x, batch.kp, batch.seg]);
      tf.dispose(grads);
      const loss = vals[0][0];
      if (!Number.isFinite(loss)) throw new GawwnError(`evaluator loss became ${loss} at step ${step}`);
      if (step === 1) firstLoss = loss;
      recent.push(loss);
      done = step;
      const rec = { step, loss, kp: vals[1][0], vis: vals[2][0], seg: vals[3][0], lr: lrOf(opt).learningRate, seconds: (Date.now() - tTrain) / 1000 };
      fs.appendFileSync(logFile, JSON.stringify(rec) + '\n');
      if (step % 50 === 0 || step === steps) {
        lastLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
        recent = [];
        log(`gawwn: evaluator step ${step}/${steps} loss ${lastLoss.toFixed(4)} (kp ${rec.kp.toFixed(3)} vis ${rec.vis.toFixed(3)} seg ${rec.seg.toFixed(3)}) ${rec.seconds.toFixed(0)} s`);
      }
      const timeUp = o.maxMinutes !== undefined && (Date.now() - tTrain) / 60000 > o.maxMinutes;
      if (step % checkpointEvery === 0 || step === steps || timeUp) await save(step);
      if (timeUp) {
        log(`gawwn: evaluator stopped at step ${step}: time limit ${o.maxMinutes} min`);
        break;
      }
    }
    if (recent.length) lastLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
    const ceiling = await scoreOnRealSet(model, cfg, test, new Rng(seed + 2));
    const seconds = (Date.now() - t0) / 1000;
    const meta = { format: EVALUATOR_FORMAT, config: cfg, steps: initSteps + done, initFrom: o.init ?? null, augment: o.augment ?? false, segWeight, data: path.resolve(o.dataRoot), testData: path.resolve(testRoot), heldOutImages: test.records.length, ceiling, firstLoss, lastLoss };
    await exportWeights(model, path.join(o.outDir, 'evaluator'), { meta });
    await writeFileAtomic(path.join(o.outDir, 'metrics.json'), JSON.stringify({ ...meta, seconds }, null, 1) + '\n');
    return { steps: done, seconds, firstLoss, lastLoss, ceiling, config: cfg };
  } finally {
    model.dispose();
    opt.dispose();
  }
}

/** A trained evaluator loaded back. */
export interface LoadedEvaluator {
  model: tf.LayersModel;
  config: EvaluatorConfig;
  ceiling: EvaluatorCeiling | null;
  steps: number;
  source: string;
  dispose(): void;
}

/** Loads RUN (or RUN/evaluator), or the shipped `pretrained:NAME` (data/pretrained/NAME, e.g. evaluator-birds). */
export async function loadEvaluator(spec: string): Promise<LoadedEvaluator> {
  const dir = spec.startsWith('pretrained:') ? resolveModelSpec(spec) : spec;
  const d = fs.existsSync(path.join(dir, 'evaluator', 'manifest.json')) ? path.join(dir, 'evaluator') : dir;
  if (!fs.existsSync(path.join(d, 'manifest.json'))) throw new GawwnError('no evaluator here (expected evaluator/manifest.json; train one with gawwn eval train-evaluator)', { file: dir });
  const w = await importWeights(d);
  const meta = w.meta as { format?: string; config?: EvaluatorConfig; ceiling?: EvaluatorCeiling; steps?: number };
  if (meta.format !== EVALUATOR_FORMAT || !meta.config) throw new GawwnError(`not an evaluator (meta.format ${String(meta.format)})`, { file: path.join(d, 'manifest.json') });
  const model = buildEvaluator(meta.config);
  if (!w.groups.model) throw new GawwnError("evaluator weights have no group 'model'", { file: d });
  assignModelWeights(model, w.groups.model, `evaluator ${d}`);
  return { model, config: meta.config, ceiling: meta.ceiling ?? null, steps: meta.steps ?? 0, source: d, dispose: () => model.dispose() };
}
