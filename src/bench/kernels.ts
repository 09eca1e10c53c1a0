/**
 * Times the DCGAN-shaped training workload (bench-workload.ts) on the wasm backend with a chosen set of our
 * kernels, and profiles one step: how the numbers in the kernels report were produced.
 *
 *   node dist/src/bench/kernels.js [--mode fast|subpixel|phases|native|baseline] [--size 128]
 *        [--batch 16] [--ngf 32] [--steps 3] [--threads 1]
 *
 * --mode baseline: only the missing Conv2DBackpropFilter registered (as the dilated conv), everything else
 * the wasm backend's own kernels: the state before the rest of wasm-kernels.ts.
 * Prints one JSON line, then the profile table.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { buildDcganWorkload } from './workload.js';
import { formatKernelProfile, profileKernels } from './profile.js';
import { registerWasmTrainingKernels, TransposedConvMode } from '../backend/wasm-kernels.js';

export interface KernelBenchOptions {
  mode: TransposedConvMode | 'baseline';
  size: number;
  batch: number;
  ngf: number;
  steps: number;
  threads: number;
}

export interface KernelBenchResult {
  backend: string;
  mode: string;
  threads: number;
  size: number;
  batch: number;
  ngf: number;
  step_s: number[];
  median_s: number;
  gflop_per_step: number;
  gflops: number;
  tensor_delta: number;
  profile: string;
}

/** Runs the benchmark; call in a fresh process (the backend and its kernels are process-global). */
export async function benchKernels(o: KernelBenchOptions): Promise<KernelBenchResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  captureNativeKernels(['Tile', 'BatchMatMul', '_FusedMatMul']);
  const info = await initBackend({ force: 'wasm', report: null, wasmThreads: o.threads });
  if (o.mode === 'baseline') {
    registerWasmTrainingKernels({ transposedConv: 'native' });
    restoreNativeKernels(['Tile', 'BatchMatMul', '_FusedMatMul']);
  } else {
    registerWasmTrainingKernels({ transposedConv: o.mode });
  }
  const w = buildDcganWorkload({ size: o.size, batch: o.batch, ngf: o.ngf, ndf: o.ngf }, new Rng(1));
  try {
    w.step(); // warm-up: heap growth, first XNNPACK operators
    const n0 = tf.memory().numTensors;
    const ts: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const t = performance.now();
      w.step();
      ts.push((performance.now() - t) / 1000);
    }
    const sorted = ts.slice().sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const tensorDelta = tf.memory().numTensors - n0;
    const p = await profileKernels(() => {
      w.step();
      return tf.scalar(0);
    });
    p.result.dispose();
    return {
      backend: info.name, mode: o.mode, threads: info.wasmThreads ?? 1, size: o.size, batch: o.batch, ngf: o.ngf,
      step_s: ts.map((t) => +t.toFixed(3)), median_s: +median.toFixed(3), gflop_per_step: +(w.flopPerStep / 1e9).toFixed(2),
      gflops: +(w.flopPerStep / 1e9 / median).toFixed(2), tensor_delta: tensorDelta, profile: formatKernelProfile(p),
    };
  } finally {
    w.dispose();
  }
}

/** The kernel configs tfjs-backend-wasm registered at load time, by name (kept before we replace them). */
const NATIVE_CONFIGS = new Map<string, tf.KernelConfig>();

/** Records the backend's own kernels (before `registerWasmTrainingKernels` first replaces them). */
function captureNativeKernels(names: string[]): void {
  for (const n of names) {
    const k = tf.getKernel(n, 'wasm');
    if (k && !NATIVE_CONFIGS.has(n)) NATIVE_CONFIGS.set(n, k);
  }
}

function restoreNativeKernels(names: string[]): void {
  for (const n of names) {
    const k = NATIVE_CONFIGS.get(n);
    if (!k) throw new GawwnError(`the wasm backend's own ${n} kernel was not captured`);
    tf.unregisterKernel(n, 'wasm');
    tf.registerKernel(k);
  }
}

function parseArgs(argv: string[]): KernelBenchOptions {
  const o: KernelBenchOptions = { mode: 'fast', size: 128, batch: 16, ngf: 32, steps: 3, threads: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const val = argv[i + 1];
    if (val === undefined) throw new GawwnError(`missing value for ${argv[i]}`);
    if (key === 'mode') o.mode = val as KernelBenchOptions['mode'];
    else if (key === 'size' || key === 'batch' || key === 'ngf' || key === 'steps' || key === 'threads') o[key] = Number(val);
    else throw new GawwnError(`unknown option ${argv[i]}`);
  }
  return o;
}

if (require.main === module) {
  benchKernels(parseArgs(process.argv.slice(2))).then((r) => {
    const { profile, ...line } = r;
    process.stdout.write(JSON.stringify(line) + '\n' + profile + '\n');
    process.exit(0);
  }, (e: unknown) => {
    process.stderr.write(`kernel-bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
