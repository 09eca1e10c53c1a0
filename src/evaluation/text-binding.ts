/**
 * Does a text encoder bind colours to parts? GAWWN's G reads the caption only through its embedding (§3, §4), so
 * "a red crown and blue wings" must embed differently from "a blue crown and red wings" — more differently than
 * two paraphrases that keep every colour on its part but change the word order. An encoder trained to tell a few
 * classes apart by templated captions can pass its retrieval test while encoding the template more than the
 * meaning; these pairs measure that directly.
 */
import { check } from '../util/errors.js';

/** Caption pairs with the same colour words on swapped parts. */
export const SWAPPED_PAIRS: readonly (readonly [string, string])[] = [
  ['this bird has a red crown, blue wings and a white belly', 'this bird has a blue crown, red wings and a white belly'],
  ['a bird with a yellow breast and a black back', 'a bird with a black breast and a yellow back'],
  ['this bird has green wings and an orange tail', 'this bird has orange wings and a green tail'],
  ['the bird has a brown crown, a grey breast and a pink beak', 'the bird has a grey crown, a brown breast and a pink beak'],
  ['a small bird with a purple belly and white wings', 'a small bird with a white belly and purple wings'],
];

/** Caption pairs with every colour on the same part, in another order and sentence frame. */
export const PARAPHRASE_PAIRS: readonly (readonly [string, string])[] = [
  ['this bird has a red crown, blue wings and a white belly', 'a bird whose belly is white, with blue wings and a red crown'],
  ['a bird with a yellow breast and a black back', 'its back is black and its breast is yellow'],
  ['this bird has green wings and an orange tail', 'an orange tailed bird with green wings'],
  ['the bird has a brown crown, a grey breast and a pink beak', 'a bird with a pink beak, its breast is grey and its crown is brown'],
  ['a small bird with a purple belly and white wings', "this bird's wings are white and its belly is purple"],
];

export interface BindingReport {
  /** Mean cosine over the swapped pairs (lower is better). */
  swapped: number;
  /** Mean cosine over the paraphrase pairs (higher is better). */
  paraphrase: number;
  /** paraphrase − swapped: positive when the encoder binds colours to parts. */
  margin: number;
  pairs: { kind: 'swapped' | 'paraphrase'; a: string; b: string; cosine: number }[];
}

export function cosine(a: Float32Array, b: Float32Array): number {
  check(a.length === b.length && a.length > 0, `cosine of vectors of lengths ${a.length} and ${b.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb || 1);
}

/** The binding report of an encoder given as `embed(captions)` → one vector per caption. */
export async function bindingReport(embed: (captions: string[]) => Promise<Float32Array[]>): Promise<BindingReport> {
  const all = [...SWAPPED_PAIRS, ...PARAPHRASE_PAIRS];
  const vecs = await embed(all.flatMap(([a, b]) => [a, b]));
  const pairs = all.map(([a, b], i) => ({ kind: (i < SWAPPED_PAIRS.length ? 'swapped' : 'paraphrase') as 'swapped' | 'paraphrase', a, b, cosine: cosine(vecs[2 * i], vecs[2 * i + 1]) }));
  const mean = (k: string): number => {
    const xs = pairs.filter((p) => p.kind === k).map((p) => p.cosine);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  const swapped = mean('swapped');
  const paraphrase = mean('paraphrase');
  return { swapped, paraphrase, margin: paraphrase - swapped, pairs };
}
