/**
 * `gawwn bench --model bbox|keypoint|keypoint-gen --preset small|paper|tiny --batch 16 [--steps N] [--json]`:
 * N timed training steps and a sampling pass on random inputs (bench/training.ts), one JSON line with --json.
 */
import { Command, Option } from 'commander';
import { PRESET_NAMES } from '../config/presets.js';
import type { ModelFamily, PresetName } from '../config/types.js';
import { runBench } from '../bench/training.js';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('bench')
    .description('time training steps and a sampling pass on random inputs')
    .addOption(new Option('--model <family>', 'model family').choices(['bbox', 'keypoint', 'keypoint-gen']).default('keypoint'))
    .addOption(new Option('--preset <name>', 'config preset').choices([...PRESET_NAMES]).default('small'))
    .option('--batch <n>', 'batch size', '16')
    .option('--steps <n>', 'timed steps (after 1 warm-up step)', '3')
    .option('--seed <n>', 'random seed', '0')
    .option('--json', 'print one JSON line')
    .option('--profile', 'also profile one step: the ten slowest kernels and their share')
    .action(async (o: { model: ModelFamily; preset: PresetName; batch: string; steps: string; seed: string; json?: boolean; profile?: boolean }) => {
      const info = await initBackend();
      const r = await runBench({ model: o.model, preset: o.preset, batch: toInt(o.batch, '--batch'), steps: toInt(o.steps, '--steps'), seed: toInt(o.seed, '--seed'), backend: info.name, profile: o.profile });
      if (o.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
      } else {
        process.stdout.write(
          `${r.model} (${r.preset}, batch ${r.batch}) on ${r.backend}: ${r.step_s} s/step, ${r.gflop_per_step} GFLOP/step, ` +
            `${r.gflops} GFLOP/s, sampling ${r.sample_images_per_s} images/s, tensor delta ${r.tensor_delta}\n`,
        );
        for (const k of r.profile ?? []) {
          process.stdout.write(`  ${k.kernel.padEnd(24)} ${String(k.ms).padStart(9)} ms  ${String(k.calls).padStart(5)} calls  ${(100 * k.share).toFixed(1).padStart(5)}%\n`);
        }
      }
    });
}

function toInt(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new GawwnError(`${flag} must be a non-negative integer, got '${s}'`);
  return n;
}
