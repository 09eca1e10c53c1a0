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
import { bce, generatorLoss, matchingAwareDLoss } from './losses.js';
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
  /** Tensors created for this step (the batch's own tensors are not included). */
  owned: tf.Tensor[];
}

export interface StepOptions {
  /** Apply D's Adam step (default true; the MHP fake-score gate can still close it). */
  updateD?: boolean;
  /** Apply G's Adam step (default true). */
  updateG?: boolean;
}

/** A trainer for one family: owns G, D and their Adam optimisers. */
export interface GanTrainer {
  readonly family: ModelFamily;
  readonly config: Readonly<GawwnConfig>;
  readonly G: tf.LayersModel;
  readonly D: tf.LayersModel;
  readonly optimizerG: tf.AdamOptimizer;
  readonly optimizerD: tf.AdamOptimizer;
  /** The EMA of D's mean score on fakes (starts at 0.5, as in Lua); settable when resuming. */
  fakeScore: number;
  /**
   * Runs one D step and one G step on `batch` (not disposed here). `opts.updateD` / `opts.updateG` = false
   * skip that net's Adam step and restore its BN moving statistics (losses are still computed), so the
   * skipped net is left bit-identical. (The MHP fake-score gate, unlike this, updates D's statistics as Lua does.)
   */
  step(batch: Batch, opts?: StepOptions): Promise<StepResult>;
  /** Sets both optimisers' learning rate (the schedule halves it every `decayEvery` epochs). */
  setLearningRate(lr: number): void;
  /** Disposes G, D and the optimisers' state. */
  dispose(): void;
}

/**
 * Creates the trainer of `cfg.model.family`. G is initialised from a seed drawn from `rng` first, then D;
 * all later randomness of the steps (noise, shuffles, switch units) also comes from `rng`.
 */
