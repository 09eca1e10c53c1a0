import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, storedConfig } from '../../src/config/resolve.js';
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
  const paperD = { dNorm: 'batch', dOutput: 'prob', dProjection: false } as const;
  assert.deepEqual({ ...s.model, ngf: 128, ndf: 128, ntD: 128, ...paperD }, p.model);
  assert.equal(s.model.ntD, 32);
  assert.equal(s.model.ngf, 32);
  assert.equal(s.model.imageSize, 128);
  const c = resolveConfig('cpu');
  assert.deepEqual({ ...c.model, ngf: 128, ndf: 128, ntD: 128, ...paperD }, p.model);
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

test('recipes: the CPU presets train with the stable recipe, the paper preset and tiny with the paper one; fields given win', () => {
  assert.equal(resolveConfig('paper').train.recipe, 'paper');
  assert.equal(resolveConfig('tiny').train.recipe, 'paper');
  for (const preset of ['small', 'cpu']) {
    const c = resolveConfig(preset);
    assert.equal(c.train.recipe, 'stable');
    assert.deepEqual([c.model.dNorm, c.model.dOutput, c.model.dProjection], ['spectral', 'logit', true]);
    assert.deepEqual([c.train.loss, c.train.wrongText, c.train.emaBeta, c.train.modeSeeking, c.train.beta1, c.train.beta2], ['hinge', 'other-class', 0.999, 1, 0, 0.99]);
    assert.deepEqual([c.train.augTranslate, c.train.augCutout, c.train.fakeScoreThresh], [0.125, 0.25, 0]);
  }
  const back = resolveConfig('cpu', { train: { recipe: 'paper' } });
  assert.deepEqual({ ...back.model, ngf: 128, ndf: 128, ntD: 128 }, PAPER_DEFAULTS.model);
  assert.deepEqual({ ...back.train }, { ...PAPER_DEFAULTS.train });
  const stablePaper = resolveConfig('paper', { train: { recipe: 'stable', emaBeta: 0.99 } });
  assert.equal(stablePaper.model.ngf, 128);
  assert.equal(stablePaper.train.emaBeta, 0.99);
  assert.equal(stablePaper.train.loss, 'hinge');
  assert.throws(() => resolveConfig('paper', { train: { loss: 'hinge' } }), (e: Error) => e instanceof GawwnError && /model\.dOutput = logit/.test(e.message));
  assert.throws(() => resolveConfig('paper', { train: { recipe: 'fast' as never } }), (e: Error) => e instanceof GawwnError && /train\.recipe/.test(e.message));
  assert.throws(() => resolveConfig('cpu', { train: { r1Gamma: 1 } }), (e: Error) => e instanceof GawwnError && /R1 penalty is not implemented/.test(e.message));
  assert.throws(() => resolveConfig('paper', { model: { dProjection: 1 as never } }), (e: Error) => e instanceof GawwnError && /model\.dProjection/.test(e.message));
});

test('a stored config without train.recipe (trained before recipes) resolves with the paper recipe under any preset', () => {
  const old = { model: { family: 'bbox', ngf: 16, ndf: 16, ntD: 128 }, train: { fakeScoreThresh: 0.2, seed: 2 } } as const;
  const c = resolveConfig('cpu', storedConfig(old));
  assert.deepEqual([c.train.recipe, c.model.dNorm, c.model.dOutput, c.train.fakeScoreThresh, c.model.ntD], ['paper', 'batch', 'prob', 0.2, 128]);
  const s = storedConfig({ train: { recipe: 'stable' } });
  assert.equal(s.train.recipe, 'stable');
});
