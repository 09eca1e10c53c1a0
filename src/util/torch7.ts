/**
 * Reader for Torch7 `torch.save` binary files (`.t7`), so users holding the authors' data (per-image GAWWN
 * records with `txt`/`char`/`parts`/`loc`, precomputed char-CNN-RNN embeddings) can use it directly
 * (gawwn-reference §6). Format as written by torch7 `File.lua` (`writeObject`/`readObject`) in binary mode,
 * little-endian, `long` = 8 bytes:
 *   int typeId; nil 0 | number 1 (double) | string 2 (int len, bytes) | table 3 | torch 4 | boolean 5 (int) |
 *   function 6, recursive function 8 (legacy 7): refused, they hold Lua bytecode.
 *   Tables and torch objects carry an int reference index; an index seen before is a shared reference
 *   (also how cycles are written). A torch object has a version string "V n" then its class name (a file
 *   written before versioning has the class name in place of the version string).
 *   Tensor: int nDim, long size[nDim], long stride[nDim], long storageOffset (1-based), storage object.
 *   Storage: long n, then n raw elements.
 * Only data is decoded: other torch classes (nn modules) become `T7Object` wrapping their field table.
 */
import { GawwnError } from './errors.js';
import { readRegularFile } from './safe-open.js';

/** A Lua table. Keys keep their Lua type: the number 1 and the string '1' are different keys. */
export class T7Table {
  readonly entries = new Map<T7Key, T7Value>();

  get(key: T7Key): T7Value | undefined {
    return this.entries.get(key);
  }

  /** The array part `t[1..n]` (stops at the first missing index), as Lua's `#t` for a proper sequence. */
  array(): T7Value[] {
    const out: T7Value[] = [];
    for (let i = 1; this.entries.has(i); i++) out.push(this.entries.get(i) as T7Value);
    return out;
  }
}

/** Element storage classes and the JS array each decodes to. */
export type T7ElementType = 'Double' | 'Float' | 'Half' | 'Long' | 'Int' | 'Short' | 'Char' | 'Byte';
export type T7Data = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** `torch.<T>Storage`: a flat array of elements. */
export interface T7Storage {
  kind: 'storage';
  /** Full Torch class name, e.g. `torch.CudaStorage`. */
  className: string;
  elementType: T7ElementType;
  data: T7Data;
}

/** `torch.<T>Tensor`: a strided view of a storage. */
export interface T7Tensor {
  kind: 'tensor';
  /** Full Torch class name, e.g. `torch.DoubleTensor`. */
  className: string;
  elementType: T7ElementType;
  shape: number[];
  /** Strides in elements, as in Torch. */
  stride: number[];
  /** 0-based offset into the storage (Torch stores it 1-based). */
  offset: number;
  storage: T7Storage | null;
}

/** Any other torch class (e.g. `nn.Linear`): its class name and its serialised field table. */
export interface T7Object {
  kind: 'object';
  className: string;
  version: number;
  value: T7Value;
}

export type T7Key = number | string | boolean | T7Table | T7Tensor | T7Storage | T7Object;
export type T7Value = null | T7Key;

const TYPE_NIL = 0;
const TYPE_NUMBER = 1;
const TYPE_STRING = 2;
const TYPE_TABLE = 3;
const TYPE_TORCH = 4;
const TYPE_BOOLEAN = 5;
const TYPE_FUNCTION = 6;
const LEGACY_TYPE_RECUR_FUNCTION = 7;
const TYPE_RECUR_FUNCTION = 8;

/**
 * Nesting limit of tables and torch objects. Real files (GAWWN records, nn modules) nest < 20 deep; the reader
 * recurses, so a crafted file nested 200,000 deep would overflow the stack.
 */
export const MAX_T7_DEPTH = 1000;
/**
 * Most elements one tensor may declare beyond its storage's own. A tensor's elements are materialised by
 * t7TensorData; stride 0 over a 1-element storage could otherwise declare 1e8 elements in a 113-byte file.
 * Broadcast views (stride 0) this small are allowed, as Torch's expand writes them.
 */
export const MAX_T7_VIEW_ELEMENTS = 1 << 20;

/** Bytes per element of each storage type, and how to decode it. */
const ELEMENT_SIZE: Record<T7ElementType, number> = { Double: 8, Float: 4, Half: 2, Long: 8, Int: 4, Short: 2, Char: 1, Byte: 1 };

/**
 * Maps a tensor/storage class name to its element type, or null when it is not a tensor/storage class.
 * `torch.CudaTensor` is float32 (Torch's CUDA default); `torch.Cuda<T>Tensor` is `<T>` (Cuda types are read
 * as host arrays of the same element type).
 */
export function t7ElementType(className: string): { elementType: T7ElementType; what: 'tensor' | 'storage' } | null {
  const m = /^torch\.(Cuda)?(Double|Float|Half|Long|Int|Short|Char|Byte)?(Tensor|Storage)$/.exec(className);
  if (m === null) return null;
  const cuda = m[1] !== undefined;
  let elementType = m[2] as T7ElementType | undefined;
  if (elementType === undefined) {
    if (!cuda) return null; // `torch.Tensor` is never serialised under that name
    elementType = 'Float';
  }
  return { elementType, what: m[3] === 'Tensor' ? 'tensor' : 'storage' };
}

