/**
 * Reading annotation text files robustly: a UTF-8 BOM, CRLF line ends and trailing blank lines simply work;
 * everything else that is malformed becomes a one-line `GawwnError` naming the file and line.
 */
import { GawwnError } from '../util/errors.js';
import { decodeUtf8, readRegularFile } from '../util/safe-open.js';

/** A non-blank line and its 1-based number in the file. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * Reads a text file into its lines (BOM stripped, CRLF/CR handled). A missing file, one that is not a regular file
 * (a FIFO would block forever) or is not UTF-8 is a `GawwnError` naming it.
 */
export function readLines(file: string, what = 'file'): string[] {
  let raw = decodeUtf8(readRegularFile(file, what), file, what);
  if (raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
  return raw.split(/\r\n|\r|\n/);
}

/** The non-blank lines of a file, with their numbers (blank lines anywhere are skipped). */
export function readNonBlankLines(file: string, what = 'file'): NumberedLine[] {
  const out: NumberedLine[] = [];
  readLines(file, what).forEach((t, i) => {
    if (t.trim() !== '') out.push({ text: t, line: i + 1 });
  });
  return out;
}

/**
 * Splits a whitespace-separated table line into exactly `n` fields, or `minN..n` when the last field may
 * contain spaces (`restJoin`: the fields after n-1 are joined by one space, e.g. a file name with spaces).
 */
export function splitFields(l: NumberedLine, file: string, n: number, columns: string, restJoin = false): string[] {
  const f = l.text.trim().split(/\s+/);
  if (f.length < n) throw new GawwnError(`truncated line: expected ${n} fields (${columns}), found ${f.length}`, { file, line: l.line });
  if (f.length > n) {
    if (!restJoin) throw new GawwnError(`expected ${n} fields (${columns}), found ${f.length}`, { file, line: l.line });
    return [...f.slice(0, n - 1), f.slice(n - 1).join(' ')];
  }
  return f;
}

/** Parses a finite number; NaN, Infinity and non-numeric text are errors naming the column. */
export function parseNumber(s: string, column: string, file: string, line: number): number {
  const v = s.trim() === '' ? NaN : Number(s);
  if (!Number.isFinite(v)) {
    const kind = /^[+-]?(nan|inf(inity)?)$/i.test(s.trim()) ? 'non-finite' : 'non-numeric';
    throw new GawwnError(`${kind} ${column} '${s}'`, { file, line });
  }
  return v;
}

/** Parses a non-negative decimal integer id (Number() would also take '0x2', '1e1' or ' 2', hiding a corrupt file). */
export function parseId(s: string, column: string, file: string, line: number): number {
  const t = s.trim();
  if (!/^\d+$/.test(t)) {
    if (/^[+-]?\d+$/.test(t)) throw new GawwnError(`${column} must be a non-negative integer, got '${s}'`, { file, line });
    parseNumber(s, column, file, line); // non-numeric / non-finite, as before
    throw new GawwnError(`${column} must be a decimal integer, got '${s}'`, { file, line });
  }
  const v = Number(t);
  if (!Number.isSafeInteger(v)) throw new GawwnError(`${column} '${s}' is too large`, { file, line });
  return v;
}

/**
 * Splits one CSV line (RFC 4180 quoting, no embedded newlines: the MPII CSV has none). An unclosed quote
 * means the line was cut short.
 */
export function parseCsvLine(text: string, file: string, line: number): string[] {
  const out: string[] = [];
  let i = 0;
  let field = '';
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
    i++;
  }
  if (quoted) throw new GawwnError('truncated line: unclosed quote', { file, line });
  out.push(field);
  return out;
}

/** The one atomic-write recipe (temp sibling, fsync, rename), re-exported for the data module's callers. */
export { writeFileAtomicSync as writeFileAtomic } from '../util/atomic.js';
