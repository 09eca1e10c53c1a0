import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import type { ModelConfig, ModelFamily, PresetName } from '../../src/config/types.js';
import { familyBuilders } from '../../src/models/registry.js';
import { buildKeypointCompleter, buildKeypointCritic, switchKeypoints } from '../../src/models/keypoint-gen.js';
import { buildKeypointGenerator } from '../../src/models/keypoint.js';
import { GawwnError } from '../../src/util/errors.js';
import * as F from './param-formulas.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  family: ModelFamily;
  variant: 'cub' | 'mhp';
  numParts: number;
  G: (m: ModelConfig) => number;
  D: (m: ModelConfig) => number;
}
const CASES: Case[] = [
  { family: 'bbox', variant: 'cub', numParts: 15, G: F.bboxG, D: F.bboxD },
  { family: 'keypoint', variant: 'cub', numParts: 15, G: (m) => F.keypointG(m, false), D: F.keypointD },
  { family: 'keypoint', variant: 'mhp', numParts: 17, G: (m) => F.keypointG(m, true), D: F.keypointD },
  { family: 'keypoint-gen', variant: 'cub', numParts: 15, G: F.keypointGk, D: F.keypointDk },
  { family: 'keypoint-gen', variant: 'mhp', numParts: 17, G: F.keypointGk, D: F.keypointDk },
];

function inputShapes(m: tf.LayersModel): (number | null)[][] {
  return m.inputs.map((i) => i.shape);
}

for (const preset of ['tiny', 'small', 'paper'] as PresetName[]) {
  test(`${preset}: every network has the documented inputs/outputs and the formula's parameter count`, () => {
    for (const c of CASES) {
      if (preset === 'paper' && c.variant === 'mhp') continue; // same layers as cub up to K; keeps the test fast
      const cfg = resolveConfig(preset, { model: { family: c.family, variant: c.variant, numParts: c.numParts, ntD: 128 }, train: { recipe: 'paper' } }).model; // the formula is the paper's D (batch norm, nt 128)
      const { buildG, buildD } = familyBuilders(c.family);
      const G = buildG(cfg, 0);
      const D = buildD(cfg, 1);
      const K = c.numParts;
      const what = `${preset} ${c.family}/${c.variant}`;
      if (c.family === 'keypoint-gen') {
        assert.deepEqual(inputShapes(G), [[null, cfg.nz], [null, 1024], [null, K, 3]], what);
        assert.deepEqual(G.outputs[0].shape, [null, K, 3], what);
        assert.deepEqual(inputShapes(D), [[null, K, 3], [null, 1024]], what);
      } else {
        const cond = c.family === 'bbox' ? [null, 4] : [null, 16, 16, K];
        assert.deepEqual(inputShapes(G), [[null, cfg.nz], [null, 1024], cond], what);
        assert.deepEqual(G.inputs.map((i) => i.name.split('_')[0]), ['z', 't', c.family === 'bbox' ? 'box' : 'kp'], what);
        assert.deepEqual(G.outputs[0].shape, [null, 128, 128, 3], what);
        assert.deepEqual(inputShapes(D), [[null, 128, 128, 3], cond, [null, 1024]], what);
      }
      assert.deepEqual(D.outputs[0].shape, [null, 1], what);
      assert.equal(G.countParams(), c.G(cfg), `${what} G params`);
      assert.equal(D.countParams(), c.D(cfg), `${what} D params`);
      G.dispose();
      D.dispose();
    }
  });
}