/** Reads one object from a `.t7` file. Throws GawwnError naming the file and byte offset on malformed input. */
export function readT7File(file: string): T7Value {
  return readT7(readRegularFile(file, 'Torch7 file'), file);
}

/** Decodes one `torch.save` object from bytes. `source` names the input in errors. */
export function readT7(bytes: Uint8Array, source = '<bytes>'): T7Value {
  const r = new T7Reader(bytes, source);
  const v = r.readObject();
  return v;
}

class T7Reader {
  private pos = 0;
  private readonly view: DataView;
  private readonly objects = new Map<number, T7Key>();
  private depth = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(msg: string, at = this.pos): never {
    throw new GawwnError(`Torch7: ${msg} at byte ${at}`, { file: this.source });
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.byteLength) {
      this.fail(`truncated file: need ${n} bytes, ${this.bytes.byteLength - this.pos} left`);
    }
  }

  private int(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private long(): number {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`long ${v} out of range`);
    this.pos += 8;
    return Number(v);
  }

  private double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  private string(): string {
    const n = this.int();
    if (n < 0) this.fail(`negative string length ${n}`, this.pos - 4);
    this.need(n);
    // Lua strings are bytes; latin1 keeps every byte (UTF-8 captions are decoded by the caller if needed).
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, n).toString('latin1');
    this.pos += n;
    return s;
  }

  readObject(): T7Value {
    const at = this.pos;
    const type = this.int();
    switch (type) {
      case TYPE_NIL:
        return null;
      case TYPE_NUMBER:
        return this.double();
      case TYPE_STRING:
        return this.string();
      case TYPE_BOOLEAN:
        return this.int() === 1;
      case TYPE_FUNCTION:
      case TYPE_RECUR_FUNCTION:
      case LEGACY_TYPE_RECUR_FUNCTION:
        return this.fail('a Lua function is stored here; functions hold Lua bytecode and are not supported', at);
      case TYPE_TABLE:
      case TYPE_TORCH: {
        const index = this.int();
        const seen = this.objects.get(index);
        if (seen !== undefined) return seen;
        if (++this.depth > MAX_T7_DEPTH) this.fail(`tables nested deeper than ${MAX_T7_DEPTH} levels`, at);
        try {
          return type === TYPE_TABLE ? this.readTable(index) : this.readTorch(index);
        } finally {
          this.depth--;
        }
      }
      default:
        return this.fail(`unknown type id ${type}`, at);
    }
  }

  private readTable(index: number): T7Table {
    const table = new T7Table();
    this.objects.set(index, table); // before the contents, so cycles resolve to this table
    const n = this.int();
    if (n < 0) this.fail(`negative table size ${n}`, this.pos - 4);
    for (let i = 0; i < n; i++) {
      const keyAt = this.pos;
      const k = this.readObject();
      if (k === null) this.fail('table key is nil', keyAt);
      table.entries.set(k, this.readObject());
    }
    return table;
  }

  private readTorch(index: number): T7Key {
    const at = this.pos;
    let version = 0;
    let className = this.string();
    const m = /^V (\d+)$/.exec(className);
    if (m !== null) {
      version = Number(m[1]);
      className = this.string();
    }
    const et = t7ElementType(className);
    if (et === null) {
      // A generic torch class serialises its field table; register a shell first for self-references.
      const obj: T7Object = { kind: 'object', className, version, value: null };
      this.objects.set(index, obj);
      obj.value = this.readObject();
      return obj;
    }
    if (et.what === 'storage') {
      const s = this.readStorageBody(className, et.elementType);
      this.objects.set(index, s);
      return s;
    }
    const t: T7Tensor = { kind: 'tensor', className, elementType: et.elementType, shape: [], stride: [], offset: 0, storage: null };
    this.objects.set(index, t);
    const nDim = this.int();
    if (nDim < 0 || nDim > 64) this.fail(`bad tensor dimension count ${nDim} in ${className}`, at);
    for (let i = 0; i < nDim; i++) t.shape.push(this.long());
    for (let i = 0; i < nDim; i++) t.stride.push(this.long());
    t.offset = this.long() - 1;
    const storAt = this.pos;
    const s = this.readObject();
    if (s !== null && !(typeof s === 'object' && 'kind' in s && s.kind === 'storage')) this.fail(`${className} storage is not a storage`, storAt);
    t.storage = s;
    // Checked here, before anything is read through the view: sizes, strides and offset against the storage.
    const dims = `[${t.shape.join('x')}]`;
    if (t.shape.some((d) => d < 0)) this.fail(`negative size in ${className} ${dims}`, at);
    if (t.stride.some((d) => d < 0)) this.fail(`negative stride in ${className} ${dims} (strides ${t.stride.join(',')}); Torch never writes one`, at);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (nDim > 0 && n > 0) {
      if (s === null) this.fail(`${className} ${dims} has no storage`, at);
      let last = t.offset;
      for (let i = 0; i < nDim; i++) last += (t.shape[i] - 1) * t.stride[i];
      if (t.offset < 0 || !(last < s.data.length)) this.fail(`${className} ${dims} reads past its storage of ${s.data.length}`, at);
      if (n > s.data.length && n > MAX_T7_VIEW_ELEMENTS) {
        this.fail(`${className} ${dims} declares ${n} elements over a storage of ${s.data.length} (overlapping strides ${t.stride.join(',')}); refused above ${MAX_T7_VIEW_ELEMENTS}`, at);
      }
    }
    return t;
  }

  private readStorageBody(className: string, elementType: T7ElementType): T7Storage {
    const n = this.long();
    if (n < 0) this.fail(`negative storage size ${n}`, this.pos - 8);
    const size = ELEMENT_SIZE[elementType];
    this.need(n * size);
    const start = this.pos;
    this.pos += n * size;
    return { kind: 'storage', className, elementType, data: decodeElements(this.view, start, n, elementType) };
  }
}

