import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/config/resolve.js';
import { PAPER_DEFAULTS } from '../../src/config/defaults.js';
import { GawwnError } from '../../src/util/errors.js';

test('paper preset equals the original scripts; small and tiny change only their fields', () => {
  const p = resolveConfig('paper');
  assert.deepEqual(p, PAPER_DEFAULTS);
  assert.equal(p.model.ngf, 128);
  assert.equal(p.model.ndf, 128);
  assert.equal(p.model.nz, 100);
  assert.equal(p.model.txtSize, 1024);
  assert.equal(p.train.batchSize, 16);
  assert.equal(p.train.lr, 2e-4);
  assert.equal(p.train.beta1, 0.5);
  assert.equal(p.train.clsWeight, 0.5);
  assert.equal(1 - p.train.gkDropProb, 0.09999999999999998); // p_on = 0.1
  const s = resolveConfig('small');
  assert.deepEqual({ ...s.model, ngf: 128, ndf: 128 }, p.model);
  assert.equal(s.model.ngf, 32);
  assert.equal(s.model.imageSize, 128);
  const c = resolveConfig('cpu');
  assert.deepEqual({ ...c.model, ngf: 128, ndf: 128 }, p.model);
  assert.deepEqual([c.model.ngf, c.model.ndf, c.train.batchSize], [16, 16, 16]);
  const t = resolveConfig('tiny', { model: { family: 'bbox' } });
  assert.equal(t.model.ngf, 4);
  assert.equal(t.model.keypointGrid, 16);
  assert.equal(t.train.batchSize, 2);
  assert.equal(t.model.family, 'bbox');
});

test('overrides deep-merge, inputs are not mutated, result is frozen', () => {
  const over = { model: { numParts: 17, variant: 'mhp' as const }, train: { seed: 3 } };
  const copy = JSON.parse(JSON.stringify(over));
  const c = resolveConfig('small', over);
  assert.deepEqual(over, copy);
  assert.equal(c.model.numParts, 17);
  assert.equal(c.model.ngf, 32);
  assert.equal(c.train.seed, 3);
  assert.equal(c.train.lr, 2e-4);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.model) && Object.isFrozen(c.train));
  assert.equal(PAPER_DEFAULTS.model.numParts, 15);
});

test('bad presets, keys, types and ranges are GawwnErrors naming the field', () => {
  assert.throws(() => resolveConfig('huge'), (e: Error) => e instanceof GawwnError && /paper, small, cpu, tiny/.test(e.message));
  assert.throws(() => resolveConfig('paper', { model: { ngff: 3 } } as never), (e: Error) => e instanceof GawwnError && /model\.ngff/.test(e.message));
  assert.throws(() => resolveConfig('paper', { modle: {} } as never), (e: Error) => e instanceof GawwnError && /modle/.test(e.message));
  assert.throws(() => resolveConfig('paper', { model: { ngf: '32' } } as never), (e: Error) => e instanceof GawwnError && /model\.ngf/.test(e.message));
  assert.throws(() => resolveConfig('paper', { model: { ngf: 0 } }), (e: Error) => e instanceof GawwnError && /model\.ngf = 0/.test(e.message));
  assert.throws(() => resolveConfig('paper', { model: { ngf: 2.5 } }), (e: Error) => e instanceof GawwnError && /integer/.test(e.message));
  assert.throws(() => resolveConfig('paper', { train: { clsWeight: 1.5 } }), (e: Error) => e instanceof GawwnError && /train\.clsWeight/.test(e.message));
  assert.throws(() => resolveConfig('paper', { train: { lr: 0 } }), (e: Error) => e instanceof GawwnError && /train\.lr/.test(e.message));
  assert.throws(() => resolveConfig('paper', { model: { family: 'gan' as never } }), (e: Error) => e instanceof GawwnError && /model\.family/.test(e.message));
  assert.throws(() => resolveConfig('paper', { model: { imageSize: 64 } }), (e: Error) => e instanceof GawwnError && /model\.imageSize/.test(e.message));
});
