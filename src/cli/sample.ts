/**
 * `gawwn sample --run RUN|pretrained:NAME --caption "…" [--box x,y,w,h] [--keypoints "beak:x,y;tail:x,y"]
 *  [--keypoint-gen RUN|pretrained:NAME] [--n N] [--seed S] --out FILE.png [--json] [--condition FILE.json]`
 *. `--condition` replays a condition JSON (what `--json` prints, or what the `gawwn draw` page
 * saves): run, caption, n, seed, box and the given parts; options given explicitly override it.
 * Coordinates are normalised to [0,1] (x right, y down, box = top-left + size). Missing keypoints are completed
 * by the keypoint generator (visibility > 0.5 drawn); the images are written side by side.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import type { Box } from '../layers/geometry.js';
import { imageGrid } from '../render/render.js';
import { Pipeline } from '../sampling/pipeline.js';
import { givenParts, makeCondition, readCondition, type Condition } from '../draw/condition.js';
import { writeOutputFile } from '../util/safe-open.js';
import { checkCaptionArg, intArg, seedArg } from './arg-parsers.js';
import { strictNumber } from '../util/strict-number.js';
import { GawwnError } from '../util/errors.js';
import { initBackend } from '../backend/select.js';

/** Parses `x,y,w,h` (normalised). */
export function parseBox(s: string): Box {
  // strictNumber: Number('') is 0, so ',,0.5,0.5' would have been a box at the corner.
  const v = s.split(',').map((x) => strictNumber(x) ?? NaN);
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) throw new GawwnError(`--box expects x,y,w,h (four numbers in [0,1]), got '${s}'`);
  const [x, y, w, h] = v;
  if (w <= 0 || h <= 0) throw new GawwnError(`--box width and height must be positive, got '${s}'`);
  if (x < 0 || y < 0 || x + w > 1 + 1e-6 || y + h > 1 + 1e-6) throw new GawwnError(`--box must lie inside the image [0,1]², got '${s}'`);
  return { x, y, w, h };
}

/** Parses `beak:x,y;tail:x,y` against the dataset's part names (case-insensitive; '_' or '-' = space). */
export function parseKeypoints(s: string, partNames: readonly string[]): Map<number, { x: number; y: number }> {
  const norm = (n: string): string => n.trim().toLowerCase().replace(/[_-]+/g, ' ');
  const names = partNames.map(norm);
  const out = new Map<number, { x: number; y: number }>();
  for (const item of s.split(';').map((x) => x.trim()).filter((x) => x !== '')) {
    const m = /^([^:]+):\s*([^,]+),\s*(.+)$/.exec(item);
    if (!m) throw new GawwnError(`--keypoints expects 'name:x,y;name:x,y', got '${item}'`);
    const k = names.indexOf(norm(m[1]));
    if (k < 0) throw new GawwnError(`unknown part '${m[1].trim()}' (parts: ${partNames.join(', ')})`);
    // A part given twice is a typo in one of them; the draw server refuses it too (condition.ts).
    if (out.has(k)) throw new GawwnError(`part '${partNames[k]}' given twice in --keypoints`);
    const x = strictNumber(m[2]) ?? NaN;
    const y = strictNumber(m[3]) ?? NaN;
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || x > 1 || y < 0 || y > 1) throw new GawwnError(`keypoint '${m[1].trim()}' must be two numbers in [0,1], got '${m[2]},${m[3]}'`);
    out.set(k, { x, y });
  }
  return out;
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
    .option('--n <n>', 'number of images (default 1)', intArg('--n', 1, 64))
    .option('--seed <s>', 'noise seed, 0..4294967295 (default 0)', seedArg())
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
      if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 2 ** 32 - 1) throw new GawwnError(`--seed must be an integer in 0..4294967295, got ${o.seed}`);
      // The rules training applies to its captions: an empty or over-long one is refused, not drawn from.
      checkCaptionArg(o.caption);
      if (path.extname(o.out).toLowerCase() !== '.png') throw new GawwnError(`--out must be a .png file, got '${o.out}'`);
      const box = o.box !== undefined ? parseBox(o.box) : cond?.box;
      await initBackend({ report: null });
      const p = await Pipeline.load(o.run, { keypointGen: o.keypointGen });
      try {
        const gen = p.generator;
        if (gen.family === 'bbox' && !box) throw new GawwnError('the box model needs --box x,y,w,h');
        if (gen.family !== 'bbox' && box) throw new GawwnError(`--box is for box models; ${o.run} is a ${gen.family} model`);
        if (gen.family !== 'keypoint' && o.keypoints !== undefined) throw new GawwnError(`--keypoints is for keypoint models; ${o.run} is a ${gen.family} model`);
        const keypoints = o.keypoints !== undefined ? parseKeypoints(o.keypoints, gen.partNames) : cond?.keypoints ? givenParts(cond, gen.partNames) : undefined;
        if (gen.family === 'keypoint' && (keypoints === undefined || keypoints.size === 0) && !p.completer) {
          throw new GawwnError('the keypoint model needs --keypoints (or a keypoint generator to complete them)');
        }
        const r = await p.sample({ caption: o.caption, n: o.n, seed: o.seed, box, keypoints });
        const png = await imageGrid(r.images, { cols: o.n, gap: 0 });
        await writeOutputFile(o.out, png);
        if (o.json) process.stdout.write(JSON.stringify(makeCondition({ ...r.condition, out: o.out })) + '\n');
      } finally {
        p.dispose();
      }
    });
}
