/**
 * Interpolation utilities of the original demos (gawwn-reference §8, N:demo_cub_move_bbox.lua,
 * N:demo_cub_move_keypoints.lua): box translate / stretch / shrink schedules, moving beak and tail with the
 * rest completed by Gk, and interpolation of noise z and of caption embeddings. Pure functions on plain data.
 */
import type { Box } from '../layers/geometry.js';
import { check } from '../util/errors.js';

/** The three box schedules of N:demo_cub_move_bbox.lua. */
export type BoxDemo = 'translate' | 'stretch' | 'shrink';

/**
 * The box a G-affine ("paste", scale s' and translation t' per axis) places the 16×16 map into: the inverse
 * of CropInvert (gawwn-reference §2.1): s = 1/s', t = −t'/s', size = s, centre = (t + 1)/2, in [0,1] units.
 */
export function pasteAffineToBox(sx: number, tx: number, sy: number, ty: number): Box {
  const w = 1 / sx;
  const h = 1 / sy;
  const cx = (-tx / sx + 1) / 2;
  const cy = (-ty / sy + 1) / 2;
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

/**
 * The demo schedules as boxes, with `n` frames (the original uses 3). The original writes its "x" values
 * into matrix row 1, which stnbhwd treats as y, so "translate" moves the box vertically and "stretch"
 * changes its height; we keep that (gawwn-reference §8).
 *   translate: s' = 2, t' from −0.7 to +0.7 on y;  stretch: s'_y from 2 to 1, s'_x = 2;  shrink: s' from 1.25 to 2.25.
 */
export function boxSchedule(demo: BoxDemo, n = 3): Box[] {
  check(Number.isInteger(n) && n >= 2, `a schedule needs at least 2 frames, got ${n}`);
  const lerp = (a: number, b: number, i: number): number => a + ((b - a) * i) / (n - 1);
  return Array.from({ length: n }, (_, i) => {
    switch (demo) {
      case 'translate':
        return pasteAffineToBox(2, 0, 2, lerp(-0.7, 0.7, i));
      case 'stretch':
        return pasteAffineToBox(2, 0, lerp(2, 1, i), 0);
      case 'shrink': {
        const s = lerp(1.25, 2.25, i);
        return pasteAffineToBox(s, 0, s, 0);
      }
      default: {
        const never: never = demo;
        throw new Error(`unknown box demo ${String(never)}`);
      }
    }
  });
}

/** Boxes linearly interpolated from `a` to `b` (n frames, both ends included). */
export function boxPath(a: Box, b: Box, n: number): Box[] {
  check(Number.isInteger(n) && n >= 2, `a path needs at least 2 frames, got ${n}`);
  return Array.from({ length: n }, (_, i) => {
    const u = i / (n - 1);
    return { x: a.x + u * (b.x - a.x), y: a.y + u * (b.y - a.y), w: a.w + u * (b.w - a.w), h: a.h + u * (b.h - a.h) };
  });
}

/** N:demo_cub_move_keypoints.lua: only the beak (box top-left) and tail (box bottom-right) are given. */
export function beakTailFromBox(box: Box): { beak: { x: number; y: number }; tail: { x: number; y: number } } {
  return { beak: { x: box.x, y: box.y }, tail: { x: box.x + box.w, y: box.y + box.h } };
}

/** (1 − u)·a + u·b elementwise, for caption embeddings (and z). */
export function lerpVectors(a: Float32Array, b: Float32Array, u: number): Float32Array {
  check(a.length === b.length, `cannot interpolate vectors of lengths ${a.length} and ${b.length}`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (1 - u) * a[i] + u * b[i];
  return out;
}

/**
 * Spherical interpolation of noise vectors, which keeps the norm typical of N(0, I) samples along the path
 * (linear interpolation passes through low-norm points G never saw). Falls back to lerp when a ∥ b.
 */
export function slerpVectors(a: Float32Array, b: Float32Array, u: number): Float32Array {
  check(a.length === b.length, `cannot interpolate vectors of lengths ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = dot / Math.sqrt(na * nb);
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  if (omega < 1e-6) return lerpVectors(a, b, u);
  const sa = Math.sin((1 - u) * omega) / Math.sin(omega);
  const sb = Math.sin(u * omega) / Math.sin(omega);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = sa * a[i] + sb * b[i];
  return out;
}

/** n frames from a to b (both ends included) with `f`. */
export function vectorPath(a: Float32Array, b: Float32Array, n: number, f: (a: Float32Array, b: Float32Array, u: number) => Float32Array = lerpVectors): Float32Array[] {
  check(Number.isInteger(n) && n >= 2, `a path needs at least 2 frames, got ${n}`);
  return Array.from({ length: n }, (_, i) => f(a, b, i / (n - 1)));
}

/** A given part: name from the model's partNames, position in [0,1]². */
export interface GivenPart {
  name: string;
  x: number;
  y: number;
}

/** Where to draw: a box (box model) or given parts (keypoint model). */
export interface Layout {
  box?: Box;
  keypoints?: GivenPart[];
}

/**
 * Layouts of an interpolation strip from `from` to `to` (frame 0 = from, last = to). Boxes move linearly
 * (as `boxSchedule` in src/sampling/interpolate.ts); parts given in both layouts move linearly, parts given
 * only in `to` stay put, parts only in `from` are dropped (the keypoint generator fills them).
 */
export function layoutPath(from: Layout, to: Layout, frames: number): Layout[] {
  const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
  return Array.from({ length: frames }, (_, f) => {
    const t = frames === 1 ? 1 : f / (frames - 1);
    const out: Layout = {};
    if (to.box) {
      const a = from.box ?? to.box;
      out.box = { x: lerp(a.x, to.box.x, t), y: lerp(a.y, to.box.y, t), w: lerp(a.w, to.box.w, t), h: lerp(a.h, to.box.h, t) };
    }
    if (to.keypoints) {
      const prev = new Map((from.keypoints ?? []).map((p) => [p.name, p]));
      out.keypoints = to.keypoints.map((p) => {
        const a = prev.get(p.name) ?? p;
        return { name: p.name, x: lerp(a.x, p.x, t), y: lerp(a.y, p.y, t) };
      });
    }
    return out;
  });
}
