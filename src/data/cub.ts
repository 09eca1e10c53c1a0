/**
 * CUB-200-2011 loader (Wah et al. 2011; the format of gawwn-reference §6 "Raw CUB-200-2011") with Reed et al.'s
 * `text_c10` captions when present. The original GAWWN read per-image t7 files built from these same files
 * (N:data/donkey_folder_cub_keypoint_and_image.lua); we read the raw release directly.
 * Image files are not required at load time (the shared real root holds 300 of 11,788): sizes are read from
 * the headers of the files that exist, and a missing image is reported when it is decoded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GawwnError } from '../util/errors.js';
import { aq, type ColumnTable } from './arquero.js';
import { readCaptionFile } from './captions.js';
import { clipToImage } from './geometry.js';
import { imageSizes } from './image-size.js';
import { parseId, parseNumber, readNonBlankLines, splitFields } from './text-files.js';
import { type CubRecord, type Part, type WarnFn, warnToStderr } from './types.js';

export interface LoadCubOptions {
  /** Folder of Reed captions `<class>/<image>.txt`. Default: `<root>/text_c10`, else `<root>/../text_c10`, when present. */
  captionsDir?: string;
  /** Skip captions even when a `text_c10` folder exists. Default false. */
  noCaptions?: boolean;
  /**
   * Reed et al.'s zero-shot class split: a file of training class names (e.g. `trainvalclasses.txt`), one per
   * line; images of other classes become `test`. Default: the official `train_test_split.txt`.
   */
  trainClassesFile?: string;
  /** Refuse a root whose image files are not all present. Default false (checked lazily at decode). */
  requireImages?: boolean;
  /** Where clipping warnings go. Default: stderr. */
  warn?: WarnFn;
}

export interface CubDataset {
  format: 'cub';
  root: string;
  partNames: string[];
  classNames: string[];
  records: CubRecord[];
  /** One row per image: imageId, path, classId, className, split, width, height, bbox_*, `<part>_x/_y/_v`. */
  table: ColumnTable;
}

/** `root` may be the CUB_200_2011 folder itself or its parent. */
export function resolveCubRoot(root: string): string {
  const r = path.resolve(root);
  if (fs.existsSync(path.join(r, 'images.txt'))) return r;
  if (fs.existsSync(path.join(r, 'CUB_200_2011', 'images.txt'))) return path.join(r, 'CUB_200_2011');
  throw new GawwnError('not a CUB-200-2011 root (no images.txt)', { file: r });
}

interface IdRow {
  fields: string[];
  line: number;
}

/** Reads an `<image_id> ...` file and checks its ids against images.txt: each exactly once. */
function readPerImage(file: string, n: number, columns: string, ids: Map<number, number>, imagesFile: string): Map<number, IdRow> {
  const out = new Map<number, IdRow>();
  for (const l of readNonBlankLines(file, path.basename(file))) {
    const f = splitFields(l, file, n, columns);
    const id = parseId(f[0], 'image_id', file, l.line);
    if (!ids.has(id)) throw new GawwnError(`image id ${id} is not in ${path.basename(imagesFile)}`, { file, line: l.line });
    if (out.has(id)) throw new GawwnError(`duplicate image id ${id} (first on line ${out.get(id)!.line})`, { file, line: l.line });
    out.set(id, { fields: f, line: l.line });
  }
  if (out.size !== ids.size) {
    for (const [id, line] of ids) {
      if (!out.has(id)) throw new GawwnError(`image id ${id} (${path.basename(imagesFile)} line ${line}) has no line here`, { file });
    }
  }
  return out;
}

