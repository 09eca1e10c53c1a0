/**
 * Where a step's time goes, per kernel (`gawwn bench --profile`). Uses `tf.profile`, which
 * times every kernel the engine dispatches (a composite kernel that calls other kernel functions directly,
 * as ours in wasm-kernels.ts do, counts once, under its own name).
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  /** tfjs kernel name, e.g. 'Conv2DBackpropInput'. */
  name: string;
  /** Summed kernel time over all calls, ms. */
  totalMs: number;
  calls: number;
  /** totalMs / the summed time of all kernels in the step (0…1). */
  share: number;
}

export interface KernelProfile<T> {
  /** What `fn` returned (owned by the caller). */
  result: T;
  /** Wall-clock time of the profiled call, ms (profiling adds a sync per kernel, so this is above a normal step). */
  wallMs: number;
  /** Summed time of all kernels, ms. */
  kernelMs: number;
  /** Number of kernel calls. */
  calls: number;
  /** Bytes of tensors still alive after `fn` that were not before, and the peak during it. */
  newBytes: number;
  peakBytes: number;
  /** The `top` slowest kernels by total time, slowest first. */
  top: KernelTime[];
}

/**
 * Runs `fn` once under `tf.profile` and returns the `top` (default 10) kernels by summed time, with calls and
 * share of all kernel time. Kernels whose timer reported an error count as 0 ms.
 */
export async function profileKernels<T extends tf.TensorContainer>(fn: () => T | Promise<T>, top = 10): Promise<KernelProfile<T>> {
  let result: T | undefined;
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    result = await fn();
    return result;
  });
  const wallMs = performance.now() - t0;
  const byName = new Map<string, { totalMs: number; calls: number }>();
  let kernelMs = 0;
  const backendName = tf.getBackend();
  for (const k of info.kernels) {
    // Custom-gradient wrappers (e.g. 'fusedConv2d__op') are recorded too and their time includes the
    // kernels they run: count only registered kernels, so shares add up to 1.
    if (tf.getKernel(k.name, backendName) === undefined) continue;
    const t = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernelMs += t;
    const e = byName.get(k.name) ?? { totalMs: 0, calls: 0 };
    e.totalMs += t;
    e.calls += 1;
    byName.set(k.name, e);
  }
  const rows = [...byName.entries()]
    .map(([name, e]) => ({ name, totalMs: e.totalMs, calls: e.calls, share: kernelMs > 0 ? e.totalMs / kernelMs : 0 }))
    .sort((a, b) => b.totalMs - a.totalMs || a.name.localeCompare(b.name))
    .slice(0, top);
  const calls = [...byName.values()].reduce((acc, e) => acc + e.calls, 0);
  return { result: result as T, wallMs, kernelMs, calls, newBytes: info.newBytes, peakBytes: info.peakBytes, top: rows };
}

/** A fixed-width text table of a profile (for the CLI's human output). */
export function formatKernelProfile(p: KernelProfile<unknown>): string {
  const lines = [`kernels: ${p.calls} calls, ${p.kernelMs.toFixed(1)} ms kernel time, ${p.wallMs.toFixed(1)} ms wall`];
  lines.push('kernel                          total ms   calls   share');
  for (const r of p.top) {
    lines.push(`${r.name.padEnd(30)} ${r.totalMs.toFixed(1).padStart(9)} ${String(r.calls).padStart(7)} ${(100 * r.share).toFixed(1).padStart(6)}%`);
  }
  return lines.join('\n');
}
