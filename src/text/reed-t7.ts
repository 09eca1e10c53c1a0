/**
 * Typed readers for Torch7 files of the original work, on top of util/torch7.ts:
 * - `readGawwnRecord`: the authors' per-image GAWWN records (gawwn-reference §6: `img`, `txt` ncap×1024,
 *   `char` 201×ncap, CUB keypoints `parts` 15×3, CUB boxes `loc` 4×nbox, MHP `points`/`pos`/`scale`/`head`).
 * - `readCubT7Record`: the CUB-200-2011 per-image tables of santoshmo/CUBStoT7 (`image_id`, `class_id`,
 *   `image_path`, `test_or_train`, `bb_coords` x,y,w,h, `parts` 15×3 x,y,visible).
 * - `readT7Embeddings`: precomputed caption embeddings `{raw_txt={strings}, fea_txt={tensors 1×D}}`
 *   (StackGAN demo format) -> captions + N·D float32.
 * Everything returned is plain data (typed arrays, numbers, strings), no tensors.
 */
import { GawwnError } from '../util/errors.js';
import { readT7File, isT7Table, isT7Tensor, t7TensorData, t7TensorFloat32, type T7Table, type T7Tensor, type T7Value } from '../util/torch7.js';
import { decodeIndices } from './alphabet.js';

/** A row-major matrix. */
export interface Matrix<A extends Float32Array | Int32Array = Float32Array> {
  rows: number;
  cols: number;
  data: A;
}

export interface GawwnT7Record {
  /** Image path relative to the image directory. */
  img: string;
  /** Caption embeddings, one row per caption (ncap × 1024). */
  txt?: Matrix;
  /** Character indices in the file's layout (201 × ncap, 1-based, 0 = padding). */
  char?: Matrix<Int32Array>;
  /** Captions decoded from `char` (column j = caption j). */
  captions: string[];
  /** CUB keypoints 15×3 (x, y, visible), original pixels. */
  parts?: Matrix;
  /** CUB boxes 4×nbox (x, y, w, h), original pixels. */
  loc?: Matrix;
  /** MHP fields, as matrices (points is 3×16×P flattened to 3 × 16P), when present. */
  points?: Matrix;
  pos?: Matrix;
  scale?: Matrix;
  head?: Matrix;
}

function tableOf(v: T7Value, file: string): T7Table {
  if (!isT7Table(v)) throw new GawwnError('expected a Lua table at the top level', { file });
  return v;
}

function stringField(t: T7Table, key: string, file: string): string {
  const v = t.get(key);
  if (typeof v !== 'string') throw new GawwnError(`field '${key}' must be a string`, { file });
  return v;
}

function numberField(t: T7Table, key: string, file: string): number {
  const v = t.get(key);
  if (typeof v !== 'number') throw new GawwnError(`field '${key}' must be a number`, { file });
  return v;
}

function tensorField(t: T7Table, key: string, file: string, required: boolean): T7Tensor | undefined {
  const v = t.get(key);
  if (v === undefined || v === null) {
    if (required) throw new GawwnError(`field '${key}' is missing`, { file });
    return undefined;
  }
  if (!isT7Tensor(v)) throw new GawwnError(`field '${key}' must be a tensor`, { file });
  return v;
}

/** 1-D tensors become one row; n-D tensors keep dim 0 as rows. */
function toMatrix(t: T7Tensor): Matrix {
  const rows = t.shape.length <= 1 ? 1 : t.shape[0];
  const total = t.shape.length === 0 ? 0 : t.shape.reduce((a, b) => a * b, 1);
  return { rows, cols: rows === 0 ? 0 : total / rows, data: t7TensorFloat32(t) };
}

function expectShape(m: Matrix<Float32Array | Int32Array>, key: string, file: string, rows?: number, cols?: number): void {
  if ((rows !== undefined && m.rows !== rows) || (cols !== undefined && m.cols !== cols)) {
    throw new GawwnError(`field '${key}' is ${m.rows}x${m.cols}, expected ${rows ?? 'n'}x${cols ?? 'n'}`, { file });
  }
}

