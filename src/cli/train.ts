/**
 * `gawwn train --model bbox|keypoint|keypoint-gen|gan-int-cls --data DIR --preset P --out RUN
 *  [--steps N | --epochs E] [--resume] --text-encoder RUN|pretrained:NAME`
 *. Text codes come from the text encoder's embedding cache: every caption of the training
 * set is embedded once before the first step, so the encoder never runs per step.
 */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { PRESET_NAMES } from '../config/presets.js';
import type { GUpsample } from '../config/types.js';
import { loadDataset } from '../data/inspect.js';
import type { DatasetRecord } from '../data/types.js';
import { TRAIN_FAMILIES, train, type TrainFamily } from '../training/loop.js';
import { resolveTextEncoderSpec } from '../text/pretrained.js';
import { captionEmbeddings } from '../text/cache.js';
import { GawwnError } from '../util/errors.js';
import { seedArg } from './arg-parsers.js';
import { initBackend } from '../backend/select.js';

/** A commander parser of a positive integer option (also used by `gawwn soak`). */
export function positiveInt(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new GawwnError(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a GAWWN model (or the GAN-INT-CLS baseline) on a CUB-style or MPII-style root')
    .addOption(new Option('--model <family>', 'network family').choices(TRAIN_FAMILIES as string[]).makeOptionMandatory())
    .requiredOption('--data <dir>', 'dataset root (CUB-200-2011 layout or MPII CSV root)')
    .requiredOption('--out <run>', 'run folder (checkpoints, log.jsonl, samples, final weights)')
    .requiredOption('--text-encoder <run>', 'text encoder run folder, or pretrained:NAME')
    .option('--preset <name>', 'paper | small | cpu | tiny', 'paper')
    .option('--steps <n>', 'total steps', positiveInt('--steps'))
    .option('--epochs <n>', 'total epochs (one epoch = floor(N / batch) steps)', positiveInt('--epochs'))
    .option('--batch <n>', 'batch size (overrides the preset)', positiveInt('--batch'))
    .option('--seed <n>', 'seed of every random choice, 0..4294967295', seedArg())
    .option('--lr <x>', 'Adam learning rate (train.lr; the paper: 2e-4), e.g. lower when resuming a GAN that has started to degrade', (v) => Number(v))
    .option('--fake-score-thresh <x>', "D's Adam step runs only while the EMA of D's mean fake score exceeds x (train.fakeScoreThresh; 0 = off, N:main_mhp.lua uses 0.2)", (v) => Number(v))
    .option('--instance-noise <sigma>', 'std of Gaussian noise added to every image D sees, real and fake (train.instanceNoise; 0 = off, the paper)', (v) => Number(v))
    .option('--mode-seeking <lambda>', 'weight of the mode-seeking term (train.modeSeeking; 0 = off, the paper; the stable recipe: 1)', (v) => Number(v))
    .option('--d-lr-scale <x>', "D's learning rate as a multiple of G's (train.dLrScale; 1 = the paper, below 1 slows a D that wins)", (v) => Number(v))
    .addOption(new Option('--g-upsample <mode>', "generator upsampling (model.gUpsample): the paper's 4×4 stride-2 ConvT, or nearest ×2 + 3×3 conv (image families)").choices(['deconv', 'resize']))
    .option('--checkpoint-every <n>', 'checkpoint every N steps', positiveInt('--checkpoint-every'), 200)
    .option('--keep-every <n>', 'also keep every checkpoint at a multiple of N steps (default: only the newest 3), to publish the one a validation curve picks', positiveInt('--keep-every'))
    .option('--sample-every <n>', 'sample grid every N steps', positiveInt('--sample-every'), 500)
    .option('--resume', 'continue from the last complete checkpoint of --out')
    .addOption(new Option('--recipe <name>', "training recipe (train.recipe): the 2016 paper's, or the stable one (spectral-norm D, hinge, EMA, mode seeking, augmentation); default: the preset's").choices(['paper', 'stable']))
    .option('--init <spec>', 'start a new run from trained weights: pretrained:NAME or a run folder (fresh optimisers)')
    .option('--switch-inputs', 'with --resume: continue with a --text-encoder or --data other than the run was trained with')
    .action(async (o: { recipe?: 'paper' | 'stable'; init?: string; switchInputs?: boolean; model: TrainFamily; data: string; out: string; textEncoder: string; preset: string; steps?: number; epochs?: number; batch?: number; seed?: number; lr?: number; fakeScoreThresh?: number; instanceNoise?: number; dLrScale?: number; modeSeeking?: number; gUpsample?: GUpsample; checkpointEvery: number; keepEvery?: number; sampleEvery: number; resume?: boolean }) => {
      if ((o.steps === undefined) === (o.epochs === undefined)) throw new GawwnError('give exactly one of --steps N or --epochs E');
      if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new GawwnError(`--seed must be an integer`);
      // Checked before the (slow) caption embedding, so a typo fails at once; same message as resolveConfig.
      if (!(PRESET_NAMES as readonly string[]).includes(o.preset)) throw new GawwnError(`unknown preset '${o.preset}'; valid presets: ${PRESET_NAMES.join(', ')}`);
      await initBackend();
      const encoder = resolveTextEncoderSpec(o.textEncoder);
      const ds = await loadDataset(o.data);
      // Only the training split is ever batched (training/loop.ts), so only its captions are embedded.
      const trainRecords = (ds.records as DatasetRecord[]).filter((r) => !('split' in r && r.split === 'test'));
      process.stderr.write(`gawwn: embedding the captions of ${trainRecords.length} training images with ${encoder}\n`);
      const { dim, embed } = await captionEmbeddings(encoder, trainRecords);
      const train_: Record<string, unknown> = {};
      if (o.batch !== undefined) train_.batchSize = o.batch;
      if (o.seed !== undefined) train_.seed = o.seed;
      if (o.lr !== undefined) train_.lr = o.lr;
      if (o.fakeScoreThresh !== undefined) train_.fakeScoreThresh = o.fakeScoreThresh;
      if (o.instanceNoise !== undefined) train_.instanceNoise = o.instanceNoise;
      if (o.dLrScale !== undefined) train_.dLrScale = o.dLrScale;
      if (o.modeSeeking !== undefined) train_.modeSeeking = o.modeSeeking;
      if (o.recipe !== undefined) train_.recipe = o.recipe;
      const bar = process.stderr.isTTY ? new SingleBar({ format: 'train {bar} {value}/{total} | {speed} it/s | ETA {eta_formatted} | lossD {lossD} lossG {lossG}', hideCursor: true }, Presets.shades_classic) : null;
      let t0 = Date.now();
      let s0 = -1;
      const r = await train({
        family: o.model,
        dataRoot: o.data,
        preset: o.preset,
        // The text code's size is the encoder's (1024 for the paper's, smaller for test encoders).
        overrides: { model: { txtSize: dim, ...(o.gUpsample !== undefined ? { gUpsample: o.gUpsample } : {}) }, ...(Object.keys(train_).length ? { train: train_ } : {}) },
        outDir: o.out,
        steps: o.steps,
        epochs: o.epochs,
        resume: o.resume,
        init: o.init,
        switchInputs: o.switchInputs,
        embed,
        textEncoder: o.textEncoder.startsWith('pretrained:') ? o.textEncoder : path.resolve(o.textEncoder),
        checkpointEvery: o.checkpointEvery,
        keepEvery: o.keepEvery,
        sampleEvery: o.sampleEvery,
        onStep: ({ step, totalSteps, losses }) => {
          if (s0 < 0) {
            s0 = step;
            t0 = Date.now();
            bar?.start(totalSteps, step - 1, { speed: '-', lossD: '-', lossG: '-' });
          }
          const { speed, eta } = progressFigures(step, totalSteps, s0, (Date.now() - t0) / 1000);
          const f = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(3));
          if (bar) bar.update(step, { speed, lossD: f(losses.lossD), lossG: f(losses.lossG) });
          else if (step % 50 === 0 || step === totalSteps) {
            process.stderr.write(`gawwn: step ${step}/${totalSteps} ${speed} it/s ETA ${eta}s lossD ${f(losses.lossD)} lossG ${f(losses.lossG)}\n`);
          }
        },
      });
      bar?.stop();
      process.stdout.write(JSON.stringify({ run: o.out, steps: r.steps, wall_s: Number(r.wallSeconds.toFixed(1)), final: r.finalDir, losses: r.lastLosses }) + '\n');
    });
}

/**
 * it/s and ETA (seconds) of the progress line at `step`, the clock having started when step `s0` completed (the
 * first step of this process: data loading and the first step's warm-up are not counted). At `s0` itself there
 * is no rate yet: '-' (it printed "Infinity it/s" on the first step after a resume).
 */
export function progressFigures(step: number, totalSteps: number, s0: number, seconds: number): { speed: string; eta: string } {
  if (step <= s0 || !(seconds > 0)) return { speed: '-', eta: '-' };
  const rate = (step - s0) / seconds;
  return { speed: rate.toFixed(2), eta: ((totalSteps - step) / rate).toFixed(0) };
}
