/**
 * One training step of GAN-INT-CLS (Reed et al., ICML 2016; fDx/fGx of `I:main_cls_int.lua`, gawwn-reference §5):
 *   1. D step (GAN-CLS, matching-aware D): D on (real image, t) → 1, (wrong image, t) → 0 and (G(z), t) → 0, where
 *      the wrong image is a real image of a *different class* with the right text (drawn by the batcher, as
 *      `I:data/donkey_folder_txt.lua` does); errD = real + clsWeight·wrong + (1 − clsWeight)·fake. Each of the
 *      three passes is its own forward (own batch-norm statistics), as in Lua. Adam on D's variables only.
 *   2. G step (GAN-INT): G's batch is the B texts plus B/2 interpolations (t_i + t_{i+B/2})/2 (`interp_type=1`),
 *      with fresh noise for all 1.5·B samples; errG = Σ_i w_i·BCE(D(G(z_i, t_i), t_i), 1) / (1.5·B) with w = 1 on
 *      the first B and `interpWeight` on the interpolations (Torch's weighted BCECriterion divides by the element
 *      count). D is never trained on interpolations. Adam on G's variables only.
 * Batch-norm moving statistics are updated by every forward, as in Lua: G twice per step (B, then 1.5·B) and D
 * four times (real, wrong, fake, then the G step's 1.5·B). Randomness: the D step draws z with
 * `rng.normalArray(B·nz)`, then the G step draws `rng.normalArray(1.5·B·nz)`; nothing else uses `rng`.
 */
import * as tf from '@tensorflow/tfjs';
import { adam } from './adam.js';
import { ganPairControls } from './step.js';
import type { GanIntClsConfig } from '../config/gan-int-cls.js';
import { validateGanIntClsConfig } from '../config/gan-int-cls.js';
import { buildGanIntClsDiscriminator, buildGanIntClsGenerator } from '../models/gan-int-cls.js';
import { GawwnError, check } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** Torch BCECriterion's epsilon inside the logs (THNN: log(x + 1e-12)). */
export const GAN_INT_CLS_BCE_EPS = 1e-12;

/** A GAN-INT-CLS training batch (NHWC). Whoever consumes a batch disposes it; the trainer does not. */
export interface GanIntClsBatch {
  /** [B, 64, 64, 3] real images in [−1, 1]. */
  images: tf.Tensor4D;
  /** [B, 64, 64, 3] real images of a class different from each row's own class (the "wrong" images). */
  wrongImages: tf.Tensor4D;
  /** [B, txtSize] text embeddings of `images` (caption average). */
  txt: tf.Tensor2D;
  dispose(): void;
}

/** What the D step reports (plain numbers). */
export interface GanIntClsDStepResult {
  /** D's total loss: lossReal + clsWeight·lossWrong + (1 − clsWeight)·lossFake. */
  lossD: number;
  /** BCE(D(real, t), 1). */
  lossReal: number;
  /** BCE(D(wrong image, t), 0), unweighted; 0 when clsWeight = 0 (the pass is skipped, Lua `errD_wrong = 0`). */
  lossWrong: number;
  /** BCE(D(G(z), t), 0), unweighted. */
  lossFake: number;
  /** Mean D output on real pairs. */
  dReal: number;
  /** Mean D output on wrong pairs; NaN when clsWeight = 0. */
  dWrong: number;
  /** Mean D output on fakes in the D pass. */
  dFake: number;
}

/** What the G step reports. */
export interface GanIntClsGStepResult {
  /** Weighted non-saturating G loss over the 1.5·B samples (see the file header). */
  lossG: number;
  /** Samples G generated in its step: B + B/2. */
  gBatchSize: number;
  /** Mean D output on G's samples (after the D update). */
  dFakeG: number;
}

export type GanIntClsStepResult = GanIntClsDStepResult & GanIntClsGStepResult;

