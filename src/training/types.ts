/**
 * Batch formats the trainers consume (the data batcher produces them). Shapes are NHWC. Whoever consumes a
 * batch disposes it (house style §3.4); the trainers do not.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelFamily } from '../config/types.js';

/** Box family: images with one box each (num_elt = 1, gawwn-reference §2.1). */
export interface BboxBatch {
  /** [B, 128, 128, 3] float32 in [−1, 1]. */
  images: tf.Tensor4D;
  /** [B, txtSize] text embeddings (caption average, gawwn-reference §5). */
  txt: tf.Tensor2D;
  /** [B, 4] normalised (x, y, w, h) on the image. */
  box: tf.Tensor2D;
  dispose(): void;
}

/** Keypoint family: images with K keypoints each. */
export interface KeypointBatch {
  /** [B, 128, 128, 3] float32 in [−1, 1]. */
  images: tf.Tensor4D;
  /** [B, txtSize]. */
  txt: tf.Tensor2D;
  /** [B, K, 3] normalised (x, y, v); the trainer rasterises them to 16×16 maps (layers/keypoint-grid.ts). */
  keypoints: tf.Tensor3D;
  dispose(): void;
}

/** Keypoint completion (Gk/Dk): keypoints and text, no images. The trainer draws k_g (p_on = 0.1). */
export interface KeypointGenBatch {
  /** [B, K, 3] normalised (x, y, v). */
  keypoints: tf.Tensor3D;
  /** [B, txtSize]. */
  txt: tf.Tensor2D;
  dispose(): void;
}

/** The batch type of a family. */
export type BatchOf<F extends ModelFamily> = F extends 'bbox' ? BboxBatch : F extends 'keypoint' ? KeypointBatch : KeypointGenBatch;
export type Batch = BboxBatch | KeypointBatch | KeypointGenBatch;

/** What one training step reports (plain numbers). */
export interface StepResult {
  /** D's total loss: lossReal + clsWeight·lossWrong + (1 − clsWeight)·lossFake (keypoint-gen: real + fake). */
  lossD: number;
  /** BCE(D(real, cond, t), 1). */
  lossReal: number;
  /** BCE(D(real, cond, t_shuffled), 0), unweighted; 0 for keypoint-gen (no wrong term, gawwn-reference §4). */
  lossWrong: number;
  /** BCE(D(G(z), cond, t), 0), unweighted. */
  lossFake: number;
  /** Non-saturating G loss BCE(D(G(z)), 1), after the D update. */
  lossG: number;
  /** Mean D output on real pairs. */
  dReal: number;
  /** Mean D output on fakes in the D pass. */
  dFake: number;
  /** The mode-seeking term mean|z₁ − z₂| / (mean|G(z₁) − G(z₂)| + ε) before its weight; 0 when off. */
  modeSeeking: number;
  /** Whether D's Adam step ran (false only when the MHP fake-score gate closed it). */
  dUpdated: boolean;
}
