/**
 * Minimal reader of a CUB-style directory with Reed captions, for `gawwn train-text-encoder` only.
 * STOPGAP: the data loader of issue 3 (src/data/) supersedes this; the lead swaps it in by adapting that
 * loader's records ({imageId, path, classId, split, captions}) to `SjeDataSource` (train-sje.ts).
 * Files read (CUB-200-2011 README; gawwn-reference §6): images.txt `<id> <path>`,
 * image_class_labels.txt `<id> <class>`, train_test_split.txt `<id> <is_train>`, images/<path>, and
 * text_c10/<class dir>/<image basename>.txt (one caption per line; Reed et al.'s format).
 * Images are decoded with sharp (greyscale/alpha -> RGB), resized (anisotropic, as the original's
 * 150×150 load) to S×S and kept in memory as bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { GawwnError } from '../util/errors.js';
import type { SjeDataSource } from './train-sje.js';

export interface CubCaptionItem {
  imageId: number;
  /** Path relative to images/. */
  path: string;
  classId: number;
  split: 'train' | 'test';
  captions: string[];
}

/** Reads `<id> <value…>` lines; CRLF, a BOM and blank lines are accepted. */
function readIdLines(file: string): { id: number; rest: string; line: number }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new GawwnError('file is missing or unreadable', { file });
  }
  const out: { id: number; rest: string; line: number }[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '') return;
    const m = /^(\d+)\s+(.+)$/.exec(l);
    if (m === null) throw new GawwnError(`expected '<id> <value>', got '${l.slice(0, 60)}'`, { file, line: i + 1 });
    out.push({ id: Number(m[1]), rest: m[2], line: i + 1 });
  });
  return out;
}

/** Reads the items (with captions) of a CUB-style root. Images without a caption file are skipped. */
export function readCubCaptionItems(root: string): { items: CubCaptionItem[]; skippedWithoutCaptions: number } {
  const imagesFile = path.join(root, 'images.txt');
  const labelsFile = path.join(root, 'image_class_labels.txt');
  const splitFile = path.join(root, 'train_test_split.txt');
  const labels = new Map<number, number>();
  for (const r of readIdLines(labelsFile)) {
    const c = Number(r.rest);
    if (!Number.isInteger(c)) throw new GawwnError(`class id '${r.rest}' is not an integer`, { file: labelsFile, line: r.line });
    labels.set(r.id, c);
  }
  const split = new Map<number, boolean>();
  for (const r of readIdLines(splitFile)) {
    if (r.rest !== '0' && r.rest !== '1') throw new GawwnError(`is_training_image must be 0 or 1, got '${r.rest}'`, { file: splitFile, line: r.line });
    split.set(r.id, r.rest === '1');
  }
  const items: CubCaptionItem[] = [];
  let skipped = 0;
  for (const r of readIdLines(imagesFile)) {
    const classId = labels.get(r.id);
    const isTrain = split.get(r.id);
    if (classId === undefined) throw new GawwnError(`image ${r.id} has no class in image_class_labels.txt`, { file: imagesFile, line: r.line });
    if (isTrain === undefined) throw new GawwnError(`image ${r.id} is not in train_test_split.txt`, { file: imagesFile, line: r.line });
    const rel = r.rest;
    const capFile = path.join(root, 'text_c10', path.dirname(rel), path.basename(rel).replace(/\.[^.]+$/, '') + '.txt');
    if (!fs.existsSync(capFile)) {
      skipped++;
      continue;
    }
    const captions = fs.readFileSync(capFile, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    if (captions.length === 0) throw new GawwnError('caption file is empty', { file: capFile });
    items.push({ imageId: r.id, path: rel, classId, split: isTrain ? 'train' : 'test', captions });
  }
  if (items.length === 0) throw new GawwnError(`no image of ${root} has a caption file under text_c10/`, { file: imagesFile });
  return { items, skippedWithoutCaptions: skipped };
}

/** Decodes an image file to S×S×3 bytes (RGB). */
export async function loadImageBytes(file: string, size: number): Promise<Uint8Array> {
  try {
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
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

/** An `SjeDataSource` over some items of a CUB-style root, caching decoded images in memory. */
export function cubCaptionSource(root: string, items: readonly CubCaptionItem[]): SjeDataSource<CubCaptionItem> {
  const byClass = new Map<number, CubCaptionItem[]>();
  for (const it of items) {
    if (!byClass.has(it.classId)) byClass.set(it.classId, []);
    byClass.get(it.classId)!.push(it);
  }
  const cache = new Map<string, Uint8Array>();
  return {
    classes: [...byClass.keys()].sort((a, b) => a - b),
    itemsOfClass: (c) => byClass.get(c) ?? [],
    captions: (it) => it.captions,
    image: async (it, size) => {
      const key = `${it.path}@${size}`;
      let b = cache.get(key);
      if (b === undefined) {
        b = await loadImageBytes(path.join(root, 'images', it.path), size);
        cache.set(key, b);
      }
      return bytesToUnit(b);
    },
  };
}
