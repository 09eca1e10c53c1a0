/**
 * §5.2 "Controlling individual part locations via keypoints" (paper Fig. 5–6):
 * - ground truth: held-out images of a dataset root, their keypoints and their held-out (10th) caption, several
 *   z per image (N:demo_cub_keypoints_given.lua); the real image is the first column;
 * - moving parts: the 3 box schedules of §5.1, with only beak = box top-left and tail = box bottom-right given;
 *   the keypoint generator Gk completes the other parts (drawn when v > 0.5), then G draws; same z for Gk and G
 *   along a row (N:demo_cub_move_keypoints.lua, gawwn-reference §8).
 */
import type { Box } from '../layers/geometry.js';
import { imageGrid, type GridImage, type NormKeypoint } from '../render/render.js';
import { sampleImages } from '../sampling/sample.js';
import { beakTailFromBox, boxSchedule, type BoxDemo } from '../sampling/interpolate.js';
import { GawwnError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { heldOutExamples, loadModel, moveCaptions, visibleKeypoints, withModels, type ExperimentOptions, type LoadedModel, type ModelInfo } from './common.js';

export interface KeypointControlOptions extends ExperimentOptions {
  /** The keypoint-conditional model. Default `pretrained:birds-keypoint`. */
  model?: string;
  /** The keypoint generator Gk. Default `pretrained:birds-keypoint-gen`. */
  completer?: string;
  /** Dataset root (CUB-style) whose held-out images give the ground-truth keypoints. */
  data: string;
  /** Held-out images (rows). Default 3 (the original shows 3 of 20). */
  images?: number;
  /** Samples (z) per image. Default 4. */
  samples?: number;
  /** Captions of the moving-parts rows. Default the 3 move captions. */
  moveCaptions?: string[];
  /** Schedules of the moving parts. Default all three. */
  schedules?: BoxDemo[];
  frames?: number;
}

export interface GroundTruthRow {
  imageId: number;
  caption: string;
  /** The keypoints given to G (the visible ground truth). */
  keypoints: NormKeypoint[];
}

export interface MovingPartsSchedule {
  demo: BoxDemo;
  boxes: Box[];
  /** Per row (caption) and frame: the K keypoints used (beak and tail given, the rest from Gk). */
  keypoints: NormKeypoint[][];
  /** Rows = captions, columns = frames; keypoints drawn (generated ones as rings). */
  png: Uint8Array;
}

export interface KeypointControlResult {
  section: '5.2';
  seed: number;
  samples: number;
  rows: GroundTruthRow[];
  /** Rows = images; column 0 the real image, then `samples` generated ones; ground-truth keypoints drawn. */
  groundTruthPng: Uint8Array;
  moving: MovingPartsSchedule[];
  moveCaptions: string[];
  model: ModelInfo;
  completer: ModelInfo;
  partNames: string[];
}

/** The moving beak+tail demo on one keypoint model + Gk (shared with §5.5-style uses). */
export async function movingParts(m: LoadedModel, gk: LoadedModel, captions: string[], demos: BoxDemo[], frames: number, seed: number): Promise<MovingPartsSchedule[]> {
  const parts = m.gen.partNames.map((p) => p.toLowerCase());
  const beak = parts.indexOf('beak');
  const tail = parts.indexOf('tail');
  if (beak < 0 || tail < 0) throw new GawwnError(`moving parts needs 'beak' and 'tail' parts; ${m.info.spec} has ${m.gen.partNames.join(', ')}`);
  const nz = m.gen.config.model.nz;
  const rng = new Rng(seed);
  const zs = captions.map(() => rng.normalArray(nz));
  const txt = await m.embed(captions);
  const out: MovingPartsSchedule[] = [];
  for (const demo of demos) {
    const boxes = boxSchedule(demo, frames);
    const images: GridImage[] = [];
    const keypoints: NormKeypoint[][] = [];
    for (let i = 0; i < captions.length; i++) {
      for (const box of boxes) {
        const bt = beakTailFromBox(box);
        const given = new Map([[beak, bt.beak], [tail, bt.tail]]);
        const r = await sampleImages(m.gen, m.embed, { captions: [captions[i]], n: 1, seed, keypoints: given, z: zs[i], txt: [txt[i]] }, gk.gen);
        images.push(r.images[0]);
        keypoints.push(r.keypoints![0]);
      }
    }
    const png = await imageGrid(images, {
      cols: frames,
      keypoints,
      captions: images.map((_, j) => (j % frames === 0 ? captions[Math.floor(j / frames)] : undefined)),
    });
    out.push({ demo, boxes, keypoints, png });
  }
  return out;
}

/** Ground-truth keypoint rows: real image, then `samples` images from its visible keypoints and caption. */
export async function groundTruthGrid(m: LoadedModel, data: string, nImages: number, samples: number, seed: number): Promise<{ rows: GroundTruthRow[]; png: Uint8Array }> {
  const { examples, partNames } = await heldOutExamples(data, nImages, seed);
  const K = (m.gen.config.model as { numParts?: number }).numParts;
  if (K !== undefined && K !== partNames.length) throw new GawwnError(`${m.info.spec} draws ${K} parts but ${data} has ${partNames.length}`);
  const images: GridImage[] = [];
  const kps: NormKeypoint[][] = [];
  const caps: (string | undefined)[] = [];
  const rows: GroundTruthRow[] = [];
  for (const [i, ex] of examples.entries()) {
    const given = visibleKeypoints(ex.keypoints);
    if (given.size === 0) continue;
    const r = await sampleImages(m.gen, m.embed, { captions: [ex.caption], n: samples, seed: seed * 1000 + i, keypoints: given });
    const shown = ex.keypoints.map((k) => ({ ...k, v: k.v > 0.5 ? 1 : 0 }));
    images.push(ex.image, ...r.images);
    kps.push(...Array(samples + 1).fill(shown));
    caps.push(ex.caption, ...Array(samples).fill(undefined));
    rows.push({ imageId: ex.imageId, caption: ex.caption, keypoints: shown });
  }
  if (rows.length === 0) throw new GawwnError('no held-out image has visible keypoints', { file: data });
  return { rows, png: await imageGrid(images, { cols: samples + 1, keypoints: kps, captions: caps }) };
}

/** Runs §5.2. */
export async function runKeypointControl(opts: KeypointControlOptions): Promise<KeypointControlResult> {
  const seed = opts.seed ?? 0;
  const samples = opts.samples ?? 4;
  check(Number.isInteger(samples) && samples >= 1, `samples must be a positive integer, got ${samples}`);
  const m = await loadModel(opts.model ?? 'pretrained:birds-keypoint', opts.modelsDir);
  let gk: LoadedModel | undefined;
  return withModels([m], async () => {
    gk = await loadModel(opts.completer ?? 'pretrained:birds-keypoint-gen', opts.modelsDir, false);
    return withModels([gk], async () => {
      if (m.gen.family !== 'keypoint') throw new GawwnError(`keypoint control needs a keypoint model; ${m.info.spec} is a ${m.gen.family} model`);
      if (gk!.gen.family !== 'keypoint-gen') throw new GawwnError(`${gk!.info.spec} is a ${gk!.gen.family} model, not a keypoint generator`);
      const gt = await groundTruthGrid(m, opts.data, opts.images ?? 3, samples, seed);
      const captions = opts.moveCaptions ?? moveCaptions();
      const moving = await movingParts(m, gk!, captions, opts.schedules ?? ['translate', 'stretch', 'shrink'], opts.frames ?? 3, seed);
      return {
        section: '5.2', seed, samples, rows: gt.rows, groundTruthPng: gt.png, moving, moveCaptions: captions,
        model: m.info, completer: gk!.info, partNames: m.gen.partNames,
      } satisfies KeypointControlResult;
    });
  });
}
