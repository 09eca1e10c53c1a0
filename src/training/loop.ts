/**
 * The training loop of every image model and of Gk (paper §5, gawwn-reference §5): draws minibatches, runs
 * the family's step, logs every loss as JSON lines, writes a sample grid every few hundred steps, checkpoints
 * atomically (model, optimisers, step, RNG state, resolved config), halves the learning rate every
 * `decayEvery` epochs, stops on a NaN/Inf loss, and resumes from the last complete checkpoint.
 *
 * Run folder layout:
 *   RUN/config.json        the resolved config and what it was trained on (written once)
 *   RUN/log.jsonl          one JSON object per step: {step, epoch, lr, sec, lossD, lossG, ...}
 *   RUN/samples/step-N.png sample grids on fixed noise and fixed conditions
 *   RUN/checkpoints/…      see training/checkpoint.ts
 *   RUN/final/             G's weights (exportWeights) when the run completes: what `gawwn sample` loads
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../config/resolve.js';
import { resolveGanIntClsConfig } from '../config/gan-int-cls.js';
import type { DeepPartial, GawwnConfig, ModelFamily } from '../config/types.js';
import type { GanIntClsConfig } from '../config/gan-int-cls.js';
import { batches, meanEmbedding, type Batch as DataBatch } from '../data/batches.js';
import { loadDataset } from '../data/inspect.js';
import { recordGroup, type DatasetRecord, type WarnFn } from '../data/types.js';
import { imageGrid, imagesFromTensor } from '../render/render.js';
import { keypointsToGrid } from '../layers/keypoint-grid.js';
import { writeFileAtomic, writeFileAtomicSync } from '../util/atomic.js';
import { GawwnError, check } from '../util/errors.js';
import { Rng, type RngState } from '../util/rng.js';
import { lockFolder } from '../util/run-lock.js';
import { describeFsError, isFsError } from '../util/safe-open.js';
import {
  assignModelWeights,
  assignOptimizerWeights,
  exportWeights,
  extractModelWeights,
  extractOptimizerWeights,
  importWeights,
  loadLatest,
  saveCheckpoint,
  type LoadedCheckpoint,
  type NamedTensor,
} from './checkpoint.js';
import { resolveModelSpec } from '../sampling/load.js';
import { createGanIntClsTrainer } from './gan-int-cls-step.js';
import { checkLossesFinite } from './guard.js';
import { createGanTrainer } from './step.js';

/** Every trainable family: the three GAWWN networks and the GAN-INT-CLS baseline (§5.4). */
export type TrainFamily = ModelFamily | 'gan-int-cls';
export const TRAIN_FAMILIES: readonly TrainFamily[] = ['bbox', 'keypoint', 'keypoint-gen', 'gan-int-cls'];

/** Text code of one caption of a record (the batcher averages `numCaptions` of them, gawwn-reference §5). */
export type CaptionEmbedding = (record: DatasetRecord, captionIndex: number) => Float32Array;

export interface TrainOptions {
  family: TrainFamily;
  /** A CUB-style or MPII-style root (real or synthetic). */
  dataRoot: string;
  /** Preset name (paper | small | cpu | tiny). */
  preset: string;
  /** Config overrides on top of the preset (validated). */
  overrides?: Record<string, unknown>;
  /** Run folder. */
  outDir: string;
  /** Stop after this many steps in total (counting resumed ones). Exactly one of steps/epochs. */
  steps?: number;
  /** Stop after this many epochs (one epoch = floor(N / batch) steps, as the original). */
  epochs?: number;
  /** Continue from the run's last complete checkpoint. */
  resume?: boolean;
  /**
   * Start a new run from trained weights: `pretrained:NAME` (a shipped model: its averaged G, and D when shipped)
   * or a run folder (its latest checkpoint's G, averaged G and D). Optimisers start fresh. Ignored when resuming.
   */
  init?: string;
  /**
   * On resume, accept a text encoder or data root other than the run's own (config.json). Without it a resume
   * with another one is refused: the weights would silently mix two conditionings.
   */
  switchInputs?: boolean;
  /** Text embedding of a caption (from the text encoder's cache). */
  embed: CaptionEmbedding;
  /** What the embeddings come from (recorded in config.json and the exported weights). */
  textEncoder: string;
  /** Checkpoint every N steps. Default 200. */
  checkpointEvery?: number;
  /** Keep the checkpoints at multiples of N steps besides the newest few (checkpoint.ts SaveOptions.keepEvery). Default 0: none. */
  keepEvery?: number;
  /** Sample grid every N steps. Default 500. */
  sampleEvery?: number;
  /** Called after every step (progress bars). */
  onStep?: (info: { step: number; totalSteps: number; losses: Record<string, number> }) => void;
  warn?: WarnFn;
}

