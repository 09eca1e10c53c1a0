/**
 * Errors a user can act on. Every bad input (a malformed annotation line, a missing image, an unknown flag,
 * a tampered checkpoint) becomes a `GawwnError` naming what is wrong and where (file and line when there is
 * one). The CLI prints `gawwn: <message>` on one line and exits non-zero; the stack trace only with `--debug`.
 * A message names a bad option by its library name in backquotes (`` `steps` ``, `` `dataRoot` ``) and lists it in
 * `options`; the CLI, which alone knows the flags, spells those as its flags (`--steps`, `--data`).
 */

export interface ErrorWhere {
  file?: string;
  line?: number;
  /** Library option names the message mentions, each quoted in it as `` `name` ``. */
  options?: readonly string[];
}

export class GawwnError extends Error {
  /** File the problem was found in, when there is one. */
  readonly file?: string;
  /** 1-based line number in `file`, when the problem is on a line. */
  readonly line?: number;
  /** Option names the message mentions, for the CLI to spell as flags. */
  readonly options?: readonly string[];

  constructor(message: string, where: ErrorWhere = {}) {
    const loc = where.file === undefined ? '' : where.line === undefined ? `${where.file}: ` : `${where.file}:${where.line}: `;
    super(`${loc}${message}`);
    this.name = 'GawwnError';
    this.file = where.file;
    this.line = where.line;
    if (where.options?.length) this.options = where.options;
  }
}

/** Throws a `GawwnError` unless `cond` holds; for argument and config validation. */
export function check(cond: unknown, message: string, where: ErrorWhere = {}): asserts cond {
  if (!cond) throw new GawwnError(message, where);
}
