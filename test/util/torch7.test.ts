import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readT7, t7ToJson, t7TensorData, isT7Table, isT7Tensor, T7Table, t7ElementType, type T7Tensor } from '../../src/util/torch7.js';
import { GawwnError } from '../../src/util/errors.js';

/** Hand-made torch.save byte sequences (binary, little-endian, long = 8 bytes), per torch7 File.lua. */
class T7Bytes {
  private parts: Buffer[] = [];
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.parts.push(b);
    return this;
  }
  long(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  rawString(s: string): this {
    return this.int(Buffer.byteLength(s, 'latin1')).raw(Buffer.from(s, 'latin1'));
  }
  nil(): this { return this.int(0); }
  number(x: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return this.int(1).raw(b);
  }
  string(s: string): this { return this.int(2).rawString(s); }
  bool(v: boolean): this { return this.int(5).int(v ? 1 : 0); }
  /** A table with reference index `index` and entries written by the callbacks. */
  table(index: number, entries: [(w: T7Bytes) => void, (w: T7Bytes) => void][]): this {
    this.int(3).int(index).int(entries.length);
    for (const [k, v] of entries) { k(this); v(this); }
    return this;
  }
  /** A back-reference to an already written table (type 3) or torch object (type 4). */
  ref(type: 3 | 4, index: number): this { return this.int(type).int(index); }
  storage(index: number, className: string, write: (w: T7Bytes) => void, n: number): this {
    this.int(4).int(index).rawString('V 1').rawString(className).long(n);
    write(this);
    return this;
  }
  tensor(index: number, className: string, shape: number[], stride: number[], offset1: number, storage: (w: T7Bytes) => void): this {
    this.int(4).int(index).rawString('V 1').rawString(className).int(shape.length);
    shape.forEach((s) => this.long(s));
    stride.forEach((s) => this.long(s));
    this.long(offset1);
    storage(this);
    return this;
  }
  bytes(): Uint8Array { return new Uint8Array(Buffer.concat(this.parts)); }
}

const f64 = (xs: number[]) => { const b = Buffer.alloc(8 * xs.length); xs.forEach((x, i) => b.writeDoubleLE(x, 8 * i)); return b; };
const f32 = (xs: number[]) => { const b = Buffer.alloc(4 * xs.length); xs.forEach((x, i) => b.writeFloatLE(x, 4 * i)); return b; };
const i64 = (xs: number[]) => { const b = Buffer.alloc(8 * xs.length); xs.forEach((x, i) => b.writeBigInt64LE(BigInt(x), 8 * i)); return b; };
const i32 = (xs: number[]) => { const b = Buffer.alloc(4 * xs.length); xs.forEach((x, i) => b.writeInt32LE(x, 4 * i)); return b; };

test('torch7: scalars (nil, number, string, boolean)', () => {
  assert.equal(readT7(new T7Bytes().nil().bytes()), null);
  assert.equal(readT7(new T7Bytes().number(-2.5).bytes()), -2.5);
  assert.equal(readT7(new T7Bytes().string('a bird').bytes()), 'a bird');
  assert.equal(readT7(new T7Bytes().bool(true).bytes()), true);
  assert.equal(readT7(new T7Bytes().bool(false).bytes()), false);
});

test('torch7: table keys keep their Lua types; array part', () => {
  const w = new T7Bytes().table(1, [
    [(w) => w.number(1), (w) => w.string('one')],
    [(w) => w.number(2), (w) => w.string('two')],
    [(w) => w.string('1'), (w) => w.number(7)],
    [(w) => w.bool(true), (w) => w.nil()],
  ]);
  const t = readT7(w.bytes());
  assert.ok(isT7Table(t));
  assert.equal(t.get(1), 'one');
  assert.equal(t.get('1'), 7);
  assert.equal(t.get(true), null);
  assert.deepEqual(t.array(), ['one', 'two']);
});

