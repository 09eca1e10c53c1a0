/**
 * Shared plumbing of the paper's experiments (§3.2, §5.1–§5.5; gawwn-reference §8 demos): where models live
 * (`pretrained:NAME` in the package, or the same names under a models directory), loading a generator with
 * its text encoder and training log, held-out examples of a dataset root, and small image helpers.
 * Everything returns plain data; nothing here displays (house style §3.7).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCaptionFile } from '../data/captions.js';
import { preprocess } from '../data/augment.js';
import { loadDataset } from '../data/inspect.js';
import { synthBirds } from '../data/synth-birds.js';
import { synthPeople } from '../data/synth-people.js';
import type { DatasetRecord } from '../data/types.js';
import { lossChart, readLossLog, type GridImage, type NormKeypoint, type VegaLiteSpec } from '../render/render.js';
import type { LoadedGenerator } from '../sampling/load.js';
import { Pipeline } from '../sampling/pipeline.js';
import type { Embedder } from '../sampling/sample.js';
import { GawwnError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { packageDataPath, pretrainedDir } from '../util/package-dir.js';

/** Options every experiment takes. */
export interface ExperimentOptions {
  /** Seed of all noise and of the choice of held-out examples. Default 0. */
  seed?: number;
  /**
   * Folder holding models by name (`birds-bbox/`, `text-birds/`, …: exported weights or run folders). When
   * set, every `pretrained:NAME` spec, including the text encoder a model records, is looked up here first.
   * Default: the package's data/pretrained (or env GAWWN_MODELS_DIR, read by the notebooks and the CLI only).
   */
  modelsDir?: string;
}

/** What an experiment reports about a model it used. */
export interface ModelInfo {
  /** The spec asked for (`pretrained:birds-bbox` or a folder). */
  spec: string;
  /** The folder it was loaded from. */
  source: string;
  family: string;
  preset: string;
  steps: number;
  /** Loss curves from the run's log (log.jsonl next to the weights, or of the run), when present. */
  lossChart?: VegaLiteSpec;
  /** Validation metrics of the averaged G over training (`gawwn eval curve`, curve.jsonl), when present. */
  curveChart?: VegaLiteSpec;
}

/** The shipped captions of N:scripts/cub_captions_move.txt (copied to data/captions so ../shared is not needed). */
export function moveCaptions(): string[] {
  const f = packageDataPath('captions', 'cub_captions_move.txt');
  if (fs.existsSync(f)) return readCaptionFile(f);
  throw new GawwnError('data/captions/cub_captions_move.txt is missing from the package');
}

/**
 * The default caption rows of an experiment: `n` held-out captions of `data` when a dataset root is given (colours
 * the models know), else the 3 move captions of the original demos.
 */
export async function defaultCaptions(data: string | undefined, n: number, seed: number): Promise<string[]> {
  return data !== undefined ? (await heldOutExamples(data, n, seed)).examples.map((e) => e.caption) : moveCaptions();
}

export { resolveIn } from '../sampling/load.js';

/** Where the models of `pretrained:` specs are looked up: `modelsDir`, else the package's data/pretrained. */
export function modelsRoot(modelsDir?: string): string {
  return modelsDir ?? pretrainedDir();
}

/** Whether a model named `name` exists under the models root (exported weights, a run, or a text encoder). */
export function hasModel(name: string, modelsDir?: string): boolean {
  const d = path.join(modelsRoot(modelsDir), name);
  return ['manifest.json', 'final/manifest.json', 'text-encoder.json', 'checkpoints'].some((f) => fs.existsSync(path.join(d, f)));
}

/** The training log of a model folder: `log.jsonl` (image models) or `loss.jsonl` (text encoders), here or one up. */
export function findRunLog(dir: string): string | undefined {
  for (const d of [dir, path.dirname(dir)]) {
    for (const f of ['log.jsonl', 'loss.jsonl']) {
      const p = path.join(d, f);
      if (fs.existsSync(p) && fs.statSync(p).size > 0) return p;
    }
  }
  return undefined;
}

