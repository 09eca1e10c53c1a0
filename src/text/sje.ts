/**
 * Deep symmetric structured joint embedding loss (DS-SJE; Reed et al. CVPR 2016, used for GAWWN's text
 * encoder, §3.2; gawwn-reference §7, C:train_sje_hybrid.lua). For a batch of B distinct classes with
 * image features φ(img_i) and text features φ(txt_j), s(i,j) = ⟨φ(img_i), φ(txt_j)⟩ and
 *   L = Σ_i Σ_{j≠i} max(0, 1 + s(i,j) − s(i,i)) / B²                (each image ranks the texts)
 *     + Σ_j Σ_{i≠j} max(0, 1 + s(i,j) − s(j,j)) / B²   (symmetric=1: each text ranks the images).
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../util/errors.js';

/** Score matrix S[i,j] = ⟨img_i, txt_j⟩ for img, txt [B, D] -> [B, B]. */
export function sjeScores(img: tf.Tensor2D, txt: tf.Tensor2D): tf.Tensor2D {
  check(img.rank === 2 && txt.rank === 2 && img.shape[1] === txt.shape[1],
    `sjeScores: image [${img.shape.join(', ')}] and text [${txt.shape.join(', ')}] features must be [B, D] of equal D`);
  return tf.matMul(img, txt, false, true);
}

/** DS-SJE hinge loss (scalar) from a square score matrix S[i,j] = s(img_i, txt_j). */
export function sjeLossFromScores(scores: tf.Tensor2D, symmetric = true, margin = 1): tf.Scalar {
  const [B, B2] = scores.shape;
  check(B === B2 && B >= 2, `sjeLoss: score matrix must be square with B >= 2, got [${scores.shape.join(', ')}]`);
  return tf.tidy(() => {
    const diag = scores.mul(tf.eye(B)).sum(1); // [B] s(i,i)
    const offDiag = tf.scalar(1).sub(tf.eye(B)); // [B, B] mask j != i
    // image i as anchor: row i compared with its diagonal s(i,i)
    const imgAnchor = tf.relu(scores.add(margin).sub(diag.reshape([B, 1]))).mul(offDiag).sum();
    let total = imgAnchor;
    if (symmetric) {
      // text j as anchor: column j compared with s(j,j)
      const txtAnchor = tf.relu(scores.add(margin).sub(diag.reshape([1, B]))).mul(offDiag).sum();
      total = total.add(txtAnchor);
    }
    return total.div(B * B) as tf.Scalar;
  });
}

/** DS-SJE loss from image and text features [B, D] (row i of each from class i). */
export function sjeLoss(img: tf.Tensor2D, txt: tf.Tensor2D, symmetric = true): tf.Scalar {
  return tf.tidy(() => sjeLossFromScores(sjeScores(img, txt), symmetric));
}