export interface TrainResult {
  steps: number;
  lastLosses: Record<string, number>;
  finalDir: string;
  wallSeconds: number;
}

/** A family's trainer behind one shape, so the loop, checkpoints, resume and the soak are written once. */
export interface TrainSession {
  family: TrainFamily;
  config: GawwnConfig | GanIntClsConfig;
  batchSize: number;
  lr: number;
  decayEvery: number;
  lrDecay: number;
  numCaptions: number;
  G: tf.LayersModel;
  D: tf.LayersModel;
  /** The weight-averaged G (TrainConfig.emaBeta), or null: what samples, grids and final/ use when present. */
  Gema: tf.LayersModel | null;
  /** Recomputes Gema's batch-norm statistics (call before Gema draws or is saved); no-op without Gema. */
  refreshAveraged(): void;
  optimizerG: tf.Optimizer;
  optimizerD: tf.Optimizer;
  step(b: DataBatch): Promise<Record<string, number>>;
  setLearningRate(lr: number): void;
  /** Extra state to checkpoint (e.g. the MHP fake-score EMA). */
  extraState(): Record<string, number>;
  restoreExtra(x: Record<string, number>): void;
  dispose(): void;
}

/**
 * The trainer of one family (G, D, their optimisers and one `step(batch)`), as `train` uses it; exported for
 * `gawwn soak`. `mhp` selects the MPII variant. The caller disposes it.
 */
export function createTrainSession(family: TrainFamily, preset: string, overrides: Record<string, unknown>, mhp: boolean, rng: Rng): TrainSession {
  if (family === 'gan-int-cls') {
    const cfg = resolveGanIntClsConfig(preset, overrides as DeepPartial<GanIntClsConfig>);
    const t = createGanIntClsTrainer(cfg, rng);
    const size = cfg.model.imageSize;
    return {
      ...sessionCore(family, cfg, cfg.train, t),
      async step(b) {
        // DEVIATION: the original loads 76 px and crops 64 (I:data/donkey_folder_txt.lua); we resize the
        // 128-px GAWWN crop to 64 so both models see the same augmentation. Wrong images are real images of
        // a different class from the same batch (I draws them from a different class file).
        const wrongIdx = wrongClassIndices(b.records, rng);
        const images = tf.tidy(() => tf.image.resizeBilinear(b.images, [size, size], true));
        const wrongImages = tf.tidy(() => tf.gather(images, tf.tensor1d(wrongIdx, 'int32')));
        try {
          const r = await t.step({ images, wrongImages, txt: b.txt, dispose: () => undefined });
          return { ...r } as unknown as Record<string, number>;
        } finally {
          tf.dispose([images, wrongImages]);
        }
      },
      extraState: () => ({}),
      restoreExtra: () => undefined,
      Gema: null,
      refreshAveraged: () => undefined,
    };
  }
  const o: DeepPartial<GawwnConfig> = { ...(overrides as DeepPartial<GawwnConfig>) };
  // MPII roots train the MHP variant (K = 17, ELU/dropout in D, gawwn-reference §3.4) unless told otherwise.
  o.model = { family, ...(mhp && family !== 'bbox' ? { variant: 'mhp', numParts: 17 } : {}), ...(o.model ?? {}) };
  const cfg = resolveConfig(preset, o);
  const t = createGanTrainer(cfg, rng);
  return {
    ...sessionCore(family, cfg, cfg.train, t),
    async step(b) {
      // Other-class wrong texts (TrainConfig.wrongText) need the records' classes, which only the loop has.
      const wrongIndex = cfg.train.wrongText === 'other-class' ? wrongClassIndices(b.records, rng) : undefined;
      const r = await t.step(b, { wrongIndex });
      const out: Record<string, number> = { lossD: r.lossD, lossReal: r.lossReal, lossWrong: r.lossWrong, lossFake: r.lossFake, lossG: r.lossG, dReal: r.dReal, dFake: r.dFake, dUpdated: r.dUpdated ? 1 : 0 };
      if (cfg.train.modeSeeking > 0) out.modeSeeking = r.modeSeeking;
      return out;
    },
    Gema: t.Gema,
    refreshAveraged: () => t.refreshAveraged(),
    extraState: () => ({ fakeScore: t.fakeScore, ...(t.Gema !== null ? { emaUpdates: t.emaUpdates } : {}) }),
    restoreExtra: (x) => {
      if (typeof x.fakeScore === 'number') t.fakeScore = x.fakeScore;
      if (typeof x.emaUpdates === 'number') t.emaUpdates = x.emaUpdates;
    },
  };
}

