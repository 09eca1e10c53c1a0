/**
 * Named presets, each a partial config merged over PAPER_DEFAULTS by `resolveConfig`.
 * - `paper`: the configuration the original scripts ran (128 px, ngf = ndf = 128, batch 16).
 * - `small`: the same topology at ngf = ndf = 32 and 128 px; the speed target is measured on it.
 * - `cpu`: ngf = ndf = 16 at 128 px (~4x fewer FLOPs than `small`): what the shipped models were trained
 *   with on a 2-core CPU (data/pretrained/README.md).
 * - `tiny`: 128 px and M = 16 kept (the nets depend on both), ngf = ndf = 4, nt = 8, batch 2: for tests.
 */
import type { DeepPartial, GawwnConfig, PresetName } from './types.js';

export const PRESETS: Readonly<Record<PresetName, DeepPartial<GawwnConfig>>> = Object.freeze({
  paper: {},
  small: { model: { ngf: 32, ndf: 32 } },
  cpu: { model: { ngf: 16, ndf: 16 } },
  tiny: { model: { ngf: 4, ndf: 4, ntD: 8 }, train: { batchSize: 2 } },
});

export const PRESET_NAMES: readonly PresetName[] = Object.freeze(Object.keys(PRESETS) as PresetName[]);
