/**
 * A DCGAN-shaped training workload for measuring backend kernels: the same layer kinds and
 * resolutions as GAWWN's image paths (gawwn-reference §2–§3: 4×4 s2 p1 convs and transposed convs, the 4×4 s1 p0
 * projection from/to 1×1, BN in training mode, ReLU/LeakyReLU/Tanh/Sigmoid) but none of the conditioning,
 * so kernel work can be timed before the full networks exist. Not part of the model code.
 *
 * G: z [B,1,1,nz] → ConvT 4 s1 p0 → 4×4×8ngf → (ConvT 4 s2 p1, BN, ReLU)×… → size×size×3, Tanh.
 * D: the mirror with Conv 4 s2 p1 + LeakyReLU(0.2) (no BN on the first), Conv 4 valid → 1 logit.
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export interface DcganWorkloadConfig {
  /** Image side, a power of two ≥ 8. */
  size: number;
  batch: number;
  ngf: number;
  ndf: number;
  /** Noise size. Default: 100. */
  nz?: number;
}

export interface DcganWorkload {
  readonly g: tf.Sequential;
  readonly d: tf.Sequential;
  /** One D gradient (real + fake) and one G gradient, as a training step computes them; grads disposed. */
  step(): void;
  /** Forward+backward multiply-adds ×2 of one `step()` (convs only), for achieved GFLOP/s. */
  readonly flopPerStep: number;
  dispose(): void;
}

/** Builds the workload with deterministic weights and inputs from `rng`. */
export function buildDcganWorkload(cfg: DcganWorkloadConfig, rng: Rng): DcganWorkload {
  const nz = cfg.nz ?? 100;
  const levels = Math.log2(cfg.size / 4);
  if (!Number.isInteger(levels) || levels < 1) throw new GawwnError(`size must be a power of two ≥ 8, got ${cfg.size}`);
  const seed = () => rng.int(0, 2 ** 31 - 1);
  const init = () => tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: seed() });
  let flopFwd = 0;
  const convFlop = (outPixels: number, k: number, cin: number, cout: number) => 2 * cfg.batch * outPixels * k * k * cin * cout;

  const g = tf.sequential({ name: 'bench_g' });
  // Channels halve each level from 8·ngf at 4×4, not below ngf.
  const gCh = (lvl: number) => Math.max(cfg.ngf, (cfg.ngf * 8) >> lvl);
  g.add(tf.layers.conv2dTranspose({ inputShape: [1, 1, nz], filters: gCh(0), kernelSize: 4, strides: 1, padding: 'valid', useBias: false, kernelInitializer: init() }));
  flopFwd += convFlop(1, 4, nz, gCh(0)); // 1×1 input: 16 taps, each output pixel gets one
  g.add(tf.layers.batchNormalization({}));
  g.add(tf.layers.reLU());
  let side = 4;
  for (let lvl = 1; lvl <= levels; lvl++) {
    const last = lvl === levels;
    const cout = last ? 3 : gCh(lvl);
    g.add(tf.layers.conv2dTranspose({ filters: cout, kernelSize: 4, strides: 2, padding: 'same', useBias: last, kernelInitializer: init() }));
    flopFwd += convFlop(side * side, 4, gCh(lvl - 1), cout); // per input pixel: k² taps
    side *= 2;
    if (last) g.add(tf.layers.activation({ activation: 'tanh' }));
    else {
      g.add(tf.layers.batchNormalization({}));
      g.add(tf.layers.reLU());
    }
  }
  const gFlop = flopFwd;

  flopFwd = 0;
  const d = tf.sequential({ name: 'bench_d' });
  const dCh = (lvl: number) => Math.min(cfg.ndf * 8, cfg.ndf << (lvl - 1));
  side = cfg.size;
  for (let lvl = 1; lvl <= levels; lvl++) {
    const cin = lvl === 1 ? 3 : dCh(lvl - 1);
    d.add(tf.layers.conv2d({ ...(lvl === 1 ? { inputShape: [cfg.size, cfg.size, 3] } : {}), filters: dCh(lvl), kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: init() }));
    side /= 2;
    flopFwd += convFlop(side * side, 4, cin, dCh(lvl));
    if (lvl > 1) d.add(tf.layers.batchNormalization({}));
    d.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  }
  d.add(tf.layers.conv2d({ filters: 1, kernelSize: 4, strides: 1, padding: 'valid', kernelInitializer: init() }));
  flopFwd += convFlop(1, 4, dCh(levels), 1);
  d.add(tf.layers.flatten()); // logits: the sigmoid is inside sigmoidCrossEntropy
  const dFlop = flopFwd;

  const real = tf.tensor4d(rng.normalArray(cfg.batch * cfg.size * cfg.size * 3).map((v) => Math.tanh(v)),
    [cfg.batch, cfg.size, cfg.size, 3]);
  const z = tf.tensor4d(rng.normalArray(cfg.batch * nz), [cfg.batch, 1, 1, nz]);
  const ones = tf.ones([cfg.batch, 1]);
  const zeros = tf.zeros([cfg.batch, 1]);
  const gVars = g.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = d.trainableWeights.map((w) => w.read() as tf.Variable);

  const step = () => {
    const gd = tf.variableGrads(() => tf.tidy(() => {
      const fake = g.apply(z, { training: true }) as tf.Tensor;
      const pr = d.apply(real, { training: true }) as tf.Tensor;
      const pf = d.apply(fake, { training: true }) as tf.Tensor;
      return tf.losses.sigmoidCrossEntropy(ones, pr).add(tf.losses.sigmoidCrossEntropy(zeros, pf)) as tf.Scalar;
    }), dVars);
    tf.dispose(gd);
    const gg = tf.variableGrads(() => tf.tidy(() => {
      const pf = d.apply(g.apply(z, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor;
      return tf.losses.sigmoidCrossEntropy(ones, pf) as tf.Scalar;
    }), gVars);
    tf.dispose(gg);
  };
  // D step: D fwd+bwd on real and fake (backward = 2× forward) plus G forward; G step: G and D fwd+bwd.
  const flopPerStep = 3 * dFlop * 2 + gFlop + 3 * (gFlop + dFlop);
  return {
    g, d, step, flopPerStep,
    dispose: () => {
      g.dispose();
      d.dispose();
      tf.dispose([real, z, ones, zeros]);
    },
  };
}