/** The part of a session every family fills the same way: schedule fields, networks, optimisers, lr, dispose. */
function sessionCore(
  family: TrainFamily,
  config: GawwnConfig | GanIntClsConfig,
  train: { batchSize: number; lr: number; decayEvery: number; lrDecay: number; numCaptions: number },
  t: { G: tf.LayersModel; D: tf.LayersModel; optimizerG: tf.Optimizer; optimizerD: tf.Optimizer; setLearningRate(lr: number): void; dispose(): void },
): Omit<TrainSession, 'step' | 'extraState' | 'restoreExtra' | 'Gema' | 'refreshAveraged'> {
  return {
    family,
    config,
    batchSize: train.batchSize,
    lr: train.lr,
    decayEvery: train.decayEvery,
    lrDecay: train.lrDecay,
    numCaptions: train.numCaptions,
    G: t.G,
    D: t.D,
    optimizerG: t.optimizerG,
    optimizerD: t.optimizerD,
    setLearningRate: (lr) => t.setLearningRate(lr),
    dispose: () => t.dispose(),
  };
}

/** For each sample, the index of a batch-mate of another class (itself only if the whole batch is one class). */
export function wrongClassIndices(records: readonly DatasetRecord[], rng: Rng): number[] {
  const cls = records.map(recordGroup);
  return cls.map((c, i) => {
    const others = cls.map((d, j) => (d !== c ? j : -1)).filter((j) => j >= 0);
    return others.length > 0 ? rng.pick(others) : i;
  });
}

/** lr after `epoch` completed epochs: lr0 · decay^floor(epoch / decayEvery) (N: `decay_every`, `lr_decay`). */
export function scheduledLearningRate(lr0: number, epoch: number, decayEvery: number, lrDecay: number): number {
  return lr0 * Math.pow(lrDecay, Math.floor(epoch / decayEvery));
}

/**
 * The overrides a resumed run is built from: the checkpoint's resolved config, with the options given on top (e.g.
 * a lower `lr` for a GAN that has started to degrade), so a run resumed without its flags keeps its own settings
 * (gate threshold, instance noise, D's rate, …) rather than the preset's. The generator's upsampling
 * (model.gUpsample) is architecture: the checkpoint's weights fit no other, so a different one given is refused
 * before any network is built or anything written.
 */