export function createGanTrainer(cfg: Readonly<GawwnConfig>, rng: Rng): GanTrainer {
  const family = cfg.model.family;
  const builders = familyBuilders(family);
  const G = builders.buildG(cfg.model, rng.int(0, 2 ** 31 - 1));
  const D = builders.buildD(cfg.model, rng.int(0, 2 ** 31 - 1));
  const { lr, beta1, beta2, eps } = cfg.train;
  const optimizerG = adam(lr, beta1, beta2, eps);
  const dScale = cfg.train.dLrScale;
  const optimizerD = adam(lr * dScale, beta1, beta2, eps);
  const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = D.trainableWeights.map((w) => w.read() as tf.Variable);
  const imageFamily = family !== 'keypoint-gen';

  /** D on the concatenation of the samples `xs` (with texts `ts`, and the step's condition repeated); its outputs split back. */
  const sigma = imageFamily ? cfg.train.instanceNoise : 0;
  const jointD = (xs: tf.Tensor[], ts: tf.Tensor[], p: Prepared): tf.Tensor[] => {
    let x = tf.concat(xs, 0);
    // Instance noise (train.instanceNoise), a fresh draw from the Rng for each D pass.
    if (sigma > 0) x = tf.add(x, tf.tensor(rng.normalArray(x.size, sigma), x.shape));
    const t = tf.concat(ts, 0);
    const inputs = p.condD === null ? [x, t] : [x, tf.concat(xs.map(() => p.condD as tf.Tensor), 0), t];
    return tf.split(D.apply(inputs, { training: true }) as tf.Tensor, xs.length, 0);
  };
  const gInputs = (z: tf.Tensor, p: Prepared): tf.Tensor[] => [z, p.txt, p.condG];

  const trainer: GanTrainer = {
    family,
    config: cfg,
    G,
    D,
    optimizerG,
    optimizerD,
    fakeScore: 0.5,

    async step(batch: Batch, opts: StepOptions = {}): Promise<StepResult> {
      const p = prepare(family, batch, cfg, rng);
      const B = p.txt.shape[0];
      const { nz } = cfg.model;
      const w = cfg.train.clsWeight;
      const z = tf.tensor2d(rng.normalArray(B * nz), [B, nz]);
      const perm = rng.permutation(B);
      const tWrong = imageFamily && w > 0 ? tf.tidy(() => tf.gather(p.txt, tf.tensor1d(perm, 'int32'))) : null;
      const dUpdated = (opts.updateD ?? true) && trainer.fakeScore > cfg.train.fakeScoreThresh;
      // D's scores of [real | wrong | fake] (or [real | fake]); the D step and the G step both use it, so D is
      // scored on the same batch composition in both (see the G step below).
      const scoreWithFake = (f: tf.Tensor): tf.Tensor[] =>
        tWrong === null ? jointD([p.real, f], [p.txt, p.txt], p) : jointD([p.real, p.real, f], [p.txt, tWrong, p.txt], p);
      try {
        // --- D step. The fakes are made outside the tape; G's BN statistics are left untouched here.
        const fake = withFrozenStats(G, () => tf.tidy(() => G.apply(gInputs(z, p), { training: true }) as tf.Tensor));
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
          const parts = scoreWithFake(fake);
          const pReal = parts[0];
          const pWrong = tWrong === null ? null : parts[1];
          const pFake = parts[parts.length - 1];
          keep(tf.mean(pReal));
          keep(tf.mean(pFake));
          if (pWrong !== null) {
            const parts = matchingAwareDLoss(pReal, pWrong, pFake, w);
            keep(parts.real);
            keep(parts.wrong);
            keep(parts.fake);
            return parts.total;
          }
          // Keypoint-gen (no wrong term), or clsWeight = 0 where Lua skips the wrong pass: real + (1−w)·fake.
          const real = keep(bce(pReal, 1));
          keep(tf.scalar(0));
          const lossFake = keep(bce(pFake, 0));
          return tf.add(real, tf.mul(lossFake, imageFamily ? 1 - w : 1)) as tf.Scalar;
        }, dVars));
        if (dUpdated) optimizerD.applyGradients(d.grads as unknown as GradMap);
        tf.dispose(d.grads);
        fake.dispose();
        const [dReal, dFake, lossReal, lossWrong, lossFake] = kept;
        const lossD = d.value;

        // --- G step: re-forward D(G(z)) after the D update; D's BN statistics are left untouched here.
        let dFakeG: tf.Scalar | null = null;
        const g = withFrozenStats(D, () => maybeFrozen(G, freezeG, () =>
          tf.variableGrads(() => {
            const fakeG = G.apply(gInputs(z, p), { training: true }) as tf.Tensor;
            // D sees the D step's exact batch, [real | wrong | fake] (or [real | fake]), so G is scored by the
            // function D was trained as (§3.1). Were the G pass [real | fake] against a [real | wrong | fake] D
            // pass, D's batch statistics would differ between the two and G could win by moving them rather than
            // by drawing better: D's fake score falls in its own pass while it rises in G's, and the samples grow
            // stripes (box IoU 0.35 against 0.46 with this pass on the same seed, data/pretrained/README.md).
            const parts = scoreWithFake(fakeG);
            const out = parts[parts.length - 1];
            dFakeG = tf.keep(tf.mean(out)) as tf.Scalar;
            return generatorLoss(out);
          }, gVars),
        ));
        if (opts.updateG ?? true) optimizerG.applyGradients(g.grads as unknown as GradMap);
        tf.dispose(g.grads);

        const all = [lossD, lossReal, lossWrong, lossFake, g.value, dReal, dFake, dFakeG as unknown as tf.Scalar];
        const values = tf.tidy(() => tf.stack(all));
        const v = await values.data();
        tf.dispose([values, ...all]);
        trainer.fakeScore = FAKE_SCORE_EMA * trainer.fakeScore + (1 - FAKE_SCORE_EMA) * v[6];
        trainer.fakeScore = FAKE_SCORE_EMA * trainer.fakeScore + (1 - FAKE_SCORE_EMA) * v[7];
        return { lossD: v[0], lossReal: v[1], lossWrong: v[2], lossFake: v[3], lossG: v[4], dReal: v[5], dFake: v[6], dUpdated };
      } finally {
        tf.dispose([z, ...p.owned]);
        if (tWrong !== null) tWrong.dispose();
      }
    },

    ...ganPairControls(G, D, optimizerG, optimizerD, dScale),
  };
  return trainer;
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
      return { real: b.images, txt: b.txt, condG: b.box, condD: b.box, owned: [] };
    }
    case 'keypoint': {
      const b = batch as KeypointBatch;
      checkBatch(b.images !== undefined && b.keypoints !== undefined && b.txt !== undefined, 'keypoint batch needs images, keypoints and txt');
      const { maps, mask } = keypointsToGrid(b.keypoints, cfg.model.keypointGrid);
      mask.dispose();
      return { real: b.images, txt: b.txt, condG: maps, condD: maps, owned: [maps] };
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
      return { real, txt: b.txt, condG: kg, condD: null, owned: [real, kg] };
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
