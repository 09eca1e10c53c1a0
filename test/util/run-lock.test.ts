import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LOCK_NAME, lockFile, lockFolder, waitForLock } from '../../src/util/run-lock.js';
import { publishRun } from '../../src/cli/publish.js';
import { trainEvaluator } from '../../src/evaluation/train-evaluator.js';
import { GawwnError } from '../../src/util/errors.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-lock-'));

/** A pid that certainly ran and exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** A lock file as another live process (the parent of this one, say) would have written it. */
function foreignLock(file: string, pid: number): void {
  fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), what: 'gawwn train --model bbox', since: new Date().toISOString() }));
}

test('lockFolder: one holder; a live holder refuses in one line with its pid; release; a dead holder is taken over', () => {
  const dir = path.join(tmp(), 'run');
  const a = lockFolder(dir, 'gawwn train');
  assert.ok(fs.existsSync(path.join(dir, LOCK_NAME)));
  assert.equal((JSON.parse(fs.readFileSync(a.file, 'utf8')) as { pid: number }).pid, process.pid);
  a.release();
  a.release();
  assert.ok(!fs.existsSync(a.file));

  foreignLock(path.join(dir, LOCK_NAME), process.ppid);
  assert.throws(() => lockFolder(dir, 'gawwn train'), (e: Error) =>
    e instanceof GawwnError && e.message === `${dir}: in use by process ${process.ppid} (gawwn train --model bbox); wait for it to finish or choose another folder`);
  // The refused caller did not remove the holder's lock.
  assert.equal((JSON.parse(fs.readFileSync(path.join(dir, LOCK_NAME), 'utf8')) as { pid: number }).pid, process.ppid);

  foreignLock(path.join(dir, LOCK_NAME), deadPid());
  const b = lockFolder(dir, 'gawwn train');
  assert.equal((JSON.parse(fs.readFileSync(b.file, 'utf8')) as { pid: number }).pid, process.pid);
  assert.deepEqual(fs.readdirSync(dir), [LOCK_NAME], 'the stale lock moved aside is removed');
  b.release();
});

test('waitForLock: waits for the holder to release, then holds it', async () => {
  const file = path.join(tmp(), 'cache.lock');
  const a = lockFile(file, 'first');
  const t0 = Date.now();
  setTimeout(() => a.release(), 150);
  const b = await waitForLock(file, 'second', 5000);
  assert.ok(Date.now() - t0 >= 140);
  assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { what: string }).what, 'second');
  b.release();
  foreignLock(file, process.ppid);
  await assert.rejects(waitForLock(file, 'third', 200), /cache\.lock: still in use by process \d+ \(gawwn train --model bbox\) after 0 s/);
});

test('publish and the evaluator trainer refuse a target another process holds', async () => {
  const root = tmp();
  const into = path.join(root, 'pretrained');
  fs.mkdirSync(into);
  foreignLock(path.join(into, '.birds-x.lock'), process.ppid);
  await assert.rejects(publishRun(root, 'birds-x', { into }), (e: Error) =>
    e instanceof GawwnError && e.message === `${path.join(into, 'birds-x')}: in use by process ${process.ppid} (gawwn train --model bbox); wait for it to finish or choose another folder`);
  assert.ok(!fs.existsSync(path.join(into, 'birds-x')));

  const ev = path.join(root, 'evaluator');
  fs.mkdirSync(ev);
  foreignLock(path.join(ev, LOCK_NAME), process.ppid);
  await assert.rejects(trainEvaluator({ outDir: ev, dataRoot: root, log: null }), /evaluator: in use by process \d+/);
  assert.deepEqual(fs.readdirSync(ev), [LOCK_NAME]);
});