function resumeOverrides(ck: LoadedCheckpoint, family: TrainFamily, overrides: Record<string, unknown>): Record<string, unknown> {
  const stored = ck.config as Record<string, Record<string, unknown> | undefined>;
  const merged: Record<string, unknown> = { ...overrides };
  for (const [k, v] of Object.entries(stored)) {
    if (v !== null && typeof v === 'object') merged[k] = { ...v, ...((overrides[k] ?? {}) as Record<string, unknown>) };
  }
  if (family === 'gan-int-cls') return merged;
  // Checkpoints from before recipes existed were trained with the paper's (batch-norm D, sigmoid output).
  if (stored.train?.recipe === undefined) {
    const o = (overrides.train ?? {}) as Record<string, unknown>;
    merged.train = { ...(merged.train as Record<string, unknown>), recipe: o.recipe ?? 'paper' };
  }
  // Checkpoints from before the field was added hold ConvT weights.
  const up = (stored.model?.gUpsample as string | undefined) ?? 'deconv';
  const given = (overrides.model as Record<string, unknown> | undefined)?.gUpsample;
  if (given !== undefined && given !== up) {
    throw new GawwnError(`this run was trained with model.gUpsample = ${up}; it cannot resume with ${String(given)}`, { file: path.join(ck.dir, 'manifest.json') });
  }
  return { ...merged, model: { ...(merged.model as Record<string, unknown>), gUpsample: up } };
}

/**
 * Trains one model; see the file header for what lands in the run folder. The run folder is locked for the life
 * of the training (a second writer is refused naming this process); a folder this call created is removed again
 * when it fails before its first step, so a refused start leaves nothing behind.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  if (fs.existsSync(opts.outDir) && !fs.statSync(opts.outDir).isDirectory()) {
    throw new GawwnError('exists and is not a folder; --out names a run folder (new, or a run to --resume)', { file: opts.outDir });
  }
  const created = !fs.existsSync(opts.outDir);
  const lock = lockFolder(opts.outDir, `gawwn train --model ${opts.family}`);
  try {
    return await trainLocked(opts);
  } catch (e) {
    const log = path.join(opts.outDir, 'log.jsonl');
    if (created && (!fs.existsSync(log) || fs.statSync(log).size === 0)) {
      lock.release();
      fs.rmSync(opts.outDir, { recursive: true, force: true });
    }
    throw e;
  } finally {
    lock.release();
  }
}

/** A resumed run must be fed what it was trained on: the same text encoder and data root (config.json). */
function checkSameInputs(opts: TrainOptions): void {
  const file = path.join(opts.outDir, 'config.json');
  if (opts.switchInputs === true || !fs.existsSync(file)) return;
  let meta: { textEncoder?: string; data?: string };
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof meta;
  } catch (e) {
    throw new GawwnError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  if (meta.textEncoder !== undefined && meta.textEncoder !== opts.textEncoder) {
    throw new GawwnError(`this run was trained with --text-encoder ${meta.textEncoder}; it cannot resume with ${opts.textEncoder} (pass --switch-inputs to continue with the new one)`, { file });
  }
  if (meta.data !== undefined && meta.data !== path.resolve(opts.dataRoot)) {
    throw new GawwnError(`this run was trained on --data ${meta.data}; it cannot resume on ${path.resolve(opts.dataRoot)} (pass --switch-inputs to continue with the new one)`, { file });
  }
}

/** Networks whose inputs include the K part locations (§4.2, §4.3): K must be the dataset's part count. */
function checkPartCount(s: TrainSession, partNames: readonly string[] | undefined, dataRoot: string): void {
  if (s.family !== 'keypoint' && s.family !== 'keypoint-gen') return;
  const k = (s.config.model as { numParts?: number }).numParts;
  const n = partNames?.length ?? 0;
  if (k !== undefined && n !== k) {
    throw new GawwnError(`the ${s.family} model takes ${k} parts (model.numParts) but this root has ${n} (parts.txt); train on a root with ${k} parts or set model.numParts = ${n}`, { file: dataRoot });
  }
}