/** The vega-lite loss chart of a model folder's log, or undefined when it has none. */
export function runLossChart(dir: string, title: string): VegaLiteSpec | undefined {
  const f = findRunLog(dir);
  if (f === undefined) return undefined;
  const recs = readLossLog(f);
  if (recs.length === 0) return undefined;
  const keys = [...new Set(recs.flatMap((r) => Object.keys(r)))].filter((k) => /loss/i.test(k));
  if (keys.length === 0) return undefined;
  return lossChart(recs, keys, { title, maxPoints: 300 });
}

/** Metrics `gawwn eval curve` writes, in the order they are plotted. */
export const CURVE_METRICS = ['boxIou', 'pck', 'attributeAccuracy', 'zPixelStd', 'captionPixelStd'] as const;

/**
 * The vega-lite chart of a model folder's validation curve (curve.jsonl: one line per checkpoint), or undefined
 * when it has none: whether the run kept improving, and whether z kept mattering (zPixelStd against captionPixelStd).
 */
export function runCurveChart(dir: string, title: string): VegaLiteSpec | undefined {
  const f = path.join(dir, 'curve.jsonl');
  if (!fs.existsSync(f) || fs.statSync(f).size === 0) return undefined;
  const recs = readLossLog(f);
  const keys = CURVE_METRICS.filter((k) => recs.some((r) => Number.isFinite(r[k])));
  if (recs.length === 0 || keys.length === 0) return undefined;
  return lossChart(recs, keys, { title, yTitle: 'metric', maxPoints: 300 });
}

/** A loaded generator, its embedder (its own text encoder, resolved in the models dir) and its info. */
export interface LoadedModel {
  /** The model as a `Pipeline` (without a keypoint generator: experiments load Gk on their own). */
  pipeline: Pipeline;
  gen: LoadedGenerator;
  embed: Embedder;
  info: ModelInfo;
}

/** Loads `spec` (resolved in `modelsDir`) with the embedder of the text encoder it records. */
export async function loadModel(spec: string, modelsDir?: string, withEmbedder = true): Promise<LoadedModel> {
  const pipeline = await Pipeline.load(spec, { modelsDir, keypointGen: null, textEncoder: withEmbedder });
  const gen = pipeline.generator;
  const info: ModelInfo = {
    spec, source: gen.source, family: gen.family, preset: gen.preset, steps: gen.steps,
    lossChart: runLossChart(gen.source, `${spec} (${gen.family}) training losses`),
    curveChart: runCurveChart(gen.source, `${spec} (${gen.family}) validation metrics of the averaged G`),
  };
  return { pipeline, gen, embed: (captions) => pipeline.embed(captions), info };
}

/** One held-out example: the centred 128² crop (no flip), its keypoints, and a held-out caption. */
export interface HeldOutExample {
  imageId: number;
  image: GridImage;
  /** K keypoints in [0,1] of the crop; v = 0 when invisible or cropped out. */
  keypoints: NormKeypoint[];
  caption: string;
}

/**
 * Picks `n` held-out examples of a dataset root (CUB: the test split; MPII: all people), seeded. The caption is
 * the 10th (`txt[10]` of N:demo_cub_keypoints_given.lua, held out from training) or the last one there is.
 * DEVIATION: the original used the random training crop/flip (trainHook); we use the centred crop so the
 * ground truth shown is the one the model was given.
 */
export async function heldOutExamples(root: string, n: number, seed: number): Promise<{ examples: HeldOutExample[]; partNames: string[]; format: 'cub' | 'mpii' }> {
  check(Number.isInteger(n) && n >= 1, `need a positive number of examples, got ${n}`);
  const ds = await loadDataset(root, { warn: () => undefined });
  const recs: DatasetRecord[] = (ds.format === 'cub' ? ds.records.filter((r) => r.split === 'test') : ds.records)
    .filter((r) => r.captions !== undefined && r.captions.length > 0);
  if (recs.length === 0) throw new GawwnError('no held-out images with captions in the dataset', { file: ds.root });
  const rng = new Rng(seed);
  const pick = rng.permutation(recs.length).slice(0, Math.min(n, recs.length)).map((i) => recs[i]);
  const examples: HeldOutExample[] = [];
  for (const r of pick) {
    const ex = await preprocess(r, rng, { augment: false, warn: () => undefined });
    const caps = r.captions!;
    const K = ex.keypoints.length / 3;
    examples.push({
      imageId: r.imageId,
      image: { data: ex.image, width: 128, height: 128 },
      keypoints: Array.from({ length: K }, (_, k) => ({ x: ex.keypoints[k * 3], y: ex.keypoints[k * 3 + 1], v: ex.keypoints[k * 3 + 2], name: ds.partNames[k] })),
      caption: caps[Math.min(9, caps.length - 1)],
    });
  }
  return { examples, partNames: ds.partNames, format: ds.format };
}

