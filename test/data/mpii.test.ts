import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadMpii } from '../../src/data/mpii.js';
import { GawwnError } from '../../src/util/errors.js';
import { MPII_HEADER, mpiiRow, realMpii, tmpDir, writeJpeg } from './helpers.js';

test('real MPII CSV: 17,372 people, 17 points, head centre and objpos derived', async (t) => {
  if (!fs.existsSync(path.join(realMpii, 'mpii_dataset.csv'))) return t.skip('real data absent (../shared/data or GAWWN_SHARED_DATA)');
  const d = await loadMpii(realMpii);
  assert.equal(d.records.length, 17372);
  const r = d.records[0];
  assert.equal(r.imageName, '015601864.jpg');
  assert.equal(r.parts.length, 17);
  assert.deepEqual(r.parts[0], { name: 'r ankle', x: 620, y: 394, visible: true });
  // head centre = midpoint of upper neck (637.0201, 189.8183) and head top (695.9799, 108.1817).
  assert.equal(r.parts[16].x, (637.0201 + 695.9799) / 2);
  assert.equal(r.parts[16].y, (189.8183 + 108.1817) / 2);
  assert.equal(r.scale, 3.021046176409755);
  assert.equal(r.activity, 'curling');
  // objpos = centre of the extent of the visible points: x in [553, 695.9799], y in [108.1817, 394].
  assert.ok(Math.abs(r.objpos.x - (553 + 695.9799) / 2) < 1e-9);
  assert.ok(Math.abs(r.objpos.y - (108.1817 + 394) / 2) < 1e-9);
  // Row 2 has its ankles and knees missing (-1).
  assert.equal(d.records[1].parts[0].visible, false);
  assert.equal(d.records[1].parts[2].visible, true);
  assert.equal(d.table.numRows(), 17372);
});

async function tinyMpii(rows: string[], extra?: (dir: string) => void): Promise<string> {
  const dir = tmpDir('mpii');
  fs.writeFileSync(path.join(dir, 'mpii_dataset.csv'), MPII_HEADER + '\n' + rows.join('\n') + '\n');
  await writeJpeg(path.join(dir, 'images', 'a.jpg'), 400, 300);
  extra?.(dir);
  return dir;
}

test('tiny MPII root: quoted activity, missing joints, captions.tsv, CRLF/BOM', async () => {
  const dir = await tinyMpii([mpiiRow('a.jpg'), mpiiRow('b.jpg', [0, 1, 9])], (d) =>
    fs.writeFileSync(path.join(d, 'captions.tsv'), '\ufeff# comment\r\na.jpg\ta person in a red shirt, skiing\r\na.jpg\tsomeone skiing\r\n\r\n'),
  );
  const d = await loadMpii(dir);
  assert.equal(d.records.length, 2);
  assert.equal(d.records[0].activity, 'skiing, downhill');
  assert.equal(d.records[0].width, 400);
  assert.deepEqual(d.records[0].captions, ['a person in a red shirt, skiing', 'someone skiing']);
  assert.equal(d.records[1].captions, undefined);
  assert.equal(d.records[1].parts[0].visible, false);
  // Head top missing -> no head centre.
  assert.equal(d.records[1].parts[16].visible, false);
  assert.deepEqual(d.records[0].parts[16], { name: 'head centre', x: (140 + 145) / 2, y: (130 + 140) / 2, visible: true });
});

test('bad MPII input gives one-line errors naming file and line', async () => {
  const cases: [string, string[], RegExp, ((dir: string) => void)?][] = [
    ['all joints missing', [mpiiRow('a.jpg'), mpiiRow('a.jpg', Array.from({ length: 16 }, (_, k) => k))], /mpii_dataset\.csv:3: all 16 joints are missing/],
    ['truncated row', [mpiiRow('a.jpg').slice(0, 60)], /mpii_dataset\.csv:2: truncated line: expected 37 fields/],
    ['NaN coordinate', [mpiiRow('a.jpg').replace('0,a.jpg,100,', '0,a.jpg,NaN,')], /mpii_dataset\.csv:2: non-finite r ankle_X 'NaN'/],
    ['non-numeric scale', [mpiiRow('a.jpg', [], 1.5).replace(',1.5,', ',big,')], /mpii_dataset\.csv:2: non-numeric Scale 'big'/],
    ['non-positive scale', [mpiiRow('a.jpg', [], 0)], /mpii_dataset\.csv:2: Scale must be positive/],
    ['unclosed quote', [mpiiRow('a.jpg', [], 1.5, '"skiing, downhill')], /mpii_dataset\.csv:2: truncated line: unclosed quote/],
    ['captions line without tab', [mpiiRow('a.jpg')], /captions\.tsv:1: expected `<image name><TAB><caption>`/, (d) => fs.writeFileSync(path.join(d, 'captions.tsv'), 'a.jpg a caption\n')],
    ['captions file empty', [mpiiRow('a.jpg')], /captions\.tsv: empty caption file/, (d) => fs.writeFileSync(path.join(d, 'captions.tsv'), '# only a comment\n')],
    ['captions non-ASCII', [mpiiRow('a.jpg')], /captions\.tsv:1: non-ASCII character U\+2014 at column 3/, (d) => fs.writeFileSync(path.join(d, 'captions.tsv'), 'a.jpg\ta \u2014 b\n')],
    ['extra field', [mpiiRow('a.jpg').replace(',1.5,', ',1.5,x,')], /mpii_dataset\.csv:2: expected 37 fields, found 38/],
  ];
  for (const [name, rows, re, extra] of cases) {
    const dir = await tinyMpii(rows, extra);
    await assert.rejects(loadMpii(dir, { warn: () => undefined }), (e: unknown) => {
      assert.ok(e instanceof GawwnError, name);
      assert.match(e.message, re, name);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
  const noHeader = tmpDir('mpiih');
  fs.writeFileSync(path.join(noHeader, 'mpii_dataset.csv'), MPII_HEADER.replace('Scale', 'Scal') + '\n' + mpiiRow('a.jpg') + '\n');
  await assert.rejects(loadMpii(noHeader), /mpii_dataset\.csv:1: missing column 'Scale' in the header/);
  const good = await tinyMpii([mpiiRow('a.jpg')]);
  await assert.rejects(loadMpii(good, { captionsFile: path.join(good, 'nope.tsv') }), /nope\.tsv: missing caption file/);
});

test('joints outside the image are clipped with a warning', async () => {
  const dir = await tinyMpii([mpiiRow('a.jpg').replace('0,a.jpg,100,50,', '0,a.jpg,450,50,')]);
  const warnings: string[] = [];
  const d = await loadMpii(dir, { warn: (m) => warnings.push(m) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /mpii_dataset\.csv:2: part 'r ankle' \(450, 50\) outside the 400x300 image; clipped/);
  assert.equal(d.records[0].parts[0].x, 400);
});
