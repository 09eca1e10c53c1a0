import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkRegularFile, decodeUtf8, describeFsError, readRegularFile, writeOutputFile, writeOutputFileSync } from '../../src/util/safe-open.js';
import { GawwnError } from '../../src/util/errors.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-safe-'));
const msg = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof GawwnError, String(e));
    return e.message;
  }
  return assert.fail('expected a GawwnError');
};

test('checkRegularFile / readRegularFile: folders, FIFOs and devices are refused naming the path; files are read', () => {
  const d = tmp();
  const f = path.join(d, 'a.txt');
  fs.writeFileSync(f, 'hello');
  checkRegularFile(f, 'a caption file');
  assert.equal(readRegularFile(f, 'a caption file').toString(), 'hello');
  assert.equal(msg(() => checkRegularFile(path.join(d, 'none.jpg'), 'image')), `${path.join(d, 'none.jpg')}: missing image`);
  assert.equal(msg(() => readRegularFile(d, 'caption file')), `${d}: is a folder, not a regular file; caption file must be a regular file`);
  if (fs.existsSync('/dev/zero')) assert.equal(msg(() => readRegularFile('/dev/zero', 'caption file')), '/dev/zero: is a character device, not a regular file; caption file must be a regular file');
  const fifo = path.join(d, 'pipe.txt');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    // Opened non-blocking: no writer on the other end, and still no hang.
    assert.equal(msg(() => readRegularFile(fifo, 'caption file')), `${fifo}: is a FIFO (named pipe), not a regular file; caption file must be a regular file`);
    assert.equal(msg(() => checkRegularFile(fifo, 'an image')), `${fifo}: is a FIFO (named pipe), not a regular file; an image must be a regular file`);
  }
});

test('decodeUtf8: UTF-8 passes; UTF-16 (with or without BOM) and Latin-1 are named, with the line of the first bad byte', () => {
  assert.equal(decodeUtf8(Buffer.from('a caf\u00e9\n', 'utf8'), 'f', 'file'), 'a caf\u00e9\n');
  assert.equal(msg(() => decodeUtf8(Buffer.from('\ufeff1 a.jpg\n', 'utf16le'), 'images.txt', 'images.txt')), 'images.txt: not UTF-8 (looks like UTF-16); save the images.txt as UTF-8');
  assert.equal(msg(() => decodeUtf8(Buffer.from('1 a.jpg\n2 b.jpg\n', 'utf16le'), 'images.txt', 'images.txt')), 'images.txt: not UTF-8 (looks like UTF-16); save the images.txt as UTF-8');
  assert.equal(msg(() => decodeUtf8(Buffer.from('ok\nsecond\nna\xefve bird\n', 'latin1'), 'c.txt', 'caption file')), 'c.txt:3: not UTF-8 (looks like Latin-1: byte 0xEF at column 3); save the caption file as UTF-8');
});

test('writeOutputFile: a folder in the way, a read-only disk, /proc: one line naming the user path, never the temporary', async () => {
  const d = tmp();
  const out = path.join(d, 'x.png');
  await writeOutputFile(out, 'png');
  assert.equal(fs.readFileSync(out, 'utf8'), 'png');
  fs.mkdirSync(path.join(d, 'dir.png'));
  await assert.rejects(writeOutputFile(path.join(d, 'dir.png'), 'x'), { message: `${path.join(d, 'dir.png')}: is a folder; --out names the file to write` });
  const open = fs.promises.open;
  fs.promises.open = (async (p: fs.PathLike) => {
    throw Object.assign(new Error(`EROFS: read-only file system, open '${String(p)}'`), { code: 'EROFS', syscall: 'open', path: String(p) });
  }) as typeof open;
  try {
    await assert.rejects(writeOutputFile(out, 'new'), { message: `${out}: cannot write --out: the file system is read-only (EROFS)` });
  } finally {
    fs.promises.open = open;
  }
  assert.equal(fs.readFileSync(out, 'utf8'), 'png', 'the old file is untouched');
  assert.deepEqual(fs.readdirSync(d).sort(), ['dir.png', 'x.png'], 'no temporary left');
  if (fs.existsSync('/proc/self')) {
    assert.equal(msg(() => writeOutputFileSync('/proc/gawwn-grid.png', 'x')), '/proc/gawwn-grid.png: cannot write --out: its folder does not accept new files (ENOENT; a virtual file system such as /proc?)');
  }
  assert.equal(describeFsError(Object.assign(new Error('x'), { code: 'ENOSPC' })), 'no space left on the device (ENOSPC)');
});
