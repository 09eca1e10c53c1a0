/**
 * `gawwn eval --run RUN|pretrained:NAME --data DIR --evaluator RUN [--n N] --json` (measured control of a generator),
 * `gawwn eval train-evaluator --data DIR --out RUN [--steps N]`, `gawwn eval table RESULT.json… [--out FILE.md]`,
 * `gawwn eval curve --run RUN …` (every checkpoint, validation conditions), `gawwn eval text-binding --encoder E` and
 * `gawwn eval text-retrieval --encoder E --data DIR [--classes unseen]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';
import { evaluateGenerator, type EvalResult } from '../evaluation/evaluate.js';
import { CLASS_SELECTIONS, type ClassSelection } from '../evaluation/eval-data.js';
import { resultsTable } from '../evaluation/results-table.js';
import { loadEvaluator, trainEvaluator } from '../evaluation/train-evaluator.js';
import { loadGenerator } from '../sampling/load.js';
import { listCheckpoints } from '../training/checkpoint.js';
import { writeFileAtomic } from '../util/atomic.js';
import { embedderFor } from '../sampling/pipeline.js';
import { bindingReport } from '../evaluation/text-binding.js';
import { textRetrieval } from '../evaluation/text-retrieval.js';
import { embedCaptions } from '../text/cache.js';
import { resolveTextEncoderSpec } from '../text/pretrained.js';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new GawwnError(`${name} must be a positive integer, got '${v}'`);
  return n;
};

/** `--classes all|seen|unseen` of `eval` and `eval text-retrieval` (eval-data.ts ClassSelection). */
const classesOption = (): Option =>
  new Option('--classes <which>', 'held-out classes: every held-out image, classes seen in training, or classes held out entirely (synth-birds --test-classes: unseen colour combinations)')
    .choices(CLASS_SELECTIONS as string[])
    .default('all');

