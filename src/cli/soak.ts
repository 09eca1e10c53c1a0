/**
 * `gawwn soak --model keypoint --preset tiny --steps 1000 [--every 50] [--data DIR] [--json]`:
 * runs the real trainer of `gawwn train` (training/loop.ts `createTrainSession`, real batcher and augmentation)
 * for many steps through `runSoak`, and reports the tensor count and the RSS after burn-in. A constant tensor
 * count and a bounded RSS mean a months-long run will not run out of memory. Without --data it trains on a
 * small synthetic bird set made in a temporary folder (removed afterwards); text codes are seeded random
 * vectors, one per caption, so no text encoder is needed (the soak measures the image trainer).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { PRESET_NAMES } from '../config/presets.js';
import { batches, meanEmbedding, type Batch } from '../data/batches.js';
import { loadDataset } from '../data/inspect.js';
import { synthBirds } from '../data/synth-birds.js';
import type { DatasetRecord } from '../data/types.js';
import { createTrainSession, TRAIN_FAMILIES, type TrainFamily } from '../training/loop.js';
import { formatSoakReport, runSoak } from '../bench/soak.js';
import { initBackend } from '../backend/select.js';
import { positiveInt } from './train.js';
import { GawwnError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** Text-code size of the soak's random codes (small: the tiny preset's text projection is what is exercised). */
const SOAK_TXT_SIZE = 64;

export function register(program: Command): void {
  program
    .command('soak')
    .description('run many real training steps and report whether tensors or RSS grow (memory leak check)')
    .addOption(new Option('--model <family>', 'network family').choices(TRAIN_FAMILIES as string[]).default('keypoint'))
    .addOption(new Option('--preset <name>', 'config preset').choices([...PRESET_NAMES]).default('tiny'))
    .option('--steps <n>', 'training steps', positiveInt('--steps'), 1000)
    .option('--every <n>', 'record memory every N steps', positiveInt('--every'), 50)
    .option('--burn-in <n>', 'steps before the baseline is taken', positiveInt('--burn-in'), 10)
    .option('--data <dir>', 'dataset root (default: 40 synthetic birds in a temporary folder)')
    .option('--seed <n>', 'seed of the data, codes and weights', positiveInt('--seed'), 1)
    .option('--json', 'print the full report as one JSON line')
    .action(async (o: { model: TrainFamily; preset: string; steps: number; every: number; burnIn: number; data?: string; seed: number; json?: boolean }) => {
      if (o.burnIn >= o.steps) throw new GawwnError(`--burn-in (${o.burnIn}) must be smaller than --steps (${o.steps})`);
      const info = await initBackend();
      let tmp: string | null = null;
      let root = o.data;
      if (root === undefined) {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-soak-'));
        root = path.join(tmp, 'birds');
        await synthBirds({ out: root, images: 40, seed: o.seed, minSize: 140, maxSize: 200 });
      }
      try {
        const ds = await loadDataset(root);
        const records = (ds.records as DatasetRecord[]).filter((r) => (r.captions?.length ?? 0) > 0);
        if (records.length === 0) throw new GawwnError(`no images with captions in ${root}`);
        const codes = new Map<string, Float32Array>();
        const codeRng = new Rng(o.seed + 2);
        const perCaption = (r: DatasetRecord, i: number): Float32Array => {
          const key = `${r.captions?.[i] ?? ''}`;
          let c = codes.get(key);
          if (c === undefined) {
            c = Float32Array.from(codeRng.normalArray(SOAK_TXT_SIZE));
            codes.set(key, c);
          }
          return c;
        };
        const session = createTrainSession(o.model, o.preset, { model: { txtSize: SOAK_TXT_SIZE }, train: { seed: o.seed } }, ds.format === 'mpii', new Rng(o.seed));
        try {
          const it = batches(records, {
            batchSize: session.batchSize,
            rng: new Rng(o.seed + 1),
            embed: meanEmbedding(perCaption),
            txtSize: SOAK_TXT_SIZE,
            numCaptions: session.numCaptions,
            numBatches: o.steps,
          });
          process.stderr.write(`gawwn: soak of ${o.model} (${o.preset}, batch ${session.batchSize}) on ${info.name}: ${o.steps} steps\n`);
          const report = await runSoak<Batch>(session, {
            steps: o.steps,
            every: o.every,
            burnIn: o.burnIn,
            nextBatch: async () => {
              const n = await it.next();
              if (n.done === true) throw new GawwnError('soak: the batcher ended early');
              return n.value;
            },
            onSample: (s) => {
              if (!o.json) process.stderr.write(`gawwn: step ${s.step}: ${s.numTensors} tensors, rss ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB\n`);
            },
          });
          await it.return(undefined);
          if (o.json) process.stdout.write(JSON.stringify({ model: o.model, preset: o.preset, backend: info.name, ...report }) + '\n');
          else process.stdout.write(formatSoakReport(report) + '\n');
          if (report.leaked) throw new GawwnError(`soak: the tensor count grew by ${report.numTensorsDelta} after burn-in (a leak)`);
        } finally {
          session.dispose();
        }
      } finally {
        if (tmp !== null) fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
}
