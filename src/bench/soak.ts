/**
 * Soak test of a trainer: run many steps and record `tf.memory().numTensors`, tfjs's byte
 * count and the process RSS every N steps, so a leak of one tensor per step (or per N steps) shows up as a
 * non-zero delta. Reported by a command, not asserted by a timed test. Works against any object with the
 * trainer shape `{step(batch), dispose()}`, so it does not depend on the model code.
 */
import * as tf from '@tensorflow/tfjs';
import { checkLossesFinite } from '../training/guard.js';
import { GawwnError } from '../util/errors.js';

/** What the soak drives: one optimisation step per call, returning its losses as plain numbers. */
export interface SoakTrainer<B> {
  step(batch: B): Promise<Record<string, number>>;
  dispose(): void;
}

/** Options of `runSoak`. */
export interface SoakOptions<B> {
  /** Steps to run (1,000 shows a leak of one tensor per step plainly). */
  steps: number;
  /** Record a sample every this many steps. Default 50. */
  every?: number;
  /** Steps run before the baseline is taken (first steps create optimiser slots). Default 2. */
  burnIn?: number;
  /** Makes the batch for step i (1-based). The soak owns it: a `dispose()` it has is called after the step. */
  nextBatch: (i: number) => B | Promise<B>;
  /** Called with each sample as it is taken (e.g. a progress line). */
  onSample?: (s: SoakSample) => void;
}

/** Memory at one step. */
export interface SoakSample {
  step: number;
  numTensors: number;
  numBytes: number;
  rssBytes: number;
  heapUsedBytes: number;
  losses: Record<string, number>;
}

/** Result of a soak. Deltas are max over samples minus the baseline taken after burn-in. */
export interface SoakReport {
  steps: number;
  burnIn: number;
  samples: SoakSample[];
  baseline: SoakSample;
  numTensorsDelta: number;
  numBytesDelta: number;
  rssDeltaBytes: number;
  secondsPerStep: number;
  /** True when the tensor count ever rose above the baseline. */
  leaked: boolean;
}

/** Runs the soak; the trainer is not disposed (the caller owns it). A NaN/Inf loss stops it (guard.ts). */
export async function runSoak<B>(trainer: SoakTrainer<B>, opts: SoakOptions<B>): Promise<SoakReport> {
  const every = opts.every ?? 50;
  const burnIn = opts.burnIn ?? 2;
  for (const [k, v, min] of [['steps', opts.steps, 1], ['every', every, 1], ['burnIn', burnIn, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new GawwnError(`soak: ${k} must be an integer >= ${min}, got ${v}`);
  }
  if (burnIn >= opts.steps) throw new GawwnError(`soak: burnIn (${burnIn}) must be smaller than steps (${opts.steps})`);
  const samples: SoakSample[] = [];
  let baseline: SoakSample | null = null;
  let t0 = 0;
  for (let i = 1; i <= opts.steps; i++) {
    const batch = await opts.nextBatch(i);
    let losses: Record<string, number>;
    try {
      losses = await trainer.step(batch);
    } finally {
      const d = (batch as { dispose?: unknown } | null)?.dispose;
      if (typeof d === 'function') d.call(batch);
    }
    checkLossesFinite(losses, i, null);
    if (i === burnIn || (burnIn === 0 && i === 1)) {
      baseline = sample(burnIn === 0 ? 0 : i, losses);
      t0 = performance.now();
    }
    if (i > burnIn && ((i - burnIn) % every === 0 || i === opts.steps)) {
      const s = sample(i, losses);
      samples.push(s);
      opts.onSample?.(s);
    }
  }
  const base = baseline as SoakSample;
  const max = (f: (s: SoakSample) => number): number => Math.max(...samples.map(f)) - f(base);
  const timed = opts.steps - Math.max(burnIn, 1);
  return {
    steps: opts.steps,
    burnIn,
    samples,
    baseline: base,
    numTensorsDelta: max((s) => s.numTensors),
    numBytesDelta: max((s) => s.numBytes),
    rssDeltaBytes: max((s) => s.rssBytes),
    secondsPerStep: timed > 0 ? (performance.now() - t0) / 1000 / timed : 0,
    leaked: samples.some((s) => s.numTensors > base.numTensors),
  };
}

/** A few lines for the command and the README. */
export function formatSoakReport(r: SoakReport): string {
  const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
  const last = r.samples[r.samples.length - 1];
  return [
    `soak: ${r.steps} steps (${r.burnIn} burn-in), ${r.secondsPerStep.toFixed(3)} s/step`,
    `tensors: ${r.baseline.numTensors} after burn-in, max delta ${r.numTensorsDelta}${r.leaked ? ' (LEAK)' : ''}; tfjs bytes max delta ${r.numBytesDelta}`,
    `rss: ${mb(r.baseline.rssBytes)} MiB after burn-in, ${mb(last.rssBytes)} MiB at the end, max delta ${mb(r.rssDeltaBytes)} MiB`,
  ].join('\n');
}

function sample(step: number, losses: Record<string, number>): SoakSample {
  const m = tf.memory();
  const p = process.memoryUsage();
  return { step, numTensors: m.numTensors, numBytes: m.numBytes, rssBytes: p.rss, heapUsedBytes: p.heapUsed, losses: { ...losses } };
}
