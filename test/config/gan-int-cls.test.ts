import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GAN_INT_CLS_DEFAULTS, resolveGanIntClsConfig, validateGanIntClsConfig, type GanIntClsConfig } from '../../src/config/gan-int-cls.js';
import { GawwnError } from '../../src/util/errors.js';

test('paper preset is what I:scripts/train_cub.sh ran; result is frozen and defaults are untouched', () => {
  const c = resolveGanIntClsConfig('paper');
  assert.deepEqual(c.model, { imageSize: 64, ngf: 128, ndf: 64, nz: 100, txtSize: 1024, nt: 128 });
  assert.equal(c.train.batchSize, 64);
  assert.equal(c.train.clsWeight, 0.5);
  assert.equal(c.train.interpWeight, 1.0);
  assert.equal(c.train.lr, 2e-4);
  assert.equal(c.train.beta1, 0.5);
  assert.equal(c.train.numCaptions, 4);
  assert.equal(c.train.epochs, 600);
  assert.equal(c.train.decayEvery, 100);
  assert.equal(c.train.lrDecay, 0.5);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.model) && Object.isFrozen(c.train));
  assert.throws(() => {
    (c.model as { ngf: number }).ngf = 3;
  }, TypeError);
  assert.equal(GAN_INT_CLS_DEFAULTS.model.ngf, 128);
});

test('small and tiny presets, and overrides over a preset', () => {
  const s = resolveGanIntClsConfig('small');
  assert.deepEqual([s.model.ngf, s.model.ndf, s.train.batchSize], [32, 32, 16]);
  assert.deepEqual(resolveGanIntClsConfig('cpu'), s);
  const t = resolveGanIntClsConfig('tiny', { train: { seed: 7, interpWeight: 0.25 } });
  assert.deepEqual([t.model.ngf, t.model.ndf, t.model.nt, t.train.batchSize, t.train.seed, t.train.interpWeight], [4, 4, 8, 4, 7, 0.25]);
  assert.equal(t.model.imageSize, 64);
});

test('bad configs throw GawwnError naming the field', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => resolveGanIntClsConfig('huge'), /unknown GAN-INT-CLS preset 'huge'.*paper, small, cpu, tiny/],
    [() => resolveGanIntClsConfig('tiny', { model: { ngff: 3 } as never }), /unknown GAN-INT-CLS config field model\.ngff/],
    [() => resolveGanIntClsConfig('tiny', { model: { ngf: '8' as never } }), /model\.ngf .* must be a number/],
    [() => resolveGanIntClsConfig('tiny', { train: { batchSize: 5 } }), /train\.batchSize must be even.*got 5/],
    [() => resolveGanIntClsConfig('tiny', { model: { imageSize: 128 } }), /model\.imageSize = 128 is out of range \[64, 64\]/],
    [() => resolveGanIntClsConfig('tiny', { model: { ndf: 2.5 } }), /model\.ndf must be an integer, got 2\.5/],
    [() => resolveGanIntClsConfig('tiny', { train: { clsWeight: 1.5 } }), /train\.clsWeight = 1\.5 is out of range \[0, 1\]/],
    [() => resolveGanIntClsConfig('tiny', { train: { lr: 0 } }), /train\.lr = 0 is out of range \(0, 1\]/],
  ];
  for (const [f, re] of cases) {
    assert.throws(f, (e: unknown) => e instanceof GawwnError && re.test(e.message), String(re));
  }
  const broken = JSON.parse(JSON.stringify(GAN_INT_CLS_DEFAULTS)) as GanIntClsConfig;
  delete (broken.train as Partial<GanIntClsConfig['train']>).interpWeight;
  assert.throws(() => validateGanIntClsConfig(broken), /train\.interpWeight must be a finite number, got undefined/);
});
