import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Blocks } from '../../src/layers/blocks.js';
import { WeightInit } from '../../src/layers/init.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** Three ×2 stages (16 → 128, as G's ladder after its 16×16 merge) applied to a spatially constant map. */
function ladderOnConstant(mode: 'deconv' | 'resize'): Float32Array {
  const b = new Blocks(new WeightInit(4), mode);
  const x = tf.input({ shape: [16, 16, 8] });
  let y = b.up2(x, 'a', 8);
  y = b.up2(y, 'b', 8);
  y = b.up2(y, 'c', 3);
  const m = tf.model({ inputs: x, outputs: y });
  const out = tf.tidy(() => (m.predict(tf.fill([1, 16, 16, 8], 0.7)) as tf.Tensor).dataSync() as Float32Array);
  m.dispose();
  return out;
}

/** Largest |a − b| between interior pixels (12 px from every border, outside every padding's reach) of one channel. */
function interiorSpread(img: Float32Array, side: number, ch: number, channel: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let y = 12; y < side - 12; y++) {
    for (let x = 12; x < side - 12; x++) {
      const v = img[(y * side + x) * ch + channel];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return hi - lo;
}

test("'resize' upsampling maps a constant map to a constant image; the paper's k4 s2 ConvT makes an 8-px pattern", () => {
  // Why gUpsample exists (ModelConfig.gUpsample): the stripe textures of our GAN backgrounds have an 8-px period.
  const deconv = ladderOnConstant('deconv');
  const resize = ladderOnConstant('resize');
  assert.equal(deconv.length, 128 * 128 * 3);
  assert.equal(resize.length, 128 * 128 * 3);
  for (let c = 0; c < 3; c++) {
    assert.ok(interiorSpread(resize, 128, 3, c) < 1e-6, `resize channel ${c} spread ${interiorSpread(resize, 128, 3, c)}`);
    const spread = interiorSpread(deconv, 128, 3, c);
    assert.ok(spread > 1e-4, `deconv channel ${c} is not constant (spread ${spread})`);
    // ... and it repeats every 8 px: pixel (y, x) equals pixel (y + 8, x + 8) in the interior.
    for (let y = 12; y < 100; y += 5) {
      for (let x = 12; x < 100; x += 3) {
        const a = deconv[(y * 128 + x) * 3 + c];
        const b = deconv[((y + 8) * 128 + x + 8) * 3 + c];
        assert.ok(Math.abs(a - b) < 1e-6, `deconv period 8 at (${y}, ${x})`);
      }
    }
  }
});

test("up2 names its layers: '<name>_convT' (deconv, k4 s2) or '<name>_up' + '<name>_conv' (resize, k3 s1)", () => {
  for (const mode of ['deconv', 'resize'] as const) {
    const b = new Blocks(new WeightInit(0), mode);
    const x = tf.input({ shape: [4, 4, 5] });
    const y = b.up2(x, 'u', 6);
    assert.deepEqual(y.shape, [null, 8, 8, 6]);
    const m = tf.model({ inputs: x, outputs: y });
    const names = m.layers.slice(1).map((l) => l.name);
    const kernel = m.layers[m.layers.length - 1].getWeights()[0].shape;
    if (mode === 'deconv') {
      assert.deepEqual(names, ['u_convT']);
      assert.deepEqual(kernel, [4, 4, 6, 5]); // conv2dTranspose kernels are [k, k, out, in]
    } else {
      assert.deepEqual(names, ['u_up', 'u_conv']);
      assert.deepEqual(kernel, [3, 3, 5, 6]);
    }
    m.dispose();
  }
});
