/**
 * `gawwn bench`: times training steps and a sampling pass on random inputs. This is how speed
 * is measured. FLOPs are counted analytically from the layer shapes, not measured:
 * - forward FLOPs of a net = 2 × Σ MACs × B over its Conv2D (Ho·Wo·k²·Cin·Cout), Conv2DTranspose
 *   (Hin·Win·k²·Cin·Cout) and Dense (in·out) layers; batch norm, activations, the STN matmuls and the
 *   element-wise ops are not counted (they are < 1% of the MACs at the paper and small presets);
 * - forward + backward = 3 × forward;
 * - one step = D step [G forward (1×F_G) + D forward+backward on real, wrong and fake (3 × 3·F_D; Dk: 2 × 3·F_D)]
 *   + G step [G and D forward+backward (3·F_G + 3·F_D)] = 4·F_G + 12·F_D (keypoint-gen: 4·F_G + 9·F_D).
 */
import * as tf from '@tensorflow/tfjs';
import { profileKernels } from './profile.js';
import { resolveConfig } from '../config/resolve.js';
import type { GawwnConfig, ModelFamily, PresetName } from '../config/types.js';
import { keypointsToGrid } from '../layers/keypoint-grid.js';
import { generate, sampleNoise } from '../sampling/generate.js';
import { check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { createGanTrainer } from '../training/step.js';
import type { Batch } from '../training/types.js';

/** Multiply–accumulates of one sample's forward pass through the conv, transposed-conv and dense layers. */
export function countForwardMacs(model: tf.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'Conv2DTranspose' && cls !== 'Dense') continue;
    const kernel = layer.weights[0].shape.reduce((a: number, b) => a * (b as number), 1);
    if (cls === 'Dense') {
      macs += kernel;
    } else if (cls === 'Conv2D') {
      const out = layer.outputShape as number[];
      macs += out[1] * out[2] * kernel;
    } else {
      const inp = (layer.input as tf.SymbolicTensor).shape as number[];
      macs += inp[1] * inp[2] * kernel;
    }
  }
  return macs;
}

/** Analytic FLOPs of one training step (see the file header for the counting rules). */
export function stepFlops(G: tf.LayersModel, D: tf.LayersModel, family: ModelFamily, batch: number): number {
  const fG = 2 * countForwardMacs(G) * batch;
  const fD = 2 * countForwardMacs(D) * batch;
  const dPasses = family === 'keypoint-gen' ? 2 : 3;
  return fG + 3 * dPasses * fD + 3 * fG + 3 * fD;
}

export interface BenchOptions {
  model: ModelFamily;
  preset: PresetName;
  batch: number;
  /** Timed steps after one warm-up step. */
  steps: number;
  seed?: number;
  /** tfjs backend name to report. */
  backend: string;
  /** Also profile one extra step: the ten slowest kernels and their share of kernel time. */
  profile?: boolean;
}

export interface BenchResult {
  backend: string;
  model: ModelFamily;
  preset: PresetName;
  batch: number;
  steps: number;
  /** Median wall time of the timed steps, seconds. */
  step_s: number;
  /** Images (or keypoint sets) per second of one inference-mode G pass over the batch. */
  sample_images_per_s: number;
  gflop_per_step: number;
  /** Achieved: gflop_per_step / step_s. */
  gflops: number;
  /** numTensors after the last step − after the warm-up step; 0 means no leak. */
  tensor_delta: number;
  /** With `profile`: the ten slowest kernels of one step (ms summed over calls, share of all kernel time). */
  profile?: { kernel: string; ms: number; calls: number; share: number }[];
}

