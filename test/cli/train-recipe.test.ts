/**
 * `gawwn train --recipe stable` and `--init` through the real CLI: the recipe is recorded in config.json and the
 * checkpoints, checkpoints hold the averaged G beside G and D, final/ is the averaged G, `publish` ships G and D,
 * and a new run can start from a run or a published model (continuing the average's warm-up); an init whose networks do not fit is refused before
 * anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorLines, gawwn, makeTinyFixture, trainArgs } from './tiny-fixture.js';
import { importWeights, loadLatest } from '../../src/training/checkpoint.js';

test('stable recipe: recorded, averaged G checkpointed and exported, D published, --init from a run and from a published model', async () => {
  const f = makeTinyFixture('gawwn-recipe-');
  const run = path.join(f.root, 'run');
  const t = gawwn(trainArgs(f, run, 3, ['--recipe', 'stable', '--checkpoint-every', '1']));
  assert.equal(t.code, 0, t.err);
  const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.equal(cfg.config.train.recipe, 'stable');
  assert.equal(cfg.config.model.dNorm, 'spectral');
  const ck = await loadLatest(run);
  assert.ok(ck !== null);
  assert.equal((ck.config as { train: { recipe: string } }).train.recipe, 'stable');
  assert.deepEqual(Object.keys(ck.groups).sort(), ['D', 'G', 'Gema', 'optD', 'optG']);
  assert.ok(ck.groups.D.some((w) => /sn_u/.test(w.name)), 'spectral-norm vectors are checkpointed');
  const fin = await importWeights(path.join(run, 'final'));
  assert.equal(fin.meta.averaged, true);
  // final/ is the averaged G (its statistics re-estimated the same way as at the checkpoint).
  fin.groups.G.forEach((w, i) => assert.deepEqual(Array.from(w.data), Array.from(ck.groups.Gema[i].data), w.name));
  const line = JSON.parse(fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n')[2]);
  assert.ok(typeof line.modeSeeking === 'number' && line.modeSeeking > 0, JSON.stringify(line));

  // The training curve: every checkpoint's averaged G evaluated once; a second pass adds nothing.
  const ev = path.join(f.root, 'ev');
  const e = gawwn(['eval', 'train-evaluator', '--data', f.birds, '--out', ev, '--steps', '2', '--batch', '4', '--width', '2', '--test-limit', '8']);
  assert.equal(e.code, 0, e.err);
  const curve = path.join(f.root, 'curve.jsonl');
  for (let pass = 0; pass < 2; pass++) {
    // Three checkpoints × (generation + evaluator): generous on shared cores.
    const c = gawwn(['eval', 'curve', '--run', run, '--data', f.birds, '--evaluator', ev, '--out', curve, '--n', '4'], {}, 600_000);
    assert.equal(c.code, 0, c.err);
  }
  const pts = fs.readFileSync(curve, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(pts.map((p) => p.step), [1, 2, 3]);
  for (const p of pts) assert.ok(p.boxIou >= 0 && p.boxIou <= 1 && p.zPixelStd >= 0 && p.captionPixelStd >= 0 && p.n === 4 && p.seed === 3, JSON.stringify(p));

  const into = path.join(f.root, 'pretrained');
  const p = gawwn(['publish', '--run', run, '--name', 'kp-tiny', '--into', into]);
  assert.equal(p.code, 0, p.err);
  const pub = await importWeights(path.join(into, 'kp-tiny'));
  assert.deepEqual(Object.keys(pub.groups).sort(), ['D', 'G']);
  assert.equal(pub.meta.averaged, true);
  // Published from a checkpoint alone (the one a validation curve picked), G is still the average and says so.
  const picked = path.join(f.root, 'picked');
  fs.mkdirSync(path.join(picked, 'checkpoints'), { recursive: true });
  fs.cpSync(ck.dir, path.join(picked, 'checkpoints', path.basename(ck.dir)), { recursive: true });
  fs.writeFileSync(path.join(picked, 'checkpoints', 'latest'), `${path.basename(ck.dir)}\n`);
  assert.equal(gawwn(['publish', '--run', picked, '--name', 'kp-picked', '--into', into]).code, 0);
  const pick = await importWeights(path.join(into, 'kp-picked'));
  assert.equal(pick.meta.averaged, true);
  pick.groups.G.forEach((w, i) => {
    const o = ck.groups.Gema[i].data;
    for (let j = 0; j < o.length; j++) assert.ok(Math.abs(o[j] - w.data[j]) <= 1e-3 * Math.max(1, Math.abs(o[j])), `${w.name}[${j}]`);
  });
  pub.groups.D.forEach((w, i) => {
    const o = ck.groups.D[i].data;
    for (let j = 0; j < o.length; j++) assert.ok(Math.abs(o[j] - w.data[j]) <= 1e-3 * Math.max(1, Math.abs(o[j])), `${w.name}[${j}]`);
  });

  for (const from of [run, path.join(into, 'kp-tiny')]) {
    const out = path.join(f.root, `init-${path.basename(from)}`);
    const r = gawwn(trainArgs(f, out, 1, ['--recipe', 'stable', '--init', from, '--checkpoint-every', '1']));
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.existsSync(path.join(out, 'final', 'manifest.json')));
    // The average carried over keeps its warm-up position: the source's 3 averaged G steps, then this run's one.
    const c1 = await loadLatest(out);
    assert.equal((c1?.extra as { session: { emaUpdates: number } }).session.emaUpdates, 4, from);
  }
  // A paper-recipe D (batch norm) cannot take the stable run's weights: one line, no run folder left.
  const bad = path.join(f.root, 'init-bad');
  const r = gawwn(trainArgs(f, bad, 1, ['--recipe', 'paper', '--init', run]));
  assert.equal(r.code, 2, r.err);
  const lines = errorLines(r.err);
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], /weight/);
  assert.ok(!fs.existsSync(bad), 'nothing written');
});
