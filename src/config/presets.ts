/**
 * Named presets, each a partial config merged over PAPER_DEFAULTS by `resolveConfig`.
 * - `paper`: the configuration the original scripts ran (128 px, ngf = ndf = 128, batch 16).
 * - `small`: the same topology at ngf = ndf = 32 and 128 px; the speed target is measured on it.
 * - `cpu`: ngf = ndf = 16 at 128 px (~4x fewer FLOPs than `small`): what the shipped models were trained
 *   with on a 2-core CPU (data/pretrained/README.md).
 * - `tiny`: 128 px and M = 16 kept (the nets depend on both), ngf = ndf = 4, nt = 8, batch 2: for tests.
 */
import type { DeepPartial, GawwnConfig, PresetName, RecipeName } from './types.js';

/**
 * The CPU presets train with the stable recipe, and their D's text projection `ntD` scales with `ndf` as in the
 * paper (ntD = ndf = 128): at ndf 16 a 128-wide text map is half of D's FLOPs.
 */
export const PRESETS: Readonly<Record<PresetName, DeepPartial<GawwnConfig>>> = Object.freeze({
  paper: {},
  small: { model: { ngf: 32, ndf: 32, ntD: 32 }, train: { recipe: 'stable' } },
  cpu: { model: { ngf: 16, ndf: 16, ntD: 16 }, train: { recipe: 'stable' } },
  tiny: { model: { ngf: 4, ndf: 4, ntD: 8 }, train: { batchSize: 2 } },
});

/**
 * What each recipe sets, under the preset and the overrides (config/resolve.ts). `paper` is the original's
 * (nothing changes); `stable` is the set of DEVIATIONs documented on each field of ModelConfig / TrainConfig.
 */
export const RECIPES: Readonly<Record<RecipeName, DeepPartial<GawwnConfig>>> = Object.freeze({
  paper: {},
  stable: {
    model: { dNorm: 'spectral', dOutput: 'logit', dProjection: true },
    train: {
      loss: 'hinge',
      wrongText: 'other-class',
      emaBeta: 0.999,
      modeSeeking: 1,
      augTranslate: 0.125,
      augCutout: 0.25,
      // Adam β1 = 0, β2 = 0.99 (Miyato et al. 2018; Brock et al. 2019): momentum lags a moving adversary.
      beta1: 0,
      beta2: 0.99,
      fakeScoreThresh: 0,
    },
  },
});

export const RECIPE_NAMES: readonly RecipeName[] = Object.freeze(Object.keys(RECIPES) as RecipeName[]);

export const PRESET_NAMES: readonly PresetName[] = Object.freeze(Object.keys(PRESETS) as PresetName[]);
