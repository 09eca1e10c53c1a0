/**
 * `gawwn reproduce --out DIR [--models-dir DIR] [--data DIR] [--people-data DIR] [--seed S] [--allow-missing]`:
 * the main job (`npm start`): every experiment of the paper on the shipped models → PNG grids,
 * DIR/report.html (self-contained, with loss curves) and DIR/summary.json. Missing models are an error naming
 * them (or skipped sections with --allow-missing); missing datasets fall back to small synthetic sets.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { runReproduce, SECTION_MODELS } from '../experiments/reproduce.js';
import { hasModel, modelsRoot, syntheticRoot } from '../experiments/common.js';
import { trainFromScratch } from '../experiments/from-scratch.js';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('reproduce')
    .description("run every experiment of the paper (§3.2, §5.1–§5.5) on the shipped models → PNG grids + report.html")
    .requiredOption('--out <dir>', 'output folder (PNGs, report.html, summary.json)')
    .option('--models-dir <dir>', 'folder with the models by name (default: the shipped data/pretrained, or env GAWWN_MODELS_DIR)')
    .option('--data <dir>', 'CUB-style root for the ground-truth bird experiments (default: a small synthetic set)')
    .option('--people-data <dir>', 'MPII-style root for §5.5 (default: a small synthetic set)')
    .option('--seed <s>', 'seed of all noise and example choices', (v) => Number(v), 0)
    .option('--samples <n>', 'samples per row', (v) => Number(v), 4)
    .option('--allow-missing', 'report sections whose models are missing as skipped instead of failing')
    .option('--train-missing', 'train quick stand-ins (tiny preset, minutes) for models that are not shipped, into OUT/stand-in-models')
    .action(async (o: { out: string; modelsDir?: string; data?: string; peopleData?: string; seed: number; samples: number; allowMissing?: boolean; trainMissing?: boolean }) => {
      if (!Number.isInteger(o.seed)) throw new GawwnError(`--seed must be an integer, got ${o.seed}`);
      if (!Number.isInteger(o.samples) || o.samples < 1 || o.samples > 16) throw new GawwnError(`--samples must be an integer in 1..16, got ${o.samples}`);
      const backend = await initBackend({ report: null });
      let modelsDir = o.modelsDir ?? (process.env.GAWWN_MODELS_DIR || undefined);
      const needed = [...new Set(Object.values(SECTION_MODELS).flat())];
      const missing = needed.filter((n) => !hasModel(n, modelsDir));
      if (o.trainMissing && missing.length > 0) {
        // Stand-ins keep the main job runnable before (or without) shipped weights: the real pipeline end to end,
        // on tiny models trained for a few dozen steps, so their images are rough. Shipped ones are linked in.
        const standIn = path.resolve(o.out, 'stand-in-models');
        fs.mkdirSync(standIn, { recursive: true });
        for (const n of needed.filter((m) => !missing.includes(m))) {
          const link = path.join(standIn, n);
          if (!fs.existsSync(link)) fs.symlinkSync(path.join(modelsRoot(modelsDir), n), link);
        }
        process.stderr.write(`gawwn: not shipped: ${missing.join(', ')}; training quick stand-ins into ${standIn} (rough samples)\n`);
        const data = path.resolve(o.out, 'data');
        await trainFromScratch({
          out: standIn,
          models: missing,
          birds: o.data ?? await syntheticRoot('birds', 1000 + o.seed, data),
          people: o.peopleData ?? await syntheticRoot('people', 2000 + o.seed, data),
          log: (l) => process.stderr.write(`gawwn: ${l}\n`),
        });
        modelsDir = standIn;
      }
      process.stderr.write(`gawwn: reproduce on ${backend.name}\n`);
      const r = await runReproduce({
        out: o.out, modelsDir: modelsDir ? path.resolve(modelsDir) : undefined, birdsData: o.data, peopleData: o.peopleData,
        seed: o.seed, samples: o.samples, allowMissing: o.allowMissing, log: (l) => process.stderr.write(`gawwn: ${l}\n`),
      });
      process.stdout.write(JSON.stringify({ report: r.report, seconds: Math.round(r.seconds), sections: r.sections.map((s) => ({ id: s.id, status: s.status, seconds: Math.round(s.seconds * 10) / 10, files: s.files, missing: s.missing })) }) + '\n');
    });
}
