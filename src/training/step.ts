/**
 * One training step per model family (§3.1, §4; gawwn-reference §5; fDx/fGx of N:main_*.lua):
 *   1. D step: D on (real, cond, t) → 1, (real, cond, t_shuffled) → 0 (image families; t_shuffled is an
 *      in-batch random permutation, `torch.randperm`, which may map a sample to itself), (G(z), cond, t) → 0;
 *      errD = real + clsWeight·wrong + (1 − clsWeight)·fake; Adam on D's trainable variables only.
 *   2. G step: re-forward D(G(z)) with the same z, t, cond after the D update (the documented equivalent of
 *      Lua's reuse of netD.output) and minimise BCE(D(G(z)), 1); Adam on G's trainable variables only.
 *   Both D passes run on joint batches (DEVIATION, below).
 * DEVIATION (joint batch statistics): Lua runs D three times per D step, on a batch of only real, only
 * wrong-text and only fake samples, so each pass normalises with its own batch statistics. D's head
 * (`netD_1`: Linear → BatchNorm1d) and `globalD_2` (BN on a 1×1 map) normalise over the batch alone, so the
 * batch-mean score of an all-real and an all-fake batch are nearly the same whatever D's weights are: measured
 * on the cpu preset, D's mean scores on real and fake stayed at 0.49 ± 0.01 for 80 steps of real training
 * (and on trivially separable constant-colour "real" images), and G learned nothing. Here D runs once on the
 * concatenation [real | real with wrong text | fake] (each part keeps its own loss term and weight), and the
 * G step runs D on the same composition with G(z) and uses the fake part, so D's batch statistics are those of
 * the mixed batch D was trained on.
 * D's moving statistics are updated once per step (Lua: three times); G's once, as in Lua. The extra forwards
 * (G's forward to make the D step's fakes, D's forward in the G step) run with the other net's moving
 * statistics snapshotted and restored.
 * Keypoint-gen (gawwn-reference §4): real keypoints with v < 0.01 are zeroed; k_g keeps each keypoint with
 * probability 1 − gkDropProb (= 0.1) drawn from the Rng; no wrong-text term.
 * Instance noise (train.instanceNoise, off by default): N(0, σ²) is added to the joint image batch of each D pass,
 * drawn from the Rng after z and the wrong-text permutation (D step first, then G step).
 * MHP gate (gawwn-reference §3.4): D's Adam step runs only while the EMA (0.99) of D's mean fake score exceeds
 * `train.fakeScoreThresh`; the EMA is updated by the D pass and again by the G pass, as in Lua.
 * DEVIATION: TF.js Adam adds ε to the bias-corrected √v̂, Torch's optim.adam adds it to √v; in Torch's terms
 * TF.js uses ε·√(1−β2^t) instead of ε, which differs only while √v is near 1e-8.
 * The G step draws a fresh dropout mask in D (MHP) where Lua reused the fake pass's output.
 */
