/**
 * Caption files. CUB: Reed et al.'s `text_c10/<class>/<image>.txt`, one caption per line (ten per image;
 * gawwn-reference §6). People: the MHP captions were never released, so we define a tab-separated file
 * `captions.tsv`: `<image name><TAB><caption>`, one caption per line, several lines per image, `#` comments
 * (data/README.md). Captions feed a char-CNN-RNN whose alphabet is ASCII (gawwn-reference §7), so a
 * non-ASCII character is refused with its line and column rather than silently dropped.
 */
import { GawwnError } from '../util/errors.js';
import { readLines } from './text-files.js';

/** Longest caption accepted; the char-CNN-RNN reads 201 characters, real CUB captions are < 400. */
export const MAX_CAPTION_CHARS = 1000;

function checkCaption(text: string, file: string, line: number): void {
  if (text.length > MAX_CAPTION_CHARS) {
    throw new GawwnError(`caption of ${text.length} characters (limit ${MAX_CAPTION_CHARS})`, { file, line });
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 126 || (c < 32 && c !== 9)) {
      const cp = text.codePointAt(i) ?? c;
      throw new GawwnError(
        `non-ASCII character U+${cp.toString(16).toUpperCase().padStart(4, '0')} at column ${i + 1} (captions must be ASCII for the char-CNN-RNN alphabet)`,
        { file, line },
      );
    }
  }
}

/** Reads one Reed-style caption file (one caption per non-blank line). Missing or empty files are errors. */
export function readCaptionFile(file: string): string[] {
  const out: string[] = [];
  readLines(file, 'caption file').forEach((t, i) => {
    const s = t.trim();
    if (s === '') return;
    checkCaption(s, file, i + 1);
    out.push(s);
  });
  if (out.length === 0) throw new GawwnError('empty caption file', { file });
  return out;
}

/** Reads an MHP-style `captions.tsv` into image name -> captions (in file order). */
export function readCaptionTable(file: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  readLines(file, 'caption file').forEach((t, i) => {
    if (t.trim() === '' || t.startsWith('#')) return;
    const tab = t.indexOf('\t');
    if (tab < 0) throw new GawwnError('expected `<image name><TAB><caption>`', { file, line: i + 1 });
    const name = t.slice(0, tab).trim();
    const cap = t.slice(tab + 1).trim();
    if (name === '' || cap === '') throw new GawwnError('empty image name or caption', { file, line: i + 1 });
    checkCaption(cap, file, i + 1);
    const list = map.get(name);
    if (list) list.push(cap);
    else map.set(name, [cap]);
  });
  if (map.size === 0) throw new GawwnError('empty caption file', { file });
  return map;
}

/** Serialises a caption table in the `captions.tsv` format (inverse of `readCaptionTable`). */
export function formatCaptionTable(rows: Iterable<[string, string[]]>): string {
  let s = '# gawwn MHP-style captions: <image name><TAB><caption>, one caption per line\n';
  for (const [name, caps] of rows) for (const c of caps) s += `${name}\t${c}\n`;
  return s;
}
