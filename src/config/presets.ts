/**
 * Named presets, each a partial config merged over PAPER_DEFAULTS by `resolveConfig`.
 * - `paper`: the configuration the original scripts ran (128 px, ngf = ndf = 128, batch 16).
 * - `small`: the same topology at ngf = ndf = 32 and 128 px; the speed target is measured on it.
 * - `tiny`: 128 px and M = 16 kept (the nets depend on both), ngf = ndf = 4, nt = 8, batch 2: for tests.
 */
import type { DeepPartial, GawwnConfig, PresetName } from './types.js';

export const PRESETS: Readonly<Record<PresetName, DeepPartial<GawwnConfig>>> = Object.freeze({
  paper: {},
  small: { model: { ngf: 32, ndf: 32 } },
  tiny: { model: { ngf: 4, ndf: 4, ntD: 8 }, train: { batchSize: 2 } },
});

export const PRESET_NAMES: readonly PresetName[] = Object.freeze(Object.keys(PRESETS) as PresetName[]);
