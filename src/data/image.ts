/**
 * Image decoding with sharp (libvips). Every image becomes 8-bit sRGB with 3 channels: greyscale and CMYK
 * JPEGs (CUB has some: image 448 is greyscale) are converted, alpha is dropped. Missing and corrupt files are
 * `GawwnError`s naming the file.
 */
import * as fs from 'node:fs';
import sharp from 'sharp';
import { GawwnError } from '../util/errors.js';
import { checkRegularFile } from '../util/safe-open.js';
import { firstLine } from './image-size.js';
import type { BBox } from './types.js';

/** Interleaved RGB bytes, row-major (HWC). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

function open(file: string): sharp.Sharp {
  if (!fs.existsSync(file)) throw new GawwnError('missing image', { file });
  // A FIFO would block libvips' read forever, a folder fails with a bare EISDIR.
  checkRegularFile(file, 'an image');
  return sharp(file, { failOn: 'error' });
}

async function run<T>(file: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof GawwnError) throw e;
    throw new GawwnError(`corrupt or unsupported image (${firstLine(e)})`, { file });
  }
}

/** Decodes a whole image to RGB. */
export function decodeRgb(file: string): Promise<RgbImage> {
  return run(file, async () => {
    const { data, info } = await open(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after sRGB conversion`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  });
}

/** Image size from the header (the file must exist). */
export function readSize(file: string): Promise<{ width: number; height: number }> {
  return run(file, async () => {
    const m = await open(file).metadata();
    if (!m.width || !m.height) throw new Error('no size in header');
    return { width: m.width, height: m.height };
  });
}

/**
 * Decodes `region` of an image (default: all of it) resized anisotropically to size×size RGB, as the
 * original's `image.scale(img, loadSize, loadSize)` (bilinear; gawwn-reference §5).
 */
export function decodeResized(file: string, size: number, region?: BBox): Promise<RgbImage> {
  return run(file, async () => {
    let s = open(file);
    if (region) s = s.extract({ left: region.x, top: region.y, width: region.w, height: region.h });
    const { data, info } = await s
      .removeAlpha()
      .toColourspace('srgb')
      .resize(size, size, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after sRGB conversion`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  });
}
