import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { adam, LowMemoryAdam } from '../../src/training/adam.js';

type GradMap = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** Three variables of different sizes with gradients that are a formula of the step. */
function problem(prefix: string): { vars: tf.Variable[]; grads: (step: number) => tf.NamedTensorMap } {
  const sizes = [[64, 32], [32], [16, 8, 4]];
  const vars = sizes.map((s, k) => tf.variable(tf.linspace(-1, 1 + k, s.reduce((a, b) => a * b, 1)).reshape(s), true, `${prefix}_v${k}`));
  const grads = (step: number): tf.NamedTensorMap => {
    const out: tf.NamedTensorMap = {};
    vars.forEach((v, k) => {
      out[v.name] = tf.tidy(() => tf.sin(v.mul(step + 1 + k)).mul(0.5 + k));
    });
    return out;
  };
  return { vars, grads };
}

test('LowMemoryAdam: bit-identical to tf.train.adam over 6 steps, same state names, no leak', async () => {
  await tf.setBackend('cpu');
  const a = problem('ref');
  const b = problem('low');
  const optA = tf.train.adam(0.01, 0.5, 0.999, 1e-8);
  const optB = adam(0.01, 0.5, 0.999, 1e-8);
  assert.ok(optB instanceof LowMemoryAdam && optB instanceof tf.AdamOptimizer);
  let tensorsAfterFirst = -1;
  for (let step = 0; step < 6; step++) {
    const ga = a.grads(step);
    const gb = b.grads(step);
    optA.applyGradients(ga as unknown as GradMap);
    optB.applyGradients(gb as unknown as GradMap);
    tf.dispose([...Object.values(ga), ...Object.values(gb)]);
    if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
  }
  // Slots exist after the first step; later steps add nothing.
  assert.equal(tf.memory().numTensors, tensorsAfterFirst);
  for (let k = 0; k < a.vars.length; k++) {
    assert.deepEqual(Array.from(await b.vars[k].data()), Array.from(await a.vars[k].data()), `variable ${k}`);
  }
  const wa = await optA.getWeights();
  const wb = await optB.getWeights();
  assert.deepEqual(wb.map((w) => w.name.replace('low_', '')), wa.map((w) => w.name.replace('ref_', '')));
  for (let i = 0; i < wa.length; i++) assert.deepEqual(Array.from(await wb[i].tensor.data()), Array.from(await wa[i].tensor.data()), wa[i].name);
  // A state saved by one continues in the other (checkpoints from before this optimiser still load).
  const optC = adam(0.01, 0.5, 0.999, 1e-8);
  await optC.setWeights(wa.map((w) => ({ name: w.name.replace('ref_', 'low_'), tensor: w.tensor.clone() })));
  const ga = a.grads(6);
  const gb = b.grads(6);
  optA.applyGradients(ga as unknown as GradMap);
  optC.applyGradients(gb as unknown as GradMap);
  tf.dispose([...Object.values(ga), ...Object.values(gb)]);
  for (let k = 0; k < a.vars.length; k++) {
    assert.deepEqual(Array.from(await b.vars[k].data()), Array.from(await a.vars[k].data()), `variable ${k} after a state handover`);
  }
  optA.dispose();
  optB.dispose();
  optC.dispose();
  tf.dispose([...a.vars, ...b.vars]);
});

test("LowMemoryAdam: an update's extra memory is bounded by the largest variable, not the sum of all (tf.train.adam: the sum)", async () => {
  await tf.setBackend('cpu');
  // 24 variables of 256 KB each. tfjs's Adam keeps every variable's temporaries (about 11 weight-sized tensors)
  // until the end of one tidy around all of them; ours frees them per variable (measured: 14 variables' worth
  // at its peak, inside one variable's update).
  const n = 24;
  const bytes = 64 * 1024 * 4;
  const peakOf = async (opt: tf.Optimizer, prefix: string): Promise<number> => {
    const vars = Array.from({ length: n }, (_, k) => tf.variable(tf.fill([64, 1024], 0.1 * (k + 1)), true, `${prefix}_${k}`));
    const grads = (): tf.NamedTensorMap => Object.fromEntries(vars.map((v) => [v.name, tf.onesLike(v)]));
    const g0 = grads();
    opt.applyGradients(g0 as unknown as GradMap); // creates the moment slots (2 per variable)
    tf.dispose(Object.values(g0));
    const g1 = grads();
    const before = tf.memory().numBytes;
    const info = await tf.profile(() => opt.applyGradients(g1 as unknown as GradMap));
    tf.dispose(Object.values(g1));
    opt.dispose();
    tf.dispose(vars);
    return info.peakBytes - before;
  };
  const low = await peakOf(adam(1e-3, 0.5), 'low');
  const ref = await peakOf(tf.train.adam(1e-3, 0.5), 'ref');
  assert.ok(low <= 16 * bytes, `LowMemoryAdam's update peaked ${low / bytes} variables above its start`);
  assert.ok(ref >= n * 8 * bytes, `tf.train.adam's update peaked ${ref / bytes} variables above its start (expected ≥ ${n * 8}: the bound above must be a real difference)`);
});
