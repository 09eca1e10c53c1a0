import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/rng.js';
import { EmbeddingCache, embedCaptions, runCacheDir, captionKey } from '../../src/text/cache.js';
import { saveEncoderRun, loadEncoderRun, loadTextEncoder } from '../../src/text/run-io.js';
import { CharTextEncoder, resolveTextEncoderConfig } from '../../src/text/encoder.js';
import { GawwnError } from '../../src/util/errors.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-text-'));

test('cache: computes each caption once, persists, reloads; detects a tampered data file', async () => {
  const dir = tmp();
  let calls = 0;
  const fake = { embed: async (texts: readonly string[]) => { calls += texts.length; return Float32Array.from(texts.flatMap((t) => [t.length, t.charCodeAt(0)])); } };
  const c = EmbeddingCache.open(dir, 'enc1', 2);
  assert.equal(await c.ensure(fake, ['abc', 'de', 'abc']), 2);
  assert.equal(await c.ensure(fake, ['abc', 'xyz1']), 1);
  assert.equal(calls, 3);
  c.save();
  const c2 = EmbeddingCache.open(dir, 'enc1', 2);
  assert.equal(c2.size, 3);
  assert.deepEqual(Array.from(await c2.lookup(['de', 'xyz1'])), [2, 100, 4, 120]);
  assert.equal(captionKey('abc').length, 64);
  assert.throws(() => EmbeddingCache.open(dir, 'enc1', 3), /holds 2-d embeddings/);
  await assert.rejects(c2.lookup(['never seen']), /not in the embedding cache/);
  fs.appendFileSync(path.join(dir, 'enc1.bin'), Buffer.alloc(4));
  assert.throws(() => EmbeddingCache.open(dir, 'enc1', 2), (e: Error) => e instanceof GawwnError && /enc1\.bin: .*does not match its index/.test(e.message));
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
  const r1 = await embedCaptions(dir, caps);
  assert.equal(r1.computed, 2);
  assert.deepEqual(r1.embeddings, direct);
  const r2 = await embedCaptions(dir, caps);
  assert.equal(r2.computed, 0);
  assert.deepEqual(r2.embeddings, direct);
  assert.ok(fs.existsSync(path.join(runCacheDir(dir), `${id}.bin`)));
  // a modified weight file is refused
  const w = path.join(dir, 'text-encoder.bin');
  const b = fs.readFileSync(w);
  b[0] ^= 1;
  fs.writeFileSync(w, b);
  assert.throws(() => loadEncoderRun(dir), /checksum/);
});
