/** Shared helpers of the trainer tests: random batches and weight snapshots. */
import * as tf from '@tensorflow/tfjs';
import type { GawwnConfig } from '../../src/config/types.js';
import { randomBatch } from '../../src/bench/training.js';
import type { Batch } from '../../src/training/types.js';
import { Rng } from '../../src/util/rng.js';

export function batchFor(cfg: Readonly<GawwnConfig>, seed = 11): Batch {
  return randomBatch(cfg, cfg.train.batchSize, new Rng(seed));
}

/** All weights (trainable and BN moving statistics) as plain arrays. */
export function snapshot(m: tf.LayersModel): Float32Array[] {
  return m.weights.map((w) => (w.read().dataSync() as Float32Array).slice());
}

export function identical(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x.length === b[i].length && x.every((v, j) => Object.is(v, b[i][j])));
}

/** Which trainable weights changed, and whether any moving statistic changed. */
export function changed(before: Float32Array[], m: tf.LayersModel): { trainable: number; stats: number } {
  const after = snapshot(m);
  let trainable = 0;
  let stats = 0;
  m.weights.forEach((w, i) => {
    const diff = !identical([before[i]], [after[i]]);
    if (diff && w.trainable) trainable++;
    if (diff && !w.trainable) stats++;
  });
  return { trainable, stats };
}
