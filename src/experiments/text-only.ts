/**
 * §5.3 "Generating both bird keypoints and images from text alone" (paper Fig. 7; N:demo_cub_keypoints_gen.lua):
 * the keypoint generator Gk runs with an empty conditioning input (no part given), from the caption and z;
 * its keypoints with v > 0.5 go to the keypoint G and are drawn over the birds (as dashed rings: generated).
 */
import { imageGrid, type GridImage, type NormKeypoint } from '../render/render.js';
import { sampleImages } from '../sampling/sample.js';
import { GawwnError, check } from '../util/errors.js';
import { defaultCaptions, loadModel, withModels, type ExperimentOptions, type LoadedModel, type ModelInfo } from './common.js';

export interface TextOnlyOptions extends ExperimentOptions {
  /** The keypoint-conditional model. Default `pretrained:birds-keypoint`. */
  model?: string;
  /** Gk. Default `pretrained:birds-keypoint-gen`. */
  completer?: string;
  /** Captions (rows). Default: held-out captions of `data` when given, else the 3 move captions. */
  captions?: string[];
  /** Dataset root to take held-out captions from (when `captions` is not given). */
  data?: string;
  /** How many held-out captions to take from `data`. Default 3. */
  rows?: number;
  /** Samples (z) per caption. Default 4. */
  samples?: number;
}

export interface TextOnlyResult {
  section: '5.3';
  seed: number;
  captions: string[];
  samples: number;
  /** Per caption, per sample: the K keypoints Gk generated (v ∈ {0,1} after the 0.5 threshold). */
  keypoints: NormKeypoint[][][];
  /** Rows = captions, columns = samples; generated keypoints drawn. */
  png: Uint8Array;
  /** The same samples without keypoints drawn. */
  plainPng: Uint8Array;
  model: ModelInfo;
  completer: ModelInfo;
}

/** Text-only rows for any keypoint model + Gk (also used by §5.4 and §5.5). */
export async function textOnlySamples(m: LoadedModel, gk: LoadedModel, captions: string[], samples: number, seed: number): Promise<{ images: GridImage[]; keypoints: NormKeypoint[][][] }> {
  if (m.gen.family !== 'keypoint') throw new GawwnError(`text-only sampling needs a keypoint model; ${m.info.spec} is a ${m.gen.family} model`);
  if (gk.gen.family !== 'keypoint-gen') throw new GawwnError(`${gk.info.spec} is a ${gk.gen.family} model, not a keypoint generator`);
  const images: GridImage[] = [];
  const keypoints: NormKeypoint[][][] = [];
  for (const [i, c] of captions.entries()) {
    // An empty `given` map: Gk sees no part switched on, the §5.3 setting.
    const r = await sampleImages(m.gen, m.embed, { captions: [c], n: samples, seed: seed * 1000 + i, keypoints: new Map() }, gk.gen);
    images.push(...r.images);
    keypoints.push(r.keypoints!);
  }
  return { images, keypoints };
}

/** Runs §5.3. */
export async function runTextOnly(opts: TextOnlyOptions = {}): Promise<TextOnlyResult> {
  const seed = opts.seed ?? 0;
  const samples = opts.samples ?? 4;
  check(Number.isInteger(samples) && samples >= 1, `samples must be a positive integer, got ${samples}`);
  const caps = opts.captions ?? (await defaultCaptions(opts.data, opts.rows ?? 3, seed));
  check(caps.length > 0, 'text only needs at least one caption');
  const m = await loadModel(opts.model ?? 'pretrained:birds-keypoint', opts.modelsDir);
  return withModels([m], async () => {
    const gk = await loadModel(opts.completer ?? 'pretrained:birds-keypoint-gen', opts.modelsDir, false);
    return withModels([gk], async () => {
      const { images, keypoints } = await textOnlySamples(m, gk, caps, samples, seed);
      const rowCaps = images.map((_, j) => (j % samples === 0 ? caps[Math.floor(j / samples)] : undefined));
      const png = await imageGrid(images, { cols: samples, keypoints: keypoints.flat(), captions: rowCaps });
      const plainPng = await imageGrid(images, { cols: samples, captions: rowCaps });
      return { section: '5.3', seed, captions: caps, samples, keypoints, png, plainPng, model: m.info, completer: gk.info } satisfies TextOnlyResult;
    });
  });
}
