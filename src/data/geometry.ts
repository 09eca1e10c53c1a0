/**
 * Coordinate transforms of the original preprocessing (gawwn-reference §5 "Image preprocessing", the
 * `trainHook`s of N:data/donkey_folder_cub_keypoint_and_image.lua and ..._mhp_...): load region -> resize to
 * loadSize² (anisotropic) -> crop fine² at (offX, offY) -> optional horizontal flip. All pure functions.
 *
 * Convention: continuous pixel coordinates (pixel i covers [i, i+1)), origin top-left, x right, y down.
 * Outputs are normalised to [0,1] of the fine crop, (x, y) order. The original used 1-based pixel indices:
 * its flip `x <- max(1, 128 - x + 1)` maps pixel i to 129 - i, which in continuous coordinates is exactly
 * `x <- 128 - x`; its box flip `x <- max(1, 128 - (x + w))` likewise is `x <- 128 - (x + w)`.
 */
import type { BBox, Part, WarnFn } from './types.js';
import { GawwnError } from '../util/errors.js';

/** Where the training crop of one image comes from; produced by `planCrop`, consumed by decode and the maps. */
export interface CropPlan {
  /** Source region in original pixels that is resized to loadSize² (the whole image for CUB). */
  region: BBox;
  /** loadSize: 150 for CUB, 140 for MHP. */
  loadSize: number;
  /** fineSize: 128. */
  fineSize: number;
  /** 0-based top-left of the fine crop inside the loadSize² image. */
  offX: number;
  offY: number;
  flip: boolean;
}

/** Maps an original-pixel x (or y) to crop pixels (before normalisation). */
export function mapX(p: CropPlan, x: number): number {
  const v = (x - p.region.x) * (p.loadSize / p.region.w) - p.offX;
  return p.flip ? p.fineSize - v : v;
}
export function mapY(p: CropPlan, y: number): number {
  return (y - p.region.y) * (p.loadSize / p.region.h) - p.offY;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * A box through the plan, clipped to the crop and normalised: [x, y, w, h] in [0,1] of the fine crop
 * (the original clipped width/height at the crop border and lower-clamped the corner, gawwn-reference §5).
 */
export function mapBox(p: CropPlan, b: BBox): [number, number, number, number] {
  let x0 = mapX(p, b.x);
  let x1 = mapX(p, b.x + b.w);
  if (x1 < x0) [x0, x1] = [x1, x0];
  const y0 = mapY(p, b.y);
  const y1 = mapY(p, b.y + b.h);
  const f = p.fineSize;
  const nx0 = clamp01(x0 / f);
  const nx1 = clamp01(x1 / f);
  const ny0 = clamp01(y0 / f);
  const ny1 = clamp01(y1 / f);
  return [nx0, ny0, nx1 - nx0, ny1 - ny0];
}

/**
 * Keypoints through the plan: K×3 (x, y, v) normalised to the crop; v = 0 when the part is invisible or
 * falls outside the crop (then x, y are clamped to [0,1]; invisible parts are (0,0,0)). With `swapPairs`
 * and a flipped plan, left/right channels are exchanged (DEVIATION: the original did not swap, gawwn-reference §5).
 */
export function mapKeypoints(p: CropPlan, parts: readonly Part[], swapPairs?: readonly (readonly [number, number])[]): Float32Array {
  const k = parts.length;
  const out = new Float32Array(k * 3);
  const order = Array.from({ length: k }, (_, i) => i);
  if (p.flip && swapPairs) {
    for (const [a, b] of swapPairs) {
      order[a] = b;
      order[b] = a;
    }
  }
  for (let i = 0; i < k; i++) {
    const src = parts[order[i]];
    if (!src.visible) continue;
    const x = mapX(p, src.x) / p.fineSize;
    const y = mapY(p, src.y) / p.fineSize;
    const inside = x >= 0 && x <= 1 && y >= 0 && y <= 1;
    out[i * 3] = clamp01(x);
    out[i * 3 + 1] = clamp01(y);
    out[i * 3 + 2] = inside ? 1 : 0;
  }
  return out;
}

/** Random crop offset of the original: `ceil(U(0.01, L - fine))`, 0 when L = fine (gawwn-reference §5). */
export function cropOffset(u01: number, loadSize: number, fineSize: number): number {
  const span = loadSize - fineSize;
  if (span <= 0) return 0;
  return Math.ceil(0.01 + (span - 0.01) * u01);
}

/**
 * The MHP source region: a square of side ceil(scale·200·1.1) centred on objpos, clipped at the image
 * border (so possibly not square), gawwn-reference §5 "MHP".
 */
export function mhpRegion(objpos: { x: number; y: number }, scale: number, width: number, height: number): BBox {
  // The epsilon keeps binary rounding from adding a pixel: 1 * 200 * 1.1 is 220.00000000000003 in doubles.
  const side = Math.ceil(scale * 200 * 1.1 - 1e-9);
  const x0 = Math.max(0, Math.round(objpos.x - side / 2));
  const y0 = Math.max(0, Math.round(objpos.y - side / 2));
  const x1 = Math.min(width, Math.round(objpos.x + side / 2));
  const y1 = Math.min(height, Math.round(objpos.y + side / 2));
  if (x1 - x0 < 1 || y1 - y0 < 1) {
    throw new GawwnError(`person crop (objpos ${objpos.x.toFixed(1)},${objpos.y.toFixed(1)}, scale ${scale}) lies outside the ${width}x${height} image`);
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * Boxes or parts outside the image are CLIPPED with a warning (annotation tools often
 * put a box edge a pixel past the border; refusing would reject real data). Zero-size or negative boxes and
 * non-finite coordinates are refused by the loaders before this.
 */
export function clipToImage(bbox: BBox, parts: Part[], width: number, height: number, where: string, warn: WarnFn): BBox {
  if (width <= 0 || height <= 0) return bbox;
  const x0 = Math.max(0, bbox.x);
  const y0 = Math.max(0, bbox.y);
  const x1 = Math.min(width, bbox.x + bbox.w);
  const y1 = Math.min(height, bbox.y + bbox.h);
  if (x1 - x0 <= 0 || y1 - y0 <= 0) {
    throw new GawwnError(`${where}: box (${bbox.x}, ${bbox.y}, ${bbox.w}, ${bbox.h}) lies entirely outside the ${width}x${height} image`);
  }
  let out = bbox;
  if (x0 !== bbox.x || y0 !== bbox.y || x1 !== bbox.x + bbox.w || y1 !== bbox.y + bbox.h) {
    warn(`${where}: box (${bbox.x}, ${bbox.y}, ${bbox.w}, ${bbox.h}) extends outside the ${width}x${height} image; clipped`);
    out = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }
  for (const p of parts) {
    if (!p.visible) continue;
    if (p.x < 0 || p.y < 0 || p.x > width || p.y > height) {
      warn(`${where}: part '${p.name}' (${p.x}, ${p.y}) outside the ${width}x${height} image; clipped`);
      p.x = Math.min(width, Math.max(0, p.x));
      p.y = Math.min(height, Math.max(0, p.y));
    }
  }
  return out;
}
