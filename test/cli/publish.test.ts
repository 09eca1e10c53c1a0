/**
 * `gawwn publish` through the real CLI: a tiny trained run and its text encoder become shipped
 * models in a folder given by --into, the generator in float16 with the shipped text-encoder name recorded, and
 * `sample` draws from them exactly as from the run (to float16 precision).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gawwn, makeTinyFixture, trainArgs } from './tiny-fixture.js';
import { loadGenerator } from '../../src/sampling/load.js';
import { importWeights } from '../../src/training/checkpoint.js';

test('publish: a GAN run (float16, text encoder renamed, log kept) and a text-encoder run; bad names refused', async () => {
  const f = makeTinyFixture('gawwn-pub-');
  const run = path.join(f.root, 'run');
  const t = gawwn(trainArgs(f, run, 3));
  assert.equal(t.code, 0, t.err);
  const into = path.join(f.root, 'pretrained');
  const a = gawwn(['publish', '--run', f.text, '--name', 'text-tiny', '--into', into]);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /text-tiny: text-encoder, 5 steps, \d+\.\d\d MB\n$/);
  assert.deepEqual(fs.readdirSync(path.join(into, 'text-tiny')).sort(), ['loss.jsonl', 'text-encoder.bin', 'text-encoder.json']);
  // A step logged after the last saved weights (a run stopped between checkpoints) is not published.
  const logged = fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8');
  // So is a last line cut by kill -9 (it used to make publish throw a raw JSON error).
  fs.appendFileSync(path.join(run, 'log.jsonl'), '{"step":4,"lossD":1,"lossG":1}\n{"step":5,"lossD":0.');
  const b = gawwn(['publish', '--run', run, '--name', 'birds-tiny', '--into', into, '--text-encoder', 'pretrained:text-tiny']);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /birds-tiny: generator, 3 steps, \d+\.\d\d MB\n$/);
  const dir = path.join(into, 'birds-tiny');
  assert.ok(fs.existsSync(path.join(dir, 'log.jsonl')) && fs.existsSync(path.join(dir, 'config.json')));
  assert.equal(fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8'), logged);
  assert.equal(logged.trim().split('\n').length, 3);
  const w = await importWeights(dir);
  assert.equal(w.manifest.dtype, 'float16');
  assert.equal(w.meta.textEncoder, 'pretrained:text-tiny');
  assert.equal(w.meta.family, 'keypoint');
  assert.equal(w.meta.steps, 3);
  // Same weights as the run, to float16 precision; nothing temporary left beside the models.
  const orig = await loadGenerator(run);
  const pub = await loadGenerator(dir);
  const ow = orig.G.getWeights();
  const pw = pub.G.getWeights();
  assert.equal(pw.length, ow.length);
  for (let i = 0; i < ow.length; i++) {
    const o = ow[i].dataSync();
    const p = pw[i].dataSync();
    for (let j = 0; j < o.length; j++) assert.ok(Math.abs(o[j] - p[j]) <= 1e-3 * Math.max(1, Math.abs(o[j])), `weight ${i}[${j}] ${o[j]} vs ${p[j]}`);
  }
  orig.dispose();
  pub.dispose();
  assert.deepEqual(fs.readdirSync(into).sort(), ['birds-tiny', 'text-tiny']);
  const bad = gawwn(['publish', '--run', run, '--name', 'Birds Tiny', '--into', into]);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, "gawwn: model name must be lower-case letters, digits and '-', got 'Birds Tiny'\n");
  const none = gawwn(['publish', '--run', path.join(f.root, 'nope'), '--name', 'x', '--into', into]);
  assert.equal(none.code, 2);
  assert.match(none.err, /nope: no such run folder\n$/);
  assert.deepEqual(fs.readdirSync(into).sort(), ['birds-tiny', 'text-tiny']);
});