test("gUpsample 'resize' replaces each k4 s2 ConvT of the image generators by a 3×3 conv: 7·Cin·Cout fewer weights each", () => {
  // The replaced stages, (Cin, Cout) in units of ngf (3 = the RGB output, not a multiple of ngf).
  const bboxStages = (n: number): [number, number][] => [[8 * n, 4 * n], [4 * n, 2 * n], [8 * n, 4 * n], [4 * n, 2 * n], [2 * n, n], [n, 32], [32, 3]];
  const keypointStages = (n: number): [number, number][] => [[4 * n, 2 * n], [2 * n, n], [4 * n, 2 * n], [2 * n, n], [n, 3]];
  for (const preset of ['tiny', 'paper'] as PresetName[]) {
    for (const [family, stages] of [['bbox', bboxStages], ['keypoint', keypointStages]] as const) {
      const deconv = resolveConfig(preset, { model: { family } }).model;
      const resize = resolveConfig(preset, { model: { family, gUpsample: 'resize' } }).model;
      const { buildG } = familyBuilders(family);
      const a = buildG(deconv, 0);
      const b = buildG(resize, 0);
      const fewer = stages(deconv.ngf).reduce((s, [i, o]) => s + 7 * i * o, 0);
      assert.equal(b.countParams(), a.countParams() - fewer, `${preset} ${family}`);
      assert.equal(b.layers.filter((l) => l.name.endsWith('_up')).length, stages(1).length, `${preset} ${family} upsampling layers`);
      assert.deepEqual(b.outputs[0].shape, [null, 128, 128, 3]);
      a.dispose();
      b.dispose();
    }
  }
  assert.throws(() => resolveConfig('tiny', { model: { gUpsample: 'bilinear' as 'resize' } }), (e: Error) => e instanceof GawwnError && /model\.gUpsample/.test(e.message));
  // Configs stored before the field existed (every shipped model) resolve to the paper's ConvT.
  assert.equal(resolveConfig('cpu', { model: { family: 'bbox', ngf: 16 } }).model.gUpsample, 'deconv');
});

test('tiny nets run forward with the documented output shapes and ranges', () => {
  const B = 2;
  for (const c of CASES) {
    const cfg = resolveConfig('tiny', { model: { family: c.family, variant: c.variant, numParts: c.numParts } }).model;
    const { buildG, buildD } = familyBuilders(c.family);
    const G = buildG(cfg, 0);
    const D = buildD(cfg, 1);
    const K = c.numParts;
    const z = tf.randomNormal([B, cfg.nz]);
    const t = tf.randomNormal([B, 1024]);
    const cond = c.family === 'bbox' ? tf.tensor2d([[0.1, 0.2, 0.5, 0.5], [0.3, 0.3, 0.4, 0.6]]) : c.family === 'keypoint' ? tf.randomUniform([B, 16, 16, K]).round() : tf.randomUniform([B, K, 3]).round();
    const n0 = tf.memory().numTensors;
    const out = G.predict([z, t, cond]) as tf.Tensor;
    const p = (c.family === 'keypoint-gen' ? D.predict([out, t]) : D.predict([out, cond, t])) as tf.Tensor;
    assert.equal(tf.memory().numTensors, n0 + 2, `${c.family} predict leaks`);
    assert.deepEqual(out.shape, c.family === 'keypoint-gen' ? [B, K, 3] : [B, 128, 128, 3]);
    assert.deepEqual(p.shape, [B, 1]);
    const lo = c.family === 'keypoint-gen' ? 0 : -1;
    for (const v of out.dataSync()) assert.ok(v >= lo && v <= 1 && Number.isFinite(v));
    for (const v of p.dataSync()) assert.ok(v > 0 && v < 1);
    tf.dispose([z, t, cond, out, p]);
    G.dispose();
    D.dispose();
  }
});

test('Gk with all switches on (v = 1) returns k_g exactly; with all off it returns f in (0,1)', () => {
  const cfg = resolveConfig('tiny', { model: { family: 'keypoint-gen' } }).model;
  const Gk = buildKeypointCompleter(cfg, 0);
  const xy = tf.randomUniform([3, 15, 2], 0, 1, 'float32', 5);
  const kOn = tf.concat([xy, tf.ones([3, 15, 1])], 2);
  const z = tf.randomNormal([3, cfg.nz]);
  const t = tf.randomNormal([3, 1024]);
  const out = Gk.predict([z, t, kOn]) as tf.Tensor;
  assert.deepEqual(out.dataSync(), kOn.dataSync());
  const kOff = tf.zeros([3, 15, 3]);
  const f = Gk.predict([z, t, kOff]) as tf.Tensor;
  for (const v of f.dataSync()) assert.ok(v > 0 && v < 1);
  // Mixed: s ⊙ k + (1 − s) ⊙ f per keypoint.
  const mixed = switchKeypoints(tf.tensor3d([[[0.2, 0.3, 1], [0.9, 0.9, 0]]]), tf.tensor3d([[[0.5, 0.5, 0.5], [0.1, 0.7, 0.4]]]));
  assert.deepEqual(Array.from(mixed.dataSync()), Array.from(Float32Array.from([0.2, 0.3, 1, 0.1, 0.7, 0.4])));
  tf.dispose([xy, kOn, z, t, out, kOff, f, mixed]);
  Gk.dispose();
});

