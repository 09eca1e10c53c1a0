import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ALPHABET, ALPHABET_SIZE, DOC_LENGTH, charIndex, encodeIndices, decodeIndices, encodeOneHot, decodeOneHot } from '../../src/text/alphabet.js';

test('alphabet: 70 characters, trailing space, the original order', () => {
  assert.equal(ALPHABET.length, 70);
  assert.equal(ALPHABET_SIZE, 70);
  assert.equal(DOC_LENGTH, 201);
  assert.equal(ALPHABET[69], ' ');
  assert.equal(ALPHABET.slice(0, 36), 'abcdefghijklmnopqrstuvwxyz0123456789');
});

test('alphabet: 1-based indices; "-" maps to its later position 60', () => {
  assert.equal(charIndex('a'), 1);
  assert.equal(charIndex('z'), 26);
  assert.equal(charIndex('0'), 27);
  assert.equal(charIndex('9'), 36);
  assert.equal(ALPHABET[36], '-');
  assert.equal(ALPHABET[59], '-');
  assert.equal(charIndex('-'), 60);
  assert.equal(charIndex(','), 38);
  assert.equal(charIndex(' '), 70);
  assert.equal(charIndex('}'), 69);
  assert.equal(charIndex('A'), 1); // lower-cased
  assert.equal(charIndex('é'), 0);
  // every index except 37 (the shadowed '-') is produced by exactly one character
  const produced = new Set([...ALPHABET].map(charIndex));
  assert.equal(produced.size, 69);
  assert.ok(!produced.has(37));
});

test('alphabet: encode to indices, truncation at 201, padding and unknowns are 0; decode back', () => {
  const idx = encodeIndices('A Red-bird!');
  assert.equal(idx.length, 201);
  assert.deepEqual(Array.from(idx.slice(0, 12)), [1, 70, 18, 5, 4, 60, 2, 9, 18, 4, 41, 0]);
  assert.equal(decodeIndices(idx), 'a red-bird!');
  assert.equal(decodeIndices(encodeIndices('tiny ☃ bird'), '?'), 'tiny ? bird');
  const long = 'x'.repeat(250);
  assert.equal(decodeIndices(encodeIndices(long)), 'x'.repeat(201));
  assert.throws(() => decodeIndices([71]), /outside 0\.\.70/);
});

test('alphabet: one-hot [B,201,70] with all-zero rows for unknown and padding; round trip', () => {
  const x = encodeOneHot(['ab', 'é-']);
  assert.equal(x.length, 2 * 201 * 70);
  const row = (b: number, t: number) => Array.from(x.subarray((b * 201 + t) * 70, (b * 201 + t + 1) * 70));
  assert.equal(row(0, 0)[0], 1);
  assert.equal(row(0, 1)[1], 1);
  assert.equal(row(0, 0).reduce((a, v) => a + v, 0), 1);
  assert.equal(row(0, 2).reduce((a, v) => a + v, 0), 0); // padding
  assert.equal(row(1, 0).reduce((a, v) => a + v, 0), 0); // unknown 'é'
  assert.equal(row(1, 1)[59], 1); // '-' -> index 60
  assert.equal(x.reduce((a, v) => a + v, 0), 3);
  assert.deepEqual(decodeOneHot(encodeOneHot(['this bird is red', 'a small bird'])), ['this bird is red', 'a small bird']);
});