/** A GAN-INT-CLS trainer: owns G, D and their Adam optimisers. */
export interface GanIntClsTrainer {
  readonly config: Readonly<GanIntClsConfig>;
  readonly G: tf.LayersModel;
  readonly D: tf.LayersModel;
  readonly optimizerG: tf.AdamOptimizer;
  readonly optimizerD: tf.AdamOptimizer;
  /** One D step then one G step on `batch` (not disposed here), as one Lua iteration. */
  step(batch: GanIntClsBatch): Promise<GanIntClsStepResult>;
  /** The D step alone; G's trainable weights are left bit-identical. */
  stepD(batch: GanIntClsBatch): Promise<GanIntClsDStepResult>;
  /** The G step alone (uses `batch.txt` only); D's trainable weights are left bit-identical. */
  stepG(batch: GanIntClsBatch): Promise<GanIntClsGStepResult>;
  /** Sets both optimisers' learning rate (the schedule halves it every `decayEvery` epochs). */
  setLearningRate(lr: number): void;
  /** Disposes G, D and the optimisers' state. */
  dispose(): void;
}

/** variableGrads returns a NamedTensorMap; applyGradients' type asks for variables but takes tensors. */
type GradMap = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * GAN-INT text batch: [t; (t[0:B/2] + t[B/2:B]) / 2] → [1.5·B, T] (I: `interp_type=1`). B must be even.
 * @example interpolateText(tf.tensor2d([[0], [2], [4], [8]])) // [[0], [2], [4], [8], [2], [5]]
 */
export function interpolateText(txt: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = txt.shape;
  check(B >= 2 && B % 2 === 0, `GAN-INT needs an even batch of texts (B/2 interpolations), got B = ${B}`);
  return tf.tidy(() => {
    const h = B / 2;
    const a = txt.slice([0, 0], [h, T]);
    const b = txt.slice([h, 0], [h, T]);
    return tf.concat([txt, tf.mul(tf.add(a, b), 0.5)], 0) as tf.Tensor2D;
  });
}

/**
 * Torch `nn.BCECriterion(weights)` with sizeAverage: −Σ w_i·log(q_i + 1e-12) / n, where q = p for label 1 and
 * 1 − p for label 0, and n is the element count (not Σ w). `weights` = null means all ones.
 */
export function bceLoss(p: tf.Tensor, label: 0 | 1, weights: tf.Tensor | null = null): tf.Scalar {
  return tf.tidy(() => {
    const q = label === 1 ? p : tf.sub(1, p);
    let l = tf.log(tf.add(q, GAN_INT_CLS_BCE_EPS));
    if (weights !== null) l = tf.mul(l, weights.reshape(p.shape));
    return tf.neg(tf.div(tf.sum(l), p.size)) as tf.Scalar;
  });
}

/** G-step weights: 1 for the first B samples, `interpWeight` for the B/2 interpolated ones → [1.5·B, 1]. */
export function interpolatedLossWeights(B: number, interpWeight: number): tf.Tensor2D {
  const w = new Float32Array(B + B / 2).fill(1);
  w.fill(interpWeight, B);
  return tf.tensor2d(w, [w.length, 1]);
}

/**
 * Creates a GAN-INT-CLS trainer. G is initialised from a seed drawn from `rng` first, then D
 * (`rng.int(0, 2^31 − 1)` each); all later randomness of the steps (noise) also comes from `rng`.
 * @throws GawwnError when `cfg` is invalid.
 */
