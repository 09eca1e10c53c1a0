import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const bin = path.resolve(__dirname, '../../../bin/gawwn.js');
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const dataDir = process.env.GAWWN_SHARED_DATA ?? path.resolve(__dirname, '../../..', '../shared/data');

test('gawwn t7 dump --json on hand-made bytes; a Lua function gives a one-line error and exit 2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-t7cli-'));
  const int = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };
  const str = (s: string) => Buffer.concat([int(s.length), Buffer.from(s, 'latin1')]);
  const num = (x: number) => { const b = Buffer.alloc(8); b.writeDoubleLE(x); return Buffer.concat([int(1), b]); };
  // {answer = 42, me = <self>}
  const ok = Buffer.concat([int(3), int(1), int(2), int(2), str('answer'), num(42), int(2), str('me'), int(3), int(1)]);
  fs.writeFileSync(path.join(dir, 'ok.t7'), ok);
  const r = run(['t7', 'dump', path.join(dir, 'ok.t7'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { answer: 42, me: { $ref: '$' } });
  fs.writeFileSync(path.join(dir, 'fn.t7'), Buffer.concat([int(6), str('\x1bLua')]));
  const f = run(['t7', 'dump', path.join(dir, 'fn.t7')]);
  assert.equal(f.status, 2);
  assert.match(f.stderr, /^gawwn: .*fn\.t7: Torch7: a Lua function is stored here.*at byte 0\n$/);
});

test('gawwn t7 dump on the real files: CUB records and the embedding', (t) => {
  if (!fs.existsSync(path.join(dataDir, 'torch7'))) return t.skip('../shared/data is absent');
  const rec = JSON.parse(run(['t7', 'dump', path.join(dataDir, 'torch7/image5.t7'), '--json']).stdout);
  const box = fs.readFileSync(path.join(dataDir, 'cub/CUB_200_2011/bounding_boxes.txt'), 'utf8').split('\n')[4].trim().split(/\s+/).slice(1).map(Number);
  assert.equal(rec.image_id, 5);
  assert.deepEqual(rec.bb_coords, { type: 'torch.DoubleTensor', shape: [4], data: box });
  const emb = JSON.parse(run(['t7', 'dump', path.join(dataDir, 'torch7/example_captions.t7'), '--json']).stdout);
  const v: number[] = emb.fea_txt[0].data;
  assert.deepEqual(emb.fea_txt[0].shape, [1, 1024]);
  assert.ok(Math.abs(Math.hypot(...v) - 4.6146) < 5e-5);
  assert.deepEqual(v.slice(0, 3).map((x) => Number(x.toPrecision(4))), [-0.06126, 0.1591, 0.2498]);
});

test('gawwn t7 dump: the 113-byte stride-0 bomb and a FIFO are refused in one line, exit 2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-t7bomb-'));
  const int = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };
  const long = (v: number) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); return b; };
  const str = (s: string) => Buffer.concat([int(s.length), Buffer.from(s, 'latin1')]);
  const bomb = Buffer.concat([int(4), int(1), str('V 1'), str('torch.FloatTensor'), int(1), long(1e8), long(0), long(1),
    int(4), int(2), str('V 1'), str('torch.FloatStorage'), long(1), Buffer.alloc(4)]);
  assert.equal(bomb.length, 113);
  const file = path.join(dir, 'bomb.t7');
  fs.writeFileSync(file, bomb);
  const t0 = Date.now();
  const r = run(['t7', 'dump', file]);
  assert.ok(Date.now() - t0 < 10_000);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `gawwn: ${file}: Torch7: torch.FloatTensor [100000000] declares 100000000 elements over a storage of 1 (overlapping strides 0); refused above 1048576 at byte 8\n`);
  const fifo = path.join(dir, 'pipe.t7');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    const p = run(['t7', 'dump', fifo]);
    assert.equal(p.status, 2);
    assert.equal(p.stderr, `gawwn: ${fifo}: is a FIFO (named pipe), not a regular file; Torch7 file must be a regular file\n`);
  }
});
