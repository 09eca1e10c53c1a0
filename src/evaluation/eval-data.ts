/**
 * Evaluation data from a synthetic root: the real images in the generators' 128² frame (the centred
 * evaluation crop of `data/augment.ts`, no flip) with their exact ground truth — box, keypoints and, from
 * attributes.json, the colour of every named part.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { planCrop, preprocess } from '../data/augment.js';
import { readSize } from '../data/image.js';
import { loadDataset } from '../data/inspect.js';
import { COLOUR_NAMES } from '../data/raster.js';
import { CUB_FLIP_PAIRS, MPII_FLIP_PAIRS, type DatasetRecord } from '../data/types.js';
import { GawwnError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** Exact part colours of a synthetic root (attributes.json). */
export interface SyntheticAttributes {
  /** Coloured part names, in first-seen order. */
  attributes: string[];
  /** Colour name per attribute, keyed by imageId (birds) or imageName (people: MPII rows share images). */
  byImage: Map<number | string, Record<string, string>>;
  /** Mask label names: `regions[v − 1]` is label v of masks/*.png (empty when attributes.json has none). */
  regions: string[];
  /**
   * Class ids held out of training entirely (`synth-birds --test-classes K`): colour combinations no generator saw,
   * like the paper's 150/50 CUB class split (§5). Empty when the root holds out no class.
   */
  testClasses: number[];
}

export function readSyntheticAttributes(root: string): SyntheticAttributes {
  const file = path.join(root, 'attributes.json');
  if (!fs.existsSync(file)) throw new GawwnError('no attributes.json: the evaluator needs a synthetic root with exact ground truth (gawwn data synth-birds|synth-people)', { file });
  let j: { images?: { imageId?: number; imageName?: string; colours: Record<string, string> }[]; regions?: Record<string, string>; testClasses?: unknown };
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GawwnError(`attributes.json is not JSON: ${(e as Error).message}`, { file });
  }
  if (!Array.isArray(j.images)) throw new GawwnError("attributes.json has no 'images' array", { file });
  const attributes: string[] = [];
  const byImage = new Map<number | string, Record<string, string>>();
  j.images.forEach((im, i) => {
    const key = Number.isInteger(im.imageId) ? (im.imageId as number) : typeof im.imageName === 'string' ? im.imageName : null;
    if (key === null || im.colours === null || typeof im.colours !== 'object') throw new GawwnError(`attributes.json images[${i}] needs imageId (or imageName) and colours`, { file });
    for (const a of Object.keys(im.colours)) if (!attributes.includes(a)) attributes.push(a);
    byImage.set(key, im.colours);
  });
  // Labels are 1…R and contiguous in both generators (data/synth-birds.ts BIRD_REGIONS, synth-people.ts PERSON_REGIONS).
  const regions: string[] = [];
  const reg = j.regions ?? {};
  for (let v = 1; reg[String(v)] !== undefined; v++) regions.push(String(reg[String(v)]));
  const tc = j.testClasses ?? [];
  if (!Array.isArray(tc) || !tc.every((c) => Number.isInteger(c) && c >= 1)) throw new GawwnError("attributes.json 'testClasses' must be an array of class ids (integers >= 1)", { file });
  return { attributes, byImage, regions, testClasses: tc as number[] };
}

/** masks/<same relative path as under images/>.png of a record. */
export function maskPathOf(root: string, r: DatasetRecord): string {
  const rel = path.relative(path.join(root, 'images'), r.path);
  return path.join(root, 'masks', rel.replace(/\.[^./\\]+$/, '') + '.png');
}

/**
 * The label mask of a record in the evaluation frame: the same region, resize and centred crop as the image
 * (`data/augment.ts` with augment off), nearest-neighbour so labels stay labels.
 */
