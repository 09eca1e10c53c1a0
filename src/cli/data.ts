/**
 * `gawwn data ...`: inspect a dataset root, write the synthetic datasets, draw an annotation grid, rebuild
 * the real-layout fixtures.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { annotationGrid } from '../data/annotation-grid.js';
import { buildFixtures } from '../data/fixtures.js';
import { inspectRoot, loadDataset } from '../data/inspect.js';
import { synthBirds } from '../data/synth-birds.js';
import { synthPeople } from '../data/synth-people.js';
import { Rng } from '../util/rng.js';
import { writeOutputFileSync } from '../util/safe-open.js';
import { intArg, seedArg } from './arg-parsers.js';

function progress(label: string): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const pct = Math.floor((100 * done) / total / 10) * 10;
    if (pct !== last && process.stderr.isTTY) process.stderr.write(`\r${label}: ${done}/${total}`);
    if (done === total && process.stderr.isTTY) process.stderr.write('\n');
    last = pct;
  };
}

function report(r: { out: string; images: number; seconds: number; imagesPerSecond: number }): void {
  process.stdout.write(`wrote ${r.images} images to ${r.out} in ${r.seconds.toFixed(1)} s (${r.imagesPerSecond.toFixed(1)} images/s)\n`);
}

export function register(program: Command): void {
  const data = program.command('data').description('datasets: inspect roots, write synthetic sets');

  data
    .command('inspect <dir>')
    .description('summarise a CUB-200-2011 or MPII root')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, o: { json?: boolean }) => {
      const s = await inspectRoot(dir);
      if (o.json) process.stdout.write(JSON.stringify(s) + '\n');
      else {
        process.stdout.write(
          `${s.format} root ${s.root}\n  images ${s.images} (train ${s.train}, test ${s.test}), ${s.imagesOnDisk} on disk, ${s.withCaptions} with captions\n` +
            `  classes ${s.classes}, parts ${s.parts.length}: ${s.parts.join(', ')}\n`,
        );
      }
    });

  const synthOpts = (c: Command): Command =>
    c
      .requiredOption('--out <dir>', 'output root (must not exist or be empty)')
      .requiredOption('--images <n>', 'number of images', Number)
      .option('--seed <s>', 'random seed', Number, 0)
      .option('--min-size <px>', 'smallest image side', Number, 200)
      .option('--max-size <px>', 'largest image side', Number, 500);

  synthOpts(data.command('synth-birds').description('write synthetic birds as a CUB-200-2011 root with text_c10 captions'))
    .option('--classes <n>', 'number of colour classes (default min(200, images/30))', Number)
    .option('--class-seed <s>', 'seed of the class colours (default --seed): same classes as another root, new images', Number)
    .option('--test-classes <k>', 'hold out the last k classes entirely (all their images in the test split): unseen colour combinations', Number)
    .action(async (o: { out: string; images: number; seed: number; minSize: number; maxSize: number; classes?: number; classSeed?: number }) => {
      report(await synthBirds({ ...o, onProgress: progress('synth-birds') }));
    });

  synthOpts(data.command('synth-people').description('write synthetic people as an MPII root with captions.tsv')).action(
    async (o: { out: string; images: number; seed: number; minSize: number; maxSize: number }) => {
      report(await synthPeople({ ...o, onProgress: progress('synth-people') }));
    },
  );

  data
    .command('grid <dir>')
    .description('draw a PNG grid of images with boxes and keypoints')
    .requiredOption('--out <png>', 'output PNG')
    .option('--n <n>', 'number of images (random, seeded)', intArg('--n', 1, 100_000), 12)
    .option('--cols <n>', 'columns', intArg('--cols', 1, 1000), 6)
    .option('--tile <px>', 'cell size in pixels, 16..2048', intArg('--tile', 16, 2048), 160)
    .option('--seed <s>', 'seed for the choice', seedArg(), 0)
    .action(async (dir: string, o: { out: string; n: number; cols: number; tile: number; seed: number }) => {
      const d = await loadDataset(dir);
      const present = (d.records as { width: number }[]).map((r, i) => (r.width > 0 ? i : -1)).filter((i) => i >= 0);
      const pick = new Rng(o.seed).shuffle(present).slice(0, o.n).sort((a, b) => a - b);
      writeOutputFileSync(o.out, await annotationGrid(pick.map((i) => d.records[i]), { cols: o.cols, tile: o.tile }));
      process.stdout.write(`wrote ${o.out} (${pick.length} images)\n`);
    });

  data
    .command('make-fixtures')
    .description('rebuild data/fixtures from the real CUB and MPII annotations')
    .requiredOption('--cub <dir>', 'CUB-200-2011 root')
    .requiredOption('--mpii <dir>', 'MPII root (mpii_dataset.csv)')
    .option('--out <dir>', 'output folder (default data/fixtures)')
    .action(async (o: { cub: string; mpii: string; out?: string }) => {
      if (o.out) fs.mkdirSync(o.out, { recursive: true });
      const r = await buildFixtures(o.cub, o.mpii, { outDir: o.out });
      process.stdout.write(`fixtures: ${r.cub} CUB layouts, ${r.boxScale} CUB box sizes, ${r.mpii} MPII poses\n`);
    });
}
