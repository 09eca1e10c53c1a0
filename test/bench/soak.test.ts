import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { runSoak, formatSoakReport, type SoakTrainer } from '../../src/bench/soak.js';
import { GawwnError } from '../../src/util/errors.js';

interface Batch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  dispose(): void;
}

/** A real (tiny) training step: dense net, Adam, variableGrads, as the house style's step. */
function makeTrainer(leakEvery = 0): SoakTrainer<Batch> & { kept: tf.Tensor[] } {
  const x = tf.input({ shape: [3] });
  const y = tf.layers.dense({ units: 2 }).apply(tf.layers.dense({ units: 4, activation: 'relu' }).apply(x)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: y });
  const opt: tf.Optimizer = tf.train.adam(0.01);
  let n = 0;
  const kept: tf.Tensor[] = [];
  return {
    kept,
    async step(b: Batch) {
      n++;
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(b.y, model.apply(b.x) as tf.Tensor) as tf.Scalar);
      opt.applyGradients(grads);
      const loss = (await value.data())[0];
      tf.dispose([value, grads]);
      if (leakEvery > 0 && n % leakEvery === 0) kept.push(tf.scalar(n)); // the bug a soak must reveal
      return { lossG: loss };
    },
    dispose() {
      model.dispose();
      opt.dispose();
      tf.dispose(kept);
    },
  };
}

function batch(i: number): Batch {
  const x = tf.tensor2d([[i % 3, 1, -1], [0.5, (i % 5) / 5, 2]]);
  const y = tf.tensor2d([[1, 0], [0, 1]]);
  return { x, y, dispose: () => tf.dispose([x, y]) };
}

test('a clean trainer keeps numTensors constant; batches are disposed', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const tr = makeTrainer();
  const r = await runSoak(tr, { steps: 60, every: 10, nextBatch: batch });
  assert.equal(r.samples.length, 6);
  assert.deepEqual(r.samples.map((s) => s.step), [12, 22, 32, 42, 52, 60]);
  assert.equal(r.numTensorsDelta, 0);
  assert.equal(r.numBytesDelta, 0);
  assert.equal(r.leaked, false);
  assert.ok(r.baseline.rssBytes > 0 && r.secondsPerStep > 0);
  assert.ok(r.samples.every((s) => Number.isFinite(s.losses.lossG)));
  assert.match(formatSoakReport(r), /^soak: 60 steps \(2 burn-in\).*\ntensors: \d+ after burn-in, max delta 0; tfjs bytes max delta 0\nrss: /);
  tr.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('a trainer leaking one tensor every 5 steps is caught with the exact count', async () => {
  await tf.setBackend('cpu');
  const tr = makeTrainer(5);
  const r = await runSoak(tr, { steps: 42, every: 20, burnIn: 2, nextBatch: batch });
  // Leaks at steps 5, 10, …, 40 after the baseline at step 2: 8 tensors (4 bytes each).
  assert.equal(r.numTensorsDelta, 8);
  assert.equal(r.numBytesDelta, 32);
  assert.equal(r.leaked, true);
  assert.match(formatSoakReport(r), /max delta 8 \(LEAK\)/);
  tr.dispose();
});

test('a NaN loss stops the soak through the guard; bad options are refused', async () => {
  const tr: SoakTrainer<number> = { step: async (i) => ({ lossD: i === 3 ? NaN : 1 }), dispose: () => undefined };
  await assert.rejects(runSoak(tr, { steps: 10, nextBatch: (i) => i }), { message: 'loss became NaN at step 3 (lossD=NaN); no checkpoint was written before it' });
  await assert.rejects(runSoak(tr, { steps: 0, nextBatch: (i) => i }), (e: unknown) => e instanceof GawwnError && /steps must be an integer >= 1/.test(e.message));
  await assert.rejects(runSoak(tr, { steps: 2, burnIn: 2, nextBatch: (i) => i }), /burnIn \(2\) must be smaller than steps \(2\)/);
});