/** Loads a CUB-200-2011 root into plain records and an arquero table. */
export async function loadCub(root: string, opts: LoadCubOptions = {}): Promise<CubDataset> {
  const dir = resolveCubRoot(root);
  const warn = opts.warn ?? warnToStderr;
  const f = (p: string): string => path.join(dir, p);

  // images.txt: <image_id> <image_name>
  const imagesFile = f('images.txt');
  const names = new Map<number, { name: string; line: number }>();
  const idLines = new Map<number, number>();
  for (const l of readNonBlankLines(imagesFile, 'images.txt')) {
    const [ids, name] = splitFields(l, imagesFile, 2, 'image_id image_name', true);
    const id = parseId(ids, 'image_id', imagesFile, l.line);
    if (names.has(id)) throw new GawwnError(`duplicate image id ${id} (first on line ${names.get(id)!.line})`, { file: imagesFile, line: l.line });
    names.set(id, { name, line: l.line });
    idLines.set(id, l.line);
  }
  if (names.size === 0) throw new GawwnError('no images listed', { file: imagesFile });

  // classes.txt: <class_id> <class_name>
  const classesFile = f('classes.txt');
  const classes = new Map<number, string>();
  for (const l of readNonBlankLines(classesFile, 'classes.txt')) {
    const [cs, name] = splitFields(l, classesFile, 2, 'class_id class_name', true);
    const c = parseId(cs, 'class_id', classesFile, l.line);
    if (classes.has(c)) throw new GawwnError(`duplicate class id ${c}`, { file: classesFile, line: l.line });
    classes.set(c, name);
  }

  const labelsFile = f('image_class_labels.txt');
  const labels = readPerImage(labelsFile, 2, 'image_id class_id', idLines, imagesFile);
  const splitFile = f('train_test_split.txt');
  const splits = readPerImage(splitFile, 2, 'image_id is_training_image', idLines, imagesFile);
  const boxFile = f('bounding_boxes.txt');
  const boxes = readPerImage(boxFile, 5, 'image_id x y width height', idLines, imagesFile);

  // parts/parts.txt: <part_id> <part_name>
  const partsFile = f('parts/parts.txt');
  const partNames: string[] = [];
  for (const l of readNonBlankLines(partsFile, 'parts.txt')) {
    const [ps, name] = splitFields(l, partsFile, 2, 'part_id part_name', true);
    const p = parseId(ps, 'part_id', partsFile, l.line);
    if (p !== partNames.length + 1) throw new GawwnError(`part ids must be 1, 2, ... in order; got ${p}`, { file: partsFile, line: l.line });
    // Parts are addressed by name (--keypoints "beak:x,y", the draw page): two of one name would be one control.
    const dup = partNames.indexOf(name);
    if (dup >= 0) throw new GawwnError(`duplicate part name '${name}' (first on part id ${dup + 1})`, { file: partsFile, line: l.line });
    partNames.push(name);
  }
  if (partNames.length === 0) throw new GawwnError('no parts listed', { file: partsFile });
  const K = partNames.length;

  // parts/part_locs.txt: <image_id> <part_id> <x> <y> <visible>
  const locsFile = f('parts/part_locs.txt');
  const parts = new Map<number, (Part | undefined)[]>();
  for (const l of readNonBlankLines(locsFile, 'part_locs.txt')) {
    const fl = splitFields(l, locsFile, 5, 'image_id part_id x y visible');
    const id = parseId(fl[0], 'image_id', locsFile, l.line);
    if (!idLines.has(id)) throw new GawwnError(`image id ${id} is not in images.txt`, { file: locsFile, line: l.line });
    const pid = parseId(fl[1], 'part_id', locsFile, l.line);
    if (pid < 1 || pid > K) throw new GawwnError(`part id ${pid} not in 1..${K} (parts.txt)`, { file: locsFile, line: l.line });
    const x = parseNumber(fl[2], 'x', locsFile, l.line);
    const y = parseNumber(fl[3], 'y', locsFile, l.line);
    const v = parseNumber(fl[4], 'visible', locsFile, l.line);
    if (v !== 0 && v !== 1) throw new GawwnError(`visible must be 0 or 1, got '${fl[4]}'`, { file: locsFile, line: l.line });
    let arr = parts.get(id);
    if (!arr) parts.set(id, (arr = new Array<Part | undefined>(K).fill(undefined)));
    if (arr[pid - 1]) throw new GawwnError(`duplicate part ${pid} of image ${id}`, { file: locsFile, line: l.line });
    arr[pid - 1] = v === 1 ? { name: partNames[pid - 1], x, y, visible: true } : { name: partNames[pid - 1], x: 0, y: 0, visible: false };
  }

  let trainClasses: Set<string> | null = null;
  if (opts.trainClassesFile) {
    trainClasses = new Set(readNonBlankLines(opts.trainClassesFile, 'class split file').map((l) => l.text.trim()));
  }

  const captionsDir = opts.noCaptions ? null : findCaptionsDir(dir, opts.captionsDir);
  const records: CubRecord[] = [];
  for (const [id, { name }] of names) {
    const lab = labels.get(id)!;
    const classId = parseId(lab.fields[1], 'class_id', labelsFile, lab.line);
    const className = classes.get(classId);
    if (className === undefined) throw new GawwnError(`class id ${classId} is not in classes.txt`, { file: labelsFile, line: lab.line });
    const sp = splits.get(id)!;
    const isTrain = parseNumber(sp.fields[1], 'is_training_image', splitFile, sp.line);
    if (isTrain !== 0 && isTrain !== 1) throw new GawwnError(`is_training_image must be 0 or 1, got '${sp.fields[1]}'`, { file: splitFile, line: sp.line });
    const bx = boxes.get(id)!;
    const [x, y, w, h] = bx.fields.slice(1).map((s, j) => parseNumber(s, ['x', 'y', 'width', 'height'][j], boxFile, bx.line));
    if (w <= 0 || h <= 0) throw new GawwnError(`zero-size or negative box (${x}, ${y}, ${w}, ${h})`, { file: boxFile, line: bx.line });
    const pa = parts.get(id);
    const missing = pa ? pa.findIndex((p) => p === undefined) : 0;
    if (!pa || missing >= 0) throw new GawwnError(`image id ${id} has no line for part ${missing + 1} (${partNames[missing]})`, { file: locsFile });
    const split: 'train' | 'test' = trainClasses ? (trainClasses.has(className) ? 'train' : 'test') : isTrain === 1 ? 'train' : 'test';
    const rec: CubRecord = {
      imageId: id,
      path: path.join(dir, 'images', name),
      classId,
      className,
      split,
      width: 0,
      height: 0,
      bbox: { x, y, w, h },
      parts: pa as Part[],
    };
    if (captionsDir) rec.captions = readCaptionFile(path.join(captionsDir, name.replace(/\.[^./]+$/, '') + '.txt'));
    records.push(rec);
  }

  const sizes = await imageSizes(records.map((r) => r.path));
  sizes.forEach((s, i) => {
    const r = records[i];
    if (s === null) {
      if (opts.requireImages) throw new GawwnError('missing image', { file: r.path });
      return;
    }
    r.width = s.width;
    r.height = s.height;
    r.bbox = clipToImage(r.bbox, r.parts, s.width, s.height, `${boxFile}:${boxes.get(r.imageId)!.line}`, warn);
  });

  return { format: 'cub', root: dir, partNames, classNames: [...classes.values()], records, table: cubTable(records, partNames) };
}

