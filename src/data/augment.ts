/**
 * The training-time preprocessing of the original (gawwn-reference §5, `trainHook` of
 * N:data/donkey_folder_cub_keypoint_and_image.lua / ..._mhp_keypoint_and_image.lua): CUB: whole image ->
 * 150² (anisotropic); MHP: square of side ceil(scale·200·1.1) around objpos -> 140²; then a random 128 crop
 * at offsets ceil(U(0.01, L-128)), a horizontal flip with p = 0.5, and scaling to [-1, 1].
 * Randomness is drawn synchronously in `planCrop` (so parallel decoding stays deterministic per seed).
 */
import { GawwnError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { clipToImage, cropOffset, mapBox, mapKeypoints, mhpRegion, type CropPlan } from './geometry.js';
import { decodeResized, readSize, type RgbImage } from './image.js';
import { CUB_FLIP_PAIRS, MPII_FLIP_PAIRS, type CubRecord, type DatasetRecord, type MpiiRecord, type WarnFn, warnToStderr } from './types.js';

export interface PreprocessOptions {
  /** loadSize: the side the image (CUB) or person crop (MHP) is resized to. Default 150 CUB, 140 MHP (gawwn-reference §5). */
  loadSize?: number;
  /** fineSize: side of the crop. Default 128. */
  fineSize?: number;
  /** Random crop and flip (training). false: centred crop, no flip (evaluation). Default true. */
  augment?: boolean;
  /** Flip probability. Default 0.5. */
  flipProb?: number;
  /**
   * Exchange left/right part channels when flipping. Default true.
   * DEVIATION: the original did not swap (a flipped bird keeps "left eye" on its channel, gawwn-reference §5).
   */
  swapLeftRightOnFlip?: boolean;
  warn?: WarnFn;
  /** Cache of decoded loadSize² images (the random crop/flip comes after the resize, so it is reusable). */
  cache?: DecodeCache;
}

/** A small LRU of decoded, resized images keyed by file, region and size. */
export class DecodeCache {
  private readonly map = new Map<string, Promise<RgbImage>>();
  hits = 0;
  misses = 0;
  constructor(readonly capacity = 512) {}
  get(key: string, make: () => Promise<RgbImage>): Promise<RgbImage> {
    const hit = this.map.get(key);
    if (hit) {
      this.hits++;
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    this.misses++;
    const p = make();
    // A failed decode is not cached (the file may be fixed and retried).
    p.catch(() => this.map.delete(key));
    this.map.set(key, p);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
    return p;
  }
  get size(): number {
    return this.map.size;
  }
}

/** One preprocessed example: plain typed arrays (no tensors). */
export interface Example {
  /** fine×fine×3 HWC in [-1, 1]. */
  image: Float32Array;
  /** [x, y, w, h] in [0,1] of the crop, clipped. */
  box: Float32Array;
  /** K×3 (x, y, v) in [0,1] of the crop; v = 0 when invisible or cropped out. */
  keypoints: Float32Array;
}

export const isCub = (r: DatasetRecord): r is CubRecord => 'classId' in r;

/** Default loadSize of a record's dataset. */
export function defaultLoadSize(r: DatasetRecord): number {
  return isCub(r) ? 150 : 140;
}

/**
 * Draws the crop offsets and flip (in the original's order: h1, w1, flip) and fixes the source region.
 * `size` is the image size (records loaded without their image have width 0: pass the decoded size).
 */
export function planCrop(r: DatasetRecord, size: { width: number; height: number }, rng: Rng, opts: PreprocessOptions = {}): CropPlan {
  const loadSize = opts.loadSize ?? defaultLoadSize(r);
  const fineSize = opts.fineSize ?? 128;
  if (loadSize < fineSize) throw new GawwnError(`loadSize ${loadSize} is smaller than fineSize ${fineSize}`);
  const augment = opts.augment ?? true;
  const region = isCub(r)
    ? { x: 0, y: 0, w: size.width, h: size.height }
    : mhpRegion((r as MpiiRecord).objpos, (r as MpiiRecord).scale, size.width, size.height);
  let offX: number;
  let offY: number;
  let flip = false;
  if (augment) {
    offY = cropOffset(rng.next(), loadSize, fineSize);
    offX = cropOffset(rng.next(), loadSize, fineSize);
    flip = rng.next() < (opts.flipProb ?? 0.5);
  } else {
    offX = offY = Math.floor((loadSize - fineSize) / 2);
  }
  return { region, loadSize, fineSize, offX, offY, flip };
}

/** Crops the loadSize² RGB bytes at the plan's offsets, flips, and scales to [-1, 1]. */
export function cropFlipScale(rgb: Uint8Array, p: CropPlan): Float32Array {
  const L = p.loadSize;
  const F = p.fineSize;
  const out = new Float32Array(F * F * 3);
  for (let y = 0; y < F; y++) {
    const srow = (y + p.offY) * L;
    for (let x = 0; x < F; x++) {
      const sx = p.flip ? F - 1 - x : x;
      const s = (srow + sx + p.offX) * 3;
      const d = (y * F + x) * 3;
      out[d] = rgb[s] / 127.5 - 1;
      out[d + 1] = rgb[s + 1] / 127.5 - 1;
      out[d + 2] = rgb[s + 2] / 127.5 - 1;
    }
  }
  return out;
}

/**
 * Decodes and preprocesses one record. The random draws happen before the first await, so calling this for
 * a batch in order and awaiting all results together is deterministic per seed.
 */
export async function preprocess(r: DatasetRecord, rng: Rng, opts: PreprocessOptions = {}): Promise<Example> {
  // Draw first (sync), using a fork so the stream does not depend on whether the size is known.
  const local = rng.fork();
  const size = r.width > 0 && r.height > 0 ? { width: r.width, height: r.height } : await readSize(r.path);
  let bbox = r.bbox;
  const parts = r.parts.map((p) => ({ ...p }));
  if (r.width === 0) bbox = clipToImage(bbox, parts, size.width, size.height, r.path, opts.warn ?? warnToStderr);
  const plan = planCrop(r, size, local, opts);
  const region = isCub(r) ? undefined : plan.region;
  const decode = (): Promise<RgbImage> => decodeResized(r.path, plan.loadSize, region);
  const key = `${r.path}|${plan.loadSize}|${region ? `${region.x},${region.y},${region.w},${region.h}` : ''}`;
  const img = await (opts.cache ? opts.cache.get(key, decode) : decode());
  const swap = opts.swapLeftRightOnFlip ?? true;
  return {
    image: cropFlipScale(img.data, plan),
    box: Float32Array.from(mapBox(plan, bbox)),
    keypoints: mapKeypoints(plan, parts, swap ? (isCub(r) ? CUB_FLIP_PAIRS : MPII_FLIP_PAIRS) : undefined),
  };
}