/** Reads one of the authors' per-image GAWWN records (I:data/donkey_folder_txt.lua, N:data/donkey_*.lua). */
export function readGawwnRecord(file: string): GawwnT7Record {
  const t = tableOf(readT7File(file), file);
  const rec: GawwnT7Record = { img: stringField(t, 'img', file), captions: [] };
  const txt = tensorField(t, 'txt', file, false);
  if (txt) rec.txt = toMatrix(txt);
  const ch = tensorField(t, 'char', file, false);
  if (ch) {
    const rows = ch.shape[0];
    const cols = ch.shape.length > 1 ? ch.shape[1] : 1;
    const data = Int32Array.from(t7TensorData(ch));
    rec.char = { rows, cols, data };
    for (let j = 0; j < cols; j++) {
      const col = new Int32Array(rows);
      for (let i = 0; i < rows; i++) col[i] = data[i * cols + j];
      try {
        rec.captions.push(decodeIndices(col));
      } catch (e) {
        throw new GawwnError(`field 'char' column ${j + 1}: ${(e as Error).message}`, { file });
      }
    }
    if (rec.txt && rec.txt.rows !== cols) throw new GawwnError(`'txt' has ${rec.txt.rows} captions but 'char' has ${cols}`, { file });
  }
  const parts = tensorField(t, 'parts', file, false);
  if (parts) {
    rec.parts = toMatrix(parts);
    expectShape(rec.parts, 'parts', file, undefined, 3);
  }
  const loc = tensorField(t, 'loc', file, false);
  if (loc) {
    rec.loc = toMatrix(loc);
    expectShape(rec.loc, 'loc', file, 4);
  }
  for (const k of ['points', 'pos', 'scale', 'head'] as const) {
    const v = tensorField(t, k, file, false);
    if (v) rec[k] = toMatrix(v);
  }
  return rec;
}

export interface CubT7Record {
  imageId: number;
  classId: number;
  imagePath: string;
  /** `test_or_train` as stored (1 = training image in CUB's split). */
  isTrain: boolean;
  bbox: { x: number; y: number; w: number; h: number };
  parts: { x: number; y: number; visible: boolean }[];
}

/** Reads a santoshmo/CUBStoT7 per-image CUB table. */
export function readCubT7Record(file: string): CubT7Record {
  const t = tableOf(readT7File(file), file);
  const bb = toMatrix(tensorField(t, 'bb_coords', file, true)!);
  if (bb.data.length !== 4) throw new GawwnError(`field 'bb_coords' has ${bb.data.length} values, expected 4`, { file });
  const pm = toMatrix(tensorField(t, 'parts', file, true)!);
  expectShape(pm, 'parts', file, 15, 3);
  const parts = [];
  for (let i = 0; i < pm.rows; i++) parts.push({ x: pm.data[i * 3], y: pm.data[i * 3 + 1], visible: pm.data[i * 3 + 2] === 1 });
  return {
    imageId: numberField(t, 'image_id', file),
    classId: numberField(t, 'class_id', file),
    imagePath: stringField(t, 'image_path', file),
    isTrain: numberField(t, 'test_or_train', file) === 1,
    bbox: { x: bb.data[0], y: bb.data[1], w: bb.data[2], h: bb.data[3] },
    parts,
  };
}

/** Precomputed embeddings: captions and N·dim float32 (row i = caption i). */
export interface T7Embeddings {
  captions: string[];
  dim: number;
  embeddings: Float32Array;
}

/** Reads `{raw_txt = {captions}, fea_txt = {tensors 1×D or D}}` (the StackGAN demo / Reed embedding files). */
export function readT7Embeddings(file: string): T7Embeddings {
  const t = tableOf(readT7File(file), file);
  const raw = t.get('raw_txt');
  const fea = t.get('fea_txt');
  if (!isT7Table(raw) || !isT7Table(fea)) throw new GawwnError("expected tables 'raw_txt' and 'fea_txt'", { file });
  const caps = raw.array();
  const feats = fea.array();
  if (caps.length !== feats.length) throw new GawwnError(`'raw_txt' has ${caps.length} captions but 'fea_txt' has ${feats.length} embeddings`, { file });
  let dim = -1;
  const rows: Float32Array[] = [];
  feats.forEach((f, i) => {
    if (!isT7Tensor(f)) throw new GawwnError(`fea_txt[${i + 1}] is not a tensor`, { file });
    const v = t7TensorFloat32(f);
    if (dim === -1) dim = v.length;
    if (v.length !== dim) throw new GawwnError(`fea_txt[${i + 1}] has ${v.length} values, expected ${dim}`, { file });
    rows.push(v);
  });
  const embeddings = new Float32Array(rows.length * Math.max(dim, 0));
  rows.forEach((r, i) => embeddings.set(r, i * dim));
  return {
    captions: caps.map((c, i) => {
      if (typeof c !== 'string') throw new GawwnError(`raw_txt[${i + 1}] is not a string`, { file });
      return c;
    }),
    dim: Math.max(dim, 0),
    embeddings,
  };
}
