/**
 * How GAN-INT-CLS picks its (real, wrong) image pairs (`I:data/donkey_folder_txt.lua`, `sample_no_repl`), for
 * the batcher that builds `GanIntClsBatch`: per sample, two *distinct* classes are drawn uniformly (the first
 * two of `torch.randperm(#classes)`), then one file uniformly inside each; the first is the real image (its
 * captions give the text), the second is the wrong image. Sampling is class-uniform, not file-uniform, and with
 * replacement across samples. Also per I: the `numCaption` captions averaged for a sample are each drawn
 * uniformly from *all* the file's captions, with replacement (`torch.randperm(n)[1]` per draw; no hold-out).
 * Images, real and wrong alike (`trainHook`): whole image resized anisotropically to 76×76 (`loadSize`), random
 * 64×64 crop at offsets ceil(U(0.01, 12)), horizontal flip with p = 0.5, scaled to [−1, 1].
 */
import { GawwnError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** I's `loadSize`: images are resized to this side before the random 64×64 crop. */
export const GAN_INT_CLS_LOAD_SIZE = 76;

/** Example indices of one batch: `real[i]` and `wrong[i]` belong to different classes. */
export interface GanIntClsPairs {
  real: number[];
  wrong: number[];
}

/**
 * Draws `n` (real, wrong) example pairs.
 * @param classMembers example indices of each class (empty classes are ignored).
 * @throws GawwnError when fewer than two classes have examples, or `n` is not a non-negative integer.
 * @example drawGanIntClsPairs([[0, 1], [2], [3, 4, 5]], 4, new Rng(0))
 */
export function drawGanIntClsPairs(classMembers: readonly (readonly number[])[], n: number, rng: Rng): GanIntClsPairs {
  if (!Number.isInteger(n) || n < 0) throw new GawwnError(`GAN-INT-CLS pair count must be a non-negative integer, got ${n}`);
  const classes = classMembers.filter((m) => m.length > 0);
  if (classes.length < 2) {
    throw new GawwnError(`GAN-INT-CLS needs examples from at least 2 classes for its wrong images, got ${classes.length} non-empty class(es)`);
  }
  const C = classes.length;
  const real: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < n; i++) {
    // The first two entries of a uniform random permutation: c1 uniform, c2 uniform over the others.
    const c1 = rng.int(0, C - 1);
    let c2 = rng.int(0, C - 2);
    if (c2 >= c1) c2 += 1;
    real.push(rng.pick(classes[c1]));
    wrong.push(rng.pick(classes[c2]));
  }
  return { real, wrong };
}

/** Indices of `k` captions out of `available`, each uniform with replacement (I: `torch.randperm(n)[1]` per draw). */
export function drawGanIntClsCaptions(available: number, k: number, rng: Rng): number[] {
  if (!Number.isInteger(available) || available < 1) throw new GawwnError(`GAN-INT-CLS caption count must be a positive integer, got ${available}`);
  return Array.from({ length: k }, () => rng.int(0, available - 1));
}
