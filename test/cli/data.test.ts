import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasReal, makeTinyCub, projectRoot, realCub, sharedData, tmpDir } from '../data/helpers.js';

function gawwn(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(projectRoot, 'bin', 'gawwn.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('gawwn data inspect --json on the real CUB root', (t) => {
  if (!hasReal) return t.skip(`real data absent (${sharedData})`);
  const r = gawwn('data', 'inspect', realCub, '--json');
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.format, 'cub');
  assert.equal(s.images, 11788);
  assert.equal(s.train, 5994);
  assert.equal(s.test, 5794);
  assert.equal(s.classes, 200);
  assert.equal(s.parts.length, 15);
  assert.deepEqual(s.first.bbox, { x: 60, y: 27, w: 325, h: 304 });
  assert.deepEqual(s.first.parts[1], { name: 'beak', x: 312, y: 182, visible: true });
  // The parent folder works too.
  assert.equal(JSON.parse(gawwn('data', 'inspect', path.dirname(realCub), '--json').out).images, 11788);
});

test('gawwn data synth-birds / synth-people then inspect', () => {
  const base = tmpDir('cli');
  const b = gawwn('data', 'synth-birds', '--out', path.join(base, 'b'), '--images', '6', '--seed', '1', '--classes', '2');
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /^wrote 6 images to .*b in [\d.]+ s \([\d.]+ images\/s\)\n$/);
  const sb = JSON.parse(gawwn('data', 'inspect', path.join(base, 'b'), '--json').out);
  assert.deepEqual([sb.format, sb.images, sb.classes, sb.imagesOnDisk, sb.withCaptions, sb.train + sb.test], ['cub', 6, 2, 6, 6, 6]);
  const p = gawwn('data', 'synth-people', '--out', path.join(base, 'p'), '--images', '4', '--seed', '1');
  assert.equal(p.code, 0, p.err);
  const sp = JSON.parse(gawwn('data', 'inspect', path.join(base, 'p'), '--json').out);
  assert.deepEqual([sp.format, sp.images, sp.parts.length, sp.imagesOnDisk, sp.withCaptions], ['mpii', 4, 17, 4, 4]);
  const g = gawwn('data', 'grid', path.join(base, 'b'), '--out', path.join(base, 'g.png'), '--n', '4', '--cols', '2');
  assert.equal(g.code, 0, g.err);
  assert.deepEqual([...fs.readFileSync(path.join(base, 'g.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
});

test('bad input on the command line: one line, exit 2, no stack trace, no partial output', async () => {
  const base = tmpDir('clibad');
  const one = (r: { code: number | null; err: string }, re: RegExp): void => {
    assert.equal(r.code, 2);
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], re);
    assert.ok(!/\n\s+at /.test(r.err));
  };
  one(gawwn('data', 'inspect', base), /^gawwn: .*: not a CUB-200-2011 root/);
  one(gawwn('data', 'synth-birds', '--out', path.join(base, 'x'), '--images', 'abc'), /^gawwn: --images must be a positive integer, got NaN$/);
  one(gawwn('data', 'synth-birds', '--out', path.join(base, 'x'), '--images', '2', '--bogus'), /unknown option '--bogus'/);
  const cub = path.join(base, 'cub');
  await makeTinyCub(cub);
  fs.writeFileSync(path.join(cub, 'bounding_boxes.txt'), '1 10 20 100 80\n2 10 20\n3 10 20 100 80\n');
  one(gawwn('data', 'inspect', cub, '--json'), /^gawwn: .*bounding_boxes\.txt:2: truncated line: expected 5 fields/);
  const dbg = gawwn('--debug', 'data', 'inspect', cub);
  assert.equal(dbg.code, 2);
  assert.match(dbg.err, /\n\s+at /, '--debug adds the stack');
  assert.deepEqual(fs.readdirSync(base).sort(), ['cub']);
});
