/**
 * `gawwn sample --run RUN|pretrained:NAME --caption "…" [--box x,y,w,h] [--keypoints "beak:x,y;tail:x,y"]
 *  [--keypoint-gen RUN|pretrained:NAME] [--n N] [--seed S] --out FILE.png [--json] [--condition FILE.json]`
 * (issue 5 item 2). `--condition` replays a condition JSON (what `--json` prints, or what the `gawwn draw` page
 * saves, issue 10): run, caption, n, seed, box and the given parts; options given explicitly override it.
 * Coordinates are normalised to [0,1] (x right, y down, box = top-left + size). Missing keypoints are completed
 * by the keypoint generator (visibility > 0.5 drawn); the images are written side by side.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { imageGrid } from '../render/render.js';
import { loadGenerator, resolveModelSpec, type LoadedGenerator } from '../sampling/load.js';
import { parseBox, parseKeypoints, sampleImages, type Embedder } from '../sampling/sample.js';
import { embedCaptions } from '../text/cache.js';
import { givenParts, makeCondition, readCondition, type Condition } from '../draw/condition.js';
import { resolveIn } from '../experiments/common.js';
import { resolveTextEncoderSpec } from '../text/pretrained.js';
import { writeFileAtomic } from '../util/atomic.js';
import { GawwnError } from '../util/errors.js';
import { initBackend } from '../backend/select.js';

/** The embedder of a generator's text encoder (a `pretrained:NAME` it records is looked up in `modelsDir` when given). */
export function embedderFor(gen: LoadedGenerator, modelsDir?: string): Embedder {
  if (gen.textEncoder === '') throw new GawwnError(`model ${gen.source} does not record its text encoder`);
  const enc = resolveTextEncoderSpec(resolveIn(gen.textEncoder, modelsDir));
  return async (captions) => {
    const { dim, embeddings } = await embedCaptions(enc, captions);
    return captions.map((_, i) => embeddings.slice(i * dim, (i + 1) * dim));
  };
}

/**
 * The keypoint generator that goes with a shipped keypoint model: birds-keypoint → birds-keypoint-gen (looked up
 * in `modelsDir` when given).
 */
export function defaultCompleter(spec: string, modelsDir?: string): string | undefined {
  if (!spec.startsWith('pretrained:') || !spec.endsWith('-keypoint')) return undefined;
  const gk = `${spec}-gen`;
  try {
    resolveModelSpec(resolveIn(gk, modelsDir));
    return gk;
  } catch {
    return undefined;
  }
}

export function register(program: Command): void {
  program
    .command('sample')
    .description('draw images from a caption and a box or keypoints')
    .option('--run <run>', 'run folder or pretrained:NAME (required unless --condition gives it)')
    .option('--caption <text>', 'the description (required unless --condition gives it)')
    .requiredOption('--out <file.png>', 'output PNG (the n images side by side)')
    .option('--box <x,y,w,h>', 'box (normalised; box model)')
    .option('--keypoints <spec>', "given parts, e.g. 'beak:0.2,0.3;tail:0.8,0.7' (keypoint model)")
    .option('--keypoint-gen <run>', 'keypoint generator completing missing parts (default: the shipped one that goes with --run)')
    .option('--n <n>', 'number of images (default 1)', (v) => Number(v))
    .option('--seed <s>', 'noise seed (default 0)', (v) => Number(v))
    .option('--json', 'also print the condition (box, keypoints used) as JSON')
    .option('--condition <file.json>', 'replay a condition JSON (from --json or the gawwn draw page)')
    .action(async (opts: { run?: string; caption?: string; out: string; box?: string; keypoints?: string; keypointGen?: string; n?: number; seed?: number; json?: boolean; condition?: string }) => {
      const cond: Condition | undefined = opts.condition !== undefined ? readCondition(opts.condition) : undefined;
      const run = opts.run ?? cond?.run;
      const caption = opts.caption ?? cond?.caption;
      if (run === undefined) throw new GawwnError("required option '--run <run>' not specified (nor given by --condition)");
      if (caption === undefined) throw new GawwnError("required option '--caption <text>' not specified (nor given by --condition)");
      const o = {
        ...opts, run, caption,
        n: opts.n ?? cond?.n ?? 1,
        seed: opts.seed ?? cond?.seed ?? 0,
        keypointGen: opts.keypointGen ?? cond?.keypointGen,
      };
      if (!Number.isInteger(o.n) || o.n < 1 || o.n > 64) throw new GawwnError(`--n must be an integer in 1..64, got ${o.n}`);
      if (!Number.isInteger(o.seed)) throw new GawwnError(`--seed must be an integer`);
      if (path.extname(o.out).toLowerCase() !== '.png') throw new GawwnError(`--out must be a .png file, got '${o.out}'`);
      const box = o.box !== undefined ? parseBox(o.box) : cond?.box;
      await initBackend({ report: null });
      const gen = await loadGenerator(o.run);
      const completerSpec = o.keypointGen ?? (gen.family === 'keypoint' ? defaultCompleter(o.run) : undefined);
      const completer = completerSpec ? await loadGenerator(completerSpec) : undefined;
      try {
        if (gen.family === 'bbox' && !box) throw new GawwnError('the box model needs --box x,y,w,h');
        if (gen.family !== 'bbox' && box) throw new GawwnError(`--box is for box models; ${o.run} is a ${gen.family} model`);
        if (gen.family !== 'keypoint' && o.keypoints !== undefined) throw new GawwnError(`--keypoints is for keypoint models; ${o.run} is a ${gen.family} model`);
        const keypoints = o.keypoints !== undefined ? parseKeypoints(o.keypoints, gen.partNames) : cond?.keypoints ? givenParts(cond, gen.partNames) : undefined;
        const r = await sampleImages(gen, embedderFor(gen), { captions: [o.caption], n: o.n, seed: o.seed, box, keypoints }, completer);
        const png = await imageGrid(r.images, { cols: o.n, gap: 0 });
        fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
        await writeFileAtomic(o.out, png);
        if (o.json) {
          const out = makeCondition({
            run: o.run, family: gen.family, caption: o.caption, n: o.n, seed: o.seed, size: r.images[0].width, box: r.box,
            keypoints: r.keypoints, keypointGen: completer && gen.family === 'keypoint' ? completerSpec : undefined, out: o.out,
          });
          process.stdout.write(JSON.stringify(out) + '\n');
        }
      } finally {
        gen.dispose();
        completer?.dispose();
      }
    });
}
