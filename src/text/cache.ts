/**
 * Embedding cache: the embedding of every caption is computed once per encoder and kept, so GAN training never
 * re-runs the text encoder per step. It lives in the user's cache directory ($XDG_CACHE_HOME/gawwn/embeddings,
 * else ~/.cache/gawwn/embeddings), not in the package or the encoder's run folder: an install may be read-only,
 * and one encoder (`pretrained:text-birds`) is shared by every command. The encoder id is a hash of the
 * encoder's weights, so one directory serves every encoder. One file per encoder id E:
 *   <dir>/<E>.emb   'GAWWNEMB', uint32 LE header length, JSON header {format, encoderId, dim, count, sha256
 *                   (of the rows), keys: [sha256 of caption text]}, then float32 LE rows of `dim` values
 * One file, replaced by an atomic rename, so a reader sees one writer's complete version, never a data file of
 * one version beside the index of another. Writers merge their new rows under a lock (<E>.lock, run-lock.ts)
 * with what is on disk at that moment, so concurrent commands do not lose each other's rows. A cache that does
 * not verify (a hand edit, a disk error) is rebuilt with a warning, never fatal: it only holds what the
 * encoder recomputes. The key hashes the caption exactly as given (the encoder itself lower-cases and truncates
 * to 201 characters). Authors' precomputed embeddings (reed-t7.ts) can be imported under an id of the caller's
 * choice.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { GawwnError, check } from '../util/errors.js';
import { loadTextEncoder } from './run-io.js';
import { writeFileAtomic } from '../util/atomic.js';
import { waitForLock } from '../util/run-lock.js';
import { readT7Embeddings } from './reed-t7.js';
import { resolveTextEncoderSpec } from './pretrained.js';
import { describeFsError } from '../util/safe-open.js';
import type { DatasetRecord } from '../data/types.js';

export const CACHE_FORMAT = 'gawwn-embedding-cache/2';
const MAGIC = Buffer.from('GAWWNEMB', 'latin1');

interface CacheIndex {
  format: typeof CACHE_FORMAT;
  encoderId: string;
  dim: number;
  count: number;
  sha256: string;
  keys: string[];
}

/** sha256 hex of a caption's UTF-8 text: the cache key. */
export function captionKey(caption: string): string {
  return crypto.createHash('sha256').update(caption, 'utf8').digest('hex');
}

/** Anything that embeds captions into N·dim float32 (CharTextEncoder does). */
export interface CaptionEmbedder {
  embed(texts: readonly string[], batchSize?: number): Promise<Float32Array>;
}

export class EmbeddingCache {
  private rows: Float32Array[] = [];
  private keys: string[] = [];
  private pos = new Map<string, number>();
  private dirty = false;

  private constructor(
    readonly dir: string,
    readonly encoderId: string,
    readonly dim: number,
  ) {}

  /**
   * Opens (or starts) the cache of `encoderId` in `dir`. A file that does not verify, or holds another encoder or
   * dimension, is reported through `warn` and the cache starts empty (it is rebuilt on the next save).
   */
  static open(dir: string, encoderId: string, dim: number, warn: (m: string) => void = warnToStderr): EmbeddingCache {
    check(/^[A-Za-z0-9._-]+$/.test(encoderId), `embedding cache: encoder id '${encoderId}' may only contain letters, digits, '.', '_' and '-'`);
    check(Number.isInteger(dim) && dim > 0, `embedding cache: dim must be a positive integer, got ${dim}`);
    const c = new EmbeddingCache(dir, encoderId, dim);
    try {
      const on = readCacheFile(c.file(), encoderId, dim);
      if (on !== null) on.keys.forEach((k, i) => c.add(k, on.rows.subarray(i * dim, (i + 1) * dim)));
    } catch (e) {
      if (!(e instanceof GawwnError)) throw e;
      warn(`${e.message}; rebuilding it`);
    }
    c.dirty = false;
    return c;
  }

  /** The cache file. */
  file(): string {
    return path.join(this.dir, `${this.encoderId}.emb`);
  }

  get size(): number {
    return this.keys.length;
  }

  has(caption: string): boolean {
    return this.pos.has(captionKey(caption));
  }

  /** The cached embedding of a caption (a copy), or undefined. */
  get(caption: string): Float32Array | undefined {
    const i = this.pos.get(captionKey(caption));
    return i === undefined ? undefined : this.rows[i].slice();
  }