export function createGanIntClsTrainer(cfg: Readonly<GanIntClsConfig>, rng: Rng): GanIntClsTrainer {
  validateGanIntClsConfig(cfg);
  const G = buildGanIntClsGenerator(cfg.model, rng.int(0, 2 ** 31 - 1));
  const D = buildGanIntClsDiscriminator(cfg.model, rng.int(0, 2 ** 31 - 1));
  const { lr, beta1, beta2, eps, clsWeight, interpWeight } = cfg.train;
  const { nz } = cfg.model;
  const optimizerG = adam(lr, beta1, beta2, eps);
  const optimizerD = adam(lr, beta1, beta2, eps);
  const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = D.trainableWeights.map((w) => w.read() as tf.Variable);

  const stepD = async (batch: GanIntClsBatch): Promise<GanIntClsDStepResult> => {
    const B = checkBatch(batch, cfg);
    const z = tf.tensor2d(rng.normalArray(B * nz), [B, nz]);
    // The fakes are made outside the tape: D's gradients do not flow into G.
    const fake = tf.tidy(() => G.apply([z, batch.txt], { training: true }) as tf.Tensor);
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(x: T): T => {
      kept.push(tf.keep(x));
      return x;
    };
    try {
      const d = tf.variableGrads(() => {
        const pReal = D.apply([batch.images, batch.txt], { training: true }) as tf.Tensor;
        // Lua skips the wrong pass when cls_weight = 0 (no forward, so no BN statistics update either).
        const pWrong = clsWeight > 0 ? (D.apply([batch.wrongImages, batch.txt], { training: true }) as tf.Tensor) : null;
        const pFake = D.apply([fake, batch.txt], { training: true }) as tf.Tensor;
        const real = keep(bceLoss(pReal, 1));
        const wrong = keep(pWrong === null ? tf.scalar(0) : bceLoss(pWrong, 0));
        const fakeL = keep(bceLoss(pFake, 0));
        keep(tf.mean(pReal));
        keep(pWrong === null ? tf.scalar(Number.NaN) : tf.mean(pWrong));
        keep(tf.mean(pFake));
        return tf.addN([real, tf.mul(wrong, clsWeight), tf.mul(fakeL, 1 - clsWeight)]) as tf.Scalar;
      }, dVars);
      optimizerD.applyGradients(d.grads as unknown as GradMap);
      tf.dispose(d.grads);
      kept.unshift(d.value);
      const values = tf.tidy(() => tf.stack(kept));
      const v = await values.data();
      values.dispose();
      return { lossD: v[0], lossReal: v[1], lossWrong: v[2], lossFake: v[3], dReal: v[4], dWrong: v[5], dFake: v[6] };
    } finally {
      tf.dispose([z, fake, ...kept]);
    }
  };

  const stepG = async (batch: GanIntClsBatch): Promise<GanIntClsGStepResult> => {
    const B = checkBatch(batch, cfg);
    const n = B + B / 2;
    const tInterp = interpolateText(batch.txt); // [1.5B, txtSize]
    const z = tf.tensor2d(rng.normalArray(n * nz), [n, nz]);
    const weights = interpolatedLossWeights(B, interpWeight);
    let dFakeG: tf.Scalar | null = null;
    try {
      const g = tf.variableGrads(() => {
        const fake = G.apply([z, tInterp], { training: true }) as tf.Tensor; // [1.5B,64,64,3]
        const out = D.apply([fake, tInterp], { training: true }) as tf.Tensor; // [1.5B,1]
        dFakeG = tf.keep(tf.mean(out)) as tf.Scalar;
        return bceLoss(out, 1, weights);
      }, gVars);
      optimizerG.applyGradients(g.grads as unknown as GradMap);
      tf.dispose(g.grads);
      const values = tf.tidy(() => tf.stack([g.value, dFakeG as unknown as tf.Scalar]));
      const v = await values.data();
      tf.dispose([values, g.value]);
      return { lossG: v[0], gBatchSize: n, dFakeG: v[1] };
    } finally {
      tf.dispose([tInterp, z, weights]);
      if (dFakeG !== null) (dFakeG as tf.Scalar).dispose();
    }
  };

  return {
    config: cfg,
    G,
    D,
    optimizerG,
    optimizerD,
    stepD,
    stepG,
    async step(batch: GanIntClsBatch): Promise<GanIntClsStepResult> {
      const d = await stepD(batch);
      const g = await stepG(batch);
      return { ...d, ...g };
    },
    ...ganPairControls(G, D, optimizerG, optimizerD),
  };
}

/** Checks the batch's tensors against the config; returns B. */
function checkBatch(batch: GanIntClsBatch, cfg: Readonly<GanIntClsConfig>): number {
  const S = cfg.model.imageSize;
  const shape = (x: tf.Tensor | undefined): string => (x === undefined ? 'missing' : `[${x.shape.join(', ')}]`);
  if (batch.txt === undefined || batch.txt.rank !== 2 || batch.txt.shape[1] !== cfg.model.txtSize) {
    throw new GawwnError(`GAN-INT-CLS batch.txt must be [B, ${cfg.model.txtSize}], got ${shape(batch.txt)}`);
  }
  const B = batch.txt.shape[0];
  if (B < 2 || B % 2 !== 0) throw new GawwnError(`GAN-INT-CLS batch size must be even (G's batch adds B/2 interpolated texts), got ${B}`);
  for (const key of ['images', 'wrongImages'] as const) {
    const x = batch[key];
    if (x === undefined || x.rank !== 4 || x.shape[0] !== B || x.shape[1] !== S || x.shape[2] !== S || x.shape[3] !== 3) {
      throw new GawwnError(`GAN-INT-CLS batch.${key} must be [${B}, ${S}, ${S}, 3], got ${shape(x)}`);
    }
  }
  return B;
}
