/**
 * `gawwn train-text-encoder --data DIR --out RUN [--steps N] [--preset P]`: DS-SJE training of the
 * char-CNN-GRU text encoder (text/train-sje.ts) on a CUB-style (text_c10 captions) or MPII-style (captions.tsv) root, with a
 * progress bar, RUN/loss.jsonl, atomic checkpoints RUN/text-encoder.{json,bin}, and held-out retrieval
 * metrics (test split) at the end. Also reachable as `gawwn train text-encoder` (src/cli/main.ts).
 */
import { Option, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';
import { resolveTextEncoderConfig, TEXT_ENCODER_PRESETS } from '../text/encoder.js';
import { imageEncoderForPreset } from '../text/image-encoder.js';
import { SJE_TRAIN_DEFAULT, trainTextEncoder } from '../text/train-sje.js';
import { datasetCaptionSource, isHeldOut, type ImageCrop } from '../text/dataset-source.js';
import { loadDataset } from '../data/inspect.js';
import type { DatasetRecord } from '../data/types.js';

interface Opts {
  data: string; out: string; steps: string; preset: string; batch?: string; lr?: string; seed: string; imageCrop: ImageCrop; freezeText?: boolean;
  checkpointEvery: string; resume?: boolean; evalImagesPerClass: string; progress: boolean;
}

function int(v: string, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new GawwnError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program.command('train-text-encoder')
    .description('train the char-CNN-GRU text encoder with DS-SJE on a CUB-style or MPII-style root with captions')
    .requiredOption('--data <dir>', 'CUB-style root (text_c10/ captions) or MPII-style root (captions.tsv)')
    .requiredOption('--out <run>', 'run directory (checkpoint, loss.jsonl)')
    .option('--steps <n>', 'training steps', '2000')
    .option('--preset <name>', `encoder size: ${Object.keys(TEXT_ENCODER_PRESETS).join(', ')}`, 'cpu-small')
    .option('--batch <n>', 'distinct classes per batch (default 40, C:train_sje_hybrid)')
    .option('--lr <x>', 'RMSprop learning rate (default 7e-4)')
    .option('--seed <n>', 'random seed', '0')
    .option('--checkpoint-every <n>', 'steps between checkpoints', '200')
    .option('--eval-images-per-class <n>', 'held-out images per class used for the final metrics', '20')
    .addOption(new Option('--image-crop <mode>', 'what the image side sees: full image, or the object box + 10% margin').choices(['full', 'box']).default('full'))
    .option('--freeze-text', 'train the image side only (the caption embeddings stay bit-identical)')
    .option('--resume', 'continue from the checkpoint in --out')
    .option('--no-progress', 'no progress bar')
    .action(async (o: Opts) => {
      const steps = int(o.steps, 'steps', 0);
      const seed = int(o.seed, 'seed', 0);
      const textConfig = resolveTextEncoderConfig(o.preset);
      const imageConfig = imageEncoderForPreset(o.preset, textConfig.embDim);
      const trainConfig = {
        ...SJE_TRAIN_DEFAULT,
        ...(o.batch !== undefined ? { batchClasses: int(o.batch, 'batch', 2) } : {}),
        ...(o.lr !== undefined ? { learningRate: Number(o.lr) } : {}),
        ...(o.freezeText === true ? { freezeText: true } : {}),
      };
      if (!(trainConfig.learningRate > 0)) throw new GawwnError(`--lr must be a positive number, got '${o.lr}'`);
      const ds = await loadDataset(o.data);
      const all = ds.records as DatasetRecord[];
      const items = all.filter((r) => (r.captions?.length ?? 0) > 0);
      const skippedWithoutCaptions = all.length - items.length;
      if (items.length === 0) throw new GawwnError(`${o.data}: no image has captions`);
      const trainItems = items.filter((r) => !isHeldOut(r));
      const testItems = items.filter((r) => isHeldOut(r));
      if (trainItems.length === 0) throw new GawwnError(`${o.data}: no training images with captions`);
      const backend = await initBackend({ report: null });
      process.stderr.write(`gawwn: train-text-encoder: ${trainItems.length} train / ${testItems.length} held-out images with captions`
        + `${skippedWithoutCaptions ? ` (${skippedWithoutCaptions} without captions skipped)` : ''}, preset ${o.preset}, backend ${backend.name}\n`);
      const bar = o.progress ? new SingleBar({ format: 'DS-SJE |{bar}| {value}/{total} steps | loss {loss} | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic) : null;
      bar?.start(steps, 0, { loss: '-' });
      let result;
      try {
        result = await trainTextEncoder({
          train: datasetCaptionSource(trainItems, { crop: o.imageCrop }),
          heldOut: testItems.length > 0 ? datasetCaptionSource(testItems, { crop: o.imageCrop }) : undefined,
          textConfig, imageConfig, trainConfig, steps, seed, outDir: o.out, resume: o.resume,
          checkpointEvery: int(o.checkpointEvery, 'checkpoint-every', 0),
          evalOpts: { maxItemsPerClass: int(o.evalImagesPerClass, 'eval-images-per-class', 1) },
          meta: { preset: o.preset, data: o.data, backend: backend.name, imageCrop: o.imageCrop },
          onStep: (_s, loss) => bar?.increment(1, { loss: loss.toFixed(4) }),
        });
      } finally {
        bar?.stop();
      }
      const last = result.losses.slice(-50);
      const summary = {
        run: o.out, encoderId: result.encoderId, step: result.finalStep,
        meanLossLast50: last.length ? last.reduce((a, b) => a + b, 0) / last.length : null,
        heldOut: result.metrics ?? null,
      };
      process.stdout.write(JSON.stringify(summary) + '\n');
    });
}
