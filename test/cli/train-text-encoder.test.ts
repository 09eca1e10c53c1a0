import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { synthBirds } from '../../src/data/synth-birds.js';
import { embeddingCacheDir } from '../../src/text/cache.js';

const bin = path.resolve(__dirname, '../../../bin/gawwn.js');
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, GAWWN_BACKEND: 'cpu' } });

test('gawwn train-text-encoder + gawwn embed on a synthetic CUB-style root with text_c10 captions', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-tte-'));
  const data = path.join(root, 'data');
  const out = path.join(root, 'run');
  await synthBirds({ out: data, images: 16, seed: 3, classes: 4, trainFraction: 0.75, minSize: 64, maxSize: 96 });
  const split = fs.readFileSync(path.join(data, 'train_test_split.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ')[1]);
  const nTrain = split.filter((v) => v === '1').length;
  const nTest = split.length - nTrain;
  assert.ok(nTrain > 0 && nTest > 0);
  const r = run(['train-text-encoder', '--data', data, '--out', out, '--steps', '12', '--preset', 'test-tiny', '--checkpoint-every', '5', '--no-progress']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.step, 12);
  assert.equal(summary.heldOut.images, nTest);
  assert.equal(summary.heldOut.captions, 10 * nTest);
  assert.match(r.stderr, new RegExp(`${nTrain} train / ${nTest} held-out images`));
  const log = fs.readFileSync(path.join(out, 'loss.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.step), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.ok(log.every((l) => Number.isFinite(l.loss) && l.loss >= 0));
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'text-encoder.json'), 'utf8'));
  assert.equal(manifest.step, 12);
  assert.equal(manifest.sha256.slice(0, 16), summary.encoderId);
  assert.deepEqual(fs.readdirSync(out).filter((f) => f.endsWith('.tmp')), []);

  const e1 = run(['embed', '--encoder', out, 'this bird has a red body', 'a blue bird']);
  assert.equal(e1.status, 0, e1.stderr);
  const j1 = JSON.parse(e1.stdout);
  assert.equal(j1.encoderId, summary.encoderId);
  assert.equal(j1.dim, 32);
  assert.equal(j1.embeddings.length, 2);
  assert.equal(j1.embeddings[0].vector.length, 32);
  // The cache is in the user cache folder (the child inherits this process's environment), not in the run.
  assert.ok(fs.existsSync(path.join(embeddingCacheDir(), `${summary.encoderId}.emb`)));
  assert.ok(!fs.existsSync(path.join(out, 'embeddings')));
  const e2 = run(['embed', '--encoder', out, 'this bird has a red body']);
  assert.deepEqual(JSON.parse(e2.stdout).embeddings[0], j1.embeddings[0]);

  // resume continues the step count
  const r2 = run(['train-text-encoder', '--data', data, '--out', out, '--steps', '3', '--preset', 'test-tiny', '--resume', '--no-progress']);
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(JSON.parse(r2.stdout).step, 15);

  const bad = run(['train-text-encoder', '--data', path.join(root, 'nope'), '--out', out, '--preset', 'test-tiny']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^gawwn: .*nope: not a CUB-200-2011 root \(images\.txt\) nor an MPII root \(mpii_dataset\.csv\)\n$/);
  const badPreset = run(['train-text-encoder', '--data', data, '--out', out, '--preset', 'huge']);
  assert.equal(badPreset.status, 2);
  assert.match(badPreset.stderr, /unknown text encoder preset 'huge'/);
});

test('gawwn eval text-retrieval: the training summary\'s held-out metrics, recomputed; unseen classes alone; a root without held-out classes refused', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-ttr-'));
  const data = path.join(root, 'data');
  const out = path.join(root, 'run');
  await synthBirds({ out: data, images: 24, seed: 5, classes: 4, testClasses: 2, minSize: 64, maxSize: 96 });
  const r = run(['train-text-encoder', '--data', data, '--out', out, '--steps', '4', '--preset', 'test-tiny', '--no-progress']);
  assert.equal(r.status, 0, r.stderr);
  const heldOut = JSON.parse(r.stdout).heldOut;
  const ev = (classes: string) => run(['eval', 'text-retrieval', '--encoder', out, '--data', data, '--classes', classes, '--json']);
  const all = ev('all');
  assert.equal(all.status, 0, all.stderr);
  const a = JSON.parse(all.stdout);
  for (const k of ['captionToImageTop1', 'imageToCaptionTop1', 'captionToImageMap', 'images', 'captions', 'classes']) assert.equal(a[k], heldOut[k], k);
  assert.equal(a.imageCrop, 'full');
  const u = JSON.parse(ev('unseen').stdout);
  const s = JSON.parse(ev('seen').stdout);
  assert.equal(u.classes, 2);
  assert.equal(u.classSelection, 'unseen');
  assert.equal(u.images + s.images, a.images);
  for (const k of ['captionToImageTop1', 'imageToCaptionTop1', 'captionToImageMap']) assert.ok(u[k] >= 0 && u[k] <= 1, `${k} ${u[k]}`);
  const plain = path.join(root, 'plain');
  await synthBirds({ out: plain, images: 12, seed: 6, classes: 3, minSize: 64, maxSize: 96 });
  const bad = run(['eval', 'text-retrieval', '--encoder', out, '--data', plain, '--classes', 'unseen']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^gawwn: .*attributes\.json: --classes unseen needs a root that holds out whole classes/);
  fs.rmSync(root, { recursive: true, force: true });
});
