/**
 * Shared machinery of the synthetic datasets: colour jitter, backgrounds, encoding (JPEG + label PNG) and the
 * write-to-temp-folder-then-rename discipline (nothing half-written).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { GawwnError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { Canvas, clampByte, COLOURS, type Rgb } from './raster.js';

/** Options common to both generators. */
export interface SynthOptions {
  /** Output root; must not exist yet (or be an empty folder). */
  out: string;
  images: number;
  seed: number;
  /** Image side range in pixels (each side drawn independently). Default 200..500 (as CUB). */
  minSize?: number;
  maxSize?: number;
  /** JPEG quality. Default 90. */
  quality?: number;
  /** Images encoded concurrently. Default 4. */
  concurrency?: number;
  /** Progress callback (images done). */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthReport {
  out: string;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** A vocabulary colour with a small per-image jitter (so classes are not flat-coloured clones). */
export function jitter(name: string, rng: Rng, amount = 12): Rgb {
  const c = COLOURS[name];
  return [clampByte(c[0] + rng.int(-amount, amount)), clampByte(c[1] + rng.int(-amount, amount)), clampByte(c[2] + rng.int(-amount, amount))];
}

/** A muted random colour for backgrounds (low saturation keeps the object separable). */
function mutedColour(rng: Rng): Rgb {
  const base = rng.uniform(70, 220);
  const sat = rng.uniform(0.05, 0.35);
  const hue = rng.uniform(0, 2 * Math.PI);
  return [0, 2, 4].map((k) => clampByte(base * (1 + sat * Math.cos(hue + (k * Math.PI) / 3)))) as unknown as Rgb;
}

/** Paints a smooth random background: gradient + low-frequency texture. */
export function paintBackground(cv: Canvas, rng: Rng): void {
  cv.background(mutedColour(rng), mutedColour(rng), rng.uniform(0, 2 * Math.PI), {
    amp: rng.uniform(3, 14),
    fx: rng.uniform(0.01, 0.06),
    fy: rng.uniform(0.01, 0.06),
    phase: rng.uniform(0, 2 * Math.PI),
  });
}

/** Encodes the canvas as JPEG and its label map as a greyscale PNG. */
export async function writeImageAndMask(cv: Canvas, jpg: string, png: string, quality: number): Promise<void> {
  fs.mkdirSync(path.dirname(jpg), { recursive: true });
  fs.mkdirSync(path.dirname(png), { recursive: true });
  await Promise.all([
    sharp(cv.rgb, { raw: { width: cv.width, height: cv.height, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:4:4' }).toFile(jpg),
    sharp(cv.label, { raw: { width: cv.width, height: cv.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toFile(png),
  ]);
}

/** Creates a temp folder next to `out`, refusing to clobber an existing non-empty `out`. */
export function beginOutput(out: string): string {
  const abs = path.resolve(out);
  if (fs.existsSync(abs) && fs.readdirSync(abs).length > 0) throw new GawwnError('output folder exists and is not empty', { file: abs });
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  return fs.mkdtempSync(`${abs}.tmp-`);
}

/** Moves the finished temp folder into place. */
export function finishOutput(tmp: string, out: string): void {
  const abs = path.resolve(out);
  if (fs.existsSync(abs)) fs.rmdirSync(abs);
  fs.renameSync(tmp, abs);
}

/** Runs `job(i)` for i in 0..n-1 with at most `k` in flight. */
export async function pool(n: number, k: number, job: (i: number) => Promise<void>, onDone?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  async function worker(): Promise<void> {
    while (next < n) {
      const i = next++;
      await job(i);
      onDone?.(++done);
    }
  }
  await Promise.all(Array.from({ length: Math.min(k, n) }, worker));
}

export const fmt = (v: number): string => (Math.round(v * 10) / 10).toFixed(1);

/** Validates the numeric options. */
export function checkSynthOptions(o: SynthOptions): void {
  if (!Number.isInteger(o.images) || o.images < 1) throw new GawwnError(`\`images\` must be a positive integer, got ${o.images}`, { options: ['images'] });
  if (!Number.isInteger(o.seed)) throw new GawwnError(`\`seed\` must be an integer, got ${o.seed}`, { options: ['seed'] });
  const lo = o.minSize ?? 200;
  const hi = o.maxSize ?? 500;
  if (!(lo >= 64 && hi >= lo)) throw new GawwnError(`image size range ${lo}..${hi} is invalid (need 64 <= min <= max)`);
}
