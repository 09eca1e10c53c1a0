/**
 * The DS-SJE data source (train-sje.ts `SjeDataSource`) over the records of any dataset root the loaders of
 * src/data read: CUB-200-2011 with Reed captions (real or synthetic birds) and MPII with MHP-style captions
 * (real or synthetic people).
 *  - CUB: the classes are CUB's classes and the split is the root's train/test split (C:train_sje_hybrid.lua).
 *  - MPII: the MHP encoder's training code never shipped (gawwn-reference §7); as the closest template,
 *    I:main_txt_coco.lua, every image is its own class (its captions are the positives) and every tenth
 *    image (imageId % 10 = 0) is held out. DEVIATION (assumption, not the authors' recipe).
 */
import sharp from 'sharp';
import type { BBox, DatasetRecord } from '../data/types.js';
import { GawwnError } from '../util/errors.js';
import type { SjeDataSource } from './train-sje.js';

/**
 * How the image side sees an image: `full` = the whole image (the original's square load); `box` = the object's
 * box with a 10% margin on each side. DEVIATION: the original image side was GoogLeNet on 10 crops of CUB
 * photographs, where the bird fills most of the frame; synthetic birds cover 15-90% of theirs, and a 64² view of
 * the whole frame leaves a small bird a few pixels wide, so the image side does not generalise.
 */
export type ImageCrop = 'full' | 'box';

/** The crop rectangle (integer pixels, inside the image) of `box` with a `margin` fraction added on each side. */
export function cropRect(box: BBox, width: number, height: number, margin = 0.1): { left: number; top: number; width: number; height: number } {
  const x0 = Math.max(0, Math.floor(box.x - margin * box.w));
  const y0 = Math.max(0, Math.floor(box.y - margin * box.h));
  const x1 = Math.min(width, Math.ceil(box.x + box.w * (1 + margin)));
  const y1 = Math.min(height, Math.ceil(box.y + box.h * (1 + margin)));
  return { left: x0, top: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/**
 * Decodes an image file to S×S×3 bytes (RGB; anisotropic resize, as the original's square load), optionally
 * cropped first to `crop` (a `cropRect`).
 */
export async function loadImageBytes(file: string, size: number, crop?: { left: number; top: number; width: number; height: number }): Promise<Uint8Array> {
  try {
    let img = sharp(file).removeAlpha().toColourspace('srgb');
    if (crop !== undefined) img = img.extract(crop);
    const { data, info } = await img.resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(size * size * 3);
    for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * info.channels + Math.min(c, info.channels - 1)];
    return out;
  } catch (e) {
    throw new GawwnError(`cannot decode image: ${(e as Error).message.split('\n')[0]}`, { file });
  }
}

/** Bytes 0..255 -> float32 in [-1, 1]. */
export function bytesToUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 127.5 - 1;
  return out;
}

/** The DS-SJE class of a record (see the file header). */
export function sjeClassOf(r: DatasetRecord): number {
  return 'classId' in r ? r.classId : r.imageId;
}

/** Whether a record is held out from encoder training (see the file header). */
export function isHeldOut(r: DatasetRecord): boolean {
  return 'split' in r ? r.split === 'test' : r.imageId % 10 === 0;
}

/**
 * An `SjeDataSource` over records with captions, caching decoded images in memory. With `crop: 'box'` the image
 * side sees each record's box (records without a known image size are refused: the crop needs it).
 */
export function datasetCaptionSource(records: readonly DatasetRecord[], opts: { crop?: ImageCrop } = {}): SjeDataSource<DatasetRecord> {
  const crop = opts.crop ?? 'full';
  if (crop !== 'full' && crop !== 'box') throw new GawwnError(`image crop must be 'full' or 'box', got '${String(crop)}'`);
  const byClass = new Map<number, DatasetRecord[]>();
  for (const r of records) {
    if (!r.captions || r.captions.length === 0) continue;
    const c = sjeClassOf(r);
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(r);
  }
  const cache = new Map<string, Uint8Array>();
  return {
    classes: [...byClass.keys()].sort((a, b) => a - b),
    itemsOfClass: (c) => byClass.get(c) ?? [],
    captions: (r) => r.captions ?? [],
    image: async (r, size) => {
      const key = `${r.path}@${size}`;
      let b = cache.get(key);
      if (b === undefined) {
        if (crop === 'box' && !(r.width > 0 && r.height > 0)) throw new GawwnError('image crop box: the image size is unknown (file absent when the dataset was loaded)', { file: r.path });
        b = await loadImageBytes(r.path, size, crop === 'box' ? cropRect(r.bbox, r.width, r.height) : undefined);
        cache.set(key, b);
      }
      return bytesToUnit(b);
    },
  };
}