async function trainLocked(opts: TrainOptions): Promise<TrainResult> {
  check((opts.steps === undefined) !== (opts.epochs === undefined), 'give exactly one of steps or epochs');
  check(TRAIN_FAMILIES.includes(opts.family), `unknown model '${opts.family}' (expected one of ${TRAIN_FAMILIES.join(', ')})`);
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`gawwn: warning: ${m}\n`));
  const t0 = Date.now();
  const ds = await loadDataset(opts.dataRoot, { warn });
  const records: DatasetRecord[] = (ds.records as DatasetRecord[]).filter((r) => !('split' in r && r.split === 'test') && (r.captions?.length ?? 0) > 0);
  if (records.length === 0) throw new GawwnError(`no training images with captions in ${opts.dataRoot}`);
  const mhp = ds.format === 'mpii';

  const expect = { modelFamily: opts.family, preset: opts.preset };
  // The checkpoint is read before the networks are built: its config is the resumed run's (resumeOverrides).
  let ck: LoadedCheckpoint | null = null;
  if (opts.resume) {
    ck = await loadLatest(opts.outDir, expect, { warn });
    // Only weights mix two conditionings: a run killed before its first checkpoint restarts with whatever is given.
    if (ck !== null) checkSameInputs(opts);
    if (ck === null) warn(`no checkpoint in ${opts.outDir}; starting from step 0`);
  } else if (fs.existsSync(path.join(opts.outDir, 'checkpoints'))) {
    throw new GawwnError(`${opts.outDir} already holds a run; pass --resume to continue it or choose another --out`);
  }
  const overrides = ck !== null ? resumeOverrides(ck, opts.family, opts.overrides ?? {}) : opts.overrides ?? {};
  const seed = typeof (overrides as { train?: { seed?: number } }).train?.seed === 'number' ? (overrides as { train: { seed: number } }).train.seed : 0;
  const rng = new Rng(seed);
  const dataRng = new Rng(seed + 1);
  const s = createTrainSession(opts.family, opts.preset, overrides, mhp, rng);
  try {
    checkPartCount(s, ds.partNames, opts.dataRoot);
    if (opts.init !== undefined && ck === null) await initWeights(s, opts.init, warn);
  } catch (e) {
    s.dispose();
    throw e;
  }
  const stepsPerEpoch = Math.max(1, Math.floor(records.length / s.batchSize));
  const totalSteps = opts.steps ?? Math.round((opts.epochs as number) * stepsPerEpoch);
  check(Number.isInteger(totalSteps) && totalSteps > 0, `steps must be a positive integer, got ${totalSteps}`);

  fs.mkdirSync(opts.outDir, { recursive: true });
  const logPath = path.join(opts.outDir, 'log.jsonl');
  let step = 0;
  let lastCheckpoint: string | null = null;
  if (ck !== null) {
    assignModelWeights(s.G, ck.groups.G, `${ck.dir} G`);
    assignModelWeights(s.D, ck.groups.D, `${ck.dir} D`);
    if (s.Gema !== null) assignModelWeights(s.Gema, ck.groups.Gema ?? ck.groups.G, `${ck.dir} ${ck.groups.Gema ? 'Gema' : 'G'}`);
    // The optimisers' slots exist only after a first update; they are restored into the fresh optimisers.
    await assignOptimizerWeights(s.optimizerG, ck.groups.optG);
    await assignOptimizerWeights(s.optimizerD, ck.groups.optD);
    rng.setState(ck.rng);
    const extra = (ck.extra ?? {}) as { dataRng?: Rng['state'] extends () => infer R ? R : never; session?: Record<string, number> };
    if (extra.dataRng) dataRng.setState(extra.dataRng);
    if (extra.session) s.restoreExtra(extra.session);
    step = ck.step;
    lastCheckpoint = ck.dir;
  }
  // Log lines past the step we start from belong to a run killed before its next checkpoint; this includes a
  // run killed before its first one (step 0), whose lines would otherwise be duplicated.
  truncateLog(logPath, step);
  // Written whenever the run starts from step 0, so it describes what is trained even when a run killed before its
  // first checkpoint is resumed with other flags, and after --switch-inputs, so it names the inputs trained on now.
  if (step === 0 || opts.switchInputs === true || !fs.existsSync(path.join(opts.outDir, 'config.json'))) {
    const meta = { family: opts.family, preset: opts.preset, data: path.resolve(opts.dataRoot), format: ds.format, partNames: ds.partNames, textEncoder: opts.textEncoder, config: s.config };
    await writeFileAtomic(path.join(opts.outDir, 'config.json'), JSON.stringify(meta, null, 2) + '\n');
  }

  // The batch RNG's state after the last batch trained on (the prefetcher runs the RNG itself ahead of that).
  let dataRngAfter: RngState = dataRng.state();
  const embed = meanEmbedding(opts.embed);
  const txtSize = 'txtSize' in s.config.model ? s.config.model.txtSize : 1024;
  const it = batches(records, {
    batchSize: s.batchSize,
    rng: dataRng,
    embed,
    txtSize,
    numCaptions: s.numCaptions,
    numBatches: totalSteps - step,
    // The keypoint generator never looks at pixels, but the batcher decodes them; fine at its small cost.
  });
  const checkpointEvery = opts.checkpointEvery ?? 200;
  const sampleEvery = opts.sampleEvery ?? 500;
  let fixed: FixedSample | null = null;
  let last: Record<string, number> = {};
  const save = async (): Promise<void> => {
    s.refreshAveraged();
    lastCheckpoint = await checkpointOrExplain(lastCheckpoint, step, opts.outDir, async () => saveCheckpoint(opts.outDir, {
      modelFamily: opts.family,
      preset: opts.preset,
      config: s.config,
      step,
      epoch: Math.floor(step / stepsPerEpoch),
      rng: rng.state(),
      groups: {
        G: await extractModelWeights(s.G),
        ...(s.Gema !== null ? { Gema: await extractModelWeights(s.Gema) } : {}),
        D: await extractModelWeights(s.D),
        optG: await extractOptimizerWeights(s.optimizerG),
        optD: await extractOptimizerWeights(s.optimizerD),
      },
      extra: { dataRng: dataRngAfter, session: s.extraState(), losses: last },
    }, { warn, keepEvery: opts.keepEvery ?? 0 }));
  };

  const poisonAt = faultInjectionStep();
  const logFd = fs.openSync(logPath, 'a');
  try {
    for await (const b of it) {
      const epoch = Math.floor(step / stepsPerEpoch);
      const lr = scheduledLearningRate(s.lr, epoch, s.decayEvery, s.lrDecay);
      s.setLearningRate(lr);
      // A fresh run draws its noise from `rng`; a resumed one must not (the run it continues drew it at step 1,
      // before the checkpoint's RNG state), or its draws would differ from the uninterrupted run's.
      if (fixed === null) fixed = keepFixed(b, s, step === 0 ? rng : new Rng(seed + 2));
      if (b.rngAfter !== undefined) dataRngAfter = b.rngAfter;
      if (step + 1 === poisonAt) poisonWeights(s.D);
      let losses: Record<string, number>;
      try {
        losses = await s.step(b);
      } finally {
        b.dispose();
      }
      step++;
      checkLossesFinite(losses, step, lastCheckpoint);
      last = losses;
      fs.writeSync(logFd, JSON.stringify({ step, epoch, lr, sec: (Date.now() - t0) / 1000, ...round(losses) }) + '\n');
      opts.onStep?.({ step, totalSteps, losses });
      if (step % sampleEvery === 0 || step === totalSteps) await writeSampleGrid(s, fixed, path.join(opts.outDir, 'samples', `step-${String(step).padStart(6, '0')}.png`));
      if (step % checkpointEvery === 0 || step === totalSteps) await save();
    }
  } finally {
    fs.closeSync(logFd);
    fixed?.dispose();
  }
  const finalDir = path.join(opts.outDir, 'final');
  s.refreshAveraged();
  await exportWeights({ G: s.Gema ?? s.G }, finalDir, {
    meta: { averaged: s.Gema !== null, family: opts.family, preset: opts.preset, config: s.config, steps: step, textEncoder: opts.textEncoder, partNames: ds.partNames, format: ds.format, losses: last },
  });
  s.dispose();
  return { steps: step, lastLosses: last, finalDir, wallSeconds: (Date.now() - t0) / 1000 };
}