export async function loadMaskInFrame(root: string, r: DatasetRecord, fineSize: number): Promise<Uint8Array> {
  const file = maskPathOf(root, r);
  if (!fs.existsSync(file)) throw new GawwnError('missing label mask (synthetic roots have masks/ beside images/)', { file });
  const size = r.width > 0 && r.height > 0 ? { width: r.width, height: r.height } : await readSize(r.path);
  const plan = planCrop(r, size, new Rng(0), { augment: false, fineSize });
  let s = sharp(file);
  if (!('classId' in r)) s = s.extract({ left: plan.region.x, top: plan.region.y, width: plan.region.w, height: plan.region.h });
  const { data, info } = await s.extractChannel(0).resize(plan.loadSize, plan.loadSize, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new GawwnError(`label mask has ${info.channels} channels after extracting one`, { file });
  const out = new Uint8Array(fineSize * fineSize);
  for (let y = 0; y < fineSize; y++) {
    for (let x = 0; x < fineSize; x++) out[y * fineSize + x] = data[(y + plan.offY) * plan.loadSize + x + plan.offX];
  }
  return out;
}

/** N evaluation images (uint8 HWC, 128²) with targets, all as plain arrays. */
export interface EvalSet {
  /** Layout of the root: CUB-style birds or MPII-style people. */
  format: 'cub' | 'mpii';
  records: DatasetRecord[];
  partNames: string[];
  flipPairs: readonly (readonly [number, number])[];
  attributes: string[];
  colours: string[];
  size: number;
  /** N×S×S×3 bytes. */
  images: Uint8Array;
  /** N×4 x,y,w,h in [0,1]. */
  box: Float32Array;
  /** N×K×3. */
  keypoints: Float32Array;
  /** N×A colour indices (−1 unknown). */
  attr: Int32Array;
  /** Region names of the label masks (attributes.json `regions`; label v ≥ 1 is `regions[v − 1]`, 0 background). */
  regions: string[];
  /** N×S×S region labels in the same 128² frame as `images` (null when loaded without masks). */
  masks: Uint8Array | null;
}

/**
 * Which held-out classes give conditions: every test record, only those of classes seen in training (new images
 * of known colour combinations), or only the classes held out entirely (unseen colour combinations).
 */
export type ClassSelection = 'all' | 'seen' | 'unseen';
export const CLASS_SELECTIONS: readonly ClassSelection[] = ['all', 'seen', 'unseen'];

export interface LoadEvalSetOptions {
  split: 'train' | 'test';
  /** Default 'all'. 'seen' and 'unseen' need a root with held-out classes (`synth-birds --test-classes K`). */
  classes?: ClassSelection;
  /** Keep at most this many records (a seeded random subset). */
  limit?: number;
  seed?: number;
  /** Decode concurrency. Default 8. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Also load the label masks (masks/*.png) in the same frame. Default false. */
  masks?: boolean;
}

export function recordId(r: DatasetRecord): number {
  return r.imageId;
}

/** Loads one split of a synthetic root in the 128² evaluation frame. */
export async function loadEvalSet(root: string, o: LoadEvalSetOptions): Promise<EvalSet> {
  const ds = await loadDataset(root, { warn: () => undefined });
  const attrs = readSyntheticAttributes(root);
  let records: DatasetRecord[] = ds.format === 'cub' ? ds.records.filter((r) => r.split === o.split) : splitMpii(ds.records, o.split);
  if (records.length === 0) throw new GawwnError(`no ${o.split} records`, { file: root });
  records = selectClasses(records, o.classes ?? 'all', attrs.testClasses, root);
  if (o.limit !== undefined && records.length > o.limit) {
    const rng = new Rng(o.seed ?? 0);
    records = rng.permutation(records.length).slice(0, o.limit).sort((a, b) => a - b).map((i) => records[i]);
  }
  const S = 128;
  const K = ds.partNames.length;
  const A = attrs.attributes.length;
  const n = records.length;
  const set: EvalSet = {
    format: ds.format,
    records,
    partNames: ds.partNames,
    flipPairs: ds.format === 'cub' ? CUB_FLIP_PAIRS : MPII_FLIP_PAIRS,
    attributes: attrs.attributes,
    colours: [...COLOUR_NAMES],
    size: S,
    images: new Uint8Array(n * S * S * 3),
    box: new Float32Array(n * 4),
    keypoints: new Float32Array(n * K * 3),
    attr: new Int32Array(n * A).fill(-1),
    regions: attrs.regions,
    masks: o.masks ? new Uint8Array(n * S * S) : null,
  };
  const rng = new Rng(0);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const r = records[i];
      const ex = await preprocess(r, rng, { augment: false, fineSize: S, warn: () => undefined });
      const img = set.images.subarray(i * S * S * 3, (i + 1) * S * S * 3);
      for (let j = 0; j < img.length; j++) img[j] = Math.max(0, Math.min(255, Math.round((ex.image[j] + 1) * 127.5)));
      set.box.set(ex.box, i * 4);
      set.keypoints.set(ex.keypoints, i * K * 3);
      if (set.masks) set.masks.set(await loadMaskInFrame(root, r, S), i * S * S);
      const c = attrs.byImage.get('imageName' in r ? r.imageName : r.imageId);
      if (c) {
        attrs.attributes.forEach((a, ai) => {
          if (c[a] !== undefined) set.attr[i * A + ai] = set.colours.indexOf(c[a]);
        });
      }
      done++;
      o.onProgress?.(done, n);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  return set;
}

/** Keeps the records of the selected classes (LoadEvalSetOptions.classes). */
export function selectClasses(records: DatasetRecord[], classes: ClassSelection, testClasses: readonly number[], root: string): DatasetRecord[] {
  if (!CLASS_SELECTIONS.includes(classes)) throw new GawwnError(`classes must be one of ${CLASS_SELECTIONS.join(', ')}, got '${String(classes)}'`);
  if (classes === 'all') return records;
  if (testClasses.length === 0) {
    throw new GawwnError(`--classes ${classes} needs a root that holds out whole classes (gawwn data synth-birds --test-classes K); attributes.json lists none`, { file: path.join(root, 'attributes.json') });
  }
  const held = new Set(testClasses);
  const kept = records.filter((r) => 'classId' in r && held.has(r.classId) === (classes === 'unseen'));
  if (kept.length === 0) throw new GawwnError(`no records of ${classes} classes in this split`, { file: root });
  return kept;
}

/** MPII roots have no split file: every 10th record (by id) is held out. DEVIATION: our rule, stated here. */
function splitMpii(records: readonly DatasetRecord[], split: 'train' | 'test'): DatasetRecord[] {
  return records.filter((r) => (r.imageId % 10 === 0) === (split === 'test'));
}

/** Image i as float32 HWC in [-1,1], optionally mirrored. */
export function imageAsFloat(set: EvalSet, i: number, flip = false, out?: Float32Array): Float32Array {
  const S = set.size;
  const dst = out ?? new Float32Array(S * S * 3);
  const src = set.images.subarray(i * S * S * 3, (i + 1) * S * S * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const sx = flip ? S - 1 - x : x;
      const s = (y * S + sx) * 3;
      const d = (y * S + x) * 3;
      dst[d] = src[s] / 127.5 - 1;
      dst[d + 1] = src[s + 1] / 127.5 - 1;
      dst[d + 2] = src[s + 2] / 127.5 - 1;
    }
  }
  return dst;
}