/** The visible keypoints as the `given` map of sampleImages. */
export function visibleKeypoints(kps: readonly NormKeypoint[]): Map<number, { x: number; y: number }> {
  const m = new Map<number, { x: number; y: number }>();
  kps.forEach((k, i) => { if (k.v > 0.5) m.set(i, { x: k.x, y: k.y }); });
  return m;
}

/** Nearest-neighbour upscale by an integer factor (64 px GAN-INT-CLS samples beside 128 px GAWWN ones). */
export function upscaleNearest(img: GridImage, factor: number): GridImage {
  check(Number.isInteger(factor) && factor >= 1, `upscale factor must be a positive integer, got ${factor}`);
  if (factor === 1) return img;
  const C = img.data.length / (img.width * img.height);
  const W = img.width * factor;
  const H = img.height * factor;
  const out = img.data instanceof Float32Array ? new Float32Array(W * H * C) : new Uint8Array(W * H * C);
  for (let y = 0; y < H; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < W; x++) {
      const s = (sy * img.width + Math.floor(x / factor)) * C;
      const d = (y * W + x) * C;
      for (let c = 0; c < C; c++) out[d + c] = img.data[s + c];
    }
  }
  return { data: out, width: W, height: H };
}

/** Runs `f` and disposes the models afterwards, whatever happens. */
export async function withModels<T>(models: (LoadedModel | undefined)[], f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } finally {
    for (const m of models) m?.pipeline.dispose();
  }
}

/**
 * The colour classes the shipped bird models were trained on (`synth-birds --out birds200 --seed 11 --classes 200
 * --test-classes 50`, data/pretrained/README.md): `syntheticRoot` draws its birds from them, so the captions it
 * provides name colour combinations those models know (or, for the last 50 classes, the held-out combinations
 * birds200 keeps out of training), on images and layouts they never saw. `classSeed` 11 gives the same classes
 * as birds200's `--seed 11` (without `classSeed`, synth-birds draws them from `seed`, the same stream).
 */
export const SHIPPED_BIRD_CLASSES = Object.freeze({ classSeed: 11, classes: 200, testClasses: 50 });

/**
 * A small synthetic dataset root for the ground-truth experiments when no real one is given: 48 birds of the
 * shipped models' 200 classes (`SHIPPED_BIRD_CLASSES`: CUB layout; the last 50 classes are test-only as in
 * birds200, half of the others held out) or 16 people (MPII layout), generated once per seed under `parent`
 * (default <tmp>/gawwn-synth) and reused. Deterministic per seed.
 */
export async function syntheticRoot(kind: 'birds' | 'people', seed: number, parent = path.join(os.tmpdir(), 'gawwn-synth')): Promise<string> {
  const { classSeed, classes, testClasses } = SHIPPED_BIRD_CLASSES;
  const dir = path.join(parent, kind === 'birds' ? `birds-${seed}-c${classSeed}x${classes}t${testClasses}` : `${kind}-${seed}`);
  const marker = kind === 'birds' ? 'images.txt' : 'captions.tsv';
  if (fs.existsSync(path.join(dir, marker))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(parent, { recursive: true });
  if (kind === 'birds') await synthBirds({ out: dir, images: 48, seed, classes, classSeed, testClasses, minSize: 160, maxSize: 260, concurrency: 2 });
  else await synthPeople({ out: dir, images: 16, seed, minSize: 160, maxSize: 260, concurrency: 2 });
  return dir;
}
