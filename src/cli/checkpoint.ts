/**
 * `gawwn checkpoint --run RUN [--step N]`: lists a run's checkpoints with their status (verified: sizes,
 * SHA-256, manifest) and the one `--resume` would continue from; with `--step`, verifies that one and fails
 * with its first problem. For checking a run after a crash or a copy.
 */
import type { Command } from 'commander';
import { GawwnError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('checkpoint')
    .description('verify the checkpoints of a training run and show which one --resume would use')
    .requiredOption('--run <dir>', 'run directory (the --out of gawwn train)')
    .option('--step <n>', 'verify only this step; fail on its first problem')
    .action(async (opts: { run: string; step?: string }) => {
      // Loaded lazily: it pulls in tfjs, which `gawwn --help` does not need.
      const ck = await import('../training/checkpoint.js');
      if (opts.step !== undefined) {
        if (!/^\d+$/.test(opts.step)) throw new GawwnError(`--step must be an integer >= 0, got '${opts.step}'`);
        const dir = `${ck.checkpointsDir(opts.run)}/${ck.stepDirName(Number(opts.step))}`;
        const c = await ck.loadCheckpoint(dir);
        process.stdout.write(`${dir}: ok, ${describe(c.manifest)}\n`);
        return;
      }
      const all = await ck.listCheckpoints(opts.run);
      if (all.length === 0) throw new GawwnError(`no checkpoints in ${ck.checkpointsDir(opts.run)}`);
      for (const { dir } of all) {
        try {
          const c = await ck.loadCheckpoint(dir);
          process.stdout.write(`${dir}  ok       ${describe(c.manifest)}\n`);
        } catch (e) {
          if (!(e instanceof GawwnError)) throw e;
          process.stdout.write(`${dir}  CORRUPT  ${e.message}\n`);
        }
      }
      const latest = await ck.loadLatest(opts.run, undefined, { warn: () => undefined });
      if (latest !== null) process.stdout.write(`--resume continues from ${latest.dir} (step ${latest.step})\n`);
    });
}

function describe(m: { modelFamily: string; preset: string; step: number; epoch: number; tensors: unknown[]; files: { bytes: number }[] }): string {
  const bytes = m.files.reduce((s, f) => s + f.bytes, 0);
  return `model ${m.modelFamily} preset ${m.preset}, step ${m.step}, epoch ${m.epoch}, ${m.tensors.length} tensors, ${(bytes / 1e6).toFixed(2)} MB`;
}
