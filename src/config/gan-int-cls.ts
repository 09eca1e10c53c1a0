/**
 * Configuration of the GAN-INT-CLS baseline (Reed et al., ICML 2016), the 64×64 text-only GAN that GAWWN is
 * compared with in §5.4. Ported from `I:main_cls_int.lua` as run by `I:scripts/train_cub.sh`
 * (gawwn-reference §0 tag I, §5). Kept apart from GawwnConfig because the baseline has its own image size,
 * widths and loss options. `resolveGanIntClsConfig` is the only way to build a validated, frozen config.
 */
import { GawwnError } from '../util/errors.js';
import { deepFreeze, mergeConfig } from './merge.js';
import type { DeepPartial, PresetName } from './types.js';

/** Network shape of GAN-INT-CLS. */
export interface GanIntClsModelConfig {
  /** Side of the generated image, pixels. Only 64 works: G's ConvT ladder goes 1→4→8→16→32→64. Default: 64 (I: `fineSize=64`). */
  imageSize: number;
  /** Generator base width `ngf`, channels. Default: 128 (I: opt default, and NGF=128 in I:scripts/train_cub.sh). */
  ngf: number;
  /** Discriminator base width `ndf`, channels. Default: 64 (I: opt default, and NDF=64 in I:scripts/train_cub.sh). */
  ndf: number;
  /** Noise size `nz`; z ~ N(0, 1) (I: `noise='normal'`). Default: 100. */
  nz: number;
  /** Text embedding size `txtSize` (char-CNN-GRU output, gawwn-reference §7). Default: 1024. */
  txtSize: number;
  /** Text projection `nt`, used by both G (fcG) and D (fcD). Default: 128 (I: `nt=128`). */
  nt: number;
}

/** Optimisation of GAN-INT-CLS. */
export interface GanIntClsTrainConfig {
  /**
   * Images per step; must be even, G's batch adds B/2 interpolated texts (I: `batchSize * 3/2`).
   * Default: 64 (I: opt default; I:scripts/train_cub.sh does not override it).
   */
  batchSize: number;
  /** Adam learning rate. Default: 2e-4 (I: `lr=0.0002`). */
  lr: number;
  /** Adam β1. Default: 0.5 (I: `beta1=0.5`). */
  beta1: number;
  /** Adam β2. Default: 0.999 (Torch `optim.adam` default). */
  beta2: number;
  /** Adam ε. Default: 1e-8 (Torch `optim.adam` default). */
  eps: number;
  /**
   * Weight of the wrong-image term of D's loss (real image of another class with the right text); the fake
   * term gets `1 − clsWeight`. 0 skips the wrong pass (plain GAN / GAN-INT). Default: 0.5 (CLS=0.5 in
   * I:scripts/train_cub.sh; the opt default 0 is plain GAN).
   */
  clsWeight: number;
  /**
   * Weight, in G's loss, of the B/2 samples drawn with interpolated texts (t_a + t_b)/2 (GAN-INT). 0 keeps the
   * samples in G's batch but gives them no gradient, as Lua's weighted BCECriterion does. Default: 1.0
   * (INT=1.0 in I:scripts/train_cub.sh; the opt default 0 is no interpolation).
   */
  interpWeight: number;
  /** Captions averaged per sample, done by the batcher. Default: 4 (NC=4 in I:scripts/train_cub.sh). */
  numCaptions: number;
  /** Total training epochs. Default: 600 (I:scripts/train_cub.sh `niter=600`). */
  epochs: number;
  /** Multiply lr by `lrDecay` every `decayEvery` epochs. Default: 100 (I: `decay_every`). */
  decayEvery: number;
  /** Learning-rate decay factor. Default: 0.5 (I: `lr_decay`). */
  lrDecay: number;
  /** Seed of every random choice (init, noise, batches). Default: 0. */
  seed: number;
}

/** The whole GAN-INT-CLS configuration. */
export interface GanIntClsConfig {
  model: GanIntClsModelConfig;
  train: GanIntClsTrainConfig;
}

/** What I:scripts/train_cub.sh ran. Frozen: derive variants with `resolveGanIntClsConfig`. */
export const GAN_INT_CLS_DEFAULTS: Readonly<GanIntClsConfig> = Object.freeze({
  model: Object.freeze({ imageSize: 64, ngf: 128, ndf: 64, nz: 100, txtSize: 1024, nt: 128 }),
  train: Object.freeze({
    batchSize: 64,
    lr: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    eps: 1e-8,
    clsWeight: 0.5,
    interpWeight: 1.0,
    numCaptions: 4,
    epochs: 600,
    decayEvery: 100,
    lrDecay: 0.5,
    seed: 0,
  }),
} satisfies GanIntClsConfig);

/**
 * Presets, merged over GAN_INT_CLS_DEFAULTS (same names as the GAWWN presets):
 * - `paper`: what I:scripts/train_cub.sh ran (ngf 128, ndf 64, batch 64);
 * - `small`: ngf = ndf = 32, batch 16, for training on the 2-core CPU;
 * - `cpu`: ngf = ndf = 32, batch 16 (64 px is cheap enough to keep `small`'s widths);
 * - `tiny`: ngf = ndf = 4, nt = 8, batch 4 (so G sees 6 samples): for tests.
 */