function findCaptionsDir(dir: string, given?: string): string | null {
  if (given !== undefined) {
    if (!fs.existsSync(given)) throw new GawwnError('missing captions folder', { file: given });
    return given;
  }
  for (const c of [path.join(dir, 'text_c10'), path.join(dir, '..', 'text_c10')]) if (fs.existsSync(c)) return c;
  return null;
}

/** The annotations as one wide arquero table (one row per image). */
export function cubTable(records: readonly CubRecord[], partNames: readonly string[]): ColumnTable {
  const cols: Record<string, unknown[]> = {
    imageId: records.map((r) => r.imageId),
    path: records.map((r) => r.path),
    classId: records.map((r) => r.classId),
    className: records.map((r) => r.className),
    split: records.map((r) => r.split),
    width: records.map((r) => r.width),
    height: records.map((r) => r.height),
    bbox_x: records.map((r) => r.bbox.x),
    bbox_y: records.map((r) => r.bbox.y),
    bbox_w: records.map((r) => r.bbox.w),
    bbox_h: records.map((r) => r.bbox.h),
  };
  partNames.forEach((n, k) => {
    const key = n.replace(/\s+/g, '_');
    cols[`${key}_x`] = records.map((r) => r.parts[k].x);
    cols[`${key}_y`] = records.map((r) => r.parts[k].y);
    cols[`${key}_v`] = records.map((r) => (r.parts[k].visible ? 1 : 0));
  });
  return aq.table(cols);
}
