import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affineToMatrix, boxToCropAffine, boxToPasteAffine, interpolationWeights, invertAffine } from '../../src/layers/geometry.js';
import { GawwnError } from '../../src/util/errors.js';

test('a centred half-size box crops with scale .5 and translation 0, pastes with scale 2', () => {
  assert.deepEqual(boxToCropAffine({ x: 0.25, y: 0.25, w: 0.5, h: 0.5 }), { sX: 0.5, sY: 0.5, tX: 0, tY: 0 });
  assert.deepEqual(boxToPasteAffine({ x: 0.25, y: 0.25, w: 0.5, h: 0.5 }), { sX: 2, sY: 2, tX: -0, tY: -0 });
});

test('crop affine follows the donkey formula; invert is s\'=1/s, t\'=-t/s; matrix rows are (y, x)', () => {
  const a = boxToCropAffine({ x: 0.1, y: 0.2, w: 0.4, h: 0.5 });
  assert.ok(Math.abs(a.tX - (2 * (0.1 + 0.2) - 1)) < 1e-12);
  assert.ok(Math.abs(a.tY - (2 * (0.2 + 0.25) - 1)) < 1e-12);
  const inv = invertAffine(a);
  assert.ok(Math.abs(inv.sX - 2.5) < 1e-12 && Math.abs(inv.tX - -a.tX / 0.4) < 1e-12 && Math.abs(inv.sY - 2) < 1e-12);
  const back = invertAffine(inv);
  assert.ok(Math.abs(back.tX - a.tX) < 1e-12 && Math.abs(back.sY - a.sY) < 1e-12);
  assert.deepEqual(affineToMatrix(a), [[a.sY, 0, a.tY], [0, a.sX, a.tX]]);
  assert.throws(() => invertAffine({ sX: 0, sY: 1, tX: 0, tY: 0 }), GawwnError);
});

test('interpolation weights: align_corners grid, zero padding at the border', () => {
  // g = -1, 0, 1; src = g - 0.5; pos = (src + 1) * (3 - 1) / 2 = -0.5, 0.5, 1.5.
  assert.deepEqual(interpolationWeights(1, -0.5, 3, 3), [
    [0.5, 0, 0],
    [0.5, 0.5, 0],
    [0, 0.5, 0.5],
  ]);
  // Identity affine samples the input grid exactly.
  assert.deepEqual(interpolationWeights(1, 0, 4, 4), [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ]);
});
