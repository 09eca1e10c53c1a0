import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/rng.js';
import { EmbeddingCache, embedCaptions, embeddingCacheDir, runCacheDir, captionKey } from '../../src/text/cache.js';
import { saveEncoderRun, loadEncoderRun, loadTextEncoder } from '../../src/text/run-io.js';
import { CharTextEncoder, resolveTextEncoderConfig } from '../../src/text/encoder.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-text-'));

test('cache: computes each caption once, persists, reloads; a tampered or foreign file is rebuilt with a warning', async () => {
  const dir = tmp();
  let calls = 0;
  const fake = { embed: async (texts: readonly string[]) => { calls += texts.length; return Float32Array.from(texts.flatMap((t) => [t.length, t.charCodeAt(0)])); } };
  const c = EmbeddingCache.open(dir, 'enc1', 2);
  assert.equal(await c.ensure(fake, ['abc', 'de', 'abc']), 2);
  assert.equal(await c.ensure(fake, ['abc', 'xyz1']), 1);
  assert.equal(calls, 3);
  await c.save();
  assert.deepEqual(fs.readdirSync(dir), ['enc1.emb'], 'one file, no lock or temporary left');
  const c2 = EmbeddingCache.open(dir, 'enc1', 2);
  assert.equal(c2.size, 3);
  assert.deepEqual(Array.from(await c2.lookup(['de', 'xyz1'])), [2, 100, 4, 120]);
  assert.equal(captionKey('abc').length, 64);
  const warnings: string[] = [];
  const w = (m: string): number => warnings.push(m);
  assert.equal(EmbeddingCache.open(dir, 'enc1', 3, w).size, 0);
  assert.match(warnings[0], /enc1\.emb: embedding cache holds 2-d embeddings, expected 3; rebuilding it$/);
  await assert.rejects(c2.lookup(['never seen']), /not in the embedding cache/);
  fs.appendFileSync(path.join(dir, 'enc1.emb'), Buffer.alloc(4));
  const c3 = EmbeddingCache.open(dir, 'enc1', 2, w);
  assert.equal(c3.size, 0);
  assert.match(warnings[1], /enc1\.emb: embedding cache data does not match its header \(truncated or modified\); rebuilding it$/);
  await c3.ensure(fake, ['abc']);
  await c3.save();
  assert.deepEqual(Array.from(await EmbeddingCache.open(dir, 'enc1', 2, w).lookup(['abc'])), [3, 97]);
  assert.equal(warnings.length, 2);
});

test('cache: concurrent writers merge under the lock; none loses the others\' rows', async () => {
  const dir = tmp();
  const fake = { embed: async (texts: readonly string[]) => Float32Array.from(texts.flatMap((t) => [t.length, t.charCodeAt(0)])) };
  const caches = [0, 1, 2, 3].map(() => EmbeddingCache.open(dir, 'enc2', 2));
  await Promise.all(caches.map(async (c, i) => {
    await c.ensure(fake, [`caption ${i}`, 'shared']);
    await c.save();
  }));
  const all = EmbeddingCache.open(dir, 'enc2', 2, (m) => assert.fail(m));
  assert.equal(all.size, 5);
  assert.deepEqual(Array.from(await all.lookup(['caption 3', 'shared'])), [9, 99, 6, 115]);
});

