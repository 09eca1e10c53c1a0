/**
 * The one place a TensorFlow.js backend is chosen (house style §3.4). Order:
 *   1. `@tensorflow/tfjs-node-gpu` (optionalDependency) when it loads and sees a GPU,
 *   2. `@tensorflow/tfjs-node` (optionalDependency),
 *   3. `wasm+openblas`: the wasm backend with its heavy kernels (convolutions, their gradients, matmul, batch
 *      norm, …) replaced by the native addon of `backend/native/` where it was built at install (oneDNN
 *      convolutions and GEMM with libdnnl-dev, im2col + OpenBLAS sgemm with libopenblas-dev; the name stays
 *      for the whole native family, and the report line says which libraries it runs),
 *   4. `@tensorflow/tfjs-backend-wasm`, the embedded default, with the kernels training needs registered
 *      (tfjs 4.22's wasm backend has no Conv2DBackpropFilter: see `backend/wasm-kernels.ts`),
 *   5. the pure-JS `cpu` backend (correct but ~20x slower than wasm; never chosen for training on purpose).
 * `GAWWN_BACKEND` (tensorflow-gpu | tensorflow | wasm+openblas | wasm | cpu) forces one. The choice is reported once.
 * `GAWWN_WASM_THREADS` (1…8, default 1) runs wasm's threaded SIMD build with that many XNNPACK threads
 * (see `backend/wasm-threads.ts`; plain wasm only). `GAWWN_NATIVE_THREADS` (1…64, default: all cores) caps the
 * oneDNN/OpenBLAS/im2col threads of wasm+openblas, e.g. 1 per job when several jobs share the cores;
 * `GAWWN_NATIVE_LIBRARY` (onednn | openblas) picks its convolution/GEMM library when it has both.
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';
import { loadNativeKernels, registerNativeKernels } from './native/native-kernels.js';
import { prepareWasmThreads } from './wasm-threads.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm+openblas' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm+openblas', 'wasm', 'cpu'];

export interface BackendInfo {
  /** Which of the four was chosen. */
  name: BackendName;
  /** tfjs's own name for the active backend (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Why earlier candidates were skipped (one line each). */
  skipped: string[];
  /** XNNPACK threads of the wasm backend (absent for other backends). */
  wasmThreads?: number;
  /** The native libraries of wasm+openblas, e.g. "oneDNN 2.6.3 avx512_core_bf16 + OpenBLAS 0.3.21 … Cooperlake …". */
  native?: string;
}

let chosen: Promise<BackendInfo> | null = null;

/**
 * Initialises the backend once per process and returns what was chosen; later calls return the same
 * promise (tfjs itself is process-global, so this is the one module-level cache in the library).
 * @param opts.force a backend name, overriding `GAWWN_BACKEND`.
 * @param opts.report where to report the choice (default: one line on stderr); `null` for silence.
 */
export function initBackend(
  opts: { force?: string; report?: ((line: string) => void) | null; wasmThreads?: number } = {},
): Promise<BackendInfo> {
  if (chosen === null) {
    const env = process.env.GAWWN_WASM_THREADS;
    const threads = opts.wasmThreads ?? (env !== undefined && env !== '' ? Number(env) : 1);
    if (!Number.isInteger(threads) || threads < 1 || threads > 8) {
      return Promise.reject(new GawwnError(`wasm threads must be an integer in 1..8 (GAWWN_WASM_THREADS), got '${opts.wasmThreads ?? env}'`));
    }
    const nt = process.env.GAWWN_NATIVE_THREADS;
    const nativeThreads = nt !== undefined && nt !== '' ? Number(nt) : undefined;
    if (nativeThreads !== undefined && !(Number.isInteger(nativeThreads) && nativeThreads >= 1 && nativeThreads <= 64)) {
      return Promise.reject(new GawwnError(`native threads must be an integer in 1..64 (GAWWN_NATIVE_THREADS), got '${nt}'`));
    }
    chosen = choose(opts.force ?? process.env.GAWWN_BACKEND, opts.report, threads, nativeThreads);
  }
  return chosen;
}

async function choose(force: string | undefined, report: ((line: string) => void) | null | undefined, wasmThreads: number, nativeThreads: number | undefined): Promise<BackendInfo> {
  tf.enableProdMode();
  if (force !== undefined && force !== '' && !(BACKEND_ORDER as readonly string[]).includes(force)) {
    throw new GawwnError(`unknown backend '${force}' (GAWWN_BACKEND); expected one of ${BACKEND_ORDER.join(', ')}`);
  }
  const candidates = force ? [force as BackendName] : BACKEND_ORDER;
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      const ok = await tryBackend(name, wasmThreads, nativeThreads);
      if (ok === true) {
        const info: BackendInfo = { name, tfBackend: tf.getBackend(), skipped };
        if (name === 'wasm') info.wasmThreads = wasmThreadsInUse;
        if (name === 'wasm+openblas') info.native = nativeConfig;
        const threads = name === 'wasm' && wasmThreadsInUse > 1 ? `, ${wasmThreadsInUse} threads`
          : name === 'wasm+openblas' ? ` [${nativeConfig}]` : '';
        const line = `gawwn: backend ${name}${threads}${skipped.length ? ` (skipped: ${skipped.join('; ')})` : ''}`;
        if (report === undefined) process.stderr.write(line + '\n');
        else if (report !== null) report(line);
        return info;
      }
      skipped.push(`${name}: ${ok}`);
    } catch (e) {
      // Any error, not only MODULE_NOT_FOUND: a tfjs-node installed without its binary throws differently.
      skipped.push(`${name}: ${firstLine(e)}`);
    }
  }
  throw new GawwnError(`no usable TensorFlow.js backend (${skipped.join('; ')})`);
}

