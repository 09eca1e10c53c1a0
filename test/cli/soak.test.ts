/**
 * `gawwn soak` on the real trainer, briefly: the JSON report has the requested samples, a
 * constant tensor count after burn-in, finite losses; bad arguments are one-line errors. The 1,000-step
 * figures are in the README (a command, not a timed test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorLines, gawwn } from './tiny-fixture.js';

test('gawwn soak --json: 12 keypoint/tiny steps, samples every 5, no tensor growth', () => {
  const r = gawwn(['soak', '--model', 'keypoint', '--preset', 'tiny', '--steps', '12', '--every', '5', '--burn-in', '2', '--json']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as { model: string; steps: number; burnIn: number; samples: { step: number; numTensors: number; losses: Record<string, number> }[]; numTensorsDelta: number; leaked: boolean; rssDeltaBytes: number; baseline: { numTensors: number } };
  assert.equal(rep.model, 'keypoint');
  assert.equal(rep.steps, 12);
  assert.deepEqual(rep.samples.map((s) => s.step), [7, 12]);
  assert.equal(rep.numTensorsDelta, 0);
  assert.equal(rep.leaked, false);
  assert.ok(rep.baseline.numTensors > 50);
  for (const s of rep.samples) {
    assert.equal(s.numTensors, rep.baseline.numTensors);
    assert.ok(Number.isFinite(s.losses.lossD) && Number.isFinite(s.losses.lossG));
  }
});

test('gawwn soak: bad arguments give one line and exit 2', () => {
  for (const [args, re] of [
    [['soak', '--steps', '5', '--burn-in', '5'], /^gawwn: --burn-in \(5\) must be smaller than --steps \(5\)$/],
    [['soak', '--steps', '0'], /^gawwn: --steps must be a positive integer, got '0'$/],
    [['soak', '--preset', 'huge'], /^gawwn: option '--preset <name>' argument 'huge' is invalid\. Allowed choices are paper, small, cpu, tiny\.$/],
  ] as [string[], RegExp][]) {
    const r = gawwn(args);
    assert.equal(r.code, 2, r.err);
    assert.equal(r.out, '');
    const lines = errorLines(r.err);
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], re);
  }
});
