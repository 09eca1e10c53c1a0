/**
 * Plain-data records of the datasets GAWWN trains on (paper §5; gawwn-reference §5–§6). Records never hold
 * tensors: only `batches.ts` makes tensors, so loaders are testable without tf and cannot leak.
 */

/** Axis-aligned box in pixels: top-left corner (x, y), width w, height h (CUB `bounding_boxes.txt` order). */
export interface BBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One named keypoint in pixels of the original image; `visible` false means "not annotated / occluded". */
export interface Part {
  name: string;
  x: number;
  y: number;
  visible: boolean;
}

/** One CUB-200-2011 image with its annotations (gawwn-reference §6 "Raw CUB-200-2011"). */
export interface CubRecord {
  /** 1-based id of `images.txt`. */
  imageId: number;
  /** Absolute path of the image file (it may not exist: checked when decoded). */
  path: string;
  /** 1-based class id of `classes.txt`. */
  classId: number;
  /** Class folder name, e.g. `001.Black_footed_Albatross`. */
  className: string;
  split: 'train' | 'test';
  /** Image size in pixels from the file header; 0 when the image file is absent at load time. */
  width: number;
  height: number;
  bbox: BBox;
  /** The 15 CUB parts in `parts/parts.txt` order (`CUB_PART_NAMES`). Invisible parts are (0, 0, false). */
  parts: Part[];
  /** Reed et al.'s ten captions (`text_c10/<class>/<image>.txt`) when present. */
  captions?: string[];
}

/** One MPII person (gawwn-reference §3.4, §6 "MPII joints"): 16 MPII joints + the head centre = 17 points. */
export interface MpiiRecord {
  /** 1-based row number in the CSV (after the header), unique. */
  imageId: number;
  /** The image file name in the CSV (`NAME` column), e.g. `015601864.jpg`. */
  imageName: string;
  /** Absolute path of the image file (it may not exist: checked when decoded). */
  path: string;
  /** Image size in pixels from the file header; 0 when the image file is absent at load time. */
  width: number;
  height: number;
  /** 17 points: `MPII_POINT_NAMES` order (16 MPII joints, then `head centre`). Missing joints are (0, 0, false). */
  parts: Part[];
  /** MPII scale: person height / 200 px. */
  scale: number;
  /**
   * Rough person centre. DEVIATION: the CSV has no `objpos`; it is the centre of the extent of the visible
   * joints (MPII's objpos is "roughly the person centre", annotated by hand).
   */
  objpos: { x: number; y: number };
  /** MPII activity (e.g. `skiing, downhill`) and category (e.g. `winter activities`). */
  activity: string;
  category: string;
  /** Captions from the MHP-style caption file when present. */
  captions?: string[];
  /** Box of the visible points, padded (not an MPII annotation; used when a box is needed). */
  bbox: BBox;
}

export type DatasetRecord = CubRecord | MpiiRecord;

/**
 * The group a record belongs to, as CUB's classes group birds: the class for birds, the MPII activity for people
 * (GAN-INT-CLS's wrong images come from another group; the real row's diversity is taken within one).
 */
export function recordGroup(r: DatasetRecord): string {
  return 'classId' in r ? `class ${r.classId}` : `activity ${r.activity}`;
}

/** The 15 CUB parts in order (gawwn-reference §6; the demos' BEAK_IX=2, TAIL_IX=14 confirm it). */
export const CUB_PART_NAMES: readonly string[] = Object.freeze([
  'back', 'beak', 'belly', 'breast', 'crown', 'forehead', 'left eye', 'left leg', 'left wing', 'nape',
  'right eye', 'right leg', 'right wing', 'tail', 'throat',
]);

/** 0-based left/right pairs of CUB parts: eyes (6,10), legs (7,11), wings (8,12). */
export const CUB_FLIP_PAIRS: readonly (readonly [number, number])[] = Object.freeze([[6, 10], [7, 11], [8, 12]]);

/** MPII joint names (0-based MPII ids, CSV column prefixes) followed by GAWWN's 17th point. */
export const MPII_JOINT_NAMES: readonly string[] = Object.freeze([
  'r ankle', 'r knee', 'r hip', 'l hip', 'l knee', 'l ankle', 'pelvis', 'thorax', 'upper neck', 'head top',
  'r wrist', 'r elbow', 'r shoulder', 'l shoulder', 'l elbow', 'l wrist',
]);
export const MPII_POINT_NAMES: readonly string[] = Object.freeze([...MPII_JOINT_NAMES, 'head centre']);

/** 0-based left/right pairs of MPII joints (gawwn-reference §6). */
export const MPII_FLIP_PAIRS: readonly (readonly [number, number])[] = Object.freeze([
  [0, 5], [1, 4], [2, 3], [10, 15], [11, 14], [12, 13],
]);

/** A warning sink; loaders report clipped boxes and parts through it (default: stderr). */
export type WarnFn = (message: string) => void;

export const warnToStderr: WarnFn = (m) => process.stderr.write(`gawwn: warning: ${m}\n`);
