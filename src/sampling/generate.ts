/**
 * Sampling from a trained generator in inference mode (batch norm uses its moving statistics, dropout off).
 * The conditioning input is whatever the family's G takes third: a box [B,4] (bbox), keypoint maps
 * [B,16,16,K] (keypoint; see layers/keypoint-grid.ts) or k_g [B,K,3] (keypoint-gen).
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** z ~ N(0, 1) [n, nz] from the Rng (N: `noise='normal'`). */
export function sampleNoise(rng: Rng, n: number, nz: number): tf.Tensor2D {
  return tf.tensor2d(rng.normalArray(n * nz), [n, nz]);
}

/** G(z, t, cond) in inference mode. The caller owns the result. */
export function generate(G: tf.LayersModel, z: tf.Tensor2D, t: tf.Tensor2D, cond: tf.Tensor): tf.Tensor {
  check(G.inputs.length === 3, `generate expects a generator with inputs (z, t, cond), got ${G.inputs.length} inputs`);
  check(z.shape[0] === t.shape[0] && t.shape[0] === cond.shape[0], `generate: batch sizes differ (z ${z.shape[0]}, t ${t.shape[0]}, cond ${cond.shape[0]})`);
  return G.predict([z, t, cond]) as tf.Tensor;
}