test('init is deterministic from the seed and follows N(0,.02) / BN N(1,.02) / Linear U(±1/sqrt(fan_in))', () => {
  const cfg = resolveConfig('tiny').model;
  const a = buildKeypointGenerator(cfg, 7);
  const b = buildKeypointGenerator(cfg, 7);
  const c = buildKeypointGenerator(cfg, 8);
  const w = (m: tf.LayersModel, name: string, i = 0) => Array.from(m.getLayer(name).getWeights()[i].dataSync() as Float32Array);
  assert.deepEqual(w(a, 'netG_1_convT'), w(b, 'netG_1_convT'));
  assert.notDeepEqual(w(a, 'netG_1_convT'), w(c, 'netG_1_convT'));
  const k = w(a, 'netG_1_convT'); // 3·3·(5·4+15)·16 = 5040 values
  const mean = k.reduce((s, x) => s + x, 0) / k.length;
  const sd = Math.sqrt(k.reduce((s, x) => s + (x - mean) ** 2, 0) / k.length);
  assert.ok(Math.abs(mean) < 0.002 && Math.abs(sd - 0.02) < 0.002, `conv init mean ${mean} sd ${sd}`);
  assert.ok(w(a, 'netG_1_convT', 1).every((x) => x === 0), 'conv bias 0');
  const gamma = w(a, 'netG_1_bn', 0);
  assert.ok(gamma.every((x) => Math.abs(x - 1) < 0.1) && gamma.some((x) => x !== 1), 'BN gamma ~ N(1, .02)');
  assert.ok(w(a, 'netG_1_bn', 1).every((x) => x === 0), 'BN beta 0');
  const lin = w(a, 'prep_txt');
  const bound = 1 / Math.sqrt(1024);
  assert.ok(lin.every((x) => Math.abs(x) <= bound) && Math.max(...lin.map(Math.abs)) > 0.9 * bound, 'Linear U(±1/sqrt(1024))');
  assert.ok(w(a, 'prep_txt', 1).every((x) => Math.abs(x) <= bound) && w(a, 'prep_txt', 1).some((x) => x !== 0), 'Linear bias U(±1/sqrt(fan_in))');
  [a, b, c].forEach((m) => m.dispose());
});

test('builders validate their config', () => {
  const cfg = resolveConfig('tiny', { model: { family: 'keypoint-gen' } }).model;
  assert.throws(() => buildKeypointCritic({ ...cfg, ndf: 8 }), (e: Error) => e instanceof GawwnError && /ndf/.test(e.message));
  assert.throws(() => buildKeypointGenerator({ ...cfg, keypointGrid: 8 }), (e: Error) => e instanceof GawwnError && /keypointGrid/.test(e.message));
  assert.throws(() => familyBuilders('gan' as ModelFamily), GawwnError);
});

test('a whole generator with custom layers saves and loads with identical outputs', async () => {
  const cfg = resolveConfig('tiny', { model: { family: 'bbox' } }).model;
  const { buildG } = familyBuilders('bbox');
  const G = buildG(cfg, 3);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await G.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const L = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const inputs = [tf.randomNormal([2, cfg.nz], 0, 1, 'float32', 1), tf.randomNormal([2, 1024], 0, 1, 'float32', 2), tf.tensor2d([[0.1, 0.2, 0.5, 0.4], [0.5, 0.5, 0.3, 0.3]])];
  const a = G.predict(inputs) as tf.Tensor;
  const b = L.predict(inputs) as tf.Tensor;
  assert.deepEqual(b.dataSync(), a.dataSync());
  assert.equal(L.countParams(), G.countParams());
  tf.dispose([a, b, ...inputs]);
  G.dispose();
  L.dispose();
});
