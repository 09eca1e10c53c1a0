/**
 * `gawwn publish --run RUN --name NAME [--text-encoder pretrained:NAME] [--dtype float16|float32] [--into DIR]`
 * (issue 5 item 6): copies a finished run into the shipped-models folder `data/pretrained/NAME/` — the generator
 * weights of a GAN run (float16 by default, to keep the shipped total ≤ 60 MB) or the files of a text-encoder run —
 * with its training log, so experiments can plot the loss curves of the model they show. The text encoder a GAN
 * run recorded (an absolute run path on the training machine) is replaced by `--text-encoder`, normally the
 * shipped `pretrained:NAME` it was published as. Everything is written to a temporary folder and renamed, so an
 * interrupted publish leaves the previous model in place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { exportWeights } from '../training/checkpoint.js';
import { loadGenerator, pretrainedDir } from '../sampling/load.js';
import { MANIFEST_NAME, WEIGHTS_NAME } from '../text/run-io.js';
import { initBackend } from '../util/backend.js';
import { GawwnError } from '../util/errors.js';

/** What a publish wrote. */
export interface PublishResult {
  name: string;
  dir: string;
  kind: 'text-encoder' | 'generator';
  bytes: number;
  steps: number;
}

function folderBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
}

/** Replaces `dest` by the folder `tmp` (the old one is removed only after the new one is complete). */
function swapIn(tmp: string, dest: string): void {
  const old = `${dest}.old-${process.pid}`;
  if (fs.existsSync(dest)) fs.renameSync(dest, old);
  fs.renameSync(tmp, dest);
  fs.rmSync(old, { recursive: true, force: true });
}

/** Publishes a run folder as `into/name` (see the file header). */
export async function publishRun(run: string, name: string, opts: { textEncoder?: string; dtype?: 'float16' | 'float32'; into?: string } = {}): Promise<PublishResult> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new GawwnError(`model name must be lower-case letters, digits and '-', got '${name}'`);
  if (!fs.existsSync(run) || !fs.statSync(run).isDirectory()) throw new GawwnError('no such run folder', { file: run });
  const into = opts.into ?? pretrainedDir();
  fs.mkdirSync(into, { recursive: true });
  const dest = path.join(into, name);
  const tmp = path.join(into, `.${name}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    if (fs.existsSync(path.join(run, MANIFEST_NAME))) {
      // A text-encoder run: its manifest, weights and loss log (not its embedding cache: it is rebuilt on use).
      fs.mkdirSync(tmp);
      for (const f of [MANIFEST_NAME, WEIGHTS_NAME, 'loss.jsonl']) {
        if (fs.existsSync(path.join(run, f))) fs.copyFileSync(path.join(run, f), path.join(tmp, f));
      }
      const step = (JSON.parse(fs.readFileSync(path.join(tmp, MANIFEST_NAME), 'utf8')) as { step?: number }).step ?? 0;
      swapIn(tmp, dest);
      return { name, dir: dest, kind: 'text-encoder', bytes: folderBytes(dest), steps: step };
    }
    await initBackend({ report: null });
    const gen = await loadGenerator(run);
    try {
      const src = path.join(run, 'final', 'manifest.json');
      const meta = fs.existsSync(src) ? ((JSON.parse(fs.readFileSync(src, 'utf8')) as { meta?: Record<string, unknown> }).meta ?? {}) : {};
      await exportWeights({ G: gen.G }, tmp, {
        dtype: opts.dtype ?? 'float16',
        meta: {
          ...meta,
          family: gen.family, preset: gen.preset, config: gen.config, steps: gen.steps, partNames: gen.partNames,
          textEncoder: opts.textEncoder ?? gen.textEncoder,
        },
      });
    } finally {
      gen.dispose();
    }
    const steps = gen.steps;
    if (fs.existsSync(path.join(run, 'config.json'))) fs.copyFileSync(path.join(run, 'config.json'), path.join(tmp, 'config.json'));
    // The log up to the published step: a run stopped after its last checkpoint logged steps these weights never saw.
    const log = path.join(run, 'log.jsonl');
    if (fs.existsSync(log)) {
      const lines = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '' && (JSON.parse(l) as { step: number }).step <= steps);
      fs.writeFileSync(path.join(tmp, 'log.jsonl'), lines.map((l) => l + '\n').join(''));
    }
    swapIn(tmp, dest);
    return { name, dir: dest, kind: 'generator', bytes: folderBytes(dest), steps };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export function register(program: Command): void {
  program
    .command('publish')
    .description('copy a finished run into the shipped models (data/pretrained/NAME)')
    .requiredOption('--run <dir>', 'a GAN run (its final/ weights, else its last checkpoint) or a text-encoder run')
    .requiredOption('--name <name>', 'shipped name, e.g. birds-keypoint (then loadable as pretrained:NAME)')
    .option('--text-encoder <spec>', "text encoder recorded with a GAN model, e.g. 'pretrained:text-birds'")
    .addOption(new Option('--dtype <type>', 'storage type of the generator weights').choices(['float16', 'float32']).default('float16'))
    .option('--into <dir>', 'shipped-models folder (default: the package data/pretrained)')
    .action(async (o: { run: string; name: string; textEncoder?: string; dtype: 'float16' | 'float32'; into?: string }) => {
      const r = await publishRun(o.run, o.name, { textEncoder: o.textEncoder, dtype: o.dtype, into: o.into });
      process.stdout.write(`${r.dir}: ${r.kind}, ${r.steps} steps, ${(r.bytes / 1e6).toFixed(2)} MB\n`);
    });
}
