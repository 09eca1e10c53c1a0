/**
 * DS-SJE training of the char-CNN-GRU text encoder jointly with a small image encoder (§3.2;
 * gawwn-reference §7, C:train_sje_hybrid.lua). Each step draws `batchClasses` distinct classes, one image
 * per class and one random caption of that image, and minimises the symmetric hinge loss (sje.ts) with
 * RMSprop; the learning rate decays ×`lrDecay` per epoch (epoch = images / batch steps) as in C.
 * DEVIATION: the image side is a jointly trained CNN on the dataset's own images, not fixed GoogLeNet
 * features (see image-encoder.ts). DEVIATION: one caption per image per step (the paper's "nc4" averaged 4).
 * Data comes through `SjeDataSource`, so any loader (CUB-style directory, synthetic set) can feed it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { check, GawwnError } from '../util/errors.js';
import { encodeOneHot } from './alphabet.js';
import { CharTextEncoder, type TextEncoderConfig } from './encoder.js';
import { PatchImageEncoder, type ImageEncoderConfig } from './image-encoder.js';
import { sjeLoss } from './sje.js';
import { retrievalMetrics, type RetrievalMetrics } from './retrieval.js';
import { saveEncoderRun, loadEncoderRun } from './run-io.js';

/**
 * What DS-SJE training needs from a dataset. `Item` is the loader's own record type
 * (e.g. the data loader's `{imageId, path, classId, split, captions?}`).
 */
export interface SjeDataSource<Item = unknown> {
  /** Class ids available in this split (at least 2). */
  readonly classes: readonly number[];
  /** The items (images) of one class; non-empty for every class in `classes`. */
  itemsOfClass(classId: number): readonly Item[];
  /** The captions of one item (non-empty). */
  captions(item: Item): readonly string[];
  /** The item's image, `imageSize`×`imageSize`×3 HWC float32 in [-1, 1]. */
  image(item: Item, imageSize: number): Promise<Float32Array>;
}

export interface SjeTrainConfig {
  /** Distinct classes per batch (C: 40). Capped at the number of classes. */
  batchClasses: number;
  /** RMSprop learning rate (C:scripts/train_cub_hybrid.sh: 7e-4). */
  learningRate: number;
  /** Multiplier per epoch (C: 0.98). */
  lrDecay: number;
  /** Symmetric loss (C: symmetric=1). */
  symmetric: boolean;
  /** Only the first `trainCaptions` captions of each item are used for training (the rest held out); 0 = all. */
  trainCaptions: number;
  /**
   * Train the image side only; the text side keeps its weights (default false). Used to re-fit the image side
   * (e.g. on box crops) of an encoder whose caption embeddings GAN runs already depend on: their embeddings stay
   * bit-identical. Not in C.
   */
  freezeText?: boolean;
}

export const SJE_TRAIN_DEFAULT: Readonly<SjeTrainConfig> = Object.freeze({ batchClasses: 40, learningRate: 7e-4, lrDecay: 0.98, symmetric: true, trainCaptions: 0 });

/** One batch as plain data: texts and images of B distinct classes. */
export interface SjeBatch {
  classIds: number[];
  captions: string[];
  /** B·S·S·3 float32. */
  images: Float32Array;
}

/** Draws a batch of distinct classes, one item and one caption each. */
export async function drawSjeBatch<Item>(src: SjeDataSource<Item>, rng: Rng, batchClasses: number, imageSize: number, trainCaptions = 0): Promise<SjeBatch> {
  check(src.classes.length >= 2, `DS-SJE needs at least 2 classes, the data has ${src.classes.length}`);
  const B = Math.min(batchClasses, src.classes.length);
  const classIds = rng.shuffle(src.classes).slice(0, B);
  const S = imageSize;
  const images = new Float32Array(B * S * S * 3);
  const captions: string[] = [];
  for (let b = 0; b < B; b++) {
    const items = src.itemsOfClass(classIds[b]);
    check(items.length > 0, `class ${classIds[b]} has no items`);
    const item = rng.pick(items);
    let caps = src.captions(item);
    if (trainCaptions > 0 && caps.length > trainCaptions) caps = caps.slice(0, trainCaptions);
    check(caps.length > 0, `an item of class ${classIds[b]} has no captions`);
    captions.push(rng.pick(caps));
    const img = await src.image(item, S);
    check(img.length === S * S * 3, `image of class ${classIds[b]} has ${img.length} values, expected ${S}x${S}x3`);
    images.set(img, b * S * S * 3);
  }
  return { classIds, captions, images };
}

/** Owns the two encoders and the optimiser; `dispose()` frees them. */
export class SjeTrainer {
  readonly text: CharTextEncoder;
  readonly image: PatchImageEncoder;
  readonly train: Readonly<SjeTrainConfig>;
  private optimizer: tf.RMSPropOptimizer;
  private lr: number;
  step = 0;