export function register(program: Command): void {
  program
    .command('eval')
    .description('measure control of a generator on held-out conditions (box IoU, PCK@0.1, attributes, evaluator FD, diversity)')
    .option('--run <run>', 'generator: a run folder or pretrained:NAME')
    .option('--data <dir>', 'synthetic root whose test split gives the held-out conditions')
    .option('--evaluator <run>', 'evaluator: a run folder (gawwn eval train-evaluator) or pretrained:evaluator-birds')
    .option('--n <n>', 'held-out conditions (one image each)', int('--n'), 200)
    .option('--seed <n>', 'seed', (v) => Number(v), 1)
    .addOption(classesOption())
    .option('--out <file>', 'also write the JSON here')
    .option('--json', 'print one JSON object (default: a short summary)')
    .action(async (o: { run?: string; data?: string; evaluator?: string; n: number; seed: number; classes: ClassSelection; out?: string; json?: boolean }) => {
      for (const k of ['run', 'data', 'evaluator'] as const) if (!o[k]) throw new GawwnError(`gawwn eval needs --${k}`);
      await initBackend();
      const gen = await loadGenerator(o.run as string);
      const evr = await loadEvaluator(o.evaluator as string);
      try {
        const r = await evaluateGenerator(gen, embedderFor(gen), evr, { dataRoot: o.data as string, n: o.n, seed: o.seed, classes: o.classes, modelName: o.run, evaluatorName: o.evaluator });
        const text = JSON.stringify(r, null, o.json ? undefined : 1);
        if (o.out) await writeFileAtomic(o.out, JSON.stringify(r, null, 1) + '\n');
        process.stdout.write((o.json ? text : resultsTable([r])) + '\n');
      } finally {
        gen.dispose();
        evr.dispose();
      }
    });
  program
    .command('eval-table')
    .description('markdown table of eval results (gawwn eval --out FILE.json, one per model)')
    .argument('<results...>', 'eval JSON files')
    .option('--out <file>', 'write the markdown here (default: stdout)')
    .action(async (files: string[], o: { out?: string }) => {
      const results = files.map((f) => {
        if (!fs.existsSync(f)) throw new GawwnError('no such file', { file: f });
        let j: EvalResult;
        try {
          j = JSON.parse(fs.readFileSync(f, 'utf8'));
        } catch (e) {
          throw new GawwnError(`not JSON: ${(e as Error).message}`, { file: f });
        }
        if (j.format !== 'gawwn-eval/1') throw new GawwnError(`not a gawwn eval result (format ${String(j.format)})`, { file: f });
        return j;
      });
      const md = resultsTable(results);
      if (o.out) await writeFileAtomic(o.out, md);
      else process.stdout.write(md);
    });
  program
    .command('eval-curve')
    .description("training curve: evaluate every checkpoint of a run (its averaged G) not yet in --out, on validation conditions")
    .requiredOption('--run <run>', 'a run folder (gawwn train)')
    .requiredOption('--data <dir>', 'synthetic root whose test split gives the conditions')
    .requiredOption('--evaluator <run>', 'evaluator run folder or pretrained:evaluator-birds')
    .requiredOption('--out <file>', 'JSON-lines curve, one line per checkpoint; lines already there are kept and their steps skipped')
    .option('--n <n>', 'conditions per checkpoint', int('--n'), 50)
    .option('--seed <n>', 'seed of the conditions: keep it apart from the seed of the conditions you report (validation)', (v) => Number(v), 3)
    .option('--watch', 'keep evaluating new checkpoints until the run has final/ weights')
    .action(async (o: { run: string; data: string; evaluator: string; out: string; n: number; seed: number; watch?: boolean }) => {
      await initBackend();
      const evr = await loadEvaluator(o.evaluator);
      try {
        for (;;) {
          await curvePass(o, evr);
          if (!o.watch || fs.existsSync(path.join(o.run, 'final', 'manifest.json'))) break;
          await new Promise((r) => setTimeout(r, 60_000));
        }
        await curvePass(o, evr);
      } finally {
        evr.dispose();
      }
    });
  program
    .command('eval-text-binding')
    .description("does a text encoder bind colours to parts? mean cosine of part-swapped vs paraphrased caption pairs")
    .requiredOption('--encoder <spec>', 'text-encoder run folder or pretrained:NAME')
    .option('--json', 'print one JSON object (default: a short summary)')
    .action(async (o: { encoder: string; json?: boolean }) => {
      const enc = resolveTextEncoderSpec(o.encoder);
      await initBackend({ report: null });
      const r = await bindingReport(async (captions) => {
        const e = await embedCaptions(enc, captions, { useCache: false });
        return captions.map((_, i) => e.embeddings.slice(i * e.dim, (i + 1) * e.dim));
      });
      if (o.json) process.stdout.write(JSON.stringify({ encoder: o.encoder, ...r }) + '\n');
      else process.stdout.write(`${o.encoder}: swapped ${r.swapped.toFixed(3)}, paraphrase ${r.paraphrase.toFixed(3)}, margin ${r.margin.toFixed(3)}\n`);
    });
  program
    .command('eval-text-retrieval')
    .description('held-out retrieval of a text encoder (caption→image and image→caption top-1 over classes, mAP), optionally on the classes held out of training only')
    .requiredOption('--encoder <spec>', 'text-encoder run folder or pretrained:NAME (saved with its image side)')
    .requiredOption('--data <dir>', 'root whose held-out split is scored')
    .addOption(classesOption())
    .option('--images-per-class <n>', 'held-out images per class', int('--images-per-class'), 20)
    .option('--json', 'print one JSON object (default: a short summary)')
    .action(async (o: { encoder: string; data: string; classes: ClassSelection; imagesPerClass: number; json?: boolean }) => {
      const enc = resolveTextEncoderSpec(o.encoder);
      await initBackend({ report: null });
      const r = await textRetrieval(enc, o.data, { classes: o.classes, imagesPerClass: o.imagesPerClass });
      if (o.json) process.stdout.write(JSON.stringify({ encoder: o.encoder, data: o.data, ...r }) + '\n');
      else {
        process.stdout.write(`${o.encoder} on ${o.data} (${o.classes} held-out classes: ${r.classes} classes, ${r.images} images, ${r.captions} captions): ` +
          `caption→image top-1 ${r.captionToImageTop1.toFixed(3)}, image→caption top-1 ${r.imageToCaptionTop1.toFixed(3)}, mAP ${r.captionToImageMap.toFixed(3)}\n`);
      }
    });
  // `gawwn eval train-evaluator|table …` are rewritten to these by main.ts (as `train text-encoder`): as real
  // subcommands of `eval`, their --data/--out/--seed would be taken by eval's own options.
  program
    .command('eval-train-evaluator')
    .description('train the evaluator CNN on a synthetic root and report its held-out accuracy (the ceiling)')
    .option('--data <dir>', 'synthetic root (gawwn data synth-birds|synth-people); required unless --resume')
    .requiredOption('--out <run>', 'run folder to write')
    .option('--test-data <dir>', "root whose test split measures the ceiling (default --data): e.g. train on a larger root with --data's classes (synth-birds --class-seed)")
    .option('--steps <n>', 'optimiser steps (0 with --init: refit the colour centroids and re-measure the ceiling)', (v) => Number(v), 1500)
    .option('--batch <n>', 'batch size', int('--batch'), 32)
    .option('--max-minutes <m>', 'stop training after this many minutes (of the whole run, with --resume)', (v) => Number(v))
    .option('--width <n>', "base channel count (default 8; with --init: the init evaluator's, or a multiple of it to widen it)", int('--width'))
    .option('--lr <x>', 'Adam learning rate', (v) => Number(v), 2e-3)
    .option('--train-limit <n>', 'use at most N training images', int('--train-limit'))
    .option('--test-limit <n>', 'use at most N held-out images', int('--test-limit'), 1000)
    .option('--seed <n>', 'seed', (v) => Number(v), 1)
    .option('--init <run>', 'continue from this evaluator run')
    .option('--augment', 'degrade training images with Gaussian noise and blur, as generated images are')
    .option('--seg-weight <x>', 'weight of the part-segmentation loss', (v) => Number(v), 1)
    .option('--checkpoint-every <n>', 'checkpoint every N steps', int('--checkpoint-every'), 250)
    .option('--resume', "continue --out from its last checkpoint with the run's own options (only --steps and --max-minutes may change)")
    .action(async (o: { init?: string; augment?: boolean; segWeight: number; data?: string; testData?: string; out: string; steps: number; batch: number; maxMinutes?: number; width?: number; trainLimit?: number; testLimit: number; seed: number; lr: number; checkpointEvery: number; resume?: boolean }, cmd: Command) => {
      if (!o.resume && o.data === undefined) throw new GawwnError("required option '--data <dir>' not specified");
      for (const d of [o.data, o.testData]) if (d !== undefined && !fs.existsSync(d)) throw new GawwnError('no such data folder', { file: d });
      // With --resume an option left at its default is not a request to change the run: only typed ones are passed.
      const typed = <T>(name: string, v: T): T | undefined => (o.resume && cmd.getOptionValueSource(name) !== 'cli' ? undefined : v);
      await initBackend();
      const r = await trainEvaluator({
        dataRoot: o.data,
        testDataRoot: o.testData,
        outDir: o.out,
        steps: typed('steps', o.steps),
        batchSize: typed('batch', o.batch),
        lr: typed('lr', o.lr),
        maxMinutes: o.maxMinutes,
        width: o.width,
        trainLimit: o.trainLimit,
        testLimit: typed('testLimit', o.testLimit),
        seed: typed('seed', o.seed),
        init: o.init,
        augment: typed('augment', o.augment),
        segWeight: typed('segWeight', o.segWeight),
        checkpointEvery: o.checkpointEvery,
        resume: o.resume,
      });
      process.stdout.write(JSON.stringify({ steps: r.steps, seconds: r.seconds, firstLoss: r.firstLoss, lastLoss: r.lastLoss, ceiling: r.ceiling }) + '\n');
    });
}

