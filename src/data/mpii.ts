/**
 * MPII Human Pose loader for the MHP experiments (paper §5.5; gawwn-reference §3.4, §5 "MHP", §6): the CSV
 * form of the MPII annotations (one person per row: NAME, 16 joints `<joint>_X,<joint>_Y` with -1 = missing,
 * Scale, Activity, Category), plus the 17th GAWWN point and the MHP-style caption file (`captions.ts`).
 * Root layout: `<root>/mpii_dataset.csv`, `<root>/images/<NAME>`, optional `<root>/captions.tsv`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GawwnError } from '../util/errors.js';
import { aq, type ColumnTable } from './arquero.js';
import { readCaptionTable } from './captions.js';
import { clipToImage } from './geometry.js';
import { imageSizes } from './image-size.js';
import { parseCsvLine, parseNumber, readNonBlankLines } from './text-files.js';
import { MPII_JOINT_NAMES, MPII_POINT_NAMES, type BBox, type MpiiRecord, type Part, type WarnFn, warnToStderr } from './types.js';

export interface LoadMpiiOptions {
  /** CSV file. Default `<root>/mpii_dataset.csv`. */
  csv?: string;
  /** Image folder. Default `<root>/images`. */
  imagesDir?: string;
  /** MHP-style caption file. Default `<root>/captions.tsv` when present. */
  captionsFile?: string;
  /** Refuse a root whose image files are not all present. Default false (checked lazily at decode). */
  requireImages?: boolean;
  warn?: WarnFn;
}

export interface MpiiDataset {
  format: 'mpii';
  root: string;
  partNames: string[];
  records: MpiiRecord[];
  /** One row per person: imageId, imageName, path, width, height, scale, objpos_x/y, activity, category, `<point>_x/_y/_v`. */
  table: ColumnTable;
}

export const MPII_CSV = 'mpii_dataset.csv';

/**
 * The 17th point. DEVIATION: GAWWN used the centre of the MPII head rectangle (N: `trainHook` of
 * donkey_folder_mhp_keypoint_and_image.lua), which the CSV does not carry; MPII's head rectangle is drawn
 * around the upper-neck -> head-top segment, so we take that segment's midpoint, visible when both are.
 */
export function headCentre(joints: readonly Part[]): Part {
  const neck = joints[8];
  const top = joints[9];
  if (neck.visible && top.visible) return { name: 'head centre', x: (neck.x + top.x) / 2, y: (neck.y + top.y) / 2, visible: true };
  return { name: 'head centre', x: 0, y: 0, visible: false };
}

/** Extent of the visible points, padded by 10% of its larger side plus a head-size margin. */
function personBox(points: readonly Part[], scale: number): BBox {
  const vis = points.filter((p) => p.visible);
  const xs = vis.map((p) => p.x);
  const ys = vis.map((p) => p.y);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  const pad = 0.1 * Math.max(x1 - x0, y1 - y0) + 0.05 * scale * 200;
  return { x: x0 - pad, y: y0 - pad, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad };
}

