import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveGanIntClsConfig, type GanIntClsModelConfig } from '../../src/config/gan-int-cls.js';
import { buildGanIntClsDiscriminator, buildGanIntClsGenerator } from '../../src/models/gan-int-cls.js';
import { GawwnError } from '../../src/util/errors.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

// Trainable parameters from the layer formulas of I:main_cls_int.lua. Conv biases are zeroed before every
// forward in I, so convs carry k²·in·out only; nn.Linear in·out + out; BN γ and β, 2·C (plus 2·C moving stats).
const conv = (k: number, i: number, o: number) => k * k * i * o;
const bn = (c: number) => 2 * c;
const linear = (i: number, o: number) => i * o + o;
const res = (c: number, m: number) => conv(1, c, m) + bn(m) + conv(3, m, m) + bn(m) + conv(3, m, c) + bn(c);

function gFormula(m: GanIntClsModelConfig): { trainable: number; bnChannels: number } {
  const g = m.ngf;
  const trainable =
    linear(m.txtSize, m.nt) + // fcG
    conv(4, m.nz + m.nt, 8 * g) + bn(8 * g) + res(8 * g, 2 * g) + // 1×1 → 4×4, residual
    conv(4, 8 * g, 4 * g) + bn(4 * g) + res(4 * g, g) + // → 8×8, residual
    conv(4, 4 * g, 2 * g) + bn(2 * g) + // → 16×16
    conv(4, 2 * g, g) + bn(g) + // → 32×32
    conv(4, g, 3); // → 64×64
  const bnChannels = 8 * g + (2 * g + 2 * g + 8 * g) + 4 * g + (g + g + 4 * g) + 2 * g + g;
  return { trainable, bnChannels };
}

function dFormula(m: GanIntClsModelConfig): { trainable: number; bnChannels: number } {
  const d = m.ndf;
  const trainable =
    conv(4, 3, d) +
    conv(4, d, 2 * d) + bn(2 * d) +
    conv(4, 2 * d, 4 * d) + bn(4 * d) +
    conv(4, 4 * d, 8 * d) + bn(8 * d) +
    res(8 * d, 2 * d) +
    linear(m.txtSize, m.nt) + bn(m.nt) + // fcD
    conv(1, 8 * d + m.nt, 8 * d) + bn(8 * d) +
    conv(4, 8 * d, 1);
  const bnChannels = 2 * d + 4 * d + 8 * d + (2 * d + 2 * d + 8 * d) + m.nt + 8 * d;
  return { trainable, bnChannels };
}

const trainableCount = (model: tf.LayersModel) => model.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

test('parameter counts equal the layer formulas (tiny and paper presets)', () => {
  for (const preset of ['tiny', 'paper'] as const) {
    const m = resolveGanIntClsConfig(preset).model;
    const G = buildGanIntClsGenerator(m);
    const D = buildGanIntClsDiscriminator(m);
    const gf = gFormula(m);
    const df = dFormula(m);
    assert.equal(trainableCount(G), gf.trainable, `${preset} G trainable`);
    assert.equal(G.countParams(), gf.trainable + 2 * gf.bnChannels, `${preset} G total`);
    assert.equal(trainableCount(D), df.trainable, `${preset} D trainable`);
    assert.equal(D.countParams(), df.trainable + 2 * df.bnChannels, `${preset} D total`);
    G.dispose();
    D.dispose();
  }
  // Spot values: the paper G has 18,905,472 trainable parameters, D 4,030,080.
  const p = resolveGanIntClsConfig('paper').model;
  assert.equal(gFormula(p).trainable, 18905472);
  assert.equal(dFormula(p).trainable, 4030080);
});

test('shapes, output ranges, named inputs, and no leak on repeated predict (tiny)', () => {
  const m = resolveGanIntClsConfig('tiny').model;
  const G = buildGanIntClsGenerator(m);
  const D = buildGanIntClsDiscriminator(m);
  assert.deepEqual(G.inputLayers.map((l, i) => [l.name, G.inputs[i].shape]), [['z', [null, 100]], ['t', [null, 1024]]]);
  assert.deepEqual(D.inputLayers.map((l, i) => [l.name, D.inputs[i].shape]), [['image', [null, 64, 64, 3]], ['t', [null, 1024]]]);
  const z = tf.randomNormal([3, m.nz], 0, 1, 'float32', 1);
  const t = tf.randomNormal([3, m.txtSize], 0, 1, 'float32', 2);
  const run = () =>
    tf.tidy(() => {
      const img = G.predict([z, t]) as tf.Tensor;
      const p = D.predict([img, t]) as tf.Tensor;
      const num = (x: tf.Tensor) => x.dataSync()[0];
      return [img.shape, p.shape, num(img.min()), num(img.max()), num(p.min()), num(p.max())] as const;
    });
  const [imgShape, pShape, lo, hi, plo, phi] = run();
  assert.deepEqual(imgShape, [3, 64, 64, 3]);
  assert.deepEqual(pShape, [3, 1]);
  assert.ok(lo >= -1 && hi <= 1 && hi > lo, `tanh range ${lo}..${hi}`);
  assert.ok(plo > 0 && phi < 1, `sigmoid range ${plo}..${phi}`);
  const n0 = tf.memory().numTensors;
  run();
  assert.equal(tf.memory().numTensors, n0);
  tf.dispose([z, t]);
  G.dispose();
  D.dispose();
});

test('init: same seed gives the same weights, another seed differs; conv weights ~ N(0, 0.02), no conv bias', () => {
  const m = resolveGanIntClsConfig('tiny').model;
  const a = buildGanIntClsGenerator(m, 5);
  const b = buildGanIntClsGenerator(m, 5);
  const c = buildGanIntClsGenerator(m, 6);
  const wa = a.getWeights().map((w) => w.dataSync());
  const wb = b.getWeights().map((w) => w.dataSync());
  const wc = c.getWeights().map((w) => w.dataSync());
  assert.deepEqual(wa, wb);
  assert.notDeepEqual(wa, wc);
  const k = a.getLayer('netG_1_convT').getWeights();
  assert.equal(k.length, 1, 'ConvT has a kernel only');
  const v = Array.from(k[0].dataSync());
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.002, `mean ${mean} std ${std} over ${v.length}`);
  const gamma = a.getLayer('netG_1_bn').getWeights()[0].dataSync();
  assert.ok(gamma.every((x) => Math.abs(x - 1) < 0.1) && gamma.some((x) => x !== 1), 'BN γ ~ N(1, 0.02)');
  for (const model of [a, b, c]) model.dispose();
});

test('builders reject a bad config with a GawwnError naming the field', () => {
  const m = resolveGanIntClsConfig('tiny').model;
  assert.throws(() => buildGanIntClsGenerator({ ...m, imageSize: 128 }), (e: unknown) => e instanceof GawwnError && /model\.imageSize must be 64.*128/.test(e.message));
  assert.throws(() => buildGanIntClsDiscriminator({ ...m, nt: 0 }), (e: unknown) => e instanceof GawwnError && /model\.nt must be a positive integer, got 0/.test(e.message));
});
