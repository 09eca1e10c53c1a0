/**
 * `gawwn draw-bench [--run RUN|pretrained:NAME …] [--keypoint-gen RUN] [--draws 20] [--n 4] [--screenshot FILE.png]
 * [--json]`: the drag-to-image latency of the `gawwn draw` page, measured in headless Chromium
 * (src/bench/draw.ts). Serves the same models as `gawwn draw` (default: the shipped box/keypoint models) on
 * 127.0.0.1 and prints {model, draws, median_ms, p90_ms, min_ms} per model.
 */
import { Command } from 'commander';
import { benchDraw, findChromium } from '../bench/draw.js';
import { startDrawServer } from '../draw/server.js';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';
import { defaultDrawRuns } from './draw.js';

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new GawwnError(`${what} must be a positive integer, got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('draw-bench')
    .description('drag-to-image latency of the gawwn draw page, in headless Chromium (Debian package chromium)')
    .option('--run <run>', 'model: run folder or pretrained:NAME (repeatable; default: the shipped box/keypoint models)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--keypoint-gen <run>', 'keypoint generator completing missing parts (default: the shipped one that goes with each keypoint model)')
    .option('--draws <n>', 'measured drags per model (after one warm-up drag)', '20')
    .option('--n <n>', 'images per draw (1, 2, 4 or 8)', '4')
    .option('--caption <text>', 'caption typed into the page', 'a bird with a purple crown, blue wings and a white belly')
    .option('--screenshot <file.png>', 'write a PNG of the page after the last draw')
    .option('--json', 'print one JSON line per model')
    .action(async (o: { run: string[]; keypointGen?: string; draws: string; n: string; caption: string; screenshot?: string; json?: boolean }) => {
      const draws = positiveInt(o.draws, '--draws');
      const n = positiveInt(o.n, '--n');
      if (![1, 2, 4, 8].includes(n)) throw new GawwnError(`--n must be 1, 2, 4 or 8 (the page's sample counts), got ${n}`);
      const chromium = findChromium(); // fail before loading models
      const runs = o.run.length > 0 ? o.run : defaultDrawRuns();
      if (runs.length === 0) throw new GawwnError('no shipped box/keypoint models found in data/pretrained: pass --run RUN');
      const backend = await initBackend({ report: null });
      const server = await startDrawServer({ runs, keypointGen: o.keypointGen, port: 0 });
      try {
        const results = await benchDraw(server, { draws, n, caption: o.caption, screenshot: o.screenshot, chromium });
        for (const r of results) {
          process.stdout.write(o.json
            ? JSON.stringify({ ...r, backend: backend.name }) + '\n'
            : `${r.model} (${r.family}, ${r.n} images/draw, ${backend.name}): drag→image median ${r.median_ms} ms, p90 ${r.p90_ms} ms, min ${r.min_ms} ms over ${r.draws} draws\n`);
        }
        if (o.screenshot !== undefined && !o.json) process.stdout.write(`screenshot: ${o.screenshot}\n`);
      } finally {
        await server.close();
      }
    });
}
