import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCub } from '../../src/data/cub.js';
import { GawwnError } from '../../src/util/errors.js';
import { hasReal, makeTinyCub, realCub, tmpDir } from './helpers.js';

test('real CUB-200-2011: counts, image 1 box and beak', async (t) => {
  if (!hasReal) return t.skip('real data absent (../shared/data or GAWWN_SHARED_DATA)');
  const d = await loadCub(realCub);
  assert.equal(d.records.length, 11788);
  assert.equal(d.records.filter((r) => r.split === 'train').length, 5994);
  assert.equal(d.records.filter((r) => r.split === 'test').length, 5794);
  assert.equal(d.classNames.length, 200);
  assert.equal(d.partNames.length, 15);
  const r1 = d.records[0];
  assert.equal(r1.imageId, 1);
  assert.equal(r1.className, '001.Black_footed_Albatross');
  assert.deepEqual(r1.bbox, { x: 60, y: 27, w: 325, h: 304 });
  assert.deepEqual(r1.parts[1], { name: 'beak', x: 312, y: 182, visible: true });
  assert.deepEqual(r1.parts[0], { name: 'back', x: 0, y: 0, visible: false });
  // 300 images are on disk; their sizes come from the headers, the others are 0 (decoded lazily).
  assert.equal(d.records.filter((r) => r.width > 0).length, 300);
  assert.equal(d.table.numRows(), 11788);
  assert.equal(d.table.get('beak_x', 0), 312);
  assert.equal(d.table.get('beak_v', 0), 1);
});

test('tiny CUB root loads: records, table, captions', async () => {
  const dir = tmpDir('cub');
  await makeTinyCub(dir, { captions: true });
  const d = await loadCub(dir);
  assert.equal(d.records.length, 3);
  assert.deepEqual(d.records.map((r) => r.split), ['train', 'test', 'train']);
  assert.deepEqual(d.records.map((r) => r.classId), [1, 1, 2]);
  assert.equal(d.records[2].width, 300);
  assert.equal(d.records[2].height, 200);
  assert.deepEqual(d.records[1].parts[0], { name: 'back', x: 52, y: 60, visible: true });
  assert.equal(d.records[0].captions?.length, 10);
  assert.equal(d.records[0].captions?.[9], 'caption 10 of 001.A/A_1.jpg');
  assert.equal(d.table.get('left_eye_v', 0), 0);
  // Reed's zero-shot class split overrides the official one.
  const split = path.join(dir, 'trainclasses.txt');
  fs.writeFileSync(split, '002.B\n');
  const z = await loadCub(dir, { trainClassesFile: split });
  assert.deepEqual(z.records.map((r) => r.split), ['test', 'test', 'train']);
});

