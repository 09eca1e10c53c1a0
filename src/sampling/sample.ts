/**
 * Sampling with a location (§4): a caption and a box (§4.1), or a caption and some keypoints (§4.2) with
 * the missing ones completed by the keypoint generator Gk (§4.3; visibility > 0.5 drawn, as the original
 * demos). Coordinates are normalised to [0,1]: x right, y down, box = top-left + size.
 */
import * as tf from '@tensorflow/tfjs';
import type { Box } from '../layers/geometry.js';
import { keypointsToGrid } from '../layers/keypoint-grid.js';
import type { NormKeypoint } from '../render/render.js';
import { GawwnError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { LoadedGenerator } from './load.js';

/** Embeds captions with the model's text encoder: one vector per caption. */
export type Embedder = (captions: readonly string[]) => Promise<Float32Array[]>;

/** Given parts by part index, for `SampleRequest.keypoints`. */
export function partsToMap(parts: readonly { name: string; x: number; y: number }[], partNames: readonly string[]): Map<number, { x: number; y: number }> {
  const m = new Map<number, { x: number; y: number }>();
  for (const p of parts) {
    const k = partNames.indexOf(p.name);
    if (k < 0) throw new GawwnError(`unknown part '${p.name}' (parts: ${partNames.join(', ')})`);
    m.set(k, { x: p.x, y: p.y });
  }
  return m;
}

export interface SampleRequest {
  /** One caption for all samples, or one per sample. */
  captions: string[];
  /** Number of samples (different z). */
  n: number;
  seed: number;
  /** Box family: the box. */
  box?: Box;
  /** Keypoint family: given keypoints by part index. */
  keypoints?: Map<number, { x: number; y: number }>;
  /** Noise to use instead of drawing it ([n·nz], e.g. locked noise in the draw page). */
  z?: Float32Array;
  /** Precomputed text codes (skips the embedder), one per sample. */
  txt?: Float32Array[];
}

export interface SampleResult {
  /** n images HWC float32 in [−1,1]. */
  images: { data: Float32Array; width: number; height: number }[];
  /** Per sample, the K keypoints used (given ones `generated: false`); keypoint family only. */
  keypoints?: NormKeypoint[][];
  box?: Box;
  captions: string[];
}

/**
 * Completes keypoints with Gk: given parts are switched on (v = 1); Gk fills the rest; output visibility
 * > 0.5 is drawn (gawwn-reference §4 "Inference"). With no given parts this is the §5.3 "text only" setting.
 */
export function completeKeypoints(gk: tf.LayersModel, z: tf.Tensor2D, txt: tf.Tensor2D, given: Map<number, { x: number; y: number }>, K: number): tf.Tensor3D {
  const B = z.shape[0];
  const kg = new Float32Array(B * K * 3);
  for (let b = 0; b < B; b++) {
    for (const [k, p] of given) kg.set([p.x, p.y, 1], (b * K + k) * 3);
  }
  return tf.tidy(() => {
    const kgT = tf.tensor3d(kg, [B, K, 3]);
    const out = gk.predict([z, txt, kgT]) as tf.Tensor3D;
    const v = out.slice([0, 0, 2], [-1, -1, 1]);
    const vis = tf.cast(tf.greater(v, 0.5), 'float32');
    return tf.concat([out.slice([0, 0, 0], [-1, -1, 2]), vis], 2) as tf.Tensor3D;
  });
}

/** Draws `req.n` samples. `completer` (Gk) is needed by the keypoint family when parts are missing. */
export async function sampleImages(gen: LoadedGenerator, embed: Embedder, req: SampleRequest, completer?: LoadedGenerator): Promise<SampleResult> {
  check(Number.isInteger(req.n) && req.n >= 1, `the number of samples must be a positive integer, got ${req.n}`);
  const captions = req.captions.length === 1 ? Array(req.n).fill(req.captions[0]) : req.captions;
  check(captions.length === req.n, `give one caption or exactly n = ${req.n} captions, got ${req.captions.length}`);
  const nz = gen.config.model.nz;
  const rng = new Rng(req.seed);
  const zData = req.z ?? rng.normalArray(req.n * nz);
  check(zData.length === req.n * nz, `noise has ${zData.length} values, expected ${req.n * nz}`);
  const txtRows = req.txt ?? (await embed(captions));
  const T = txtRows[0].length;
  const txtData = new Float32Array(req.n * T);
  txtRows.forEach((r, i) => txtData.set(r, i * T));
  const z = tf.tensor2d(zData, [req.n, nz]);
  const txt = tf.tensor2d(txtData, [req.n, T]);
  const owned: tf.Tensor[] = [z, txt];
  try {
    let out: tf.Tensor;
    let keypoints: NormKeypoint[][] | undefined;
    switch (gen.family) {
      case 'bbox': {
        if (!req.box) throw new GawwnError('the box model needs a box (x, y, w, h)');
        const b = tf.tensor2d(Array(req.n).fill([req.box.x, req.box.y, req.box.w, req.box.h]), [req.n, 4]);
        owned.push(b);
        out = gen.G.predict([z, txt, b]) as tf.Tensor;
        break;
      }
      case 'keypoint': {
        const K = (gen.config.model as { numParts: number }).numParts;
        const given = req.keypoints ?? new Map();
        let kp: tf.Tensor3D;
        if (given.size < K) {
          if (!completer) {
            if (given.size === 0) throw new GawwnError('the keypoint model needs given keypoints (or a keypoint generator to complete them)');
            const d = new Float32Array(req.n * K * 3);
            for (let b = 0; b < req.n; b++) for (const [k, p] of given) d.set([p.x, p.y, 1], (b * K + k) * 3);
            kp = tf.tensor3d(d, [req.n, K, 3]);
          } else {
            // DEVIATION: the original demos share z between Gk and G (same nz); we do too when sizes match.
            const zk = completer.config.model.nz === nz ? z : tf.tensor2d(rng.normalArray(req.n * completer.config.model.nz), [req.n, completer.config.model.nz]);
            if (zk !== z) owned.push(zk);
            kp = completeKeypoints(completer.G, zk, txt, given, K);
          }
        } else {
          const d = new Float32Array(req.n * K * 3);
          for (let b = 0; b < req.n; b++) for (const [k, p] of given) d.set([p.x, p.y, 1], (b * K + k) * 3);
          kp = tf.tensor3d(d, [req.n, K, 3]);
        }
        owned.push(kp);
        const { maps, mask } = keypointsToGrid(kp, 16);
        owned.push(maps, mask);
        out = gen.G.predict([z, txt, maps]) as tf.Tensor;
        const arr = (await kp.array()) as number[][][];
        keypoints = arr.map((row) => row.map(([x, y, v], k) => ({ x, y, v, name: gen.partNames[k], generated: !given.has(k) && completer !== undefined })));
        break;
      }
      case 'gan-int-cls':
        out = gen.G.predict([z, txt]) as tf.Tensor;
        break;
      case 'keypoint-gen':
        throw new GawwnError('a keypoint generator draws keypoints, not images: pass it as the completer of a keypoint model');
      default: {
        const never: never = gen.family;
        throw new GawwnError(`unknown family ${String(never)}`);
      }
    }
    owned.push(out);
    const [n, h, w, c] = out.shape;
    const all = (await out.data()) as Float32Array;
    const images = Array.from({ length: n }, (_, i) => ({ data: all.slice(i * h * w * c, (i + 1) * h * w * c), width: w, height: h }));
    return { images, keypoints, box: req.box, captions };
  } finally {
    tf.dispose(owned);
  }
}
