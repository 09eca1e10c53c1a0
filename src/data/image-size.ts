/**
 * Image sizes from file headers (sharp reads only the header), for records whose image exists at load time.
 * A missing file is not an error here: the real CUB root may hold only some images; decoding reports it.
 */
import * as fs from 'node:fs';
import sharp from 'sharp';
import { GawwnError } from '../util/errors.js';

/** Size of an image file, or null when it does not exist. A corrupt header is a `GawwnError` naming the file. */
export async function imageSize(file: string): Promise<{ width: number; height: number } | null> {
  if (!fs.existsSync(file)) return null;
  try {
    const m = await sharp(file).metadata();
    if (!m.width || !m.height) throw new Error('no size in header');
    return { width: m.width, height: m.height };
  } catch (e) {
    throw new GawwnError(`corrupt or unsupported image (${firstLine(e)})`, { file });
  }
}

/** Sizes of many files with bounded concurrency (libvips has its own thread pool). */
export async function imageSizes(files: readonly string[], concurrency = 8): Promise<({ width: number; height: number } | null)[]> {
  const out: ({ width: number; height: number } | null)[] = new Array(files.length).fill(null);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const i = next++;
      out[i] = await imageSize(files[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return out;
}

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
