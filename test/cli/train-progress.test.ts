import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressFigures } from '../../src/cli/train.js';

test('progress line: no rate on the first step of a process (a resume at step 2 of 3 printed "Infinity it/s"), then steps since it over seconds', () => {
  assert.deepEqual(progressFigures(3, 3, 3, 0), { speed: '-', eta: '-' });
  assert.deepEqual(progressFigures(3, 3, 3, 0.004), { speed: '-', eta: '-' });
  // 10 steps after the clock started at step 40, in 4 s: 2.50 it/s; 50 steps left → 20 s.
  assert.deepEqual(progressFigures(50, 100, 40, 4), { speed: '2.50', eta: '20' });
  assert.deepEqual(progressFigures(100, 100, 40, 30), { speed: '2.00', eta: '0' });
});
