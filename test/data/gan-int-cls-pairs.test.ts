import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawGanIntClsCaptions, drawGanIntClsPairs } from '../../src/data/gan-int-cls-pairs.js';
import { GawwnError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

test('wrong images always come from another class; classes are drawn uniformly (not by file count); seeded', () => {
  // Class sizes 1, 2 and 7: file-uniform sampling would give class 2 70% of the real draws; class-uniform gives 1/3.
  const members = [[0], [1, 2], [3, 4, 5, 6, 7, 8, 9], []];
  const classOf = (i: number) => members.findIndex((m) => m.includes(i));
  const n = 6000;
  const { real, wrong } = drawGanIntClsPairs(members, n, new Rng(9));
  assert.equal(real.length, n);
  assert.equal(wrong.length, n);
  const realCount = [0, 0, 0];
  const wrongCount = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    assert.notEqual(classOf(real[i]), classOf(wrong[i]));
    realCount[classOf(real[i])]++;
    wrongCount[classOf(wrong[i])]++;
  }
  for (const c of [0, 1, 2]) {
    assert.ok(Math.abs(realCount[c] / n - 1 / 3) < 0.03, `real class ${c}: ${realCount[c]}`);
    assert.ok(Math.abs(wrongCount[c] / n - 1 / 3) < 0.03, `wrong class ${c}: ${wrongCount[c]}`);
  }
  // Within a class the file is uniform: class 2 has 7 files, each ~1/7 of its draws.
  const inClass2 = real.filter((i) => classOf(i) === 2);
  for (const f of members[2]) {
    const share = inClass2.filter((i) => i === f).length / inClass2.length;
    assert.ok(Math.abs(share - 1 / 7) < 0.04, `file ${f}: ${share}`);
  }
  assert.deepEqual(drawGanIntClsPairs(members, 20, new Rng(4)), drawGanIntClsPairs(members, 20, new Rng(4)));
});

test('caption draws are uniform with replacement; bad inputs are GawwnErrors', () => {
  const xs = drawGanIntClsCaptions(10, 4000, new Rng(1));
  assert.ok(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= 9));
  for (let c = 0; c < 10; c++) {
    const share = xs.filter((x) => x === c).length / xs.length;
    assert.ok(Math.abs(share - 0.1) < 0.025, `caption ${c}: ${share}`);
  }
  assert.throws(() => drawGanIntClsPairs([[1, 2], []], 3, new Rng(0)), (e: unknown) => e instanceof GawwnError && /at least 2 classes.*got 1/.test(e.message));
  assert.throws(() => drawGanIntClsPairs([[1], [2]], -1, new Rng(0)), GawwnError);
  assert.throws(() => drawGanIntClsCaptions(0, 4, new Rng(0)), /caption count must be a positive integer, got 0/);
});