function decodeElements(view: DataView, start: number, n: number, type: T7ElementType): T7Data {
  switch (type) {
    case 'Double': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat64(start + 8 * i, true);
      return a;
    }
    case 'Float': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat32(start + 4 * i, true);
      return a;
    }
    case 'Half': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = halfToFloat(view.getUint16(start + 2 * i, true));
      return a;
    }
    case 'Long': {
      // Long indices and counts fit a double exactly below 2^53; Torch data files never exceed that.
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = Number(view.getBigInt64(start + 8 * i, true));
      return a;
    }
    case 'Int': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt32(start + 4 * i, true);
      return a;
    }
    case 'Short': {
      const a = new Int16Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt16(start + 2 * i, true);
      return a;
    }
    case 'Char': {
      const a = new Int8Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt8(start + i);
      return a;
    }
    case 'Byte': {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getUint8(start + i);
      return a;
    }
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Type guards. */
export function isT7Tensor(v: T7Value | undefined): v is T7Tensor {
  return typeof v === 'object' && v !== null && !(v instanceof T7Table) && v.kind === 'tensor';
}
export function isT7Table(v: T7Value | undefined): v is T7Table {
  return v instanceof T7Table;
}

/**
 * The tensor's elements in row-major order as a fresh contiguous array of its own element type
 * (strides and offset applied).
 */
export function t7TensorData(t: T7Tensor): T7Data {
  const n = t.shape.length === 0 ? 0 : t.shape.reduce((a, b) => a * b, 1);
  const src = t.storage?.data;
  const Ctor = (src?.constructor ?? Float64Array) as { new (n: number): T7Data };
  const out = new Ctor(n);
  if (n === 0 || src === undefined) return out;
  const nd = t.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let p = t.offset;
  for (let i = 0; i < n; i++) {
    out[i] = src[p];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      p += t.stride[d];
      if (idx[d] < t.shape[d]) break;
      p -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** The tensor's elements as float32, row-major (what the model code consumes). */
export function t7TensorFloat32(t: T7Tensor): Float32Array {
  const d = t7TensorData(t);
  return d instanceof Float32Array ? d : Float32Array.from(d);
}

/**
 * A JSON-ready copy of a decoded value: tables with keys exactly 1..n become arrays, other tables objects
 * (non-string keys are stringified), tensors `{type, shape, data}` (row-major), storages `{type, size, data}`,
 * other torch objects `{torch: className, value}`. A table or torch object met again (a shared reference or
 * a cycle) becomes `{"$ref": "<JSON path of its first occurrence>"}`.
 */
export function t7ToJson(v: T7Value): unknown {
  const paths = new Map<object, string>();
  const walk = (x: T7Value, path: string): unknown => {
    if (x === null || typeof x !== 'object') return typeof x === 'number' && !Number.isFinite(x) ? String(x) : x;
    const seen = paths.get(x);
    if (seen !== undefined) return { $ref: seen };
    paths.set(x, path);
    if (x instanceof T7Table) {
      const arr = x.array();
      if (arr.length === x.entries.size) return arr.map((e, i) => walk(e, `${path}[${i}]`));
      const o: Record<string, unknown> = {};
      for (const [k, e] of x.entries) {
        const name = typeof k === 'object' ? `[${k instanceof T7Table ? 'table' : k.kind}]` : String(k);
        o[name] = walk(e, `${path}.${name}`);
      }
      return o;
    }
    switch (x.kind) {
      case 'tensor':
        return { type: x.className, shape: x.shape, data: Array.from(t7TensorData(x)) };
      case 'storage':
        return { type: x.className, size: x.data.length, data: Array.from(x.data) };
      case 'object':
        return { torch: x.className, value: walk(x.value, `${path}.value`) };
    }
  };
  return walk(v, '$');
}