/**
 * Loads the weights a new run starts from (TrainOptions.init): a shipped model's groups G (its averaged G) and D,
 * or a run's latest checkpoint (G, Gema, D). Shapes must match the new run's networks exactly.
 */
async function initWeights(s: TrainSession, spec: string, warn: WarnFn): Promise<void> {
  const dir = resolveModelSpec(spec);
  let groups: Record<string, NamedTensor[] | undefined>;
  // G steps already averaged into the source's weights: null when they are not an average (no EMA in its recipe).
  let averagedSteps: number | null = null;
  if (fs.existsSync(path.join(dir, 'checkpoints'))) {
    const ck = await loadLatest(dir, undefined, { warn });
    if (ck === null) throw new GawwnError('the run to start from has no complete checkpoint', { file: dir });
    groups = ck.groups;
    const u = (ck.extra as { session?: { emaUpdates?: unknown } } | undefined)?.session?.emaUpdates;
    if (groups.Gema !== undefined && typeof u === 'number') averagedSteps = u;
  } else if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    const w = await importWeights(dir);
    groups = w.groups;
    // A shipped model of a recipe with weight averaging ships its averaged G as group G (training/publish).
    const meta = w.meta as { steps?: unknown; config?: { train?: { emaBeta?: unknown } } };
    if (typeof meta.config?.train?.emaBeta === 'number' && meta.config.train.emaBeta > 0 && typeof meta.steps === 'number') averagedSteps = meta.steps;
  } else {
    throw new GawwnError('the weights to start from are neither a run with checkpoints nor a shipped model', { file: dir });
  }
  const G = groups.G;
  if (G === undefined) throw new GawwnError('the weights to start from have no generator (group G)', { file: dir });
  assignModelWeights(s.G, G, `${spec} G`);
  if (s.Gema !== null) {
    assignModelWeights(s.Gema, groups.Gema ?? G, `${spec} ${groups.Gema ? 'Gema' : 'G'}`);
    // An average carried over keeps its window: restarting the warm-up (emaDecay) would let the first few hundred
    // steps of fresh optimisers overwrite it within a few dozen steps.
    if (averagedSteps !== null) s.restoreExtra({ emaUpdates: averagedSteps });
  }
  if (groups.D !== undefined) assignModelWeights(s.D, groups.D, `${spec} D`);
  else warn(`${spec} has no discriminator weights; D starts from its initialisation`);
}

