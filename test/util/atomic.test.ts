import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import { writeFileAtomic, writeFileAtomicSync, writeDirAtomic, removeStaleTemporaries, tmpOwnerPid, processAlive } from '../../src/util/atomic.js';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-atomic-'));
}

test('writeFileAtomic writes, replaces, and leaves no temporary behind', async () => {
  const d = tmpdir();
  const f = path.join(d, 'latest');
  await writeFileAtomic(f, 'step-000001\n');
  assert.equal(fs.readFileSync(f, 'utf8'), 'step-000001\n');
  await writeFileAtomic(f, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...fs.readFileSync(f)], [1, 2, 3]);
  assert.deepEqual(fs.readdirSync(d), ['latest']);
  fs.rmSync(d, { recursive: true });
});

test('a failed writeFileAtomic leaves the target untouched and no temporary', async () => {
  const d = tmpdir();
  const target = path.join(d, 'target');
  fs.mkdirSync(target); // renaming a file over a directory fails (EISDIR)
  fs.writeFileSync(path.join(target, 'keep'), 'x');
  await assert.rejects(writeFileAtomic(target, 'data'));
  assert.deepEqual(fs.readdirSync(d), ['target']);
  assert.equal(fs.readFileSync(path.join(target, 'keep'), 'utf8'), 'x');
  fs.rmSync(d, { recursive: true });
});

test('writeFileAtomicSync: writes and replaces with no temporary left; mkdir only on request; a failure leaves the target', () => {
  const d = tmpdir();
  const f = path.join(d, 'sub', 'run.json');
  assert.throws(() => writeFileAtomicSync(f, 'x'), /ENOENT/);
  assert.equal(fs.existsSync(path.join(d, 'sub')), false);
  writeFileAtomicSync(f, '{"a":1}\n', { mkdir: true });
  writeFileAtomicSync(f, new Uint8Array([4, 5]));
  assert.deepEqual([...fs.readFileSync(f)], [4, 5]);
  assert.deepEqual(fs.readdirSync(path.join(d, 'sub')), ['run.json']);
  const target = path.join(d, 'dir-target');
  fs.mkdirSync(target);
  assert.throws(() => writeFileAtomicSync(target, 'data'));
  assert.deepEqual(fs.readdirSync(d).sort(), ['dir-target', 'sub']);
  assert.deepEqual(fs.readdirSync(target), []);
  fs.rmSync(d, { recursive: true });
});

test('writeDirAtomic creates and replaces a multi-file directory as a whole', async () => {
  const d = tmpdir();
  const out = path.join(d, 'nested', 'art');
  await writeDirAtomic(out, { 'a.json': '{"v":1}', 'b.bin': new Uint8Array(1000).fill(7) });
  assert.deepEqual(fs.readdirSync(out).sort(), ['a.json', 'b.bin']);
  assert.equal(fs.statSync(path.join(out, 'b.bin')).size, 1000);
  await writeDirAtomic(out, { 'c.txt': 'new' });
  assert.deepEqual(fs.readdirSync(out), ['c.txt']); // old files gone with the old directory
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['art']); // no temporaries left
  await assert.rejects(writeDirAtomic(out, { '../escape': 'x' }), /plain file name/);
  assert.deepEqual(fs.readdirSync(out), ['c.txt']);
  fs.rmSync(d, { recursive: true });
});

test('temporaries of dead writers are recognised and removed; live ones kept', async () => {
  const d = tmpdir();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
  assert.equal(processAlive(dead), false);
  assert.equal(processAlive(process.pid), true);
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 20000)']);
  const live = sleeper.pid as number;
  try {
    fs.mkdirSync(path.join(d, `step-000003.tmp-${dead}-0a1b2c3d`));
    fs.mkdirSync(path.join(d, `step-000002.tmp-old-${dead}-00ff00ff`));
    fs.writeFileSync(path.join(d, `.latest.tmp-${dead}-deadbeef`), 'x');
    fs.mkdirSync(path.join(d, `step-000004.tmp-${live}-12345678`));
    fs.mkdirSync(path.join(d, 'step-000001'));
    assert.equal(tmpOwnerPid(`step-000003.tmp-${dead}-0a1b2c3d`), dead);
    assert.equal(tmpOwnerPid(`step-000002.tmp-old-${dead}-00ff00ff`), dead);
    assert.equal(tmpOwnerPid('step-000001'), null);
    const removed = await removeStaleTemporaries(d);
    assert.equal(removed.length, 3);
    assert.deepEqual(fs.readdirSync(d).sort(), ['step-000001', `step-000004.tmp-${live}-12345678`]);
    assert.deepEqual(await removeStaleTemporaries(path.join(d, 'absent')), []);
  } finally {
    sleeper.kill('SIGKILL');
    fs.rmSync(d, { recursive: true });
  }
});