/** Label mask of image i (S×S), optionally mirrored. */
export function maskOf(set: EvalSet, i: number, flip = false, out?: Uint8Array): Uint8Array {
  if (!set.masks) throw new GawwnError('this evaluation set was loaded without masks (loadEvalSet masks: true)');
  const S = set.size;
  const dst = out ?? new Uint8Array(S * S);
  const src = set.masks.subarray(i * S * S, (i + 1) * S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) dst[y * S + x] = src[y * S + (flip ? S - 1 - x : x)];
  return dst;
}

/** Box and keypoints of image i, mirrored when `flip` (left/right parts exchanged). */
export function targetsOf(set: EvalSet, i: number, flip: boolean): { box: Float32Array; keypoints: Float32Array } {
  const K = set.partNames.length;
  const box = set.box.slice(i * 4, i * 4 + 4);
  const kp = set.keypoints.slice(i * K * 3, (i + 1) * K * 3);
  if (!flip) return { box, keypoints: kp };
  box[0] = Math.max(0, 1 - box[0] - box[2] - 1 / set.size);
  const order = Array.from({ length: K }, (_, k) => k);
  for (const [a, b] of set.flipPairs) {
    order[a] = b;
    order[b] = a;
  }
  const out = new Float32Array(K * 3);
  for (let k = 0; k < K; k++) {
    const s = order[k];
    const v = kp[s * 3 + 2];
    if (v > 0) out.set([1 - kp[s * 3] - 1 / set.size, kp[s * 3 + 1], v], k * 3);
  }
  return { box, keypoints: out };
}