/**
 * Runs one checkpoint write; a file-system failure (a full disk, a read-only remount) becomes one line saying that
 * the checkpoint before it is intact (checkpoints are written to a temporary folder and renamed, checkpoint.ts).
 */
async function checkpointOrExplain(previous: string | null, step: number, outDir: string, write: () => Promise<string>): Promise<string> {
  try {
    return await write();
  } catch (e) {
    if (!isFsError(e)) throw e;
    const kept = previous === null ? 'no earlier checkpoint exists; the run must start again' : `the previous checkpoint ${previous} is intact: free space and continue with --resume`;
    throw new GawwnError(`cannot write the checkpoint of step ${step}: ${describeFsError(e)}; ${kept}`, { file: path.join(outDir, 'checkpoints') });
  }
}

/**
 * Fault injection for the numerical-guard test (test/cli/train-resume.test.ts): when the environment variable
 * GAWWN_FAULT_NAN_AT is a step number, D's first weight is set to NaN just before that step, so the real
 * forward pass produces a NaN loss. No real run sets it; anything but a positive integer is ignored.
 */
function faultInjectionStep(): number {
  const n = Number(process.env.GAWWN_FAULT_NAN_AT ?? '');
  return Number.isInteger(n) && n > 0 ? n : -1;
}

function poisonWeights(model: tf.LayersModel): void {
  const nan = tf.fill(model.weights[0].read().shape, NaN);
  model.weights[0].write(nan);
  nan.dispose();
}