test('embedCaptions: a cache that cannot be saved (full disk) is a warning, the embeddings are returned', async () => {
  await tf.setBackend('cpu');
  const dir = tmp();
  const cfg = resolveTextEncoderConfig('test-tiny');
  const enc = new CharTextEncoder(cfg, new Rng(5));
  saveEncoderRun(dir, { textConfig: { ...cfg }, textWeights: await enc.weights(), step: 1 });
  const direct = await enc.embed(['a small bird']);
  enc.dispose();
  const warnings: string[] = [];
  const warn = (m: string): number => warnings.push(m);
  // A full disk: every write of the (temporary) cache file fails with ENOSPC.
  const cacheDir = tmp();
  const open = fs.promises.open;
  fs.promises.open = (async (...a: Parameters<typeof open>) => {
    const fh = await open(...a);
    if (String(a[1]).includes('w')) {
      fh.writeFile = async () => {
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${String(a[0])}'`), { code: 'ENOSPC', syscall: 'write' });
      };
    }
    return fh;
  }) as typeof open;
  try {
    const r = await embedCaptions(dir, ['a small bird'], { cacheDir, warn });
    assert.deepEqual(r.embeddings, direct);
  } finally {
    fs.promises.open = open;
  }
  assert.deepEqual(fs.readdirSync(cacheDir), [], 'no temporary or lock left');
  // A file where the cache folder should be.
  const notDir = path.join(dir, 'a-file');
  fs.writeFileSync(notDir, '');
  assert.deepEqual((await embedCaptions(dir, ['a small bird'], { cacheDir: path.join(notDir, 'cache'), warn })).embeddings, direct);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], new RegExp(`^embedding cache not saved \\(${cacheDir}/[0-9a-f]+\\.emb: no space left on the device \\(ENOSPC\\)\\); the result is unaffected, the captions will be embedded again next time$`));
  assert.match(warnings[1], /^embedding cache not saved \(.*a-file\/cache\/[0-9a-f]+\.emb: (a parent of it is not a folder \(ENOTDIR\)|already exists \(EEXIST\))\); the result is unaffected/);
  assert.ok(!warnings.some((m) => /\.tmp-/.test(m)), 'no temporary file named');
});

test('run-io + embed: a saved run reloads to identical outputs; embedCaptions uses the run cache', async () => {
  await tf.setBackend('cpu');
  const dir = tmp();
  const cfg = resolveTextEncoderConfig('test-tiny');
  const enc = new CharTextEncoder(cfg, new Rng(11));
  const id = saveEncoderRun(dir, { textConfig: { ...cfg }, textWeights: await enc.weights(), step: 5 });
  const caps = ['a red bird with black wings', 'A Blue Bird'];
  const direct = await enc.embed(caps);
  enc.dispose();
  const { encoder, encoderId } = loadTextEncoder(dir);
  assert.equal(encoderId, id);
  assert.deepEqual(await encoder.embed(caps), direct);
  encoder.dispose();
  const cacheDir = tmp();
  const r1 = await embedCaptions(dir, caps, { cacheDir });
  assert.equal(r1.computed, 2);
  assert.deepEqual(r1.embeddings, direct);
  const r2 = await embedCaptions(dir, caps, { cacheDir });
  assert.equal(r2.computed, 0);
  assert.deepEqual(r2.embeddings, direct);
  assert.ok(fs.existsSync(path.join(cacheDir, `${id}.emb`)));
  assert.ok(!fs.existsSync(path.join(dir, 'embeddings')), 'nothing written into the encoder run folder');
  // The default location is the user cache directory (XDG base-directory spec), not the package.
  const saved = { x: process.env.XDG_CACHE_HOME, g: process.env.GAWWN_CACHE_DIR };
  delete process.env.GAWWN_CACHE_DIR;
  process.env.XDG_CACHE_HOME = '/somewhere/cache';
  assert.equal(embeddingCacheDir(), '/somewhere/cache/gawwn/embeddings');
  delete process.env.XDG_CACHE_HOME;
  assert.equal(runCacheDir(dir), path.join(os.homedir(), '.cache', 'gawwn', 'embeddings'));
  if (saved.x !== undefined) process.env.XDG_CACHE_HOME = saved.x;
  if (saved.g !== undefined) process.env.GAWWN_CACHE_DIR = saved.g;
  // a modified weight file is refused
  const w = path.join(dir, 'text-encoder.bin');
  const b = fs.readFileSync(w);
  b[0] ^= 1;
  fs.writeFileSync(w, b);
  assert.throws(() => loadEncoderRun(dir), /checksum/);
});
