/**
 * Opening the user's input files safely, and saying what went wrong in the user's terms. Only regular files
 * are read as images, captions and annotation tables: a FIFO would block a reader forever, a device could
 * stream without end, a directory fails with a raw EISDIR. Text must be UTF-8 (the CUB and MPII files are);
 * a file in another encoding is named as such instead of surfacing as NUL bytes or replacement characters.
 * Errno codes become one phrase naming the user's path (a temporary sibling is an implementation detail).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic.js';
import { GawwnError } from './errors.js';

/** What an errno means to the user, without the path Node puts in its message (often a temporary file). */
const ERRNO_PHRASE: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a folder',
  ENOTDIR: 'a parent of it is not a folder',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'the file is busy',
  EINVAL: 'the file system does not support this write',
  ENXIO: 'no such device',
  EFBIG: 'the file is too large for the file system',
};

/** One phrase for an fs error: the errno's meaning and its code, e.g. `no space left on the device (ENOSPC)`. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') return `${ERRNO_PHRASE[code] ?? 'system error'} (${code})`;
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** True for an fs error (it has an errno code) rather than a bug. */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return typeof (e as NodeJS.ErrnoException | null)?.code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Throws a GawwnError naming `file` unless it is a regular file (symbolic links followed): `missing <what>`,
 * or `is a FIFO (named pipe), not a regular file; <what> must be a regular file`.
 */
export function checkRegularFile(file: string, what: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new GawwnError(`missing ${what}`, { file });
    throw new GawwnError(`cannot read ${what}: ${describeFsError(e)}`, { file });
  }
  if (!st.isFile()) throw new GawwnError(`is ${kindOf(st)}, not a regular file; ${what} must be a regular file`, { file });
}

/**
 * Reads a regular file. It is opened non-blocking and checked on the open descriptor, so a FIFO put in its place
 * after a check cannot block the read.
 */
export function readRegularFile(file: string, what: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new GawwnError(`missing ${what}`, { file });
    throw new GawwnError(`cannot read ${what}: ${describeFsError(e)}`, { file });
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new GawwnError(`is ${kindOf(st)}, not a regular file; ${what} must be a regular file`, { file });
    return fs.readFileSync(fd);
  } catch (e) {
    if (e instanceof GawwnError) throw e;
    throw new GawwnError(`cannot read ${what}: ${describeFsError(e)}`, { file });
  } finally {
    fs.closeSync(fd);
  }
}

/** 1-based line and column of byte `offset` of `buf`. */
function lineCol(buf: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * Decodes UTF-8 text strictly. A UTF-16 file (a BOM, or NUL in every other byte) or any other invalid byte
 * (Latin-1/Windows-1252 is what such files usually are) is a GawwnError naming the file (and the line of the
 * first bad byte): `not UTF-8 (looks like UTF-16); save the <what> as UTF-8`.
 */
export function decodeUtf8(buf: Uint8Array, file: string, what: string): string {
  const utf16Bom = buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff));
  let nulOdd = 0;
  let nulEven = 0;
  const m = Math.min(buf.length, 4096);
  for (let i = 0; i < m; i++) if (buf[i] === 0) (i % 2 === 0 ? nulEven++ : nulOdd++);
  if (utf16Bom || (m >= 4 && Math.max(nulOdd, nulEven) >= m / 4)) {
    throw new GawwnError(`not UTF-8 (looks like UTF-16); save the ${what} as UTF-8`, { file });
  }
  const bad = firstInvalidUtf8(buf);
  if (bad >= 0) {
    const { line, column } = lineCol(buf, bad);
    throw new GawwnError(
      `not UTF-8 (looks like Latin-1: byte 0x${buf[bad].toString(16).toUpperCase().padStart(2, '0')} at column ${column}); save the ${what} as UTF-8`,
      { file, line },
    );
  }
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
}

/** ENOENT on creating a file in a folder that exists: a virtual file system such as /proc or /sys. */
function outputProblem(file: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT' && fs.existsSync(path.dirname(path.resolve(file)))) return `its folder does not accept new files (ENOENT; a virtual file system such as /proc?)`;
  return describeFsError(e);
}

/** A folder where the output file should go is refused (an absent file is the usual case). */
function refuseFolder(file: string, flag: string): void {
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(file);
  } catch {
    return;
  }
  if (st.isDirectory()) throw new GawwnError(`is a folder; ${flag} names the file to write`, { file });
}

/**
 * Writes an output the user named (`--out`) atomically, refusing a folder in its place and turning a file-system
 * failure (read-only disk, /proc, a full disk) into one line naming `file` itself, never the temporary sibling
 * the atomic write goes through.
 */
export async function writeOutputFile(file: string, data: Uint8Array | string, flag = '--out'): Promise<void> {
  refuseFolder(file, flag);
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await writeFileAtomic(file, data);
  } catch (e) {
    if (!isFsError(e)) throw e;
    throw new GawwnError(`cannot write ${flag}: ${outputProblem(file, e)}`, { file });
  }
}

/** Synchronous writeOutputFile. */
export function writeOutputFileSync(file: string, data: Uint8Array | string, flag = '--out'): void {
  refuseFolder(file, flag);
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileAtomicSync(file, data);
  } catch (e) {
    if (!isFsError(e)) throw e;
    throw new GawwnError(`cannot write ${flag}: ${outputProblem(file, e)}`, { file });
  }
}