  constructor(textConfig: Readonly<TextEncoderConfig>, imageConfig: Readonly<ImageEncoderConfig>, train: Readonly<SjeTrainConfig>, rng: Rng,
    init?: { text: Record<string, Float32Array>; image: Record<string, Float32Array>; step: number }) {
    check(textConfig.embDim === imageConfig.embDim, `text embDim ${textConfig.embDim} must equal image embDim ${imageConfig.embDim}`);
    check(Number.isInteger(train.batchClasses) && train.batchClasses >= 2, `batchClasses must be an integer >= 2, got ${train.batchClasses}`);
    check(train.learningRate > 0 && train.lrDecay > 0 && train.lrDecay <= 1, 'learningRate must be > 0 and lrDecay in (0, 1]');
    this.text = new CharTextEncoder(textConfig, init?.text ?? rng.fork());
    this.image = new PatchImageEncoder(imageConfig, init?.image ?? rng.fork());
    this.train = train;
    this.lr = train.learningRate;
    this.step = init?.step ?? 0;
    // Torch optim.rmsprop: alpha 0.99, epsilon 1e-8 (tfjs defaults are 0.9 / 1e-7).
    this.optimizer = tf.train.rmsprop(this.lr, 0.99, 0, 1e-8);
  }

  /** Sets the learning rate for an epoch count (lr0 · lrDecay^epoch). */
  setEpoch(epoch: number): void {
    const lr = this.train.learningRate * Math.pow(this.train.lrDecay, epoch);
    if (lr !== this.lr) {
      this.lr = lr;
      (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    }
  }

  get learningRate(): number {
    return this.lr;
  }

  /** One optimisation step on a batch; returns the loss before the update. */
  async trainStep(batch: SjeBatch): Promise<number> {
    const B = batch.captions.length;
    const S = this.image.config.imageSize;
    const L = this.text.config.docLength;
    const A = this.text.config.alphabetSize;
    const x = tf.tensor3d(encodeOneHot(batch.captions, L), [B, L, A]);
    const img = tf.tensor4d(batch.images, [B, S, S, 3]);
    const vars = this.train.freezeText === true ? [...this.image.variables()] : [...this.text.variables(), ...this.image.variables()];
    const dropoutSeed = this.step + 1;
    const { value, grads } = tf.variableGrads(() => sjeLoss(this.image.apply(img), this.text.apply(x, dropoutSeed), this.train.symmetric), vars);
    this.optimizer.applyGradients(grads);
    const loss = (await value.data())[0];
    tf.dispose([value, grads, x, img]);
    if (!Number.isFinite(loss)) throw new GawwnError(`DS-SJE loss became ${loss} at step ${this.step + 1}; stopping (last checkpoint kept)`);
    this.step++;
    return loss;
  }

  /** Loss on a batch without updating. */
  evalLoss(batch: SjeBatch): number {
    const B = batch.captions.length;
    const S = this.image.config.imageSize;
    const L = this.text.config.docLength;
    return tf.tidy(() => {
      const x = tf.tensor3d(encodeOneHot(batch.captions, L), [B, L, this.text.config.alphabetSize]);
      const img = tf.tensor4d(batch.images, [B, S, S, 3]);
      return sjeLoss(this.image.apply(img), this.text.apply(x), this.train.symmetric).dataSync()[0];
    });
  }

  dispose(): void {
    this.text.dispose();
    this.image.dispose();
    this.optimizer.dispose();
  }
}

/** Embeds images in batches -> N·embDim. */
export async function embedImages(enc: PatchImageEncoder, images: Float32Array, n: number, batchSize = 64): Promise<Float32Array> {
  const S = enc.config.imageSize;
  const per = S * S * 3;
  const out = new Float32Array(n * enc.config.embDim);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const y = tf.tidy(() => enc.apply(tf.tensor4d(images.subarray(s * per, (s + m) * per), [m, S, S, 3])));
    out.set(await y.data(), s * enc.config.embDim);
    y.dispose();
  }
  return out;
}

/**
 * Held-out retrieval metrics (retrieval.ts) of a text and image encoder on a data source: every item of
 * every class (at most `maxItemsPerClass`), with its captions from index `captionFrom` on (e.g. 0 for
 * held-out images, 9 for the 10th caption of training images).
 */
export async function evaluateSje<Item>(text: CharTextEncoder, image: PatchImageEncoder, src: SjeDataSource<Item>,
  opts: { maxItemsPerClass?: number; captionFrom?: number; maxCaptionsPerItem?: number } = {}): Promise<RetrievalMetrics> {
  const S = image.config.imageSize;
  const maxItems = opts.maxItemsPerClass ?? Infinity;
  const from = opts.captionFrom ?? 0;
  const maxCaps = opts.maxCaptionsPerItem ?? Infinity;
  const imageClass: number[] = [];
  const captionClass: number[] = [];
  const captions: string[] = [];
  const imgs: Float32Array[] = [];
  for (const c of src.classes) {
    for (const item of src.itemsOfClass(c).slice(0, maxItems)) {
      imgs.push(await src.image(item, S));
      imageClass.push(c);
      for (const cap of src.captions(item).slice(from, from + maxCaps)) {
        captions.push(cap);
        captionClass.push(c);
      }
    }
  }
  check(imgs.length > 0 && captions.length > 0, 'evaluation data has no images or no held-out captions');
  const all = new Float32Array(imgs.length * S * S * 3);
  imgs.forEach((im, i) => all.set(im, i * S * S * 3));
  const imageEmb = await embedImages(image, all, imgs.length);
  const captionEmb = await text.embed(captions);
  return retrievalMetrics({ dim: text.config.embDim, imageEmb, imageClass, captionEmb, captionClass });
}

