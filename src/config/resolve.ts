/**
 * `resolveConfig(preset, overrides)`: PAPER_DEFAULTS ← recipe ← preset ← overrides, deep-merged, validated and
 * frozen (the recipe is the one the overrides or the preset name, presets.ts RECIPES).
 * Unknown keys, wrong types and out-of-range values are rejected with a GawwnError naming the field
 * (house style §3.5: the original's env-var overrides silently accepted misspellings). Inputs are never mutated.
 */
import { GawwnError } from '../util/errors.js';
import { deepFreeze, mergeConfig } from './merge.js';
import { PAPER_DEFAULTS } from './defaults.js';
import { PRESETS, PRESET_NAMES, RECIPES, RECIPE_NAMES } from './presets.js';
import type { DeepPartial, GawwnConfig, PresetName } from './types.js';

type Rule =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min: number; max: number; minOpen?: boolean; maxOpen?: boolean }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'bool' };

const int = (min: number, max = Number.MAX_SAFE_INTEGER): Rule => ({ kind: 'int', min, max });
const num = (min: number, max: number, open: { minOpen?: boolean; maxOpen?: boolean } = {}): Rule => ({ kind: 'number', min, max, ...open });

/** One rule per leaf; the set of keys here is the set of valid keys. */
const RULES: { [S in keyof GawwnConfig]: { [K in keyof GawwnConfig[S]]: Rule } } = {
  model: {
    family: { kind: 'enum', values: ['bbox', 'keypoint', 'keypoint-gen'] },
    variant: { kind: 'enum', values: ['cub', 'mhp'] },
    imageSize: { kind: 'int', min: 128, max: 128 },
    ngf: int(1, 4096),
    ndf: int(1, 4096),
    nz: int(1, 100000),
    txtSize: int(1, 100000),
    ntD: int(1, 100000),
    keypointGrid: { kind: 'int', min: 16, max: 16 },
    numParts: int(1, 1000),
    dropoutD: num(0, 1, { maxOpen: true }),
    gUpsample: { kind: 'enum', values: ['deconv', 'resize'] },
    dNorm: { kind: 'enum', values: ['batch', 'spectral'] },
    dOutput: { kind: 'enum', values: ['prob', 'logit'] },
    dProjection: { kind: 'bool' },
  },
  train: {
    batchSize: int(1, 100000),
    lr: num(0, 1, { minOpen: true }),
    beta1: num(0, 1, { maxOpen: true }),
    beta2: num(0, 1, { maxOpen: true }),
    eps: num(0, 1, { minOpen: true }),
    clsWeight: num(0, 1),
    numCaptions: int(1, 1000),
    epochs: int(0),
    decayEvery: int(1),
    lrDecay: num(0, 1, { minOpen: true }),
    seed: int(0, 2 ** 32 - 1),
    gkDropProb: num(0, 1),
    fakeScoreThresh: num(0, 1, { maxOpen: true }),
    instanceNoise: num(0, 1),
    dLrScale: num(0, 100, { minOpen: true }),
    recipe: { kind: 'enum', values: ['paper', 'stable'] },
    loss: { kind: 'enum', values: ['bce', 'hinge'] },
    wrongText: { kind: 'enum', values: ['shuffle', 'other-class'] },
    emaBeta: num(0, 1, { maxOpen: true }),
    modeSeeking: num(0, 1000),
    augTranslate: num(0, 0.5),
    augCutout: num(0, 1, { maxOpen: true }),
    r1Gamma: num(0, 1e6),
    r1Every: int(1, 1e6),
  },
};

/**
 * Resolves a preset plus overrides into a validated, deeply frozen config.
 * @throws GawwnError on an unknown preset (listing the valid ones), an unknown key, a type mismatch or an
 *   out-of-range value (naming the field, e.g. `model.ngf`).
 * @example resolveConfig('small', { model: { family: 'bbox' }, train: { seed: 3 } })
 */
