/**
 * Strict parsers of command-line values. `Number()` reads '' and ' ' as 0, '0x2' as 2 and 4294967296 as a seed
 * that wraps to 0, so a typo silently became another valid request; these refuse anything but what was meant,
 * naming the flag and the value.
 */
import { MAX_CAPTION_CHARS } from '../data/captions.js';
import { GawwnError } from '../util/errors.js';

export { strictNumber } from '../util/strict-number.js';

/** A commander parser of an integer in [min, max] written in decimal. */
export function intArg(flag: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new GawwnError(`${flag} must be an integer in ${min}..${max}, got '${v}'`);
    return n;
  };
}

/** Seeds are uint32 (util/rng.ts): beyond 2^32 − 1 a seed would wrap onto another one. */
export const seedArg = (flag = '--seed'): ((v: string) => number) => intArg(flag, 0, 2 ** 32 - 1);

/**
 * The caption rules of training data (data/captions.ts) for a caption given on the command line: not empty, at
 * most MAX_CAPTION_CHARS characters, printable ASCII (the char-CNN-RNN's alphabet).
 */
export function checkCaptionArg(text: string, flag = '--caption'): void {
  if (text.trim() === '') throw new GawwnError(`${flag} is empty; describe the image to draw`);
  if (text.length > MAX_CAPTION_CHARS) throw new GawwnError(`${flag} of ${text.length} characters (limit ${MAX_CAPTION_CHARS}, as for training captions)`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 126 || (c < 32 && c !== 9)) {
      const cp = text.codePointAt(i) ?? c;
      throw new GawwnError(`${flag}: non-ASCII character U+${cp.toString(16).toUpperCase().padStart(4, '0')} at column ${i + 1} (captions must be ASCII for the char-CNN-RNN alphabet)`);
    }
  }
}