export const GAN_INT_CLS_PRESETS: Readonly<Record<PresetName, DeepPartial<GanIntClsConfig>>> = Object.freeze({
  paper: {},
  small: { model: { ngf: 32, ndf: 32 }, train: { batchSize: 16 } },
  cpu: { model: { ngf: 32, ndf: 32 }, train: { batchSize: 16 } },
  tiny: { model: { ngf: 4, ndf: 4, nt: 8 }, train: { batchSize: 4 } },
});

type Rule = { int: boolean; min: number; max: number; minOpen?: boolean; maxOpen?: boolean; even?: boolean };

/** One rule per leaf; the keys here are the valid keys. */
const RULES: { [S in keyof GanIntClsConfig]: { [K in keyof GanIntClsConfig[S]]: Rule } } = {
  model: {
    imageSize: { int: true, min: 64, max: 64 },
    ngf: { int: true, min: 1, max: 4096 },
    ndf: { int: true, min: 1, max: 4096 },
    nz: { int: true, min: 1, max: 100000 },
    txtSize: { int: true, min: 1, max: 100000 },
    nt: { int: true, min: 1, max: 100000 },
  },
  train: {
    batchSize: { int: true, min: 2, max: 100000, even: true },
    lr: { int: false, min: 0, max: 1, minOpen: true },
    beta1: { int: false, min: 0, max: 1, maxOpen: true },
    beta2: { int: false, min: 0, max: 1, maxOpen: true },
    eps: { int: false, min: 0, max: 1, minOpen: true },
    clsWeight: { int: false, min: 0, max: 1 },
    interpWeight: { int: false, min: 0, max: 1e6 },
    numCaptions: { int: true, min: 1, max: 1000 },
    epochs: { int: true, min: 0, max: Number.MAX_SAFE_INTEGER },
    decayEvery: { int: true, min: 1, max: Number.MAX_SAFE_INTEGER },
    lrDecay: { int: false, min: 0, max: 1, minOpen: true },
    seed: { int: true, min: 0, max: 2 ** 32 - 1 },
  },
};

/**
 * Resolves a preset plus overrides into a validated, deeply frozen GAN-INT-CLS config. Inputs are not mutated.
 * @throws GawwnError on an unknown preset, an unknown key, a type mismatch or an out-of-range value, naming
 *   the field (e.g. `train.batchSize`).
 * @example resolveGanIntClsConfig('small', { train: { seed: 3 } })
 */
export function resolveGanIntClsConfig(preset: PresetName | string = 'paper', overrides: DeepPartial<GanIntClsConfig> = {}): Readonly<GanIntClsConfig> {
  const names = Object.keys(GAN_INT_CLS_PRESETS);
  if (!names.includes(preset)) throw new GawwnError(`unknown GAN-INT-CLS preset '${preset}'; valid presets: ${names.join(', ')}`);
  const merged = mergeConfig(mergeConfig(GAN_INT_CLS_DEFAULTS, GAN_INT_CLS_PRESETS[preset as PresetName], `preset '${preset}'`, 'GAN-INT-CLS config'), overrides, 'overrides', 'GAN-INT-CLS config');
  validateGanIntClsConfig(merged);
  return deepFreeze(merged);
}

/** Validates a complete GAN-INT-CLS config (e.g. read back from a checkpoint); throws GawwnError naming the field. */
export function validateGanIntClsConfig(cfg: GanIntClsConfig): void {
  for (const section of Object.keys(RULES) as (keyof GanIntClsConfig)[]) {
    const values = cfg[section] as unknown as Record<string, unknown> | undefined;
    if (typeof values !== 'object' || values === null) throw new GawwnError(`GAN-INT-CLS config section ${section} is missing`);
    for (const [key, rule] of Object.entries(RULES[section] as Record<string, Rule>)) {
      const field = `${section}.${key}`;
      const v = values[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new GawwnError(`GAN-INT-CLS config field ${field} must be a finite number, got ${JSON.stringify(v)}`);
      if (rule.int && !Number.isInteger(v)) throw new GawwnError(`GAN-INT-CLS config field ${field} must be an integer, got ${v}`);
      const lowOk = rule.minOpen ? v > rule.min : v >= rule.min;
      const highOk = rule.maxOpen ? v < rule.max : v <= rule.max;
      if (!lowOk || !highOk) {
        throw new GawwnError(`GAN-INT-CLS config field ${field} = ${v} is out of range ${rule.minOpen ? '(' : '['}${rule.min}, ${rule.max}${rule.maxOpen ? ')' : ']'}`);
      }
      if (rule.even && v % 2 !== 0) throw new GawwnError(`GAN-INT-CLS config field ${field} must be even (G's batch adds B/2 interpolated texts), got ${v}`);
    }
  }
}