/** Options of `trainTextEncoder`. */
export interface TrainTextEncoderOptions<Item> {
  train: SjeDataSource<Item>;
  /** Held-out images and captions for the final retrieval metrics (e.g. the test split). */
  heldOut?: SjeDataSource<Item>;
  textConfig: Readonly<TextEncoderConfig>;
  imageConfig: Readonly<ImageEncoderConfig>;
  trainConfig: Readonly<SjeTrainConfig>;
  steps: number;
  seed: number;
  /** Run directory for checkpoints (run-io.ts) and `loss.jsonl`; nothing is written without it. */
  outDir?: string;
  /** Steps between checkpoints (and at the end). Default 200. */
  checkpointEvery?: number;
  /** Continue from the checkpoint in `outDir` (weights, step, RNG; the RMSprop state restarts). */
  resume?: boolean;
  /** Called after every step. */
  onStep?: (step: number, loss: number, lr: number) => void;
  /** Held-out evaluation limits (evaluateSje). */
  evalOpts?: { maxItemsPerClass?: number; captionFrom?: number; maxCaptionsPerItem?: number };
  /** Extra metadata stored in the manifest. */
  meta?: Record<string, unknown>;
}

export interface TrainTextEncoderResult {
  losses: number[];
  finalStep: number;
  metrics?: RetrievalMetrics;
  /** Encoder id of the saved run (when outDir was given). */
  encoderId?: string;
}

/** Trains with DS-SJE for `steps` steps (plus checkpoints and final held-out metrics). */
export async function trainTextEncoder<Item>(opts: TrainTextEncoderOptions<Item>): Promise<TrainTextEncoderResult> {
  check(Number.isInteger(opts.steps) && opts.steps >= 0, `steps must be a non-negative integer, got ${opts.steps}`);
  const every = opts.checkpointEvery ?? 200;
  let rng = new Rng(opts.seed);
  let init: { text: Record<string, Float32Array>; image: Record<string, Float32Array>; step: number } | undefined;
  if (opts.resume) {
    check(opts.outDir !== undefined, '`resume` needs a run directory (`outDir`)', { options: ['resume', 'outDir'] });
    const run = loadEncoderRun(opts.outDir);
    check(run.imageWeights !== undefined, 'the run has no image encoder to resume');
    init = { text: run.textWeights, image: run.imageWeights, step: run.manifest.step };
    if (run.manifest.rng) rng = new Rng(run.manifest.rng);
  }
  const trainer = new SjeTrainer(opts.textConfig, opts.imageConfig, opts.trainConfig, rng, init);
  const itemsTotal = opts.train.classes.reduce((a, c) => a + opts.train.itemsOfClass(c).length, 0);
  const B = Math.min(opts.trainConfig.batchClasses, opts.train.classes.length);
  const stepsPerEpoch = Math.max(1, Math.ceil(itemsTotal / B));
  const logFile = opts.outDir ? path.join(opts.outDir, 'loss.jsonl') : undefined;
  if (opts.outDir) fs.mkdirSync(opts.outDir, { recursive: true });
  let encoderId: string | undefined;
  let meta: Record<string, unknown> = { ...opts.meta };
  const save = async () => {
    if (!opts.outDir) return;
    encoderId = saveEncoderRun(opts.outDir, {
      textConfig: { ...opts.textConfig }, textWeights: await trainer.text.weights(), imageConfig: { ...opts.imageConfig },
      imageWeights: await trainer.image.weights(), step: trainer.step, rng: rng.state(),
      meta: { ...meta, train: { ...opts.trainConfig }, seed: opts.seed },
    });
  };
  const losses: number[] = [];
  try {
    const target = trainer.step + opts.steps;
    while (trainer.step < target) {
      trainer.setEpoch(Math.floor(trainer.step / stepsPerEpoch));
      const batch = await drawSjeBatch(opts.train, rng, opts.trainConfig.batchClasses, opts.imageConfig.imageSize, opts.trainConfig.trainCaptions);
      const loss = await trainer.trainStep(batch);
      losses.push(loss);
      if (logFile) fs.appendFileSync(logFile, JSON.stringify({ step: trainer.step, loss, lr: trainer.learningRate, time: new Date().toISOString() }) + '\n');
      opts.onStep?.(trainer.step, loss, trainer.learningRate);
      if (every > 0 && trainer.step % every === 0 && trainer.step < target) await save();
    }
    let metrics: RetrievalMetrics | undefined;
    if (opts.heldOut) metrics = await evaluateSje(trainer.text, trainer.image, opts.heldOut, opts.evalOpts);
    if (opts.outDir) {
      if (metrics) meta = { ...meta, heldOutMetrics: metrics };
      await save();
    }
    return { losses, finalStep: trainer.step, metrics, encoderId };
  } finally {
    trainer.dispose();
  }
}
