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
