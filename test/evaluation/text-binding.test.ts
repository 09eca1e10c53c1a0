import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingReport, cosine, PARAPHRASE_PAIRS, SWAPPED_PAIRS } from '../../src/evaluation/text-binding.js';
import { BIRD_ATTRIBUTES } from '../../src/data/synth-birds.js';
import { COLOUR_NAMES } from '../../src/data/raster.js';
import { captionColours } from '../../src/evaluation/metrics.js';

test('cosine: golden values and a length check', () => {
  assert.ok(Math.abs(cosine(new Float32Array([1, 0]), new Float32Array([1, 1])) - Math.SQRT1_2) < 1e-7);
  assert.equal(cosine(new Float32Array([1, 2]), new Float32Array([-2, 1])), 0);
  assert.throws(() => cosine(new Float32Array(2), new Float32Array(3)), /lengths 2 and 3/);
});

test('the pairs mean what they say: swapped pairs swap two parts\' colours, paraphrases keep every binding', () => {
  const read = (c: string): string => Array.from(captionColours(c, BIRD_ATTRIBUTES, COLOUR_NAMES)).join(',');
  for (const [a, b] of PARAPHRASE_PAIRS) assert.equal(read(a), read(b), `${a} / ${b}`);
  for (const [a, b] of SWAPPED_PAIRS) {
    const x = captionColours(a, BIRD_ATTRIBUTES, COLOUR_NAMES);
    const y = captionColours(b, BIRD_ATTRIBUTES, COLOUR_NAMES);
    assert.equal(x.filter((v, i) => v !== y[i]).length, 2, `${a} / ${b}`);
    assert.deepEqual(Array.from(x).sort(), Array.from(y).sort());
  }
});

test('a bag-of-words encoder cannot bind: swapped pairs embed (almost) identically, the margin is negative', async () => {
  const vocab = new Map<string, number>();
  const bow = (c: string): Float32Array => {
    const v = new Float32Array(512);
    for (const w of c.toLowerCase().match(/[a-z]+/g) ?? []) {
      if (!vocab.has(w)) vocab.set(w, vocab.size);
      v[vocab.get(w)! % 512] += 1;
    }
    return v;
  };
  const r = await bindingReport(async (cs) => cs.map(bow));
  assert.ok(r.swapped > 0.95, `swapped ${r.swapped}`); // only 'a' / 'an' differ
  assert.ok(r.paraphrase < 1 && r.margin < 0);
  assert.equal(r.pairs.length, 10);
  // An encoder that reads the bindings (colour-part pairs as features) separates them.
  const bind = (c: string): Float32Array => {
    const v = new Float32Array(BIRD_ATTRIBUTES.length * COLOUR_NAMES.length);
    captionColours(c, BIRD_ATTRIBUTES, COLOUR_NAMES).forEach((col, part) => {
      if (col >= 0) v[part * COLOUR_NAMES.length + col] = 1;
    });
    return v;
  };
  const b = await bindingReport(async (cs) => cs.map(bind));
  assert.ok(Math.abs(b.paraphrase - 1) < 1e-6 && b.margin > 0.4, JSON.stringify({ s: b.swapped, p: b.paraphrase }));
});
