/**
 * `gawwn publish --run RUN --name NAME [--text-encoder pretrained:NAME] [--dtype float16|float32] [--into DIR]`
 *: copies a finished run into the shipped-models folder `data/pretrained/NAME/` — the generator
 * weights of a GAN run (float16 by default, to keep the shipped total ≤ 60 MB) or the files of a text-encoder run —
 * with its training log, so experiments can plot the loss curves of the model they show. The text encoder a GAN
 * run recorded (an absolute run path on the training machine) is replaced by `--text-encoder`, normally the
 * shipped `pretrained:NAME` it was published as. The folder is written with `writeDirAtomic`, so an interrupted
 * publish leaves the previous model in place.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { exportWeights, loadLatest } from '../training/checkpoint.js';
import { logUpToStep } from '../training/loop.js';
import { loadGenerator, pretrainedDir } from '../sampling/load.js';
import { MANIFEST_NAME, WEIGHTS_NAME } from '../text/run-io.js';
import { writeDirAtomic } from '../util/atomic.js';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';
import { lockFile } from '../util/run-lock.js';

/** What a publish wrote. */
export interface PublishResult {
  name: string;
  dir: string;
  kind: 'text-encoder' | 'generator';
  bytes: number;
  steps: number;
}

/** Publishes a run folder as `into/name` (see the file header). */
export async function publishRun(run: string, name: string, opts: { textEncoder?: string; dtype?: 'float16' | 'float32'; into?: string } = {}): Promise<PublishResult> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new GawwnError(`model name must be lower-case letters, digits and '-', got '${name}'`);
  if (!fs.existsSync(run) || !fs.statSync(run).isDirectory()) throw new GawwnError('no such run folder', { file: run });
  const dest = path.join(opts.into ?? pretrainedDir(), name);
  // The folder is replaced as a whole (writeDirAtomic), so its lock lives beside it; two publishes of one name
  // would otherwise race to rename their folders into place.
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const lock = lockFile(path.join(path.dirname(dest), `.${name}.lock`), `gawwn publish --name ${name}`, dest);
  try {
    return await publishLocked(run, name, dest, opts);
  } finally {
    lock.release();
  }
}

async function publishLocked(run: string, name: string, dest: string, opts: { textEncoder?: string; dtype?: 'float16' | 'float32' }): Promise<PublishResult> {
  const files: Record<string, Uint8Array> = {};
  const copy = (f: string): void => {
    if (fs.existsSync(path.join(run, f))) files[f] = fs.readFileSync(path.join(run, f));
  };
  let kind: PublishResult['kind'];
  let steps: number;
  if (fs.existsSync(path.join(run, MANIFEST_NAME))) {
    // A text-encoder run: its manifest, weights and loss log (not its embedding cache: it is rebuilt on use).
    kind = 'text-encoder';
    for (const f of [MANIFEST_NAME, WEIGHTS_NAME, 'loss.jsonl']) copy(f);
    steps = (JSON.parse(Buffer.from(files[MANIFEST_NAME]).toString('utf8')) as { step?: number }).step ?? 0;
    // The loss log up to the weights' step (a run still training has logged steps past its last save).
    if (files['loss.jsonl']) files['loss.jsonl'] = Buffer.from(logUpToStep(Buffer.from(files['loss.jsonl']).toString('utf8'), steps));
  } else {
    kind = 'generator';
    await initBackend({ report: null });
    const gen = await loadGenerator(run);
    steps = gen.steps;
    // exportWeights writes a folder; it is exported to a scratch folder and read back, so the published folder is
    // written by one writeDirAtomic together with the log and config.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-publish-'));
    try {
      const src = path.join(run, 'final', 'manifest.json');
      const meta = fs.existsSync(src) ? ((JSON.parse(fs.readFileSync(src, 'utf8')) as { meta?: Record<string, unknown> }).meta ?? {}) : {};
      const out = path.join(scratch, 'weights');
      // D is shipped beside the (averaged) G, so `train --init pretrained:NAME` continues both in a later sitting.
      const ck = fs.existsSync(path.join(run, 'checkpoints')) ? await loadLatest(run) : null;
      await exportWeights({ G: gen.G, ...(ck?.groups.D ? { D: ck.groups.D } : {}) }, out, {
        dtype: opts.dtype ?? 'float16',
        meta: {
          ...meta,
          family: gen.family, preset: gen.preset, config: gen.config, steps: gen.steps, partNames: gen.partNames,
          textEncoder: opts.textEncoder ?? gen.textEncoder,
          // Said whether G came from final/ or from a checkpoint's averaged group (sampling/load.ts reads it back).
          averaged: gen.averaged === true,
        },
      });
      for (const f of fs.readdirSync(out)) files[f] = fs.readFileSync(path.join(out, f));
    } finally {
      gen.dispose();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    copy('config.json');
    // The validation curve (gawwn eval curve) up to the published step, so notebooks plot how the model got here.
    const curve = path.join(run, 'curve.jsonl');
    if (fs.existsSync(curve)) files['curve.jsonl'] = Buffer.from(logUpToStep(fs.readFileSync(curve, 'utf8'), steps));
    // The log up to the published step: a run stopped after its last checkpoint logged steps these weights never saw.
    const log = path.join(run, 'log.jsonl');
    if (fs.existsSync(log)) files['log.jsonl'] = Buffer.from(logUpToStep(fs.readFileSync(log, 'utf8'), steps));
  }
  await writeDirAtomic(dest, files);
  return { name, dir: dest, kind, bytes: Object.values(files).reduce((a, b) => a + b.length, 0), steps };
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
