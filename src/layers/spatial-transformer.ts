/**
 * The spatial transformer exactly as GAWWN uses it (§4.1; gawwn-reference §1, §2.1; stnbhwd's
 * AffineGridGeneratorBHWD + BilinearSamplerBHWD): bilinear, align_corners=True, zero padding.
 * - `crop` (D): the box region of the map is zoomed to the output grid (D-affine).
 * - `paste` (G): the whole map is placed into the box, zeros outside (G-affine = CropInvert of the D-affine).
 * For axis-aligned affines the bilinear sampling is separable: out[b] = Ay[b] · in[b] · Ax[b]ᵀ per channel,
 * with per-sample interpolation matrices (weights max(0, 1−|pos−idx|), zero outside). That is two batched
 * matmuls: exact, differentiable in the map, and with no gather.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../util/errors.js';

export type StnMode = 'crop' | 'paste';

/**
 * DEVIATION: paste divides by the box size; boxes narrower than this (fraction of the image side) are
 * widened to it so a degenerate box gives an empty paste instead of NaN. N never sees such boxes.
 */
export const MIN_BOX_SIZE = 1e-4;

/**
 * Per-sample interpolation matrices of one axis, [B, nOut, nIn], from scale s [B] and translation t [B].
 * g_i = −1 + 2i/(nOut−1) is stnbhwd's base grid; pos = (s·g + t + 1)(nIn−1)/2.
 */
export function interpolationMatrices(s: tf.Tensor1D, t: tf.Tensor1D, nOut: number, nIn: number): tf.Tensor3D {
  check(nOut >= 2, `spatial transformer output size must be >= 2, got ${nOut}`);
  return tf.tidy(() => {
    const g = new Float32Array(nOut);
    for (let i = 0; i < nOut; i++) g[i] = -1 + (2 * i) / (nOut - 1);
    const grid = tf.tensor3d(g, [1, nOut, 1]);
    const src = tf.add(tf.mul(s.reshape([-1, 1, 1]), grid), t.reshape([-1, 1, 1])); // [B, nOut, 1]
    const pos = tf.mul(tf.add(src, 1), (nIn - 1) / 2);
    const idx = tf.range(0, nIn, 1, 'float32').reshape([1, 1, nIn]);
    return tf.relu(tf.sub(1, tf.abs(tf.sub(pos, idx)))) as tf.Tensor3D; // [B, nOut, nIn]
  });
}

/**
 * The axis-aligned affine of a batch of normalised boxes [B, 4] = (x, y, w, h), as four [B] tensors.
 * crop: sX = w, sY = h, tX = 2x + w − 1, tY = 2y + h − 1. paste: s' = 1/s, t' = −t/s.
 */
export function boxAffine(box: tf.Tensor2D, mode: StnMode): { sX: tf.Tensor1D; sY: tf.Tensor1D; tX: tf.Tensor1D; tY: tf.Tensor1D } {
  return tf.tidy(() => {
    const [x, y, w, h] = tf.unstack(box, 1) as tf.Tensor1D[];
    const tX = tf.sub(tf.add(tf.mul(x, 2), w), 1) as tf.Tensor1D;
    const tY = tf.sub(tf.add(tf.mul(y, 2), h), 1) as tf.Tensor1D;
    if (mode === 'crop') return { sX: w, sY: h, tX, tY };
    const wc = tf.maximum(w, MIN_BOX_SIZE);
    const hc = tf.maximum(h, MIN_BOX_SIZE);
    return {
      sX: tf.div(1, wc) as tf.Tensor1D,
      sY: tf.div(1, hc) as tf.Tensor1D,
      tX: tf.neg(tf.div(tX, wc)) as tf.Tensor1D,
      tY: tf.neg(tf.div(tY, hc)) as tf.Tensor1D,
    };
  });
}

/**
 * Samples `input` [B, H, W, C] on the grid of an axis-aligned affine given per sample, to [B, outH, outW, C]:
 * out[b,:,:,c] = Ay[b] · input[b,:,:,c] · Ax[b]ᵀ.
 */
export function sampleAxisAligned(
  input: tf.Tensor4D,
  affine: { sX: tf.Tensor1D; sY: tf.Tensor1D; tX: tf.Tensor1D; tY: tf.Tensor1D },
  outH: number,
  outW: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = input.shape;
    const ay = interpolationMatrices(affine.sY, affine.tY, outH, h); // [B, outH, H]
    const ax = interpolationMatrices(affine.sX, affine.tX, outW, w); // [B, outW, W]
    const rows = tf.matMul(ay, input.reshape([b, h, w * c])); // [B, outH, W*C]
    const cols = rows.reshape([b, outH, w, c]).transpose([0, 2, 1, 3]).reshape([b, w, outH * c]); // [B, W, outH*C]
    const out = tf.matMul(ax, cols); // [B, outW, outH*C]
    return out.reshape([b, outW, outH, c]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // [B, outH, outW, C]
  });
}

/**
 * Crops (`crop`, D) or pastes (`paste`, G) `input` [B, H, W, C] with the boxes [B, 4] (normalised x, y, w, h),
 * to [B, outSize, outSize, C] (default: the input size, as GAWWN's 16×16 → 16×16 use).
 */
export function spatialTransform(input: tf.Tensor4D, box: tf.Tensor2D, mode: StnMode, outSize?: number): tf.Tensor4D {
  check(input.rank === 4 && box.rank === 2 && box.shape[1] === 4, `spatialTransform expects input [B,H,W,C] and box [B,4], got ${JSON.stringify(input.shape)} and ${JSON.stringify(box.shape)}`);
  check(input.shape[0] === box.shape[0], `spatialTransform: batch of input (${input.shape[0]}) and box (${box.shape[0]}) differ`);
  return tf.tidy(() => sampleAxisAligned(input, boxAffine(box, mode), outSize ?? input.shape[1], outSize ?? input.shape[2]));
}

export interface SpatialTransformerArgs {
  mode: StnMode;
  /** Output side; default the input's. */
  outSize?: number;
  name?: string;
}

/**
 * Layer form of `spatialTransform`: inputs `[features [B,H,W,C], box [B,4]]` → `[B, out, out, C]`.
 * Registered for serialisation, so models containing it save and load.
 */
export class SpatialTransformer extends tf.layers.Layer {
  static className = 'GawwnSpatialTransformer';
  readonly mode: StnMode;
  readonly outSize?: number;

  constructor(args: SpatialTransformerArgs) {
    super({ name: args.name });
    check(args.mode === 'crop' || args.mode === 'paste', `SpatialTransformer mode must be 'crop' or 'paste', got ${String(args.mode)}`);
    this.mode = args.mode;
    this.outSize = args.outSize;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [f] = inputShape as tf.Shape[];
    return [f[0], this.outSize ?? f[1], this.outSize ?? f[2], f[3]];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [features, box] = inputs as tf.Tensor[];
    return spatialTransform(features as tf.Tensor4D, box as tf.Tensor2D, this.mode, this.outSize);
  }

  getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { ...super.getConfig(), mode: this.mode };
    if (this.outSize !== undefined) cfg.outSize = this.outSize;
    return cfg;
  }
}
tf.serialization.registerClass(SpatialTransformer);
