/**
 * Exclusive locks on folders and files that one process at a time may write: a training run folder (two
 * `gawwn train` into one `--out` would otherwise interleave their logs and checkpoints), a published model,
 * an embedding cache. A lock is a small file created with O_EXCL holding the owner's pid and host; a lock whose
 * pid no longer runs on this host (a killed process) is stale and taken over. No advisory-lock syscall is used:
 * Node has no flock(2), and an O_EXCL file works the same on every local file system.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { processAlive } from './atomic.js';
import { GawwnError } from './errors.js';

/** The lock file inside a locked folder. */
export const LOCK_NAME = '.gawwn-lock';

/** A held lock; `release()` removes it (only if it is still ours) and is idempotent. */
export interface Lock {
  file: string;
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  what: string;
  since: string;
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' ? { pid: h.pid, host: String(h.host ?? ''), what: String(h.what ?? ''), since: String(h.since ?? '') } : null;
  } catch {
    return null; // being written, or garbage: treated below
  }
}

/** A lock held by a process that no longer exists on this host (another host's pid cannot be probed). */
function isStale(h: Holder | null, file: string): boolean {
  if (h === null) {
    // An unreadable lock older than a few seconds is a writer killed between create and write.
    try {
      return Date.now() - fs.statSync(file).mtimeMs > 5000;
    } catch {
      return true;
    }
  }
  return h.host === os.hostname() && h.pid !== process.pid && !processAlive(h.pid);
}

/**
 * Takes the lock file `file` once: true when taken. A stale lock is moved aside under a unique name (only one
 * of several racing processes can move a given file) and checked to be the stale one; a live lock moved by a
 * loser of that race is put back.
 */
function tryTake(file: string, what: string): boolean {
  const body = JSON.stringify({ pid: process.pid, host: os.hostname(), what, since: new Date().toISOString() }) + '\n';
  try {
    const fd = fs.openSync(file, 'wx');
    try {
      fs.writeSync(fd, body);
    } finally {
      fs.closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const h = readHolder(file);
  if (!isStale(h, file)) return false;
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // another process took it over first
    throw e;
  }
  const moved = readHolder(aside);
  if (!isStale(moved, aside)) {
    // We moved a fresh lock taken between our read and our rename: restore it (link fails if yet another exists).
    try {
      fs.linkSync(aside, file);
    } catch {
      /* a third process holds it now; either way it is not ours */
    }
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  return tryTake(file, what);
}

function holderLine(file: string): string {
  const h = readHolder(file);
  if (h === null) return 'another process';
  return `process ${h.pid}${h.host !== os.hostname() ? ` on ${h.host}` : ''}${h.what ? ` (${h.what})` : ''}`;
}

function makeLock(file: string): Lock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    const h = readHolder(file);
    if (h !== null && h.pid === process.pid) fs.rmSync(file, { force: true });
  };
  // A normal exit (including an uncaught error) releases it; kill -9 leaves a stale lock that is taken over.
  process.on('exit', release);
  return { file, release };
}

/**
 * Locks folder `dir` (created if missing) for writing by this process, or throws a one-line GawwnError naming
 * the holder: `<dir> is in use by process <pid> (<what>); wait for it to finish or choose another folder`.
 */
export function lockFolder(dir: string, what: string): Lock {
  fs.mkdirSync(dir, { recursive: true });
  return lockFile(path.join(dir, LOCK_NAME), what, dir);
}

/** Locks the lock file `file` itself (for targets replaced as a whole, e.g. a published model folder). */
export function lockFile(file: string, what: string, target = file): Lock {
  if (!tryTake(file, what)) {
    throw new GawwnError(`in use by ${holderLine(file)}; wait for it to finish or choose another folder`, { file: target });
  }
  return makeLock(file);
}

/**
 * Waits (polling, up to `timeoutMs`) for the lock file `file`: for short critical sections several processes
 * share, e.g. merging new rows into an embedding cache. Throws the same one-line error as lockFile on timeout.
 */
export async function waitForLock(file: string, what: string, timeoutMs = 30_000): Promise<Lock> {
  const until = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    if (tryTake(file, what)) return makeLock(file);
    if (Date.now() > until) throw new GawwnError(`still in use by ${holderLine(file)} after ${Math.round(timeoutMs / 1000)} s`, { file });
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(100, delay * 2);
  }
}
