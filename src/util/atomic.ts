/**
 * Atomic writes: a file or a directory of files appears under its final name complete or not at all, even
 * if the process is killed (`kill -9`) or the machine loses power mid-write. The recipe
 * is the POSIX one: write a temporary sibling, fsync it, rename it over the final name, fsync the parent
 * directory so the rename itself is durable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Bytes or UTF-8 text. */
export type FileData = Uint8Array | string;

/** Marker in the name of every temporary sibling, so leftovers of killed writers can be recognised. */
export const TMP_MARKER = '.tmp-';

/**
 * Writes `data` to `file` atomically: a temporary file in the same directory is written, fsynced and renamed
 * over `file`, then the directory is fsynced. Readers see the old content or the new, never a mix.
 */
export async function writeFileAtomic(file: string, data: FileData): Promise<void> {
  const dir = path.dirname(file);
  const tmp = tmpSibling(file);
  try {
    await writeAndSync(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/**
 * Synchronous `writeFileAtomic`, for code paths that are synchronous end to end (the text-encoder run files,
 * the log truncation on resume, small text files). `mkdir: true` creates the directory first.
 */
export function writeFileAtomicSync(file: string, data: FileData, opts: { mkdir?: boolean } = {}): void {
  const dir = path.dirname(file);
  if (opts.mkdir === true) fs.mkdirSync(dir, { recursive: true });
  const tmp = tmpSibling(file);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirSync(dir);
}

/**
 * Writes a multi-file artefact atomically: every file is written and fsynced into `DIR.tmp-<pid>-<rand>`,
 * which is then renamed to `dir`. An existing `dir` is replaced: it is first moved aside (so the rename
 * succeeds), and removed once the new one is in place. File names must be plain names (no subdirectories).
 */
export async function writeDirAtomic(dir: string, files: Record<string, FileData>): Promise<void> {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, `${base}${TMP_MARKER}${tag}`);
  for (const name of Object.keys(files)) {
    if (name !== path.basename(name) || name === '.' || name === '..' || name === '') {
      throw new Error(`writeDirAtomic: file name '${name}' must be a plain file name`);
    }
  }
  await fs.promises.mkdir(parent, { recursive: true });
  try {
    await fs.promises.mkdir(tmp);
    for (const [name, data] of Object.entries(files)) await writeAndSync(path.join(tmp, name), data);
    await fsyncDir(tmp);
    let aside: string | null = null;
    if (fs.existsSync(dir)) {
      aside = path.join(parent, `${base}${TMP_MARKER}old-${tag}`);
      await fs.promises.rename(dir, aside);
    }
    await fs.promises.rename(tmp, dir);
    await fsyncDir(parent);
    if (aside !== null) await fs.promises.rm(aside, { recursive: true, force: true });
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The pid embedded in a temporary name written by this module (`…​.tmp-<pid>-<hex>` or `….tmp-old-<pid>-<hex>`),
 * or null when `name` is not one.
 */
export function tmpOwnerPid(name: string): number | null {
  const m = /\.tmp-(?:old-)?(\d+)-[0-9a-f]+$/.exec(name);
  return m === null ? null : Number(m[1]);
}

/** True when a process with this pid exists (signal 0 probes without sending anything). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary siblings left in `dir` by writers that were killed (their pid no longer runs).
 * Returns the names removed. Temporaries of live processes, including this one, are left alone.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tmpOwnerPid(name);
    if (pid === null || processAlive(pid)) continue;
    await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** `.NAME.tmp-<pid>-<hex>` next to `file` (the pid lets removeStaleTemporaries recognise dead writers). */
function tmpSibling(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${TMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
}

async function writeAndSync(file: string, data: FileData): Promise<void> {
  const fh = await fs.promises.open(file, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(dir, 'r');
  } catch (e) {
    // Some platforms (Windows) cannot open a directory; the rename is then as durable as the OS makes it.
    if (['EISDIR', 'EPERM', 'EACCES'].includes((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    // Some file systems do not support fsync on directories.
    if (!['EINVAL', 'ENOTSUP', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (e) {
    if (['EISDIR', 'EPERM', 'EACCES'].includes((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!['EINVAL', 'ENOTSUP', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    fs.closeSync(fd);
  }
}
