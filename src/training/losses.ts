/**
 * GAN losses of GAWWN (§3.1; gawwn-reference §4, §5). D ends in a sigmoid and the loss is Torch's `nn.BCECriterion`
 * (mean over the batch, log(x + 1e-12)). The image models use the matching-aware D of GAN-CLS:
 * errD = BCE(real, 1) + w·BCE(wrong text, 0) + (1 − w)·BCE(fake, 0), w = clsWeight = 0.5. G's loss is the
 * non-saturating BCE(D(G(z)), 1). Gk/Dk have no wrong-text term.
 */
import * as tf from '@tensorflow/tfjs';

/** Torch BCECriterion's epsilon inside the logs. */
export const BCE_EPS = 1e-12;

/** Mean binary cross-entropy of probabilities `p` against a constant label (0 or 1). */
export function bce(p: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.tidy(() => {
    const q = label === 1 ? p : tf.sub(1, p);
    return tf.neg(tf.mean(tf.log(tf.add(q, BCE_EPS)))) as tf.Scalar;
  });
}

export interface DLossParts {
  total: tf.Scalar;
  real: tf.Scalar;
  wrong: tf.Scalar;
  fake: tf.Scalar;
}

/** Matching-aware D loss from D's outputs on (real, t), (real, t_shuffled) and (G(z), t). */
export function matchingAwareDLoss(pReal: tf.Tensor, pWrong: tf.Tensor, pFake: tf.Tensor, clsWeight: number): DLossParts {
  const real = bce(pReal, 1);
  const wrong = bce(pWrong, 0);
  const fake = bce(pFake, 0);
  const total = tf.tidy(() => tf.addN([real, tf.mul(wrong, clsWeight), tf.mul(fake, 1 - clsWeight)]) as tf.Scalar);
  return { total, real, wrong, fake };
}

/** Plain GAN D loss (Dk, gawwn-reference §4): BCE(real, 1) + BCE(fake, 0). */
export function plainDLoss(pReal: tf.Tensor, pFake: tf.Tensor): { total: tf.Scalar; real: tf.Scalar; fake: tf.Scalar } {
  const real = bce(pReal, 1);
  const fake = bce(pFake, 0);
  return { total: tf.add(real, fake) as tf.Scalar, real, fake };
}

/** Non-saturating G loss BCE(D(G(z)), 1). */
export function generatorLoss(pFake: tf.Tensor): tf.Scalar {
  return bce(pFake, 1);
}
