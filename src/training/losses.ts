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

/** What D's scores are and how they are scored (TrainConfig.loss, ModelConfig.dOutput). */
export interface LossKind {
  loss: 'bce' | 'hinge';
  dOutput: 'prob' | 'logit';
}

/**
 * The loss of D's scores `s` against a constant label: BCE of a probability (the paper), BCE of a logit
 * (softplus(−s) for 1, softplus(s) for 0: the same function, without the 1e-12 floor), or the hinge
 * relu(1 − s) for 1, relu(1 + s) for 0 (Lim & Ye 2017; Miyato et al. 2018).
 */
export function dTerm(s: tf.Tensor, label: 0 | 1, kind: LossKind): tf.Scalar {
  if (kind.loss === 'hinge') return tf.tidy(() => tf.mean(tf.relu(label === 1 ? tf.sub(1, s) : tf.add(1, s))) as tf.Scalar);
  if (kind.dOutput === 'logit') return tf.tidy(() => tf.mean(tf.softplus(label === 1 ? tf.neg(s) : s)) as tf.Scalar);
  return bce(s, label);
}

/** G's loss on D's scores of its fakes: −mean(s) under the hinge, else the non-saturating BCE(D(G(z)), 1). */
export function gTerm(s: tf.Tensor, kind: LossKind): tf.Scalar {
  if (kind.loss === 'hinge') return tf.tidy(() => tf.neg(tf.mean(s)) as tf.Scalar);
  return dTerm(s, 1, kind);
}

/** Matching-aware D loss (see the file header) under any LossKind; with the paper's kind it is `matchingAwareDLoss`. */
export function matchingAwareDLossOf(sReal: tf.Tensor, sWrong: tf.Tensor, sFake: tf.Tensor, clsWeight: number, kind: LossKind): DLossParts {
  const real = dTerm(sReal, 1, kind);
  const wrong = dTerm(sWrong, 0, kind);
  const fake = dTerm(sFake, 0, kind);
  const total = tf.tidy(() => tf.addN([real, tf.mul(wrong, clsWeight), tf.mul(fake, 1 - clsWeight)]) as tf.Scalar);
  return { total, real, wrong, fake };
}

/**
 * The mode-seeking term of MSGAN (Mao et al. 2019, eq. 3, as a loss to minimise): mean|z₁ − z₂| divided by
 * mean|G(z₁) − G(z₂)| + ε, for two batches of fakes made from the same conditions with different noise.
 */
export const MODE_SEEKING_EPS = 1e-5;
export function modeSeekingLoss(g1: tf.Tensor, g2: tf.Tensor, z1: tf.Tensor, z2: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.mean(tf.abs(tf.sub(z1, z2))), tf.add(tf.mean(tf.abs(tf.sub(g1, g2))), MODE_SEEKING_EPS)) as tf.Scalar);
}
