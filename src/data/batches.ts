/**
 * Minibatches for training (gawwn-reference §5): samples drawn uniformly WITH replacement as the original's
 * `trainLoader:sample`, each preprocessed (augment.ts), with the text code of an image = the mean embedding of
 * `numCaptions` distinct captions drawn from its first n − holdout (CUB: 4 of captions 1–9, the 10th held
 * out). The only code in src/data that makes tensors. Decoding runs concurrently (sharp/libvips threads) and
 * `prefetch` batches are prepared ahead of the consumer.
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';
import type { Rng, RngState } from '../util/rng.js';
import { DecodeCache, preprocess, type Example, type PreprocessOptions } from './augment.js';
import type { DatasetRecord } from './types.js';

/** Text code of a record given the caption indices drawn for it (typically the mean of their embeddings). */
export type TextEmbeddingLookup = (record: DatasetRecord, captionIndices: readonly number[]) => Float32Array;

/** Builds a lookup averaging per-caption embeddings `(record, i) => Float32Array` (gawwn-reference §5: mean of 4). */
export function meanEmbedding(perCaption: (record: DatasetRecord, captionIndex: number) => Float32Array): TextEmbeddingLookup {
  return (r, idx) => {
    let out: Float32Array | null = null;
    for (const i of idx) {
      const e = perCaption(r, i);
      if (!out) out = new Float32Array(e.length);
      else if (e.length !== out.length) throw new GawwnError(`caption embeddings of different lengths (${out.length} and ${e.length})`);
      for (let j = 0; j < e.length; j++) out[j] += e[j] / idx.length;
    }
    if (!out) throw new GawwnError('no caption indices to embed');
    return out;
  };
}

export interface BatchOptions extends PreprocessOptions {
  batchSize: number;
  rng: Rng;
  embed: TextEmbeddingLookup;
  /** Embedding length. Default 1024 (txtSize, gawwn-reference §1). */
  txtSize?: number;
  /** Captions averaged per sample. Default 4 (CUB; MHP scripts use 2). */
  numCaptions?: number;
  /** Trailing captions held out. Default 1. */
  numHoldout?: number;
  /** Number of batches; default one epoch = floor(N / batchSize) (the original's epoch length). */
  numBatches?: number;
  /** Batches prepared ahead. Default 2. */
  prefetch?: number;
  /** Number of captions of a record; default `record.captions.length`. */
  captionCount?: (r: DatasetRecord) => number;
}

/** One minibatch; the consumer disposes it. */
export interface Batch {
  images: tf.Tensor4D; // [B, 128, 128, 3] in [-1, 1]
  txt: tf.Tensor2D; // [B, txtSize]
  box: tf.Tensor2D; // [B, 4] (x, y, w, h) in [0, 1]
  keypoints: tf.Tensor3D; // [B, K, 3] (x, y, v)
  records: DatasetRecord[];
  /**
   * State of the batch RNG right after this batch's draws. The prefetcher has already drawn the batches after
   * it, so the RNG object itself is ahead of the consumer; a checkpoint stores this state, and a run resumed
   * from it draws exactly the batches the uninterrupted run would have.
   */
  rngAfter?: RngState;
  dispose(): void;
}

/** Draws the caption indices of one sample: `numCaptions` distinct from the first n − holdout. */
export function drawCaptionIndices(n: number, rng: Rng, numCaptions = 4, numHoldout = 1): number[] {
  if (n < 1) throw new GawwnError('record has no captions');
  const pool = Math.max(1, n - numHoldout);
  return rng.permutation(pool).slice(0, Math.min(numCaptions, pool));
}

interface Prepared {
  records: DatasetRecord[];
  examples: Example[];
  txt: Float32Array;
  rngAfter: RngState;
}

function prepare(records: readonly DatasetRecord[], o: BatchOptions, cache: DecodeCache): Promise<Prepared> {
  const B = o.batchSize;
  const T = o.txtSize ?? 1024;
  const picked: DatasetRecord[] = [];
  const txt = new Float32Array(B * T);
  const pending: Promise<Example>[] = [];
  for (let b = 0; b < B; b++) {
    const r = records[Math.floor(o.rng.next() * records.length)];
    picked.push(r);
    const n = o.captionCount ? o.captionCount(r) : (r.captions?.length ?? 0);
    const e = o.embed(r, drawCaptionIndices(n, o.rng, o.numCaptions, o.numHoldout));
    if (e.length !== T) throw new GawwnError(`text embedding of length ${e.length}, expected txtSize ${T}`);
    txt.set(e, b * T);
    pending.push(preprocess(r, o.rng, { ...o, cache }));
  }
  const rngAfter = o.rng.state();
  return Promise.all(pending).then((examples) => ({ records: picked, examples, txt, rngAfter }));
}

function toBatch(p: Prepared, txtSize: number): Batch {
  const B = p.examples.length;
  const F = Math.round(Math.sqrt(p.examples[0].image.length / 3));
  const K = p.examples[0].keypoints.length / 3;
  const img = new Float32Array(B * F * F * 3);
  const box = new Float32Array(B * 4);
  const kp = new Float32Array(B * K * 3);
  p.examples.forEach((e, b) => {
    img.set(e.image, b * F * F * 3);
    box.set(e.box, b * 4);
    kp.set(e.keypoints, b * K * 3);
  });
  const t = {
    images: tf.tensor4d(img, [B, F, F, 3], 'float32'),
    txt: tf.tensor2d(p.txt, [B, txtSize], 'float32'),
    box: tf.tensor2d(box, [B, 4], 'float32'),
    keypoints: tf.tensor3d(kp, [B, K, 3], 'float32'),
  };
  return { ...t, records: p.records, rngAfter: p.rngAfter, dispose: () => tf.dispose([t.images, t.txt, t.box, t.keypoints]) };
}

/**
 * Yields minibatches. Deterministic per seed: all random draws of a batch happen synchronously, in order,
 * when its preparation starts. Tensors are made only when a batch is handed out, so abandoning the
 * iterator leaks nothing.
 */
export async function* batches(records: readonly DatasetRecord[], o: BatchOptions): AsyncGenerator<Batch> {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new GawwnError(`batchSize must be a positive integer, got ${o.batchSize}`);
  if (records.length === 0) throw new GawwnError('empty dataset');
  const total = o.numBatches ?? Math.floor(records.length / o.batchSize);
  const ahead = Math.max(1, o.prefetch ?? 2);
  const cache = o.cache ?? new DecodeCache();
  const queue: Promise<Prepared>[] = [];
  let started = 0;
  const fill = (): void => {
    while (queue.length < ahead && started < total) {
      const p = prepare(records, o, cache);
      p.catch(() => undefined); // surfaced when awaited below
      queue.push(p);
      started++;
    }
  };
  for (let i = 0; i < total; i++) {
    fill();
    const p = await queue.shift()!;
    fill();
    yield toBatch(p, o.txtSize ?? 1024);
  }
}
