/**
 * Numerical guard: a GAN that diverges produces NaN/Inf losses and then NaN weights. The
 * training loop calls `checkLossesFinite` on every step's losses before anything is saved, so the run stops
 * with a message naming the step, the losses and the last good checkpoint, which is never overwritten
 * (saveCheckpoint also refuses NaN/Inf tensors).
 */
import { GawwnError } from '../util/errors.js';

/**
 * Throws a GawwnError when any loss is NaN or ±Infinity:
 * `loss became NaN at step 812 (lossD=NaN, lossG=3.2); the last good checkpoint is RUN/checkpoints/step-000800`.
 * `lastGoodCheckpoint` is the directory returned by the last `saveCheckpoint`, or null if none was written.
 */
export function checkLossesFinite(losses: Readonly<Record<string, number>>, step: number, lastGoodCheckpoint: string | null): void {
  const bad = Object.entries(losses).filter(([, v]) => !Number.isFinite(v));
  if (bad.length === 0) return;
  const kind = Number.isNaN(bad[0][1]) ? 'NaN' : bad[0][1] > 0 ? 'Infinity' : '-Infinity';
  const all = Object.entries(losses)
    .map(([k, v]) => `${k}=${formatLoss(v)}`)
    .join(', ');
  const where =
    lastGoodCheckpoint === null
      ? 'no checkpoint was written before it'
      : `the last good checkpoint is ${lastGoodCheckpoint}`;
  throw new GawwnError(`loss became ${kind} at step ${step} (${all}); ${where}`);
}

function formatLoss(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(5))) : String(v);
}
