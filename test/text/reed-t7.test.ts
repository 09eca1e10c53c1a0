import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readGawwnRecord, readCubT7Record, readT7Embeddings } from '../../src/text/reed-t7.js';
import { encodeIndices } from '../../src/text/alphabet.js';

/** Minimal torch.save writer for a flat table of strings and 2-D tensors (binary, little-endian). */
function t7Table(fields: Record<string, string | { cls: string; shape: number[]; data: number[] }>): Buffer {
  const parts: Buffer[] = [];
  const int = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); };
  const long = (v: number) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); parts.push(b); };
  const str = (s: string) => { int(s.length); parts.push(Buffer.from(s, 'latin1')); };
  let index = 1;
  int(3); int(index++); int(Object.keys(fields).length);
  for (const [k, v] of Object.entries(fields)) {
    int(2); str(k);
    if (typeof v === 'string') { int(2); str(v); continue; }
    int(4); int(index++); str('V 1'); str(`torch.${v.cls}Tensor`);
    int(v.shape.length);
    v.shape.forEach(long);
    const strides = v.shape.map((_, i) => v.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    strides.forEach(long);
    long(1);
    int(4); int(index++); str('V 1'); str(`torch.${v.cls}Storage`); long(v.data.length);
    const size = v.cls === 'Float' ? 4 : 8;
    const b = Buffer.alloc(size * v.data.length);
    v.data.forEach((x, i) => (v.cls === 'Float' ? b.writeFloatLE(x, 4 * i) : v.cls === 'Long' ? b.writeBigInt64LE(BigInt(x), 8 * i) : b.writeDoubleLE(x, 8 * i)));
    parts.push(b);
  }
  return Buffer.concat(parts);
}

test('reed-t7: a per-image GAWWN record (img, txt 2x4, char 201x2, parts 15x3, loc 4x1)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-t7-'));
  const caps = ['this bird is red.', 'a blue-gray bird'];
  const idx = caps.map((c) => encodeIndices(c));
  const char: number[] = [];
  for (let i = 0; i < 201; i++) for (let j = 0; j < 2; j++) char.push(idx[j][i]);
  const parts = Array.from({ length: 45 }, (_, i) => i);
  const file = path.join(dir, 'rec.t7');
  fs.writeFileSync(file, t7Table({
    img: '001.Black_footed_Albatross/x.jpg',
    txt: { cls: 'Float', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] },
    char: { cls: 'Long', shape: [201, 2], data: char },
    parts: { cls: 'Double', shape: [15, 3], data: parts },
    loc: { cls: 'Double', shape: [4, 1], data: [60, 27, 325, 304] },
  }));
  const r = readGawwnRecord(file);
  assert.equal(r.img, '001.Black_footed_Albatross/x.jpg');
  assert.deepEqual(r.captions, caps);
  assert.deepEqual([r.txt!.rows, r.txt!.cols, Array.from(r.txt!.data)], [2, 4, [1, 2, 3, 4, 5, 6, 7, 8]]);
  assert.deepEqual([r.char!.rows, r.char!.cols], [201, 2]);
  assert.deepEqual(Array.from(r.parts!.data), parts);
  assert.deepEqual([r.loc!.rows, r.loc!.cols, Array.from(r.loc!.data)], [4, 1, [60, 27, 325, 304]]);
  fs.writeFileSync(file, t7Table({ img: 'x', txt: { cls: 'Float', shape: [3, 4], data: new Array(12).fill(0) }, char: { cls: 'Long', shape: [201, 2], data: char } }));
  assert.throws(() => readGawwnRecord(file), /'txt' has 3 captions but 'char' has 2/);
});

const dataDir = process.env.GAWWN_SHARED_DATA ?? path.resolve(__dirname, '../../..', '../shared/data');

test('reed-t7: real CUBStoT7 record of image 2 and the real precomputed embedding', (t) => {
  if (!fs.existsSync(path.join(dataDir, 'torch7'))) return t.skip('../shared/data is absent');
  const r = readCubT7Record(path.join(dataDir, 'torch7/image2.t7'));
  assert.deepEqual([r.imageId, r.classId, r.isTrain], [2, 1, true]);
  assert.equal(r.imagePath, '001.Black_footed_Albatross/Black_Footed_Albatross_0009_34.jpg');
  assert.deepEqual(r.bbox, { x: 139, y: 30, w: 153, h: 264 });
  assert.deepEqual(r.parts[1], { x: 282, y: 154, visible: true });
  assert.deepEqual(r.parts[2], { x: 0, y: 0, visible: false });
  const e = readT7Embeddings(path.join(dataDir, 'torch7/example_captions.t7'));
  assert.equal(e.dim, 1024);
  assert.deepEqual(e.captions, [fs.readFileSync(path.join(dataDir, 'torch7/example_captions.txt'), 'utf8').trim()]);
  assert.ok(Math.abs(Math.hypot(...e.embeddings) - 4.6146) < 5e-5);
});
