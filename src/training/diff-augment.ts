/**
 * Location-consistent differentiable augmentation of the images D sees (Zhao et al. 2020, "Differentiable
 * Augmentation for Data-Efficient GAN Training"; TrainConfig.augTranslate / augCutout). D trained on a few
 * thousand images memorises them; augmenting real and generated images alike, differentiably, keeps D's task
 * the same while G still gets gradients through the augmentation.
 *
 * GAWWN's D is told where the object is (§4.1 box, §4.2 keypoints), so a translation must move the condition
 * with the pixels: the box's (x, y) and every keypoint shift by the same offset, and keypoints that leave the
 * image become invisible. Cutout zeroes a square of pixels and leaves the condition as it is (an occluded part
 * is still where it was). Colour jitter is left out: the captions name colours.
 *
 * Translation is a pair of batched 0/1 shift matrices (rows, then columns), so it is two BatchMatMuls on the
 * backend's fast path and differentiable with no extra kernel; the padding is 0, i.e. mid-grey in [−1, 1]
 * (DiffAugment pads zeros too).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng.js';

/** One batch's random draws: integer pixel shifts and cutout squares. */
export interface AugmentDraw {
  /** Shift of the content to the right, pixels, per sample. */
  dx: Int32Array;
  /** Shift of the content downwards, pixels, per sample. */
  dy: Int32Array;
  /** Cutout square's top-left corner (may lie outside the image) and side, pixels; side 0 = no cutout. */
  cutX: Int32Array;
  cutY: Int32Array;
  cutSide: number;
}

/**
 * Draws the augmentation of `n` images of side `size` from `rng`, in this order: (dx, dy) of every sample, then
 * the cutout centres. Shifts are uniform integers in [−⌊translate·size⌋, ⌊translate·size⌋] (DiffAugment's
 * `rand_translation`); the cutout is a square of side round(cutout·size) centred uniformly in the image
 * (`rand_cutout`).
 */
export function drawAugment(n: number, size: number, translate: number, cutout: number, rng: Rng): AugmentDraw {
  const r = Math.floor(translate * size);
  const dx = new Int32Array(n);
  const dy = new Int32Array(n);
  if (r > 0) {
    for (let i = 0; i < n; i++) {
      dx[i] = rng.int(-r, r);
      dy[i] = rng.int(-r, r);
    }
  }
  const cutSide = Math.round(cutout * size);
  const cutX = new Int32Array(n);
  const cutY = new Int32Array(n);
  if (cutSide > 0) {
    for (let i = 0; i < n; i++) {
      cutX[i] = rng.int(0, size - 1) - Math.floor(cutSide / 2);
      cutY[i] = rng.int(0, size - 1) - Math.floor(cutSide / 2);
    }
  }
  return { dx, dy, cutX, cutY, cutSide };
}

/** [n, size, size] 0/1 matrices S with S[b, i, i − shift[b]] = 1: (S·x)[i] = x[i − shift], zero where that is outside. */
function shiftMatrices(shift: Int32Array, size: number): tf.Tensor3D {
  const m = new Float32Array(shift.length * size * size);
  for (let b = 0; b < shift.length; b++) {
    for (let i = 0; i < size; i++) {
      const j = i - shift[b];
      if (j >= 0 && j < size) m[(b * size + i) * size + j] = 1;
    }
  }
  return tf.tensor3d(m, [shift.length, size, size]);
}

/** Applies the draw to images [n, H, W, C] (H = W): translation, then cutout. Differentiable in `x`. */
export function augmentImages(x: tf.Tensor4D, d: AugmentDraw): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    let y: tf.Tensor4D = x;
    if (d.dx.some((v) => v !== 0) || d.dy.some((v) => v !== 0)) {
      // Rows: [n, H, W·C] ← S_y [n, H, H] · x.
      const rows = tf.reshape(tf.matMul(shiftMatrices(d.dy, h), tf.reshape(y, [n, h, w * c])), [n, h, w, c]);
      // Columns: transpose to [n, W, H·C], shift, transpose back.
      const cols = tf.matMul(shiftMatrices(d.dx, w), tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, w, h * c]));
      y = tf.transpose(tf.reshape(cols, [n, w, h, c]), [0, 2, 1, 3]);
    }
    if (d.cutSide > 0) {
      const mask = new Float32Array(n * h * w).fill(1);
      for (let b = 0; b < n; b++) {
        for (let i = Math.max(0, d.cutY[b]); i < Math.min(h, d.cutY[b] + d.cutSide); i++) {
          for (let j = Math.max(0, d.cutX[b]); j < Math.min(w, d.cutX[b] + d.cutSide); j++) mask[(b * h + i) * w + j] = 0;
        }
      }
      y = tf.mul(y, tf.tensor4d(mask, [n, h, w, 1]));
    }
    return y;
  });
}

/** Boxes [n, 4] normalised (x, y, w, h), moved with the pixels (the box may then reach past the border). */
export function shiftBoxes(box: tf.Tensor2D, d: AugmentDraw, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const off = new Float32Array(box.shape[0] * 4);
    for (let b = 0; b < box.shape[0]; b++) {
      off[b * 4] = d.dx[b] / size;
      off[b * 4 + 1] = d.dy[b] / size;
    }
    return tf.add(box, tf.tensor2d(off, box.shape)) as tf.Tensor2D;
  });
}

/** Keypoints [n, K, 3] normalised (x, y, v), moved with the pixels; a keypoint moved out of [0, 1)² gets v = 0. */
export function shiftKeypoints(kp: tf.Tensor3D, d: AugmentDraw, size: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, K] = kp.shape;
    const off = new Float32Array(n * 3);
    for (let b = 0; b < n; b++) {
      off[b * 3] = d.dx[b] / size;
      off[b * 3 + 1] = d.dy[b] / size;
    }
    const moved = tf.add(kp, tf.tensor3d(off, [n, 1, 3]));
    const [x, y, v] = tf.unstack(moved, 2) as tf.Tensor2D[];
    const inside = tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(x, 0), tf.less(x, 1)), tf.logicalAnd(tf.greaterEqual(y, 0), tf.less(y, 1)));
    const vis = tf.mul(v, tf.cast(inside, 'float32'));
    return tf.stack([x, y, vis], 2).reshape([n, K, 3]) as tf.Tensor3D;
  });
}