import * as tf from '@tensorflow/tfjs';
import { adam } from './adam.js';
import type { GawwnConfig, ModelFamily } from '../config/types.js';
import { keypointsToGrid } from '../layers/keypoint-grid.js';
import { familyBuilders } from '../models/registry.js';
import { GawwnError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { dTerm, gTerm, matchingAwareDLossOf, modeSeekingLoss, type LossKind } from './losses.js';
import { augmentImages, drawAugment, shiftBoxes, shiftKeypoints } from './diff-augment.js';
import { powerIterate } from '../layers/spectral-norm.js';
import type { Batch, BboxBatch, KeypointBatch, KeypointGenBatch, StepResult } from './types.js';

/** Real keypoints with visibility below this are zeroed entirely (N:main_gen_keypoints.lua `sample`). */
export const KEYPOINT_REAL_MIN_VISIBILITY = 0.01;
/** EMA factor of the fake-score tracker (N: `fake_score = 0.99*fake_score + 0.01*cur_score`). */
export const FAKE_SCORE_EMA = 0.99;

/** variableGrads returns a NamedTensorMap; applyGradients' type asks for variables but takes tensors. */
type GradMap = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** Tensors of one step, in the order the nets take them. */
interface Prepared {
  /** The real sample D sees: images, or keypoints (Gk). */
  real: tf.Tensor;
  txt: tf.Tensor2D;
  /** G's conditioning input (box, keypoint maps or k_g). */
  condG: tf.Tensor;
  /** D's conditioning input (box or maps); null for Dk. */
  condD: tf.Tensor | null;
  /** The keypoints the maps were rasterised from (keypoint family; the augmentation moves them). */
  kp: tf.Tensor3D | null;
  /** Tensors created for this step (the batch's own tensors are not included). */
  owned: tf.Tensor[];
}

/** One group of D's joint pass: samples with their condition and texts. */
interface DPart {
  x: tf.Tensor;
  condD: tf.Tensor | null;
  kp: tf.Tensor3D | null;
  t: tf.Tensor;
}

export interface StepOptions {
  /** Apply D's Adam step (default true; the MHP fake-score gate can still close it). */
  updateD?: boolean;
  /** Apply G's Adam step (default true). */
  updateG?: boolean;
  /**
   * For each sample, the batch index whose text is its mismatched text (TrainConfig.wrongText 'other-class': the
   * loop picks a batch-mate of another class). Default: an in-batch permutation, as the original.
   */
  wrongIndex?: readonly number[];
}

/** A trainer for one family: owns G, D and their Adam optimisers. */
export interface GanTrainer {
  readonly family: ModelFamily;
  readonly config: Readonly<GawwnConfig>;
  readonly G: tf.LayersModel;
  readonly D: tf.LayersModel;
  /**
   * The exponential moving average of G's weights (TrainConfig.emaBeta), or null when off. Its batch-norm
   * statistics are only meaningful after `refreshAveraged()`.
   */
  readonly Gema: tf.LayersModel | null;
  readonly optimizerG: tf.AdamOptimizer;
  readonly optimizerD: tf.AdamOptimizer;
  /** The EMA of D's mean score on fakes (starts at 0.5, as in Lua); settable when resuming. */
  fakeScore: number;
  /** G steps folded into Gema so far (sets the warm-up of β); settable when resuming. */
  emaUpdates: number;
  /**
   * Runs one D step and one G step on `batch` (not disposed here). `opts.updateD` / `opts.updateG` = false
   * skip that net's Adam step and restore its BN moving statistics (losses are still computed), so the
   * skipped net is left bit-identical. (The MHP fake-score gate, unlike this, updates D's statistics as Lua does.)
   */
  step(batch: Batch, opts?: StepOptions): Promise<StepResult>;
  /**
   * Recomputes Gema's batch-norm statistics for its own weights: G's statistics, then `EMA_BN_PASSES` forwards in
   * training mode on the conditions of the last `EMA_BN_BATCHES` batches with fresh noise. Call before Gema draws.
   */
  refreshAveraged(): void;
  /** Sets both optimisers' learning rate (the schedule halves it every `decayEvery` epochs). */
  setLearningRate(lr: number): void;
  /** Disposes G, D, Gema and the optimisers' state. */
  dispose(): void;
}

/** Recent batches whose conditions re-estimate the averaged G's batch-norm statistics. */
export const EMA_BN_BATCHES = 8;
/** Training-mode forwards of the averaged G per refresh; BN momentum 0.9 leaves 0.9^24 ≈ 8% of G's statistics. */
export const EMA_BN_PASSES = 24;

/** β of the weight average after `t` updates: min(β, (1 + t)/(10 + t)), so early averages forget the random init. */
export function emaDecay(beta: number, t: number): number {
  return Math.min(beta, (1 + t) / (10 + t));
}

/**
 * The fake-score tracker of the MHP gate after one step (reference §3.4): Lua updates the EMA in fDx with D's
 * mean score on the fakes and again in fGx, where it reuses `netD.output` of that same pre-update pass, so both
 * updates use the D pass's score.
 */
export function nextFakeScore(prev: number, dPassFakeScore: number): number {
  const once = FAKE_SCORE_EMA * prev + (1 - FAKE_SCORE_EMA) * dPassFakeScore;
  return FAKE_SCORE_EMA * once + (1 - FAKE_SCORE_EMA) * dPassFakeScore;
}

/**
 * Which samples' conditions the fakes of a step use: with mode seeking (TrainConfig.modeSeeking) the first
 * ⌊B/2⌋ conditions twice, each with two noise vectors (an odd B's last row keeps its own); otherwise null (all B once).
 */
export function fakeConditionIndices(B: number, modeSeeking: boolean): number[] | null {
  if (!modeSeeking || B < 2) return null;
  const h = Math.floor(B / 2);
  return Array.from({ length: B }, (_, i) => (i < 2 * h ? i % h : i));
}

/**
 * Creates the trainer of `cfg.model.family`. G is initialised from a seed drawn from `rng` first, then D;
 * all later randomness of the steps (noise, shuffles, switch units, augmentation) also comes from `rng`.
 */
export function createGanTrainer(cfg: Readonly<GawwnConfig>, rng: Rng): GanTrainer {
  const family = cfg.model.family;
  const builders = familyBuilders(family);
  const gSeed = rng.int(0, 2 ** 31 - 1);
  const G = builders.buildG(cfg.model, gSeed);
  const D = builders.buildD(cfg.model, rng.int(0, 2 ** 31 - 1));
  const tr = cfg.train;
  const Gema = tr.emaBeta > 0 ? builders.buildG(cfg.model, gSeed) : null;
  const { lr, beta1, beta2, eps } = tr;
  const optimizerG = adam(lr, beta1, beta2, eps);
  const dScale = tr.dLrScale;
  const optimizerD = adam(lr * dScale, beta1, beta2, eps);
  const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = D.trainableWeights.map((w) => w.read() as tf.Variable);
  const imageFamily = family !== 'keypoint-gen';
  const kind: LossKind = { loss: tr.loss, dOutput: cfg.model.dOutput };
  const spectral = cfg.model.dNorm === 'spectral';
  const size = cfg.model.imageSize;
  const augment = imageFamily && (tr.augTranslate > 0 || tr.augCutout > 0);
  // Conditions of recent batches, held on the host so the averaged G's statistics can be re-estimated.
  const recent: { txt: Float32Array; cond: Float32Array; B: number; condShape: number[] }[] = [];

  /** D on the concatenation of `parts` (each augmented first when the recipe says so); its outputs split back. */
  const sigma = imageFamily ? tr.instanceNoise : 0;
  const jointD = (parts: DPart[]): tf.Tensor[] => {
    const xs: tf.Tensor[] = [];
    const conds: tf.Tensor[] = [];
    for (const q of parts) {
      if (!augment) {
        xs.push(q.x);
        if (q.condD !== null) conds.push(q.condD);
        continue;
      }
      const d = drawAugment(q.x.shape[0], size, tr.augTranslate, tr.augCutout, rng);
      xs.push(augmentImages(q.x as tf.Tensor4D, d));
      if (family === 'bbox') conds.push(shiftBoxes(q.condD as tf.Tensor2D, d, size));
      else if (q.kp !== null) conds.push(keypointsToGrid(shiftKeypoints(q.kp, d, size), cfg.model.keypointGrid).maps);
    }
    let x = tf.concat(xs, 0);
    // Instance noise (train.instanceNoise), a fresh draw from the Rng for each D pass.
    if (sigma > 0) x = tf.add(x, tf.tensor(rng.normalArray(x.size, sigma), x.shape));
    const t = tf.concat(parts.map((q) => q.t), 0);
    const inputs = conds.length === 0 ? [x, t] : [x, tf.concat(conds, 0), t];
    const out = D.apply(inputs, { training: true }) as tf.Tensor;
    // One part needs no split (tfjs's SplitV gradient expects several outputs).
    return parts.length === 1 ? [out] : tf.split(out, parts.map((q) => q.x.shape[0]), 0);
  };

  const pair = ganPairControls(G, D, optimizerG, optimizerD, dScale);
  const trainer: GanTrainer = {
    family,
    config: cfg,
    G,
    D,
    Gema,
    optimizerG,
    optimizerD,
    fakeScore: 0.5,
    emaUpdates: 0,

    async step(batch: Batch, opts: StepOptions = {}): Promise<StepResult> {
      const p = prepare(family, batch, cfg, rng);
      const B = p.txt.shape[0];
      const { nz } = cfg.model;
      const w = tr.clsWeight;
      const z = tf.tensor2d(rng.normalArray(B * nz), [B, nz]);
      const wrongIdx = opts.wrongIndex ?? rng.permutation(B);
      check(wrongIdx.length === B, `wrongIndex has ${wrongIdx.length} entries for a batch of ${B}`);
      const tWrong = imageFamily && w > 0 ? tf.tidy(() => tf.gather(p.txt, tf.tensor1d(Array.from(wrongIdx), 'int32'))) : null;
      // The MHP gate (fakeScoreThresh > 0; a probability D only, config/resolve.ts). Off at 0: a logit D's mean fake
      // score is negative, and `fakeScore > 0` would close the gate for good.
      const dUpdated = (opts.updateD ?? true) && (tr.fakeScoreThresh <= 0 || trainer.fakeScore > tr.fakeScoreThresh);
      // The fakes' conditions (mode seeking: B/2 conditions × 2 noise vectors).
      const fIdx = fakeConditionIndices(B, tr.modeSeeking > 0);
      const fi = fIdx === null ? null : tf.tensor1d(fIdx, 'int32');
      const pick = <T extends tf.Tensor | null>(x: T): T => (x === null || fi === null ? x : (tf.gather(x, fi) as unknown as T));
      const fc = { txt: pick(p.txt), condG: pick(p.condG), condD: pick(p.condD), kp: pick(p.kp) };
      const fcOwned = fi === null ? [] : [fi, fc.txt, fc.condG, fc.condD, fc.kp].filter((x): x is tf.Tensor => x !== null);
      const gIn = [z, fc.txt, fc.condG];
      const realPart: DPart = { x: p.real, condD: p.condD, kp: p.kp, t: p.txt };
      const fakePart = (x: tf.Tensor): DPart => ({ x, condD: fc.condD, kp: fc.kp, t: fc.txt });
      // D's scores of [real | wrong | fake] (or [real | fake]); with batch norm in D the G step scores the same
      // composition, so D's batch statistics are those it was trained on (file header). A spectrally normalised D
      // scores each sample on its own, so its G step scores the fakes alone.
      const dParts = (f: tf.Tensor): DPart[] => (tWrong === null ? [realPart, fakePart(f)] : [realPart, { ...realPart, t: tWrong }, fakePart(f)]);
      const gParts = (f: tf.Tensor): DPart[] => (spectral ? [fakePart(f)] : dParts(f));
      try {
        if (spectral) powerIterate(D); // one power iteration per step, outside the tape (layers/spectral-norm.ts)
        // --- D step. The fakes are made outside the tape; G's BN statistics are left untouched here.
        const fake = withFrozenStats(G, () => tf.tidy(() => G.apply(gIn, { training: true }) as tf.Tensor));
        const kept: tf.Tensor[] = [];
        const keep = <T extends tf.Tensor>(x: T): T => {
          kept.push(tf.keep(x));
          return x;
        };
        const freezeD = opts.updateD === false;
        const freezeG = opts.updateG === false;
        const maybeFrozen = <T>(m: tf.LayersModel, frozen: boolean, fn: () => T): T => (frozen ? withFrozenStats(m, fn) : fn());
        const d = maybeFrozen(D, freezeD, () => tf.variableGrads(() => {
          // One D pass over [real | wrong | fake] (see the file header: joint batch statistics).
          const parts = jointD(dParts(fake));
          const pReal = parts[0];
          const pWrong = tWrong === null ? null : parts[1];
          const pFake = parts[parts.length - 1];
          keep(tf.mean(pReal));
          keep(tf.mean(pFake));
          if (pWrong !== null) {
            const parts = matchingAwareDLossOf(pReal, pWrong, pFake, w, kind);
            keep(parts.real);
            keep(parts.wrong);
            keep(parts.fake);
            return parts.total;
          }
          // Keypoint-gen (no wrong term), or clsWeight = 0 where Lua skips the wrong pass: real + (1−w)·fake.
          const real = keep(dTerm(pReal, 1, kind));
          keep(tf.scalar(0));
          const lossFake = keep(dTerm(pFake, 0, kind));
          return tf.add(real, tf.mul(lossFake, imageFamily ? 1 - w : 1)) as tf.Scalar;
        }, dVars));
        if (dUpdated) optimizerD.applyGradients(d.grads as unknown as GradMap);
        tf.dispose(d.grads);
        fake.dispose();
        const [dReal, dFake, lossReal, lossWrong, lossFake] = kept;
        const lossD = d.value;

        // --- G step: re-forward D(G(z)) after the D update; D's BN statistics are left untouched here.
        let dFakeG: tf.Scalar | null = null;
        let msTerm: tf.Scalar | null = null;
        const g = withFrozenStats(D, () => maybeFrozen(G, freezeG, () =>
          tf.variableGrads(() => {
            const fakeG = G.apply(gIn, { training: true }) as tf.Tensor;
            // With batch norm in D, D sees the D step's exact batch, [real | wrong | fake] (or [real | fake]), so G
            // is scored by the function D was trained as (§3.1). Were the G pass [real | fake] against a
            // [real | wrong | fake] D pass, D's batch statistics would differ between the two and G could win by
            // moving them rather than by drawing better: D's fake score falls in its own pass while it rises in G's,
            // and the samples grow stripes (box IoU 0.35 against 0.46 with this pass on the same seed,
            // data/pretrained/README.md). A spectrally normalised D scores the fakes alone (gParts).
            const parts = jointD(gParts(fakeG));
            const out = parts[parts.length - 1];
            dFakeG = tf.keep(tf.mean(out)) as tf.Scalar;
            const adv = gTerm(out, kind);
            if (fIdx === null) return adv;
            // Mode seeking (TrainConfig.modeSeeking): rows [0, h) and [h, 2h) share conditions, differ in z.
            const h = Math.floor(B / 2);
            const ms = modeSeekingLoss(fakeG.slice(0, h), fakeG.slice(h, h), z.slice(0, h), z.slice(h, h));
            msTerm = tf.keep(ms);
            return tf.add(adv, tf.mul(ms, tr.modeSeeking)) as tf.Scalar;
          }, gVars),
        ));
        const gUpdated = opts.updateG ?? true;
        if (gUpdated) optimizerG.applyGradients(g.grads as unknown as GradMap);
        tf.dispose(g.grads);
        if (gUpdated && Gema !== null) {
          updateAverage(Gema, G, emaDecay(tr.emaBeta, trainer.emaUpdates));
          trainer.emaUpdates++;
        }
        if (Gema !== null) {
          recent.push({ txt: (await p.txt.data()) as Float32Array, cond: (await p.condG.data()) as Float32Array, B, condShape: p.condG.shape });
          if (recent.length > EMA_BN_BATCHES) recent.shift();
        }

        const all = [lossD, lossReal, lossWrong, lossFake, g.value, dReal, dFake, dFakeG as unknown as tf.Scalar, (msTerm ?? tf.scalar(0)) as tf.Scalar];
        const values = tf.tidy(() => tf.stack(all));
        const v = await values.data();
        tf.dispose([values, ...all]);
        trainer.fakeScore = nextFakeScore(trainer.fakeScore, v[6]);
        return { lossD: v[0], lossReal: v[1], lossWrong: v[2], lossFake: v[3], lossG: v[4], dReal: v[5], dFake: v[6], dUpdated, modeSeeking: v[8] };
      } finally {
        tf.dispose([z, ...p.owned, ...fcOwned]);
        if (tWrong !== null) tWrong.dispose();
      }
    },

    refreshAveraged(): void {
      if (Gema === null || recent.length === 0) return;
      // Start from G's statistics, then move them to the averaged weights' own on recent conditions.
      Gema.nonTrainableWeights.forEach((w, i) => w.write(G.nonTrainableWeights[i].read()));
      const r = new Rng(trainer.emaUpdates + 1);
      for (let k = 0; k < EMA_BN_PASSES; k++) {
        const c = recent[k % recent.length];
        tf.tidy(() => {
          const zz = tf.tensor2d(r.normalArray(c.B * cfg.model.nz), [c.B, cfg.model.nz]);
          Gema.apply([zz, tf.tensor2d(c.txt, [c.B, cfg.model.txtSize]), tf.tensor(c.cond, c.condShape)], { training: true });
        });
      }
    },

    setLearningRate: pair.setLearningRate,
    dispose(): void {
      pair.dispose();
      Gema?.dispose();
      recent.length = 0;
    },
  };
  if (Gema !== null) Gema.weights.forEach((w, i) => w.write(G.weights[i].read()));
  return trainer;
}

/** avg ← β·avg + (1 − β)·w for every trainable weight of G (batch-norm statistics are refreshed separately). */
export function updateAverage(avg: tf.LayersModel, model: tf.LayersModel, beta: number): void {
  const src = model.trainableWeights;
  avg.trainableWeights.forEach((a, i) => {
    tf.tidy(() => {
      a.write(tf.add(tf.mul(a.read(), beta), tf.mul(src[i].read(), 1 - beta)));
    });
  });
}

/**
 * The learning-rate setter (both optimisers; the schedule halves it every `decayEvery` epochs; D's rate is
 * `dScale` times G's, train.dLrScale) and the disposer shared by every G/D trainer (GAWWN families and GAN-INT-CLS).
 */
export function ganPairControls(G: tf.LayersModel, D: tf.LayersModel, optimizerG: tf.Optimizer, optimizerD: tf.Optimizer, dScale = 1): { setLearningRate(lr: number): void; dispose(): void } {
  return {
    setLearningRate(newLr: number): void {
      check(Number.isFinite(newLr) && newLr > 0, `learning rate must be a positive number, got ${newLr}`);
      (optimizerG as unknown as { learningRate: number }).learningRate = newLr;
      (optimizerD as unknown as { learningRate: number }).learningRate = newLr * dScale;
    },
    dispose(): void {
      optimizerG.dispose();
      optimizerD.dispose();
      G.dispose();
      D.dispose();
    },
  };
}

/** Builds the step's tensors from a batch of `family`. */
function prepare(family: ModelFamily, batch: Batch, cfg: Readonly<GawwnConfig>, rng: Rng): Prepared {
  switch (family) {
    case 'bbox': {
      const b = batch as BboxBatch;
      checkBatch(b.images !== undefined && b.box !== undefined && b.txt !== undefined, 'bbox batch needs images, box and txt');
      return { real: b.images, txt: b.txt, condG: b.box, condD: b.box, kp: null, owned: [] };
    }
    case 'keypoint': {
      const b = batch as KeypointBatch;
      checkBatch(b.images !== undefined && b.keypoints !== undefined && b.txt !== undefined, 'keypoint batch needs images, keypoints and txt');
      const { maps, mask } = keypointsToGrid(b.keypoints, cfg.model.keypointGrid);
      mask.dispose();
      return { real: b.images, txt: b.txt, condG: maps, condD: maps, kp: b.keypoints, owned: [maps] };
    }
    case 'keypoint-gen': {
      const b = batch as KeypointGenBatch;
      checkBatch(b.keypoints !== undefined && b.txt !== undefined, 'keypoint-gen batch needs keypoints and txt');
      const [B, K] = b.keypoints.shape;
      const pOn = 1 - cfg.train.gkDropProb;
      const on = new Float32Array(B * K);
      for (let i = 0; i < on.length; i++) on[i] = rng.bernoulli(pOn) ? 1 : 0;
      const real = tf.tidy(() => {
        const v = b.keypoints.slice([0, 0, 2], [-1, -1, 1]);
        return tf.mul(b.keypoints, tf.cast(tf.greaterEqual(v, KEYPOINT_REAL_MIN_VISIBILITY), 'float32'));
      });
      // k_g is drawn from the cleaned keypoints (Lua copies before zeroing; for v ∈ {0,1} data this is the same).
      const kg = tf.tidy(() => tf.mul(real, tf.tensor3d(on, [B, K, 1])));
      return { real, txt: b.txt, condG: kg, condD: null, kp: null, owned: [real, kg] };
    }
    default: {
      const never: never = family;
      throw new GawwnError(`unknown model family '${String(never)}'`);
    }
  }
}

function checkBatch(ok: boolean, msg: string): void {
  if (!ok) throw new GawwnError(msg);
}

/**
 * Runs `fn` and then restores `model`'s non-trainable weights (batch-norm moving mean/variance) to their values
 * before it, so a forward pass in training mode leaves the model bit-identical.
 */
export function withFrozenStats<T>(model: tf.LayersModel, fn: () => T): T {
  const saved = model.nonTrainableWeights.map((w) => tf.clone(w.read()));
  try {
    return fn();
  } finally {
    model.nonTrainableWeights.forEach((w, i) => w.write(saved[i]));
    tf.dispose(saved);
  }
}