export function resolveConfig(preset: PresetName | string = 'paper', overrides: DeepPartial<GawwnConfig> = {}): Readonly<GawwnConfig> {
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) {
    throw new GawwnError(`unknown preset '${preset}'; valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  // The recipe named by the overrides, else by the preset, sets its defaults under both (presets.ts RECIPES).
  const presetCfg = PRESETS[preset as PresetName];
  const recipe = overrides.train?.recipe ?? presetCfg.train?.recipe ?? PAPER_DEFAULTS.train.recipe;
  if (!(RECIPE_NAMES as readonly string[]).includes(recipe)) {
    throw new GawwnError(`config field train.recipe must be one of ${RECIPE_NAMES.join(', ')}, got ${JSON.stringify(recipe)}`);
  }
  const base = mergeConfig(PAPER_DEFAULTS, RECIPES[recipe], `recipe '${recipe}'`);
  const merged = mergeConfig(mergeConfig(base, presetCfg, `preset '${preset}'`), overrides, 'overrides');
  merged.train.recipe = recipe;
  validate(merged);
  if (merged.train.r1Gamma > 0) {
    // The field is reserved so configs can name it; the trainer does not apply it yet (docs/recipes.md).
    throw new GawwnError(`config field train.r1Gamma = ${merged.train.r1Gamma}: the R1 penalty is not implemented yet; use 0`);
  }
  if (merged.train.fakeScoreThresh > 0 && merged.model.dOutput !== 'prob') {
    throw new GawwnError(`config field train.fakeScoreThresh = ${merged.train.fakeScoreThresh} needs model.dOutput = prob (the gate compares D's mean probability on fakes), got ${merged.model.dOutput}`);
  }
  if (merged.train.loss === 'hinge' && merged.model.dOutput !== 'logit') {
    throw new GawwnError(`config field train.loss = hinge needs model.dOutput = logit (the hinge acts on D's score before the sigmoid), got ${merged.model.dOutput}`);
  }
  return deepFreeze(merged);
}

/** Validates a complete config (e.g. one read back from a checkpoint); throws GawwnError naming the field. */
export function validate(cfg: GawwnConfig): void {
  for (const section of Object.keys(RULES) as (keyof GawwnConfig)[]) {
    const rules = RULES[section] as Record<string, Rule>;
    const values = cfg[section] as unknown as Record<string, unknown>;
    for (const key of Object.keys(rules)) {
      const field = `${section}.${key}`;
      const rule = rules[key];
      const v = values[key];
      if (rule.kind === 'bool') {
        if (typeof v !== 'boolean') throw new GawwnError(`config field ${field} must be true or false, got ${JSON.stringify(v)}`);
        continue;
      }
      if (rule.kind === 'enum') {
        if (typeof v !== 'string' || !rule.values.includes(v)) {
          throw new GawwnError(`config field ${field} must be one of ${rule.values.join(', ')}, got ${JSON.stringify(v)}`);
        }
        continue;
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new GawwnError(`config field ${field} must be a finite number, got ${JSON.stringify(v)}`);
      if (rule.kind === 'int' && !Number.isInteger(v)) throw new GawwnError(`config field ${field} must be an integer, got ${v}`);
      const lowOk = rule.kind === 'number' && rule.minOpen ? v > rule.min : v >= rule.min;
      const highOk = rule.kind === 'number' && rule.maxOpen ? v < rule.max : v <= rule.max;
      if (!lowOk || !highOk) {
        const lo = rule.kind === 'number' && rule.minOpen ? '(' : '[';
        const hi = rule.kind === 'number' && rule.maxOpen ? ')' : ']';
        throw new GawwnError(`config field ${field} = ${v} is out of range ${lo}${rule.min}, ${rule.max}${hi}`);
      }
    }
  }
}

/**
 * A config stored by a run or a shipped model, ready for `resolveConfig`: one written before `train.recipe`
 * existed was trained with the paper's recipe, whatever its preset's recipe is now.
 */
export function storedConfig<T extends { train?: object }>(config: T): T {
  const train = (config.train ?? {}) as { recipe?: string };
  return train.recipe !== undefined ? config : { ...config, train: { ...train, recipe: 'paper' } };
}
