import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildDcganWorkload } from '../../src/bench/workload.js';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels.js';
import { Rng } from '../../src/util/rng.js';

test('DCGAN workload: shapes, FLOP count from the layer formulas, no leak per step', async () => {
  assert.ok(await tf.setBackend('wasm'));
  await tf.ready();
  registerWasmTrainingKernels();
  const w = buildDcganWorkload({ size: 16, batch: 2, ngf: 2, ndf: 2, nz: 5 }, new Rng(3));
  assert.deepEqual(w.g.outputs[0].shape, [null, 16, 16, 3]);
  assert.deepEqual(w.d.outputs[0].shape, [null, 1]);
  // G: 1→4 (5→16 ch), 4→8 (16→8), 8→16 (8→3); D: 16→8 (3→2), 8→4 (2→4), 4→1 (4→1). 2·B·outPixels·k²·Cin·Cout,
  // with a ConvT counted per input pixel.
  const mac = (pixels: number, cin: number, cout: number) => 2 * 2 * pixels * 16 * cin * cout;
  const gF = mac(1, 5, 16) + mac(16, 16, 8) + mac(64, 8, 3);
  const dF = mac(64, 3, 2) + mac(16, 2, 4) + mac(1, 4, 1);
  assert.equal(w.flopPerStep, 6 * dF + gF + 3 * (gF + dF));
  w.step();
  const n = tf.memory().numTensors;
  w.step();
  assert.equal(tf.memory().numTensors, n);
  assert.throws(() => buildDcganWorkload({ size: 12, batch: 2, ngf: 2, ndf: 2 }, new Rng(1)), /power of two/);
  w.dispose();
});
