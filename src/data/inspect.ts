/**
 * `gawwn data inspect`: a one-object summary of a CUB-style or MPII-style root, detected by its files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GawwnError } from '../util/errors.js';
import { loadCub, type CubDataset } from './cub.js';
import { loadMpii, MPII_CSV, type MpiiDataset } from './mpii.js';
import type { DatasetRecord, WarnFn } from './types.js';

export interface InspectSummary {
  format: 'cub' | 'mpii';
  root: string;
  images: number;
  train: number;
  test: number;
  /** CUB: classes.txt entries; MPII: distinct activities. */
  classes: number;
  parts: string[];
  /** Image files present on disk. */
  imagesOnDisk: number;
  /** Images with captions. */
  withCaptions: number;
  first: DatasetRecord;
}

/** Which loader a root needs. */
export function detectFormat(root: string): 'cub' | 'mpii' {
  const r = path.resolve(root);
  if (fs.existsSync(path.join(r, 'images.txt')) || fs.existsSync(path.join(r, 'CUB_200_2011', 'images.txt'))) return 'cub';
  if (fs.existsSync(path.join(r, MPII_CSV))) return 'mpii';
  throw new GawwnError(`not a CUB-200-2011 root (images.txt) nor an MPII root (${MPII_CSV})`, { file: r });
}

/** Loads any supported root. */
export async function loadDataset(root: string, opts: { warn?: WarnFn } = {}): Promise<CubDataset | MpiiDataset> {
  return detectFormat(root) === 'cub' ? loadCub(root, opts) : loadMpii(root, opts);
}

export async function inspectRoot(root: string, opts: { warn?: WarnFn } = {}): Promise<InspectSummary> {
  const d = await loadDataset(root, opts);
  const recs: DatasetRecord[] = d.records;
  const train = d.format === 'cub' ? d.records.filter((r) => r.split === 'train').length : recs.length;
  return {
    format: d.format,
    root: d.root,
    images: recs.length,
    train,
    test: recs.length - train,
    classes: d.format === 'cub' ? d.classNames.length : new Set(d.records.map((r) => r.activity)).size,
    parts: d.partNames,
    imagesOnDisk: recs.filter((r) => r.width > 0).length,
    withCaptions: recs.filter((r) => r.captions !== undefined).length,
    first: recs[0],
  };
}
