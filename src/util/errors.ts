/**
 * Errors a user can act on. Every bad input (a malformed annotation line, a missing image, an unknown flag,
 * a tampered checkpoint) becomes a `GawwnError` naming what is wrong and where (file and line when there is
 * one). The CLI prints `gawwn: <message>` on one line and exits non-zero; the stack trace only with `--debug`.
 */
export class GawwnError extends Error {
  /** File the problem was found in, when there is one. */
  readonly file?: string;
  /** 1-based line number in `file`, when the problem is on a line. */
  readonly line?: number;

  constructor(message: string, where: { file?: string; line?: number } = {}) {
    const loc = where.file === undefined ? '' : where.line === undefined ? `${where.file}: ` : `${where.file}:${where.line}: `;
    super(`${loc}${message}`);
    this.name = 'GawwnError';
    this.file = where.file;
    this.line = where.line;
  }
}

/** Throws a `GawwnError` unless `cond` holds; for argument and config validation. */
export function check(cond: unknown, message: string, where: { file?: string; line?: number } = {}): asserts cond {
  if (!cond) throw new GawwnError(message, where);
}