test('torch7: a shared reference resolves to the same object, and a cycle to itself', () => {
  // root = {a = T, b = T, self = root} with T = {x = 1}; T written once (index 2) then referenced.
  const w = new T7Bytes().table(1, [
    [(w) => w.string('a'), (w) => w.table(2, [[(w) => w.string('x'), (w) => w.number(1)]])],
    [(w) => w.string('b'), (w) => w.ref(3, 2)],
    [(w) => w.string('self'), (w) => w.ref(3, 1)],
  ]);
  const root = readT7(w.bytes()) as T7Table;
  assert.ok(root.get('a') instanceof T7Table);
  assert.equal(root.get('a'), root.get('b'));
  assert.equal(root.get('self'), root);
  assert.equal((root.get('b') as T7Table).get('x'), 1);
  assert.deepEqual(t7ToJson(root), { a: { x: 1 }, b: { $ref: '$.a' }, self: { $ref: '$' } });
});

test('torch7: DoubleTensor 2x3 with offset and a transposed (strided) view sharing its storage', () => {
  // storage [9, 1, 2, 3, 4, 5, 6]; t = 2x3 contiguous from offset 2 (1-based); u = t^T (3x2, strides 1,3).
  const storage = (w: T7Bytes) => w.storage(3, 'torch.DoubleStorage', (w) => w.raw(f64([9, 1, 2, 3, 4, 5, 6])), 7);
  const w = new T7Bytes().table(1, [
    [(w) => w.string('t'), (w) => w.tensor(2, 'torch.DoubleTensor', [2, 3], [3, 1], 2, storage)],
    [(w) => w.string('u'), (w) => w.tensor(4, 'torch.DoubleTensor', [3, 2], [1, 3], 2, (w) => w.ref(4, 3))],
  ]);
  const root = readT7(w.bytes()) as T7Table;
  const t = root.get('t') as T7Tensor;
  const u = root.get('u') as T7Tensor;
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual(Array.from(t7TensorData(t)), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(t7TensorData(u)), [1, 4, 2, 5, 3, 6]);
  assert.equal(t.storage, u.storage);
  assert.ok(t7TensorData(t) instanceof Float64Array);
  assert.deepEqual(t7ToJson(t), { type: 'torch.DoubleTensor', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
});

test('torch7: element types Float, Long, Int, Byte, Char, Short, Cuda', () => {
  const cases: [string, Buffer, number[], string][] = [
    ['torch.FloatTensor', f32([0.5, -1.25]), [0.5, -1.25], 'Float32Array'],
    ['torch.CudaTensor', f32([0.5, -1.25]), [0.5, -1.25], 'Float32Array'],
    ['torch.LongTensor', i64([-3, 2 ** 40]), [-3, 2 ** 40], 'Float64Array'],
    ['torch.IntTensor', i32([-3, 70]), [-3, 70], 'Int32Array'],
    ['torch.ByteTensor', Buffer.from([255, 7]), [255, 7], 'Uint8Array'],
    ['torch.CharTensor', Buffer.from([0xff, 7]), [-1, 7], 'Int8Array'],
    ['torch.ShortTensor', Buffer.from([0xfe, 0xff, 1, 0]), [-2, 1], 'Int16Array'],
    ['torch.CudaDoubleTensor', f64([0.1, 3]), [0.1, 3], 'Float64Array'],
  ];
  for (const [cls, raw, expected, arr] of cases) {
    const storCls = cls.replace('Tensor', 'Storage');
    const w = new T7Bytes().tensor(1, cls, [2], [1], 1, (w) => w.storage(2, storCls, (w) => w.raw(raw), 2));
    const t = readT7(w.bytes());
    assert.ok(isT7Tensor(t), cls);
    const d = t7TensorData(t);
    assert.equal(d.constructor.name, arr, cls);
    assert.deepEqual(Array.from(d), expected, cls);
  }
  assert.deepEqual(t7ElementType('torch.CudaTensor'), { elementType: 'Float', what: 'tensor' });
  assert.equal(t7ElementType('nn.Linear'), null);
});

test('torch7: empty tensor with nil storage; generic torch object keeps its field table', () => {
  const empty = readT7(new T7Bytes().tensor(1, 'torch.FloatTensor', [], [], 1, (w) => w.nil()).bytes());
  assert.ok(isT7Tensor(empty));
  assert.equal(t7TensorData(empty).length, 0);
  const w = new T7Bytes().int(4).int(1).rawString('V 1').rawString('nn.Linear')
    .table(2, [[(w) => w.string('train'), (w) => w.bool(true)]]);
  assert.deepEqual(t7ToJson(readT7(w.bytes())), { torch: 'nn.Linear', value: { train: true } });
});

test('torch7: a legacy torch object (written before "V n" versions) has its class name first', () => {
  // type 4, index 1, class name directly, then the tensor body
  const w = new T7Bytes().int(4).int(1).rawString('torch.FloatTensor').int(1).long(2).long(1).long(1)
    .storage(2, 'torch.FloatStorage', (w) => w.raw(f32([1.5, 2.5])), 2);
  const t = readT7(w.bytes());
  assert.ok(isT7Tensor(t));
  assert.deepEqual(Array.from(t7TensorData(t)), [1.5, 2.5]);
});

test('torch7: functions, unknown types and truncation are refused with the byte offset', () => {
  const fn = new T7Bytes().table(1, [[(w) => w.string('f'), (w) => w.int(6).rawString('\x1bLua').table(2, [])]]).bytes();
  assert.throws(() => readT7(fn, 'model.t7'), (e: Error) => e instanceof GawwnError && /model\.t7: Torch7: a Lua function.*at byte 21/.test(e.message));
  assert.throws(() => readT7(new T7Bytes().int(9).bytes()), /unknown type id 9 at byte 0/);
  for (const id of [7, 8]) assert.throws(() => readT7(new T7Bytes().int(id).int(1).bytes()), /a Lua function/);
  const full = new T7Bytes().string('abcdef').bytes();
  assert.throws(() => readT7(full.subarray(0, full.length - 2)), /truncated file/);
  const past = new T7Bytes().tensor(1, 'torch.FloatTensor', [3], [1], 1, (w) => w.storage(2, 'torch.FloatStorage', (w) => w.raw(f32([1, 2])), 2)).bytes();
  assert.throws(() => readT7(past), /reads past its storage of 2/);
});

// ../shared/data from the project root (dist/test/util -> root); GAWWN_SHARED_DATA overrides (for worktrees).
const dataDir = process.env.GAWWN_SHARED_DATA ?? path.resolve(__dirname, '../../..', '../shared/data');

test('torch7: real CUB records match bounding_boxes.txt and part_locs.txt exactly', (t) => {
  const dir = path.join(dataDir, 'torch7');
  if (!fs.existsSync(dir)) return t.skip('../shared/data is absent');
  const cub = path.join(dataDir, 'cub/CUB_200_2011');
  const boxes = new Map(fs.readFileSync(path.join(cub, 'bounding_boxes.txt'), 'utf8').trim().split('\n').map((l) => {
    const [id, ...v] = l.trim().split(/\s+/).map(Number);
    return [id, v];
  }));
  const parts = new Map<number, number[][]>();
  for (const l of fs.readFileSync(path.join(cub, 'parts/part_locs.txt'), 'utf8').trim().split('\n')) {
    const [id, , x, y, vis] = l.trim().split(/\s+/).map(Number);
    if (!parts.has(id)) parts.set(id, []);
    parts.get(id)!.push([x, y, vis]);
  }
  const files = fs.readdirSync(dir).filter((f) => /^image\d+\.t7$/.test(f));
  assert.equal(files.length, 5);
  for (const f of files) {
    const rec = readT7(fs.readFileSync(path.join(dir, f)), f) as T7Table;
    const id = rec.get('image_id') as number;
    assert.equal(`image${id}.t7`, f);
    assert.deepEqual(Array.from(t7TensorData(rec.get('bb_coords') as T7Tensor)), boxes.get(id), f);
    const p = rec.get('parts') as T7Tensor;
    assert.deepEqual(p.shape, [15, 3]);
    assert.deepEqual(Array.from(t7TensorData(p)), parts.get(id)!.flat(), f);
  }
});

test('torch7: real example_captions.t7 embedding (norm 4.6146, starts -0.06126, 0.1591, 0.2498)', (t) => {
  const file = path.join(dataDir, 'torch7/example_captions.t7');
  if (!fs.existsSync(file)) return t.skip('../shared/data is absent');
  const root = readT7(fs.readFileSync(file), file) as T7Table;
  const caption = fs.readFileSync(path.join(dataDir, 'torch7/example_captions.txt'), 'utf8').trim();
  assert.equal((root.get('raw_txt') as T7Table).get(1), caption);
  const e = (root.get('fea_txt') as T7Table).get(1) as T7Tensor;
  assert.equal(e.className, 'torch.CudaTensor');
  assert.deepEqual(e.shape, [1, 1024]);
  const d = t7TensorData(e);
  assert.ok(d instanceof Float32Array);
  const norm = Math.sqrt(d.reduce((a, x) => a + x * x, 0));
  assert.ok(Math.abs(norm - 4.6146) < 5e-5, `norm ${norm}`);
  assert.ok(Math.abs(d[0] - -0.06126) < 5e-6 && Math.abs(d[1] - 0.1591) < 5e-5 && Math.abs(d[2] - 0.2498) < 5e-5, `${d[0]}, ${d[1]}, ${d[2]}`);
});

/** A FloatTensor of `size` elements with the given stride over a storage of `n` floats (offset 1, Torch's 1-based). */
function viewBytes(size: number, stride: number, n: number): Buffer {
  const b = new T7Bytes().int(4).int(1).rawString('V 1').rawString('torch.FloatTensor').int(1).long(size).long(stride).long(1);
  b.int(4).int(2).rawString('V 1').rawString('torch.FloatStorage').long(n);
  return Buffer.from(b.raw(Buffer.alloc(4 * n)).bytes());
}

test('torch7: a 113-byte stride-0 bomb (1e8 elements over 1) is refused at once; negative strides and deep nesting too', () => {
  const bomb = viewBytes(1e8, 0, 1);
  assert.equal(bomb.length, 113);
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  assert.throws(() => readT7(bomb, 'bomb.t7'), (e: Error) =>
    e instanceof GawwnError && e.message === 'bomb.t7: Torch7: torch.FloatTensor [100000000] declares 100000000 elements over a storage of 1 (overlapping strides 0); refused above 1048576 at byte 8');
  assert.ok(performance.now() - t0 < 1000);
  assert.ok(process.memoryUsage().rss - rss0 < 100e6);
  // A small broadcast view (Torch's expand) still reads.
  const v = readT7(viewBytes(5, 0, 1)) as T7Tensor;
  assert.deepEqual(Array.from(t7TensorData(v)), [0, 0, 0, 0, 0]);
  assert.throws(() => readT7(viewBytes(3, -1, 4), 'neg.t7'), /neg\.t7: Torch7: negative stride in torch\.FloatTensor \[3\] \(strides -1\); Torch never writes one at byte 8/);
  // {{{…}}} 200,000 deep: one table per level (type 3, a fresh index, 1 entry: key 1 -> the next table).
  const depth = 200_000;
  const parts: Buffer[] = [];
  for (let i = 0; i < depth; i++) parts.push(Buffer.from(new T7Bytes().int(3).int(i + 1).int(1).int(1).raw(Buffer.alloc(8)).bytes()));
  parts.push(Buffer.from(new T7Bytes().nil().bytes()));
  assert.throws(() => readT7(Buffer.concat(parts), 'deep.t7'), /deep\.t7: Torch7: tables nested deeper than 1000 levels at byte \d+/);
});
