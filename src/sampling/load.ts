/**
 * Loading a trained generator for sampling: from a run folder (its `final/` export, else its latest complete
 * checkpoint) or from the shipped models under `data/pretrained/<name>/` (`pretrained:<name>`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { resolveConfig, storedConfig } from '../config/resolve.js';
import { resolveGanIntClsConfig, type GanIntClsConfig } from '../config/gan-int-cls.js';
import type { GawwnConfig } from '../config/types.js';
import { buildGanIntClsGenerator } from '../models/gan-int-cls.js';
import { familyBuilders } from '../models/registry.js';
import { GawwnError } from '../util/errors.js';
import { pretrainedDir } from '../util/package-dir.js';
import { assignModelWeights, importWeights, loadCheckpoint, loadLatest } from '../training/checkpoint.js';
import type { TrainFamily } from '../training/loop.js';

export { pretrainedDir };

/** Names of the shipped models (folders of data/pretrained with a manifest). */
export function listPretrained(): string[] {
  const d = pretrainedDir();
  if (!fs.existsSync(d)) return [];
  return fs.readdirSync(d).filter((n) => fs.existsSync(path.join(d, n, 'manifest.json'))).sort();
}

/** `pretrained:NAME` → `modelsDir/NAME` when a models directory is given; other specs unchanged. */
export function resolveIn(spec: string, modelsDir?: string): string {
  if (modelsDir === undefined || !spec.startsWith('pretrained:')) return spec;
  return path.join(modelsDir, spec.slice('pretrained:'.length));
}

/**
 * The checkpoint group of G's running average (TrainConfig.emaBeta), when a run keeps one: sampling prefers it to
 * the last iterate, whose samples swing with the adversarial game's last few steps. Exported weights (final/,
 * published models) hold the average as group G and say so in `meta.averaged`.
 */
export const AVERAGED_G_GROUP = 'Gema';

/** Where `RUN` or `pretrained:NAME` lives on disk. */
export function resolveModelSpec(spec: string): string {
  if (spec.startsWith('pretrained:')) {
    const name = spec.slice('pretrained:'.length);
    const d = path.join(pretrainedDir(), name);
    if (!fs.existsSync(path.join(d, 'manifest.json'))) {
      const have = listPretrained();
      throw new GawwnError(`no shipped model '${name}' (have: ${have.length ? have.join(', ') : 'none'})`, { file: d });
    }
    return d;
  }
  if (!fs.existsSync(spec)) throw new GawwnError('no such run folder', { file: spec });
  return spec;
}

/** A generator ready to sample, with what it was trained on. */
export interface LoadedGenerator {
  family: TrainFamily;
  preset: string;
  config: GawwnConfig | GanIntClsConfig;
  G: tf.LayersModel;
  /** Part names of the dataset (CUB's 15, MPII's 17). */
  partNames: string[];
  /** Text encoder the embeddings came from (a run folder or `pretrained:NAME`). */
  textEncoder: string;
  /** Steps it was trained for. */
  steps: number;
  /** The folder it was loaded from. */
  source: string;
  /** Whether G holds the run's averaged weights (`AVERAGED_G_GROUP`) rather than the last iterate. */
  averaged?: boolean;
  dispose(): void;
}

interface Meta {
  family: TrainFamily;
  preset: string;
  config: GawwnConfig | GanIntClsConfig;
  steps?: number;
  textEncoder?: string;
  partNames?: string[];
}

function buildG(meta: Meta): tf.LayersModel {
  if (meta.family === 'gan-int-cls') {
    const cfg = resolveGanIntClsConfig(meta.preset, meta.config as GanIntClsConfig);
    return buildGanIntClsGenerator(cfg.model, 0);
  }
  const cfg = resolveConfig(meta.preset, storedConfig(meta.config as GawwnConfig));
  return familyBuilders(cfg.model.family).buildG(cfg.model, 0);
}

/**
 * Loads `RUN` (its `final/` export, else its latest checkpoint) or `pretrained:NAME`. Paths inside the
 * recorded text-encoder name are resolved relative to the model folder when they are relative.
 */
export async function loadGenerator(spec: string, opts: { checkpoint?: string } = {}): Promise<LoadedGenerator> {
  const dir = resolveModelSpec(spec);
  // `opts.checkpoint`: one checkpoint folder of the run instead of its final/ or latest one (training curves).
  const exported = opts.checkpoint !== undefined ? null : fs.existsSync(path.join(dir, 'manifest.json')) ? dir : fs.existsSync(path.join(dir, 'final', 'manifest.json')) ? path.join(dir, 'final') : null;
  let meta: Meta;
  let G: tf.LayersModel;
  let averaged = false;
  if (exported !== null) {
    const w = await importWeights(exported);
    meta = w.meta as unknown as Meta;
    if (!meta.family || !meta.config) throw new GawwnError('exported weights carry no model family/config in their manifest meta', { file: path.join(exported, 'manifest.json') });
    G = buildG(meta);
    averaged = w.groups[AVERAGED_G_GROUP] !== undefined || (meta as { averaged?: boolean }).averaged === true;
    const g = w.groups[AVERAGED_G_GROUP] ?? w.groups.G;
    if (!g) throw new GawwnError(`weights in ${exported} have no group 'G'`);
    assignModelWeights(G, g, `${exported} G`);
  } else {
    const ck = opts.checkpoint !== undefined ? await loadCheckpoint(opts.checkpoint) : await loadLatest(dir);
    if (ck === null) throw new GawwnError('run has neither final/ weights nor a checkpoint', { file: dir });
    const cfgFile = path.join(dir, 'config.json');
    const extra = fs.existsSync(cfgFile) ? (JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Partial<Meta>) : {};
    meta = { family: ck.modelFamily as TrainFamily, preset: ck.preset, config: ck.config as GawwnConfig, steps: ck.step, textEncoder: extra.textEncoder, partNames: extra.partNames };
    G = buildG(meta);
    // A run with a weight-averaged G samples from the average (TrainConfig.emaBeta).
    averaged = ck.groups[AVERAGED_G_GROUP] !== undefined;
    assignModelWeights(G, ck.groups[AVERAGED_G_GROUP] ?? ck.groups.G, `${ck.dir} ${averaged ? AVERAGED_G_GROUP : 'G'}`);
  }
  let textEncoder = meta.textEncoder ?? '';
  if (textEncoder !== '' && !textEncoder.startsWith('pretrained:') && !path.isAbsolute(textEncoder)) textEncoder = path.resolve(dir, textEncoder);
  return {
    family: meta.family,
    preset: meta.preset,
    config: meta.config,
    G,
    partNames: meta.partNames ?? [],
    textEncoder,
    steps: meta.steps ?? 0,
    source: dir,
    averaged,
    dispose: () => G.dispose(),
  };
}
