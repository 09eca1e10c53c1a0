/**
 * Keypoints → binary location maps and the gating mask (§4.2; gawwn-reference §3.1; the donkeys
 * N:data/donkey_folder_{cub,mhp}_keypoint_and_image.lua). For each keypoint with visibility v > 0.1 the cell
 * is `clamp(round(M·p), 1, M) − 1` on each axis (the 1-indexed Lua cell, shifted to 0-indexed). The maps are
 * one-hot, not Gaussian. The mask is `clamp(Σ_k map_k, 0, 1)` (Lua `nn.Sum(2)` + `nn.Clamp(0,1)`).
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../util/errors.js';
import { KEYPOINT_GRID } from '../config/defaults.js';

/** Visibility above which a keypoint is drawn (donkeys: `> 0.1`). */
export const VISIBILITY_THRESHOLD = 0.1;

/**
 * The 0-indexed grid cell of a normalised coordinate p: clamp(round(M·p), 1, M) − 1.
 * Lua `round` is half away from zero; for p ≥ 0 that is floor(M·p + 0.5).
 */
export function keypointCell(p: number, grid = KEYPOINT_GRID): number {
  return Math.min(Math.max(Math.floor(grid * p + 0.5), 1), grid) - 1;
}

/**
 * Binary maps [B, M, M, K] and mask [B, M, M, 1] from keypoints [B, K, 3] = normalised (x, y, v).
 * Not differentiable (an input encoding).
 */
export function keypointsToGrid(keypoints: tf.Tensor3D, grid = KEYPOINT_GRID): { maps: tf.Tensor4D; mask: tf.Tensor4D } {
  check(keypoints.rank === 3 && keypoints.shape[2] === 3, `keypointsToGrid expects keypoints [B,K,3], got ${JSON.stringify(keypoints.shape)}`);
  return tf.tidy(() => {
    const [x, y, v] = tf.unstack(keypoints, 2) as tf.Tensor2D[]; // [B, K] each
    const cell = (p: tf.Tensor2D) => tf.sub(tf.clipByValue(tf.floor(tf.add(tf.mul(p, grid), 0.5)), 1, grid), 1).toInt();
    const visible = tf.cast(tf.greater(v, VISIBILITY_THRESHOLD), 'float32'); // [B, K]
    const oy = tf.oneHot(cell(y), grid).toFloat().transpose([0, 2, 1]).expandDims(2); // [B, M, 1, K]
    const ox = tf.oneHot(cell(x), grid).toFloat().transpose([0, 2, 1]).expandDims(1); // [B, 1, M, K]
    const maps = tf.mul(tf.mul(oy, ox), visible.expandDims(1).expandDims(1)) as tf.Tensor4D; // [B, M, M, K]
    return { maps, mask: keypointMask(maps) };
  });
}

/** The gating mask `clamp(Σ_k maps, 0, 1)`: [B, M, M, K] → [B, M, M, 1]. */
export function keypointMask(maps: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.sum(maps, 3, true), 0, 1) as tf.Tensor4D);
}

/**
 * Keypoint gating as a layer: inputs `[features [B,M,M,C], maps [B,M,M,K]]` → features ⊙ mask, the mask
 * replicated over C (the figure's "max, replicate depth"; Lua `nn.CMulTable` with `nn.Replicate(C,2)`).
 */
export class KeypointGate extends tf.layers.Layer {
  static className = 'GawwnKeypointGate';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [features, maps] = inputs as tf.Tensor[];
    return tf.tidy(() => tf.mul(features, keypointMask(maps as tf.Tensor4D)));
  }
}
tf.serialization.registerClass(KeypointGate);
