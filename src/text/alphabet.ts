/**
 * The character alphabet of Reed et al.'s text encoders (gawwn-reference §7; identical in N, I and C):
 * 70 characters, lower-cased text, fixed length 201 (`doc_length`), unknown characters become an all-zero
 * one-hot row. Two encodings are offered: one-hot [B, 201, 70] for the encoder, and 1-based index arrays
 * (0 = padding or unknown), the format of the `char` field in the authors' t7 records (gawwn-reference §6).
 */
import { check } from '../util/errors.js';

/**
 * The original alphabet string (I:/N: `alphabet = "abc…{} "`, trailing space included). '-' appears at
 * 1-based positions 37 and 60; the Lua dictionary is built by a loop, so the later index (60) wins and 37
 * is never produced by encoding.
 */
export const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:\'"/\\|_@#$%^&*~`+-=<>()[]{} ';

/** One-hot depth (gawwn-reference §7). */
export const ALPHABET_SIZE = 70;

/** Characters per caption (`doc_length = 201`). */
export const DOC_LENGTH = 201;

/** char -> 1-based index, later duplicates overriding earlier ones as in the Lua loop. */
const CHAR_TO_INDEX: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (let i = 0; i < ALPHABET.length; i++) m.set(ALPHABET[i], i + 1);
  return m;
})();

/** 1-based index of a character (after lower-casing), 0 when it is not in the alphabet. */
export function charIndex(ch: string): number {
  return CHAR_TO_INDEX.get(ch.toLowerCase()) ?? 0;
}

/**
 * Caption -> 1-based indices, length `length` (default 201): lower-cased, truncated, zero-padded; unknown
 * characters are 0. Iterates over code points so a non-BMP character is one (unknown) position.
 */
export function encodeIndices(text: string, length = DOC_LENGTH): Int32Array {
  check(Number.isInteger(length) && length > 0, `encodeIndices: length must be a positive integer, got ${length}`);
  const out = new Int32Array(length);
  let i = 0;
  for (const ch of text.toLowerCase()) {
    if (i >= length) break;
    out[i++] = CHAR_TO_INDEX.get(ch) ?? 0;
  }
  return out;
}

/**
 * Indices -> text (the inverse of `encodeIndices` up to lower-casing and unknown characters). Trailing zeros
 * are padding and dropped; a 0 inside the text was an unknown character and decodes to `unknown` (default '').
 */
export function decodeIndices(indices: ArrayLike<number>, unknown = ''): string {
  let end = indices.length;
  while (end > 0 && indices[end - 1] === 0) end--;
  let s = '';
  for (let i = 0; i < end; i++) {
    const k = indices[i];
    check(Number.isInteger(k) && k >= 0 && k <= ALPHABET_SIZE, `decodeIndices: index ${k} at position ${i} is outside 0..${ALPHABET_SIZE}`);
    s += k === 0 ? unknown : ALPHABET[k - 1];
  }
  return s;
}

/**
 * Captions -> one-hot [B, length, 70] as a flat row-major Float32Array (B·length·70); unknown characters and
 * padding are all-zero rows. Turn it into a tensor with `tf.tensor3d(x, [B, length, 70])`.
 */
export function encodeOneHot(texts: readonly string[], length = DOC_LENGTH): Float32Array {
  const out = new Float32Array(texts.length * length * ALPHABET_SIZE);
  texts.forEach((t, b) => {
    const idx = encodeIndices(t, length);
    for (let i = 0; i < length; i++) if (idx[i] > 0) out[(b * length + i) * ALPHABET_SIZE + idx[i] - 1] = 1;
  });
  return out;
}

/** One-hot rows (flat, `length`·70 per caption) -> text; all-zero rows are unknown/padding. */
export function decodeOneHot(oneHot: ArrayLike<number>, length = DOC_LENGTH, unknown = ''): string[] {
  const per = length * ALPHABET_SIZE;
  check(oneHot.length % per === 0, `decodeOneHot: ${oneHot.length} values is not a multiple of ${length}x${ALPHABET_SIZE}`);
  const out: string[] = [];
  for (let b = 0; b < oneHot.length / per; b++) {
    const idx = new Int32Array(length);
    for (let i = 0; i < length; i++) {
      for (let c = 0; c < ALPHABET_SIZE; c++) {
        if (oneHot[b * per + i * ALPHABET_SIZE + c] > 0.5) {
          idx[i] = c + 1;
          break;
        }
      }
    }
    out.push(decodeIndices(idx, unknown));
  }
  return out;
}