/** Evaluates the run's checkpoints whose steps are not yet in the curve file, oldest first, appending a line each. */
async function curvePass(o: { run: string; data: string; evaluator: string; out: string; n: number; seed: number }, evr: Awaited<ReturnType<typeof loadEvaluator>>): Promise<void> {
  const done = new Set<number>();
  if (fs.existsSync(o.out)) {
    fs.readFileSync(o.out, 'utf8').split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      try {
        done.add((JSON.parse(l) as { step: number }).step);
      } catch {
        throw new GawwnError(`line ${i + 1} is not JSON`, { file: o.out });
      }
    });
  }
  for (const c of await listCheckpoints(o.run)) {
    if (done.has(c.step)) continue;
    let gen;
    try {
      gen = await loadGenerator(o.run, { checkpoint: c.dir });
    } catch (e) {
      if (!fs.existsSync(c.dir)) continue; // pruned by the training run meanwhile
      throw e;
    }
    try {
      const r = await evaluateGenerator(gen, embedderFor(gen), evr, { dataRoot: o.data, n: o.n, seed: o.seed, diversityConditions: 5, modelName: o.run, evaluatorName: o.evaluator });
      const v = (k: keyof EvalResult['generated']): number | null => {
        const e = r.generated[k] as { value: number } | null | undefined;
        return e ? Number(e.value.toPrecision(4)) : null;
      };
      const line = { step: c.step, n: r.n, seed: o.seed, boxIou: v('boxIou'), pck: v('pck'), attributeAccuracy: v('attributeAccuracy'), evaluatorFrechetDistance: v('evaluatorFrechetDistance'), diversity: v('diversity'), zPixelStd: v('zPixelStd'), captionPixelStd: v('captionPixelStd') };
      fs.appendFileSync(o.out, JSON.stringify(line) + '\n');
      process.stderr.write(`gawwn: step ${c.step}: IoU ${line.boxIou} attributes ${line.attributeAccuracy} FD ${line.evaluatorFrechetDistance} z/caption std ${line.zPixelStd}/${line.captionPixelStd}\n`);
    } finally {
      gen.dispose();
    }
  }
}
