/**
 * §5.1 "Controlling bird location via bounding boxes" (paper Fig. 4; N:demo_cub_move_bbox.lua, gawwn-reference
 * §8): for each caption one noise vector z, kept across the frames of a box schedule (translate, stretch,
 * shrink), so only the box changes along a row. The box is drawn over every sample.
 */
import type { Box } from '../layers/geometry.js';
import { imageGrid, type GridImage } from '../render/render.js';
import { sampleImages } from '../sampling/sample.js';
import { boxSchedule, type BoxDemo } from '../sampling/interpolate.js';
import { GawwnError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { defaultCaptions, loadModel, withModels, type ExperimentOptions, type ModelInfo } from './common.js';

export interface BoxControlOptions extends ExperimentOptions {
  /** The box-conditional model. Default `pretrained:birds-bbox`. */
  model?: string;
  /**
   * Captions, one row each. Default: 3 held-out captions of `data` when given (colours the model knows), else
   * the 3 of N:scripts/cub_captions_move.txt.
   */
  captions?: string[];
  /** A dataset root to take the default captions from (its test split). */
  data?: string;
  /** Which schedules. Default all three. */
  schedules?: BoxDemo[];
  /** Frames per schedule (the original: 3). */
  frames?: number;
}

export interface BoxControlSchedule {
  demo: BoxDemo;
  /** The boxes of the frames, in [0,1] (boxSchedule). */
  boxes: Box[];
  /** Rows = captions, columns = frames; boxes drawn. */
  png: Uint8Array;
  /** The raw samples, row-major (caption, frame). */
  images: GridImage[];
}

export interface BoxControlResult {
  section: '5.1';
  captions: string[];
  seed: number;
  frames: number;
  schedules: BoxControlSchedule[];
  model: ModelInfo;
  /** Image side of the samples. */
  size: number;
}

/** Runs §5.1. */
export async function runBoxControl(opts: BoxControlOptions = {}): Promise<BoxControlResult> {
  const seed = opts.seed ?? 0;
  const frames = opts.frames ?? 3;
  const captions = opts.captions ?? (await defaultCaptions(opts.data, 3, seed));
  const demos = opts.schedules ?? (['translate', 'stretch', 'shrink'] as BoxDemo[]);
  check(captions.length > 0, 'box control needs at least one caption');
  const m = await loadModel(opts.model ?? 'pretrained:birds-bbox', opts.modelsDir);
  return withModels([m], async () => {
    if (m.gen.family !== 'bbox') throw new GawwnError(`box control needs a box model; ${m.info.spec} is a ${m.gen.family} model`);
    const nz = m.gen.config.model.nz;
    const rng = new Rng(seed);
    // One z per caption, shared by every frame of every schedule (the demo keeps z fixed per row).
    const zs = captions.map(() => rng.normalArray(nz));
    const txt = await m.embed(captions);
    const schedules: BoxControlSchedule[] = [];
    for (const demo of demos) {
      const boxes = boxSchedule(demo, frames);
      const images: GridImage[] = [];
      for (let i = 0; i < captions.length; i++) {
        for (const box of boxes) {
          const r = await sampleImages(m.gen, m.embed, { captions: [captions[i]], n: 1, seed, box, z: zs[i], txt: [txt[i]] });
          images.push(r.images[0]);
        }
      }
      const png = await imageGrid(images, {
        cols: frames,
        boxes: images.map((_, j) => boxes[j % frames]),
        captions: images.map((_, j) => (j % frames === 0 ? captions[Math.floor(j / frames)] : undefined)),
      });
      schedules.push({ demo, boxes, png, images });
    }
    return { section: '5.1', captions, seed, frames, schedules, model: m.info, size: schedules[0]?.images[0]?.width ?? 0 };
  });
}
