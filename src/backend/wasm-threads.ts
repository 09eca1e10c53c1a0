/**
 * Multi-threaded tfjs-wasm in Node. tfjs-backend-wasm 4.22 ships a threaded SIMD build,
 * but in Node it never runs, for three separate reasons, each worked around here without touching
 * node_modules:
 *  1. `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false when `IS_NODE` (tfjs issue #3830):
 *     we set the flag to true.
 *  2. The pthread worker is created from a blob: URL (`URL.createObjectURL(new Blob([workerJs]))`), which
 *     Node's `worker_threads.Worker` cannot load; and inside the worker the main script arrives as a Blob
 *     that its `importScripts` (fs.readFileSync) cannot read. We write both scripts to a temp directory,
 *     make the main thread's `URL.createObjectURL` return the worker's file path for exactly that blob
 *     (matched by type and byte size), and prefix the worker with a `URL.createObjectURL` that returns
 *     the main script's path.
 *  3. The C++ side caps the pool at `emscripten_num_logical_cores() / 2` (it assumes 2 hyper-threads per
 *     core; tfjs-backend-wasm/src/cc/backend.cc), i.e. 1 thread on a 2-core machine. Its static
 *     initialiser reads `os.cpus().length`, so during initialisation only we report twice the cores.
 * Must run before `tf.setBackend('wasm')`; `initBackend` calls it when asked for threads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';

interface WasmModuleExports {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

let prepared: { threads: number } | null = null;

/**
 * XNNPACK's pool threads live for the whole process, and Emscripten `ref()`s the worker of every running
 * pthread, so Node would never exit on its own. Unref them: the pool only ever works while the main
 * thread is blocked inside a kernel, so an exiting process loses nothing.
 */
function unrefWorkers(): void {
  const b = tf.findBackend('wasm') as unknown as { wasm?: { PThread?: { pthreads: Record<string, { unref?: () => void }>; unusedWorkers: Array<{ unref?: () => void }> } } } | null;
  const pt = b?.wasm?.PThread;
  if (!pt) return;
  for (const w of [...Object.values(pt.pthreads), ...pt.unusedWorkers]) w.unref?.();
}

/**
 * Prepares the threaded build for `threads` XNNPACK threads (1 … 8). Returns a function to call right
 * after the wasm backend has initialised (it restores `os.cpus`) that reports the threads actually in use.
 */
export function prepareWasmThreads(threads: number): () => number {
  if (!Number.isInteger(threads) || threads < 1 || threads > 8) {
    throw new GawwnError(`wasm threads must be an integer in 1..8, got ${threads}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasmBackend = require('@tensorflow/tfjs-backend-wasm') as WasmModuleExports;
  if (prepared !== null) {
    if (prepared.threads !== threads) throw new GawwnError(`wasm threads already set to ${prepared.threads} in this process`);
    return () => wasmBackend.getThreadsCount();
  }
  prepared = { threads };
  wasmBackend.setThreadsCount(threads);
  if (threads === 1) return () => wasmBackend.getThreadsCount();

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factoryModule = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js') as { default?: unknown };
  const factory = (factoryModule.default ?? factoryModule) as { toString(): string };
  // The same texts tfjs puts in its blobs (backend_wasm.js `init`): '\n' escaped in the worker source.
  const workerJs = wasmWorkerContents.replace(/\n/g, '\\n');
  const mainJs = `var WasmBackendModuleThreadedSimd = ${factory.toString()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-wasm-threads-'));
  const mainPath = path.join(dir, 'tfjs-backend-wasm-threaded-simd.main.js');
  const workerPath = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  fs.writeFileSync(mainPath, mainJs);
  fs.writeFileSync(workerPath, `URL.createObjectURL = () => ${JSON.stringify(mainPath)}; URL.revokeObjectURL = () => {};\n${workerJs}`);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

  const workerBytes = Buffer.byteLength(workerJs);
  const createObjectURL = URL.createObjectURL.bind(URL);
  // Stays installed: Emscripten creates more workers on demand through the same locateFile path.
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === 'application/javascript' && obj.size === workerBytes ? workerPath : createObjectURL(obj);

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  // The module object Emscripten's `require("os")` returns (an `import * as` namespace is a copy).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const realOs = require('node:os') as { cpus: () => os.CpuInfo[] };
  const cpus = realOs.cpus;
  realOs.cpus = () => {
    const c = cpus();
    return [...c, ...c];
  };
  return () => {
    realOs.cpus = cpus;
    unrefWorkers();
    return wasmBackend.getThreadsCount();
  };
}