  private add(key: string, v: Float32Array): void {
    const i = this.pos.get(key);
    if (i !== undefined) {
      this.rows[i] = v.slice();
    } else {
      this.pos.set(key, this.keys.length);
      this.keys.push(key);
      this.rows.push(v.slice());
    }
    this.dirty = true;
  }

  /** Stores embeddings (N·dim) for N captions. */
  put(captions: readonly string[], embeddings: Float32Array): void {
    check(embeddings.length === captions.length * this.dim, `embedding cache: ${embeddings.length} values for ${captions.length} captions of dim ${this.dim}`);
    captions.forEach((c, i) => this.add(captionKey(c), embeddings.subarray(i * this.dim, (i + 1) * this.dim)));
  }

  /** Computes the captions not cached yet with `encoder`; returns how many were computed. */
  async ensure(encoder: CaptionEmbedder, captions: readonly string[], batchSize = 64): Promise<number> {
    const missing = [...new Set(captions.filter((c) => !this.has(c)))];
    if (missing.length === 0) return 0;
    const e = await encoder.embed(missing, batchSize);
    this.put(missing, e);
    return missing.length;
  }

  /** Embeddings of the captions (N·dim), computing missing ones with `encoder` when given. */
  async lookup(captions: readonly string[], encoder?: CaptionEmbedder): Promise<Float32Array> {
    if (encoder) await this.ensure(encoder, captions);
    const out = new Float32Array(captions.length * this.dim);
    captions.forEach((c, i) => {
      const v = this.get(c);
      if (v === undefined) throw new GawwnError(`caption not in the embedding cache of ${this.encoderId}: "${c.slice(0, 60)}"`);
      out.set(v, i * this.dim);
    });
    return out;
  }

  /**
   * Writes the cache when it changed: under the lock, the rows on disk now (another command's) are merged in, then
   * the file is replaced atomically.
   */
  async save(): Promise<void> {
    if (!this.dirty) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const lock = await waitForLock(path.join(this.dir, `${this.encoderId}.lock`), 'embedding cache');
    try {
      let on: { keys: string[]; rows: Float32Array } | null = null;
      try {
        on = readCacheFile(this.file(), this.encoderId, this.dim);
      } catch (e) {
        if (!(e instanceof GawwnError)) throw e; // a broken file is simply replaced
      }
      if (on !== null) {
        on.keys.forEach((k, i) => {
          if (!this.pos.has(k)) this.add(k, on.rows.subarray(i * this.dim, (i + 1) * this.dim));
        });
      }
      await writeFileAtomic(this.file(), encodeCacheFile(this.encoderId, this.dim, this.keys, this.rows));
      this.dirty = false;
    } finally {
      lock.release();
    }
  }
}

function warnToStderr(m: string): void {
  process.stderr.write(`gawwn: warning: ${m}\n`);
}

function encodeCacheFile(encoderId: string, dim: number, keys: readonly string[], rows: readonly Float32Array[]): Buffer {
  const all = new Float32Array(keys.length * dim);
  rows.forEach((r, i) => all.set(r, i * dim));
  const data = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const idx: CacheIndex = { format: CACHE_FORMAT, encoderId, dim, count: keys.length, sha256: crypto.createHash('sha256').update(data).digest('hex'), keys: [...keys] };
  const head = Buffer.from(JSON.stringify(idx), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length, 0);
  return Buffer.concat([MAGIC, len, head, data]);
}

/** The keys and rows of a cache file, null when there is none; a GawwnError naming the file when it does not verify. */
function readCacheFile(file: string, encoderId: string, dim: number): { keys: string[]; rows: Float32Array } | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return null;
    throw new GawwnError(`embedding cache unreadable (${describeFsError(e)})`, { file });
  }
  const bad = (why: string): never => {
    throw new GawwnError(`embedding cache ${why}`, { file });
  };
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) bad('is not a gawwn embedding cache (truncated or modified)');
  const n = buf.readUInt32LE(8);
  if (12 + n > buf.length) bad('is truncated');
  let idx: CacheIndex;
  try {
    idx = JSON.parse(buf.subarray(12, 12 + n).toString('utf8')) as CacheIndex;
  } catch {
    return bad('header is not valid JSON (truncated or modified)');
  }
  if (idx.format !== CACHE_FORMAT) bad(`has format '${String(idx.format)}', not ${CACHE_FORMAT}`);
  if (idx.encoderId !== encoderId) bad(`belongs to encoder ${idx.encoderId}, not ${encoderId}`);
  if (idx.dim !== dim) bad(`holds ${idx.dim}-d embeddings, expected ${dim}`);
  const data = buf.subarray(12 + n);
  if (!Array.isArray(idx.keys) || idx.keys.length !== idx.count || data.length !== idx.count * dim * 4 || crypto.createHash('sha256').update(data).digest('hex') !== idx.sha256) {
    bad('data does not match its header (truncated or modified)');
  }
  const rows = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { keys: idx.keys, rows };
}

