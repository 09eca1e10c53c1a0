/**
 * Real layouts for the synthetic datasets, shipped as small JSON fixtures under data/fixtures so the product
 * works without the real data: CUB part layouts (15 keypoints relative to the box, plus the box aspect) and
 * MPII poses (16 joints relative to the person centre, in units of scale·200 px). `buildFixtures` made them
 * from the real annotations (`gawwn data make-fixtures`); `cubLayouts()`/`mpiiPoses()` read them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GawwnError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { loadCub } from './cub.js';
import { loadMpii } from './mpii.js';
import { writeFileAtomic } from './text-files.js';

/** A CUB layout: box aspect w/h and per part [u, v] in box units (0..1 = inside the box) or null when invisible. */
export interface CubLayout {
  aspect: number;
  parts: ([number, number] | null)[];
  /** Source image id in CUB-200-2011. */
  id: number;
}

/**
 * How large CUB's birds are in their images: box area / image area of every CUB image whose file was on disk
 * when the fixture was built (the sizes come from the image headers; the boxes from bounding_boxes.txt).
 * `synth-birds` draws each bird's target box area from this list.
 */
export interface CubBoxScale {
  /** Sorted box-area fractions, one per image. */
  areaFractions: number[];
  /** Source image ids, in the order of `areaFractions`. */
  ids: number[];
}

/** An MPII pose: 16 joints [dx, dy] / (scale·200) from the joint-extent centre; all visible. */
export interface MpiiPose {
  joints: [number, number][];
  activity: string;
  category: string;
  /** Source row in mpii_dataset.csv. */
  row: number;
}

export const FIXTURE_DIR = path.resolve(__dirname, '../../../data/fixtures');
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

let cubCache: CubLayout[] | null = null;
let mpiiCache: MpiiPose[] | null = null;
let scaleCache: CubBoxScale | null = null;

function readFixture<T>(name: string): T {
  const file = path.join(FIXTURE_DIR, name);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new GawwnError(`cannot read fixture (${(e as Error).message.split('\n')[0]})`, { file });
  }
}

/** The shipped CUB layouts (read once; immutable data). */
export function cubLayouts(): readonly CubLayout[] {
  return (cubCache ??= readFixture<{ layouts: CubLayout[] }>('cub-layouts.json').layouts);
}
/** The shipped MPII poses (read once; immutable data). */
export function mpiiPoses(): readonly MpiiPose[] {
  return (mpiiCache ??= readFixture<{ poses: MpiiPose[] }>('mpii-poses.json').poses);
}

/** CUB's box-area distribution (read once; immutable data). */
export function cubBoxScale(): Readonly<CubBoxScale> {
  return (scaleCache ??= readFixture<CubBoxScale>('cub-box-scale.json'));
}

/** Which CUB parts a drawable layout needs: beak, tail, a head point and a body point (0-based ids). */
function drawable(vis: boolean[]): boolean {
  const any = (ids: number[]): boolean => ids.some((i) => vis[i]);
  return vis[1] && vis[13] && any([4, 5, 6, 9, 10]) && any([0, 2, 3]);
}

/** Builds both fixtures from real roots (deterministic per seed). */
export async function buildFixtures(cubRoot: string, mpiiRoot: string, opts: { cub?: number; mpii?: number; seed?: number; outDir?: string } = {}): Promise<{ cub: number; boxScale: number; mpii: number }> {
  const rng = new Rng(opts.seed ?? 0);
  const out = opts.outDir ?? FIXTURE_DIR;
  fs.mkdirSync(out, { recursive: true });
  const cub = await loadCub(cubRoot, { noCaptions: true, warn: () => undefined });
  const good = cub.records.filter((r) => drawable(r.parts.map((p) => p.visible)));
  const layouts: CubLayout[] = rng
    .shuffle(good)
    .slice(0, opts.cub ?? 1500)
    .sort((a, b) => a.imageId - b.imageId)
    .map((r) => ({
      id: r.imageId,
      aspect: r3(r.bbox.w / r.bbox.h),
      parts: r.parts.map((p) => (p.visible ? [r3((p.x - r.bbox.x) / r.bbox.w), r3((p.y - r.bbox.y) / r.bbox.h)] : null)),
    }));
  writeFileAtomic(path.join(out, 'cub-layouts.json'), JSON.stringify({ source: 'CUB-200-2011 parts/part_locs.txt + bounding_boxes.txt', parts: cub.partNames, layouts }));
  const sized = cub.records.filter((r) => r.width > 0 && r.height > 0).map((r) => ({ id: r.imageId, a: r3((r.bbox.w * r.bbox.h) / (r.width * r.height)) }));
  if (sized.length < 20) throw new GawwnError(`only ${sized.length} CUB images are on disk; the box-scale fixture needs at least 20`, { file: cubRoot });
  sized.sort((p, q) => p.a - q.a || p.id - q.id);
  writeFileAtomic(path.join(out, 'cub-box-scale.json'), JSON.stringify({ source: 'CUB-200-2011 bounding_boxes.txt / image sizes of the images on disk', areaFractions: sized.map((s) => s.a), ids: sized.map((s) => s.id) }));
  const mp = await loadMpii(mpiiRoot, { warn: () => undefined });
  const full = mp.records.filter((r) => r.parts.slice(0, 16).every((p) => p.visible));
  const poses: MpiiPose[] = rng
    .shuffle(full)
    .slice(0, opts.mpii ?? 1000)
    .sort((a, b) => a.imageId - b.imageId)
    .map((r) => {
      const s = r.scale * 200;
      return {
        row: r.imageId,
        activity: r.activity,
        category: r.category,
        joints: r.parts.slice(0, 16).map((p) => [r3((p.x - r.objpos.x) / s), r3((p.y - r.objpos.y) / s)] as [number, number]),
      };
    });
  writeFileAtomic(path.join(out, 'mpii-poses.json'), JSON.stringify({ source: 'MPII Human Pose (mpii_dataset.csv)', poses }));
  return { cub: layouts.length, boxScale: sized.length, mpii: poses.length };
}