/**
 * The lines of a JSON-lines training log up to and including `step` (blank lines and a last line cut by kill -9
 * dropped), newline-terminated: what a run resumed, or published, at `step` has really logged.
 */
export function logUpToStep(log: string, step: number): string {
  const keep = log.split('\n').filter((l) => {
    if (l.trim() === '') return false;
    try {
      return (JSON.parse(l) as { step: number }).step <= step;
    } catch {
      return false; // a line cut by kill -9
    }
  });
  return keep.map((l) => l + '\n').join('');
}

/** Drops log lines past `step` (they belong to steps lost with an incomplete checkpoint); atomic, so a kill here loses nothing. */
export function truncateLog(logPath: string, step: number): void {
  if (!fs.existsSync(logPath)) return;
  writeFileAtomicSync(logPath, logUpToStep(fs.readFileSync(logPath, 'utf8'), step));
}

function round(x: Record<string, number>): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [k, v] of Object.entries(x)) o[k] = typeof v === 'number' ? Number(v.toPrecision(6)) : v;
  return o;
}

/** Fixed noise and conditions for the periodic sample grids (8 samples of the first batch). */
interface FixedSample {
  z: tf.Tensor2D;
  txt: tf.Tensor2D;
  box: tf.Tensor2D;
  keypoints: tf.Tensor3D;
  captions: string[];
  dispose(): void;
}

function keepFixed(b: DataBatch, s: TrainSession, rng: Rng): FixedSample {
  const n = Math.min(8, b.txt.shape[0]);
  const nz = s.config.model.nz;
  const t = tf.tidy(() => ({
    z: tf.tensor2d(new Rng(rng.nextUint32()).normalArray(n * nz), [n, nz]),
    txt: b.txt.slice([0, 0], [n, -1]) as tf.Tensor2D,
    box: b.box.slice([0, 0], [n, -1]) as tf.Tensor2D,
    keypoints: b.keypoints.slice([0, 0, 0], [n, -1, -1]) as tf.Tensor3D,
  }));
  const captions = b.records.slice(0, n).map((r) => r.captions?.[0] ?? '');
  return { ...t, captions, dispose: () => tf.dispose([t.z, t.txt, t.box, t.keypoints]) };
}

async function writeSampleGrid(s: TrainSession, f: FixedSample | null, file: string): Promise<void> {
  if (f === null) return;
  s.refreshAveraged();
  const G = s.Gema ?? s.G;
  let out: tf.Tensor;
  let boxes: { x: number; y: number; w: number; h: number }[] | undefined;
  let kps: { x: number; y: number; v: number }[][] | undefined;
  if (s.family === 'bbox') {
    out = G.predict([f.z, f.txt, f.box]) as tf.Tensor;
    boxes = ((await f.box.array()) as number[][]).map(([x, y, w, h]) => ({ x, y, w, h }));
  } else if (s.family === 'keypoint') {
    const { maps, mask } = keypointsToGrid(f.keypoints, 16);
    out = G.predict([f.z, f.txt, maps]) as tf.Tensor;
    tf.dispose([maps, mask]);
    kps = ((await f.keypoints.array()) as number[][][]).map((k) => k.map(([x, y, v]) => ({ x, y, v })));
  } else if (s.family === 'keypoint-gen') {
    // Text only: empty conditioning (all switches off), as the §5.3 demo; draw the generated points on grey.
    const kg = tf.zerosLike(f.keypoints);
    const k = G.predict([f.z, f.txt, kg]) as tf.Tensor3D;
    kps = ((await k.array()) as number[][][]).map((p) => p.map(([x, y, v]) => ({ x, y, v: v > 0.5 ? 1 : 0 })));
    tf.dispose([kg, k]);
    out = tf.zeros([f.z.shape[0], 128, 128, 3]);
  } else {
    out = G.predict([f.z, f.txt]) as tf.Tensor;
  }
  const images = await imagesFromTensor(out as tf.Tensor4D);
  out.dispose();
  const png = await imageGrid(images, { cols: 4, boxes, keypoints: kps, captions: f.captions });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, png);
}