/** Loads an MPII-style root into plain records and an arquero table. */
export async function loadMpii(root: string, opts: LoadMpiiOptions = {}): Promise<MpiiDataset> {
  const dir = path.resolve(root);
  const warn = opts.warn ?? warnToStderr;
  const csv = opts.csv ?? path.join(dir, MPII_CSV);
  const imagesDir = opts.imagesDir ?? path.join(dir, 'images');
  const lines = readNonBlankLines(csv, 'MPII CSV');
  if (lines.length === 0) throw new GawwnError('empty MPII CSV', { file: csv });
  const header = parseCsvLine(lines[0].text, csv, lines[0].line).map((s) => s.trim());
  const col = (name: string, required = true): number => {
    const i = header.indexOf(name);
    if (i < 0 && required) throw new GawwnError(`missing column '${name}' in the header`, { file: csv, line: lines[0].line });
    return i;
  };
  const cName = col('NAME');
  const cJoints = MPII_JOINT_NAMES.map((j) => [col(`${j}_X`), col(`${j}_Y`)] as const);
  const cScale = col('Scale');
  const cAct = col('Activity');
  const cCat = col('Category');
  // Optional real objpos columns (the official .mat has them; this CSV does not).
  const cObjX = col('objpos_X', false);
  const cObjY = col('objpos_Y', false);

  let captions: Map<string, string[]> | null = null;
  const capFile = opts.captionsFile ?? path.join(dir, 'captions.tsv');
  if (opts.captionsFile !== undefined || fs.existsSync(capFile)) captions = readCaptionTable(capFile);

  const records: MpiiRecord[] = [];
  const lineOf: number[] = [];
  for (const l of lines.slice(1)) {
    const f = parseCsvLine(l.text, csv, l.line);
    if (f.length < header.length) throw new GawwnError(`truncated line: expected ${header.length} fields, found ${f.length}`, { file: csv, line: l.line });
    if (f.length > header.length) throw new GawwnError(`expected ${header.length} fields, found ${f.length}`, { file: csv, line: l.line });
    const name = f[cName].trim();
    if (name === '') throw new GawwnError('empty NAME', { file: csv, line: l.line });
    const joints: Part[] = MPII_JOINT_NAMES.map((j, k) => {
      const x = parseNumber(f[cJoints[k][0]], `${j}_X`, csv, l.line);
      const y = parseNumber(f[cJoints[k][1]], `${j}_Y`, csv, l.line);
      return x === -1 && y === -1 ? { name: j, x: 0, y: 0, visible: false } : { name: j, x, y, visible: true };
    });
    if (!joints.some((p) => p.visible)) throw new GawwnError('all 16 joints are missing (-1)', { file: csv, line: l.line });
    const scale = parseNumber(f[cScale], 'Scale', csv, l.line);
    if (scale <= 0) throw new GawwnError(`Scale must be positive, got ${scale}`, { file: csv, line: l.line });
    const points = [...joints, headCentre(joints)];
    const vis = points.filter((p) => p.visible);
    const objpos =
      cObjX >= 0 && cObjY >= 0
        ? { x: parseNumber(f[cObjX], 'objpos_X', csv, l.line), y: parseNumber(f[cObjY], 'objpos_Y', csv, l.line) }
        : {
            x: (Math.min(...vis.map((p) => p.x)) + Math.max(...vis.map((p) => p.x))) / 2,
            y: (Math.min(...vis.map((p) => p.y)) + Math.max(...vis.map((p) => p.y))) / 2,
          };
    const rec: MpiiRecord = {
      imageId: records.length + 1,
      imageName: name,
      path: path.join(imagesDir, name),
      width: 0,
      height: 0,
      parts: points,
      scale,
      objpos,
      activity: f[cAct].trim(),
      category: f[cCat].trim(),
      bbox: personBox(points, scale),
    };
    const caps = captions?.get(name);
    if (caps) rec.captions = caps;
    records.push(rec);
    lineOf.push(l.line);
  }
  if (records.length === 0) throw new GawwnError('no rows after the header', { file: csv });

  const sizes = await imageSizes(records.map((r) => r.path));
  sizes.forEach((s, i) => {
    const r = records[i];
    if (s === null) {
      if (opts.requireImages) throw new GawwnError('missing image', { file: r.path });
      return;
    }
    r.width = s.width;
    r.height = s.height;
    // The derived person box may overhang the border by its padding: clip it silently; joints outside warn.
    r.bbox = clipToImage(r.bbox, [], s.width, s.height, `${csv}:${lineOf[i]}`, () => undefined);
    clipToImage(r.bbox, r.parts, s.width, s.height, `${csv}:${lineOf[i]}`, warn);
  });
  return { format: 'mpii', root: dir, partNames: [...MPII_POINT_NAMES], records, table: mpiiTable(records) };
}

export function mpiiTable(records: readonly MpiiRecord[]): ColumnTable {
  const cols: Record<string, unknown[]> = {
    imageId: records.map((r) => r.imageId),
    imageName: records.map((r) => r.imageName),
    path: records.map((r) => r.path),
    width: records.map((r) => r.width),
    height: records.map((r) => r.height),
    scale: records.map((r) => r.scale),
    objpos_x: records.map((r) => r.objpos.x),
    objpos_y: records.map((r) => r.objpos.y),
    activity: records.map((r) => r.activity),
    category: records.map((r) => r.category),
  };
  MPII_POINT_NAMES.forEach((n, k) => {
    const key = n.replace(/\s+/g, '_');
    cols[`${key}_x`] = records.map((r) => r.parts[k].x);
    cols[`${key}_y`] = records.map((r) => r.parts[k].y);
    cols[`${key}_v`] = records.map((r) => (r.parts[k].visible ? 1 : 0));
  });
  return aq.table(cols);
}
