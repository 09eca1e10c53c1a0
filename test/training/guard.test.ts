import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLossesFinite } from '../../src/training/guard.js';
import { GawwnError } from '../../src/util/errors.js';

test('finite losses pass', () => {
  assert.doesNotThrow(() => checkLossesFinite({ lossD: 1.2, lossG: 0.7 }, 5, null));
});

test('a NaN loss stops with the step, the losses and the last good checkpoint', () => {
  assert.throws(
    () => checkLossesFinite({ lossD: NaN, lossG: 3.2 }, 812, 'runs/a/checkpoints/step-000800'),
    (e: unknown) =>
      e instanceof GawwnError &&
      e.message === 'loss became NaN at step 812 (lossD=NaN, lossG=3.2); the last good checkpoint is runs/a/checkpoints/step-000800',
  );
});

test('Infinity is caught too, and the message says when no checkpoint exists', () => {
  assert.throws(
    () => checkLossesFinite({ lossD: 0.123456789, lossG: -Infinity }, 3, null),
    { message: 'loss became -Infinity at step 3 (lossD=0.12346, lossG=-Infinity); no checkpoint was written before it' },
  );
  assert.throws(() => checkLossesFinite({ lossG: Infinity }, 1, null), /loss became Infinity at step 1/);
});