/**
 * Where embedding caches live: $GAWWN_CACHE_DIR when set, else $XDG_CACHE_HOME/gawwn/embeddings, else
 * ~/.cache/gawwn/embeddings (the XDG base-directory default).
 */
export function embeddingCacheDir(): string {
  if (process.env.GAWWN_CACHE_DIR) return path.resolve(process.env.GAWWN_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'gawwn', 'embeddings');
}

/** The embedding cache directory; the argument is ignored (caches are keyed by the encoder's weights hash). */
export function runCacheDir(_runDir?: string): string {
  return embeddingCacheDir();
}

/**
 * Embeddings of `captions` (N·dim) from a trained run directory (computed once, then read from the run's
 * cache) or from a `.t7` file of precomputed embeddings (`{raw_txt, fea_txt}`, looked up by exact caption).
 */
export async function embedCaptions(
  encoder: string,
  captions: readonly string[],
  opts: { useCache?: boolean; cacheDir?: string; warn?: (m: string) => void } = {},
): Promise<{ encoderId: string; dim: number; embeddings: Float32Array; computed: number }> {
  const warn = opts.warn ?? warnToStderr;
  if (encoder.startsWith('pretrained:')) encoder = resolveTextEncoderSpec(encoder);
  if (/\.t7$/i.test(encoder) && fs.existsSync(encoder) && fs.statSync(encoder).isFile()) {
    const t7 = readT7Embeddings(encoder);
    const byCaption = new Map(t7.captions.map((c, i) => [c, i]));
    const out = new Float32Array(captions.length * t7.dim);
    captions.forEach((c, i) => {
      const k = byCaption.get(c);
      if (k === undefined) throw new GawwnError(`caption not in the precomputed embeddings: "${c.slice(0, 60)}"`, { file: encoder });
      out.set(t7.embeddings.subarray(k * t7.dim, (k + 1) * t7.dim), i * t7.dim);
    });
    return { encoderId: `t7:${path.basename(encoder)}`, dim: t7.dim, embeddings: out, computed: 0 };
  }
  const { encoder: enc, encoderId } = loadTextEncoder(encoder);
  try {
    const dim = enc.config.embDim;
    if (opts.useCache === false) return { encoderId, dim, embeddings: await enc.embed(captions), computed: captions.length };
    const cache = EmbeddingCache.open(opts.cacheDir ?? embeddingCacheDir(), encoderId, dim, warn);
    const computed = await cache.ensure(enc, captions);
    try {
      await cache.save();
    } catch (e) {
      // The embeddings are computed and right; only keeping them for next time failed (a full or read-only disk,
      // a cache held too long by another command). That must not fail the command.
      const why = e instanceof GawwnError ? e.message : `${cache.file()}: ${describeFsError(e)}`;
      warn(`embedding cache not saved (${why}); the result is unaffected, the captions will be embedded again next time`);
    }
    return { encoderId, dim, embeddings: await cache.lookup(captions), computed };
  } finally {
    enc.dispose();
  }
}

/** Copies precomputed embeddings (e.g. `readT7Embeddings`, or a GAWWN record's `captions` + `txt`) into a cache. */
export function importEmbeddings(cache: EmbeddingCache, captions: readonly string[], embeddings: Float32Array): void {
  cache.put(captions, embeddings);
}

/** Embeds every caption of `records` once; returns the per-caption lookup the batcher averages. */
export async function captionEmbeddings(encoder: string, records: readonly DatasetRecord[]): Promise<{ dim: number; embed: (r: DatasetRecord, i: number) => Float32Array }> {
  const all = [...new Set(records.flatMap((r) => r.captions ?? []))];
  const { dim, embeddings } = await embedCaptions(encoder, all);
  const row = new Map(all.map((c, i) => [c, i]));
  return { dim, embed: (r, i) => {
    const c = r.captions?.[i];
    const k = c === undefined ? undefined : row.get(c);
    if (k === undefined) throw new GawwnError(`no embedding for caption ${i} of image ${'imageId' in r ? r.imageId : (r as { path: string }).path}`);
    return embeddings.subarray(k * dim, (k + 1) * dim);
  } };
}