let wasmThreadsInUse = 1;
let nativeConfig = '';

/** Returns true when the backend is active, or a reason string when it is not usable. */
async function tryBackend(name: BackendName, wasmThreads: number, nativeThreads: number | undefined): Promise<true | string> {
  switch (name) {
    case 'tensorflow-gpu': {
      require('@tensorflow/tfjs-node-gpu');
      if (!(await tf.setBackend('tensorflow'))) return 'did not initialise';
      const b = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
      return b.isUsingGpuDevice ? true : 'no GPU device';
    }
    case 'tensorflow':
      require('@tensorflow/tfjs-node');
      return (await tf.setBackend('tensorflow')) ? true : 'did not initialise';
    case 'wasm+openblas': {
      const native = loadNativeKernels({ threads: nativeThreads });
      if (!native.ok) return native.reason;
      nativeConfig = `convolutions ${native.convolutions}; ${native.config}, ${native.threads} threads`;
      require('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) return 'did not initialise';
      await tf.ready();
      registerWasmTrainingKernels(); // first: these stay the fallbacks of the native kernels
      registerNativeKernels();
      guardWasmMalloc();
      return true;
    }
    case 'wasm': {
      require('@tensorflow/tfjs-backend-wasm');
      const threadsReady = prepareWasmThreads(wasmThreads);
      const ok = await tf.setBackend('wasm');
      wasmThreadsInUse = threadsReady();
      if (!ok) return 'did not initialise';
      await tf.ready();
      registerWasmTrainingKernels();
      guardWasmMalloc();
      return true;
    }
    case 'cpu':
      return (await tf.setBackend('cpu')) ? true : 'did not initialise';
  }
}

/**
 * Makes a failed wasm heap allocation throw at once. tfjs-wasm 4.22 (`BackendWasm.move`) takes whatever `_malloc`
 * returns as the tensor's offset, and when the 4 GiB heap is full that is 0: the new tensor is then written over
 * the start of the heap (other tensors, the module's own data) and the process fails later, elsewhere, or computes
 * on corrupted memory (seen: filling the heap with 1 GiB tensors gave the 4th one offset 0). Near
 * 4 GiB it can also return a block that ends past the heap, which is refused the same way.
 * Emscripten's `Module._malloc` is a stub that replaces itself with `asm.malloc` on first use, so the wrapper calls
 * `asm.malloc` directly.
 */
function guardWasmMalloc(): void {
  const wasm = wasmModule();
  if (!wasm) return;
  const malloc = wasm.asm?.malloc ?? wasm._malloc;
  wasm._malloc = (n: number): number => {
    const p = malloc(n);
    // 0, or a block that runs past the heap's end (near 4 GiB the allocator's 32-bit arithmetic wraps: a 64 MB
    // output at 3.97 GiB, seen with the paper preset's box model at batch 16).
    if (n > 0 && (p === 0 || (p >>> 0) + n > wasm.HEAPU8.length)) {
      throw new Error(`cannot allocate ${n} bytes on the wasm heap (${heapGiB(wasm)} GiB in use)`);
    }
    return p;
  };
}

/** The emscripten module of the active wasm backend (the parts used here), or undefined on another backend. */
interface WasmModule {
  _malloc: (n: number) => number;
  asm?: { malloc?: (n: number) => number };
  HEAPU8: Uint8Array;
}
function wasmModule(): WasmModule | undefined {
  return (tf.backend() as unknown as { wasm?: WasmModule }).wasm;
}
const heapGiB = (wasm: WasmModule): string => (wasm.HEAPU8.length / 2 ** 30).toFixed(2);

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

/**
 * When `e` is the wasm backend running out of memory, one line saying so and what to do; otherwise null.
 * WebAssembly (wasm32) caps the backend's heap at 4 GiB, and when an allocation would pass it the failure
 * surfaces far from its cause: emscripten's "Aborted()", a wasm "memory access out of bounds", or an output
 * placed past the heap's end that the native kernels refuse ("… lies outside the heap"). Measured (paper preset, batch 16, after `training/adam.ts` and the sharing Identity of `backend/wasm-kernels.ts`): the
 * heap settles at 3.55 GiB (keypoint) and 3.84 GiB (box) on wasm+openblas; on plain wasm the box model passes
 * 4 GiB at batch 16 and fits at 8.
 */
export function wasmMemoryError(e: unknown): string | null {
  const msg = e instanceof Error ? e.message : String(e);
  if (!/on the wasm heap|lies outside the heap|memory access out of bounds|^Aborted\(|Cannot enlarge memory|Out of memory/i.test(msg)) return null;
  let backend: string;
  try {
    backend = tf.getBackend();
  } catch {
    return null;
  }
  if (backend !== 'wasm') return null;
  const wasm = wasmModule();
  const used = wasm === undefined ? '' : ` (heap now ${heapGiB(wasm)} GiB)`;
  return (
    `the wasm backend ran out of memory${used}: WebAssembly caps it at 4 GiB. ` +
    'Lower --batch (--batch 8 fits the paper preset on any wasm backend), use a smaller --preset, ' +
    `or a machine where @tensorflow/tfjs-node installs. [${msg}]`
  );
}
