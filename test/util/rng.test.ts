import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';

test('same seed gives the same stream; state round-trips', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  a.normal();
  const c = new Rng(a.state());
  assert.deepEqual([a.normal(), a.next(), a.normal()], [c.normal(), c.next(), c.normal()]);
  assert.notEqual(new Rng(1).next(), new Rng(2).next());
});

test('normals have mean ~0 and variance ~1; uniforms stay in range', () => {
  const r = new Rng(7);
  const n = 20000;
  const v = r.normalArray(n);
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const varr = v.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(varr - 1) < 0.05, `var ${varr}`);
  for (let i = 0; i < 1000; i++) {
    const k = r.int(3, 5);
    assert.ok(k >= 3 && k <= 5 && Number.isInteger(k));
  }
  assert.deepEqual(r.permutation(10).slice().sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
