/**
 * Box ↔ affine geometry of the spatial transformer, as the original code uses it (gawwn-reference §1, §2.1).
 * Conventions: a box is normalised `(x, y, w, h)` on the image in [0,1], x to the right, y down, top-left
 * corner plus size. STN coordinates are in [−1,1] with `align_corners=True`. An axis-aligned affine is
 * `{sX, sY, tX, tY}`: the sampling position of output coordinate g is `s·g + t` on each axis.
 * stnbhwd's matrix is `[[sY,0,tY],[0,sX,tX]]` (row 1 gives y, gawwn-reference §1); `affineToMatrix` writes it.
 */
import { check } from '../util/errors.js';

/** A normalised box: top-left (x, y) and size (w, h), fractions of the image side. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An axis-aligned STN affine: sample at `s·g + t` for output coordinate g ∈ [−1,1]. */
export interface AxisAffine {
  sX: number;
  sY: number;
  tX: number;
  tY: number;
}

/**
 * The D-affine ("crop", N:data/donkey_folder_cub_bbox_and_image.lua): sampling a grid with it crops the box
 * region and zooms it to the grid. sX = w, sY = h, tX = 2(x + w/2) − 1, tY = 2(y + h/2) − 1.
 */
export function boxToCropAffine(box: Box): AxisAffine {
  for (const k of ['x', 'y', 'w', 'h'] as const) check(Number.isFinite(box[k]), `box.${k} must be a finite number, got ${box[k]}`);
  return { sX: box.w, sY: box.h, tX: 2 * (box.x + box.w / 2) - 1, tY: 2 * (box.y + box.h / 2) - 1 };
}

/**
 * CropInvert (N:CropInvert.lua, N:util.lua invert_affine): s' = 1/s, t' = −t/s. Applied to the crop affine it
 * gives the G-affine ("paste"), which maps the whole grid into the box and samples zeros outside it.
 */
export function invertAffine(a: AxisAffine): AxisAffine {
  check(a.sX !== 0 && a.sY !== 0, `cannot invert an affine with a zero scale (sX=${a.sX}, sY=${a.sY})`);
  return { sX: 1 / a.sX, sY: 1 / a.sY, tX: -a.tX / a.sX, tY: -a.tY / a.sY };
}

/** The G-affine of a box: `invertAffine(boxToCropAffine(box))`. */
export function boxToPasteAffine(box: Box): AxisAffine {
  return invertAffine(boxToCropAffine(box));
}

/** stnbhwd's 2×3 matrix, row-major: `[[sY,0,tY],[0,sX,tX]]` (row 1 produces y). */
export function affineToMatrix(a: AxisAffine): [[number, number, number], [number, number, number]] {
  return [[a.sY, 0, a.tY], [0, a.sX, a.tX]];
}

/**
 * The 1-D bilinear interpolation matrix of one axis, `[nOut][nIn]`: output i samples input position
 * p = (s·g_i + t + 1)(nIn − 1)/2 with g_i = −1 + 2i/(nOut − 1) (align_corners=True), and gives input j the
 * weight max(0, 1 − |p − j|); positions outside [0, nIn−1] lose their out-of-range corners (zero padding).
 */
export function interpolationWeights(s: number, t: number, nOut: number, nIn: number): number[][] {
  check(nOut >= 2 && nIn >= 1, `interpolation needs nOut >= 2 and nIn >= 1, got ${nOut}, ${nIn}`);
  const rows: number[][] = [];
  for (let i = 0; i < nOut; i++) {
    const g = -1 + (2 * i) / (nOut - 1);
    const p = ((s * g + t + 1) * (nIn - 1)) / 2;
    rows.push(Array.from({ length: nIn }, (_, j) => Math.max(0, 1 - Math.abs(p - j))));
  }
  return rows;
}