/** Mutates one file of a fresh tiny root and returns the load error message (or null when it loads). */
async function loadWith(mutate: (dir: string) => void, opts: { captions?: boolean } = {}): Promise<{ err: string | null; warnings: string[]; dir: string }> {
  const dir = tmpDir('cubbad');
  await makeTinyCub(dir, opts);
  mutate(dir);
  const warnings: string[] = [];
  try {
    await loadCub(dir, { warn: (m) => warnings.push(m) });
    return { err: null, warnings, dir };
  } catch (e) {
    assert.ok(e instanceof GawwnError, `expected GawwnError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return { err: e.message, warnings, dir };
  }
}
const edit = (f: string, fn: (s: string) => string) => (dir: string) => fs.writeFileSync(path.join(dir, f), fn(fs.readFileSync(path.join(dir, f), 'utf8')));

test('CRLF, BOM and trailing blank lines simply work', async () => {
  const base = tmpDir('cubok');
  await makeTinyCub(base);
  const ref = (await loadCub(base)).records.map((r) => ({ ...r, path: path.relative(base, r.path) }));
  for (const mutate of [
    (dir: string) => { for (const f of ['images.txt', 'bounding_boxes.txt', 'parts/part_locs.txt', 'classes.txt']) edit(f, (s) => s.replace(/\n/g, '\r\n'))(dir); },
    (dir: string) => { for (const f of ['images.txt', 'parts/parts.txt', 'train_test_split.txt']) edit(f, (s) => '\ufeff' + s)(dir); },
    (dir: string) => { for (const f of ['images.txt', 'image_class_labels.txt', 'parts/part_locs.txt']) edit(f, (s) => s + '\n\n  \n')(dir); },
  ]) {
    const r = await loadWith(mutate);
    assert.equal(r.err, null);
    const d = await loadCub(r.dir);
    assert.deepEqual(d.records.map((x) => ({ ...x, path: path.relative(r.dir, x.path) })), ref);
  }
});

test('bad CUB annotations give one-line errors naming file and line', async () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['truncated line', edit('bounding_boxes.txt', (s) => s.replace('2 10.0 20.0 100.0 80.0', '2 10.0 20.0')), /bounding_boxes\.txt:2: truncated line: expected 5 fields/],
    ['non-numeric field', edit('parts/part_locs.txt', (s) => s.replace('1 1 51.0 60.0 1', '1 1 abc 60.0 1')), /part_locs\.txt:1: non-numeric x 'abc'/],
    ['NaN coordinate', edit('parts/part_locs.txt', (s) => s.replace('1 2 70.0 41.0 1', '1 2 70.0 NaN 1')), /part_locs\.txt:2: non-finite y 'NaN'/],
    ['NaN box', edit('bounding_boxes.txt', (s) => s.replace('3 10.0', '3 nan')), /bounding_boxes\.txt:3: non-finite x 'nan'/],
    ['id not in images.txt', edit('image_class_labels.txt', (s) => s.replace('3 2', '4 2')), /image_class_labels\.txt:3: image id 4 is not in images\.txt/],
    ['id missing from a file', edit('train_test_split.txt', (s) => s.replace('2 0\n', '')), /train_test_split\.txt: image id 2 \(images\.txt line 2\) has no line here/],
    ['duplicate id', edit('images.txt', (s) => s + '2 001.A/A_9.jpg\n'), /images\.txt:4: duplicate image id 2 \(first on line 2\)/],
    ['unknown class', edit('image_class_labels.txt', (s) => s.replace('3 2', '3 7')), /image_class_labels\.txt:3: class id 7 is not in classes\.txt/],
    ['zero-size box', edit('bounding_boxes.txt', (s) => s.replace('2 10.0 20.0 100.0 80.0', '2 10.0 20.0 0.0 80.0')), /bounding_boxes\.txt:2: zero-size or negative box/],
    ['negative box', edit('bounding_boxes.txt', (s) => s.replace('1 10.0 20.0 100.0 80.0', '1 10.0 20.0 100.0 -5.0')), /bounding_boxes\.txt:1: zero-size or negative box/],
    ['visible flag not 0/1', edit('parts/part_locs.txt', (s) => s.replace('1 1 51.0 60.0 1', '1 1 51.0 60.0 2')), /part_locs\.txt:1: visible must be 0 or 1/],
    ['split flag not 0/1', edit('train_test_split.txt', (s) => s.replace('1 1', '1 x')), /train_test_split\.txt:1: non-numeric is_training_image 'x'/],
    ['part missing for an image', edit('parts/part_locs.txt', (s) => s.replace('2 15 0.0 0.0 0\n', '')), /part_locs\.txt: image id 2 has no line for part 15 \(throat\)/],
    ['missing annotation file', (dir) => fs.rmSync(path.join(dir, 'parts', 'parts.txt')), /parts\.txt: missing parts\.txt/],
    ['corrupt JPEG header', (dir) => fs.writeFileSync(path.join(dir, 'images/001.A/A_2.jpg'), 'this is not a jpeg'), /A_2\.jpg: corrupt or unsupported image/],
    ['caption file missing', (dir) => fs.rmSync(path.join(dir, 'text_c10/002.B/B_3.txt')), /B_3\.txt: missing caption file/],
    ['caption file empty', (dir) => fs.writeFileSync(path.join(dir, 'text_c10/001.A/A_1.txt'), '\n\n'), /A_1\.txt: empty caption file/],
    ['caption non-ASCII', edit('text_c10/001.A/A_2.txt', (s) => s.replace('caption 3', 'caption \u00e9')), /A_2\.txt:3: non-ASCII character U\+00E9 at column 9/],
    ['caption of 10,000 characters', edit('text_c10/001.A/A_2.txt', (s) => s.replace('caption 4', 'x'.repeat(10000))), /A_2\.txt:4: caption of 10\d{3} characters \(limit 1000\)/],
    // Number() reads these as 2, 10 and 3: a corrupt file would silently point at other images.
    ['hex id', edit('image_class_labels.txt', (s) => s.replace('2 1\n', '0x2 1\n')), /image_class_labels\.txt:2: image_id must be a decimal integer, got '0x2'$/],
    ['exponent id', edit('bounding_boxes.txt', (s) => s.replace('1 10.0', '1e0 10.0')), /bounding_boxes\.txt:1: image_id must be a decimal integer, got '1e0'$/],
    ['negative id', edit('images.txt', (s) => s.replace('3 002.B', '-3 002.B')), /images\.txt:3: image_id must be a non-negative integer, got '-3'$/],
    ['duplicate part name', edit('parts/parts.txt', (s) => s.replace(/^3 .*$/m, '3 beak')), /parts\.txt:3: duplicate part name 'beak' \(first on part id 2\)$/],
    ['UTF-16 images.txt', (dir) => {
      const f = path.join(dir, 'images.txt');
      fs.writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fs.readFileSync(f, 'utf8'), 'utf16le')]));
    }, /images\.txt: not UTF-8 \(looks like UTF-16\); save the images\.txt as UTF-8$/],
    ['Latin-1 caption file', (dir) => fs.writeFileSync(path.join(dir, 'text_c10/001.A/A_2.txt'), Buffer.from('caption 1\nun oiseau tr\xe8s petit\n', 'latin1')),
      /A_2\.txt:2: not UTF-8 \(looks like Latin-1: byte 0xE8 at column 13\); save the caption file as UTF-8$/],
  ];
  for (const [name, mutate, re] of cases) {
    const r = await loadWith(mutate, { captions: true });
    assert.ok(r.err !== null, `${name}: expected an error`);
    assert.match(r.err, re, name);
  }
});

test('caption files with CRLF, BOM and trailing blanks work', async () => {
  const r = await loadWith(edit('text_c10/001.A/A_1.txt', (s) => '\ufeff' + s.replace(/\n/g, '\r\n') + '\r\n\r\n'), { captions: true });
  assert.equal(r.err, null);
  const d = await loadCub(r.dir);
  assert.equal(d.records[0].captions?.length, 10);
  assert.equal(d.records[0].captions?.[0], 'caption 1 of 001.A/A_1.jpg');
});

test('box or part outside the image is clipped with a warning (documented decision)', async () => {
  const r = await loadWith((dir) => {
    edit('bounding_boxes.txt', (s) => s.replace('1 10.0 20.0 100.0 80.0', '1 -5.0 20.0 400.0 80.0'))(dir);
    edit('parts/part_locs.txt', (s) => s.replace('2 1 52.0 60.0 1', '2 1 352.0 60.0 1'))(dir);
  });
  assert.equal(r.err, null);
  assert.equal(r.warnings.length, 2);
  assert.match(r.warnings[0], /bounding_boxes\.txt:1: box \(-5, 20, 400, 80\) extends outside the 300x200 image; clipped/);
  assert.match(r.warnings[1], /bounding_boxes\.txt:2: part 'back' \(352, 60\) outside the 300x200 image; clipped/);
  const d = await loadCub(r.dir, { warn: () => undefined });
  assert.deepEqual(d.records[0].bbox, { x: 0, y: 20, w: 300, h: 80 });
  assert.deepEqual(d.records[1].parts[0], { name: 'back', x: 300, y: 60, visible: true });
});

test('missing images are allowed at load (lazy) unless requireImages', async () => {
  const dir = tmpDir('cubmiss');
  await makeTinyCub(dir);
  fs.rmSync(path.join(dir, 'images/001.A/A_2.jpg'));
  const d = await loadCub(dir);
  assert.equal(d.records[1].width, 0);
  await assert.rejects(loadCub(dir, { requireImages: true }), /A_2\.jpg: missing image/);
});