/** Random inputs of the right shapes for a family (images in [−1,1], N(0,1) text, valid boxes, keypoints). */
export function randomBatch(cfg: Readonly<GawwnConfig>, batch: number, rng: Rng): Batch {
  const { imageSize: S, txtSize, numParts: K } = cfg.model;
  const txt = tf.tensor2d(rng.normalArray(batch * txtSize), [batch, txtSize]);
  const kp = new Float32Array(batch * K * 3);
  for (let i = 0; i < batch * K; i++) kp.set([rng.next(), rng.next(), rng.bernoulli(0.7) ? 1 : 0], 3 * i);
  const keypoints = tf.tensor3d(kp, [batch, K, 3]);
  if (cfg.model.family === 'keypoint-gen') return { keypoints, txt, dispose: () => tf.dispose([keypoints, txt]) };
  const img = new Float32Array(batch * S * S * 3);
  for (let i = 0; i < img.length; i++) img[i] = rng.uniform(-1, 1);
  const images = tf.tensor4d(img, [batch, S, S, 3]);
  const bx = new Float32Array(batch * 4);
  for (let b = 0; b < batch; b++) {
    const w = rng.uniform(0.25, 0.75);
    const h = rng.uniform(0.25, 0.75);
    bx.set([rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h], 4 * b);
  }
  const box = tf.tensor2d(bx, [batch, 4]);
  return { images, txt, box, keypoints, dispose: () => tf.dispose([images, txt, box, keypoints]) };
}

/** Runs the benchmark: 1 warm-up step, `steps` timed steps, 1 warm-up + 1 timed sampling pass. */
export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  check(Number.isInteger(opts.batch) && opts.batch > 0, `\`batch\` must be a positive integer, got ${opts.batch}`, { options: ['batch'] });
  check(Number.isInteger(opts.steps) && opts.steps > 0, `\`steps\` must be a positive integer, got ${opts.steps}`, { options: ['steps'] });
  const cfg = resolveConfig(opts.preset, { model: { family: opts.model }, train: { batchSize: opts.batch, seed: opts.seed ?? 0 } });
  const rng = new Rng(cfg.train.seed);
  const trainer = createGanTrainer(cfg, rng);
  const batch = randomBatch(cfg, opts.batch, rng);
  try {
    await trainer.step(batch);
    const after = tf.memory().numTensors;
    const times: number[] = [];
    for (let i = 0; i < opts.steps; i++) {
      const t0 = performance.now();
      await trainer.step(batch);
      times.push((performance.now() - t0) / 1000);
    }
    const tensorDelta = tf.memory().numTensors - after;
    const profile = opts.profile
      ? (await profileKernels(async () => {
          await trainer.step(batch);
          return [] as tf.Tensor[];
        })).top.map((k) => ({ kernel: k.name, ms: round(k.totalMs, 1), calls: k.calls, share: round(k.share, 3) }))
      : undefined;
    const sampleTime = await timeSampling(trainer.G, cfg, batch, rng);
    const flops = stepFlops(trainer.G, trainer.D, opts.model, opts.batch);
    const stepS = median(times);
    return {
      backend: opts.backend,
      model: opts.model,
      preset: opts.preset,
      batch: opts.batch,
      steps: opts.steps,
      step_s: round(stepS, 4),
      sample_images_per_s: round(opts.batch / sampleTime, 3),
      gflop_per_step: round(flops / 1e9, 3),
      gflops: round(flops / 1e9 / stepS, 3),
      tensor_delta: tensorDelta,
      ...(profile ? { profile } : {}),
    };
  } finally {
    batch.dispose();
    trainer.dispose();
  }
}

async function timeSampling(G: tf.LayersModel, cfg: Readonly<GawwnConfig>, batch: Batch, rng: Rng): Promise<number> {
  const B = batch.txt.shape[0];
  const cond =
    cfg.model.family === 'bbox'
      ? null
      : cfg.model.family === 'keypoint'
        ? keypointsToGrid((batch as { keypoints: tf.Tensor3D }).keypoints).maps
        : tf.zeros([B, cfg.model.numParts, 3]); // text only: no keypoint given (demo_cub_keypoints_gen.lua)
  const c = cond ?? (batch as { box: tf.Tensor2D }).box;
  let elapsed = 0;
  for (let i = 0; i < 2; i++) {
    const z = sampleNoise(rng, B, cfg.model.nz);
    const t0 = performance.now();
    const out = generate(G, z, batch.txt, c);
    await out.data();
    elapsed = (performance.now() - t0) / 1000;
    tf.dispose([z, out]);
  }
  if (cond !== null) cond.dispose();
  return elapsed;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
