/**
 * Embedding cache: the embedding of every caption is computed once per encoder and stored beside the run,
 * so GAN training never re-runs the text encoder per step. Layout, for encoder id E:
 *   <dir>/<E>.bin   float32 little-endian rows of `dim` values
 *   <dir>/<E>.json  {format, encoderId, dim, count, sha256 (of the .bin), keys: [sha256 of caption text]}
 * Row i belongs to keys[i]. Both files are written atomically (bin first, index last); a mismatch between
 * them (a killed writer, a hand edit) is detected by the checksum and reported. The key hashes the caption
 * exactly as given (the encoder itself lower-cases and truncates to 201 characters).
 * Authors' precomputed embeddings (reed-t7.ts) can be imported under an id of the caller's choice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { GawwnError, check } from '../util/errors.js';
import { loadTextEncoder } from './run-io.js';
import { writeFileAtomicSync } from '../util/atomic.js';
import { readT7Embeddings } from './reed-t7.js';
import type { DatasetRecord } from '../data/types.js';

export const CACHE_FORMAT = 'gawwn-embedding-cache/1';

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

  /** Opens (or starts) the cache of `encoderId` in `dir`. An existing cache must have the same `dim`. */
  static open(dir: string, encoderId: string, dim: number): EmbeddingCache {
    check(/^[A-Za-z0-9._-]+$/.test(encoderId), `embedding cache: encoder id '${encoderId}' may only contain letters, digits, '.', '_' and '-'`);
    check(Number.isInteger(dim) && dim > 0, `embedding cache: dim must be a positive integer, got ${dim}`);
    const c = new EmbeddingCache(dir, encoderId, dim);
    const ifile = c.indexFile();
    if (!fs.existsSync(ifile)) return c;
    let idx: CacheIndex;
    try {
      idx = JSON.parse(fs.readFileSync(ifile, 'utf8')) as CacheIndex;
    } catch (e) {
      throw new GawwnError(`unreadable embedding cache index: ${(e as Error).message.split('\n')[0]}`, { file: ifile });
    }
    if (idx.format !== CACHE_FORMAT) throw new GawwnError(`unknown cache format '${String(idx.format)}'`, { file: ifile });
    if (idx.encoderId !== encoderId) throw new GawwnError(`cache belongs to encoder ${idx.encoderId}, not ${encoderId}`, { file: ifile });
    if (idx.dim !== dim) throw new GawwnError(`cache holds ${idx.dim}-d embeddings, expected ${dim}`, { file: ifile });
    const bfile = c.binFile();
    if (!fs.existsSync(bfile)) throw new GawwnError('embedding cache data file is missing', { file: bfile });
    const buf = fs.readFileSync(bfile);
    if (crypto.createHash('sha256').update(buf).digest('hex') !== idx.sha256 || buf.byteLength !== idx.count * dim * 4 || idx.keys.length !== idx.count) {
      throw new GawwnError('embedding cache data does not match its index (truncated or modified); delete both files to rebuild', { file: bfile });
    }
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    idx.keys.forEach((k, i) => c.add(k, all.subarray(i * dim, (i + 1) * dim)));
    c.dirty = false;
    return c;
  }

  indexFile(): string {
    return path.join(this.dir, `${this.encoderId}.json`);
  }

  binFile(): string {
    return path.join(this.dir, `${this.encoderId}.bin`);
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

  /** Writes the cache when it changed (data file, then index; both atomic). */
  save(): void {
    if (!this.dirty && fs.existsSync(this.indexFile())) return;
    const all = new Float32Array(this.keys.length * this.dim);
    this.rows.forEach((r, i) => all.set(r, i * this.dim));
    const bytes = new Uint8Array(all.buffer);
    const idx: CacheIndex = {
      format: CACHE_FORMAT, encoderId: this.encoderId, dim: this.dim, count: this.keys.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'), keys: this.keys,
    };
    writeFileAtomicSync(this.binFile(), bytes, { mkdir: true });
    writeFileAtomicSync(this.indexFile(), JSON.stringify(idx) + '\n', { mkdir: true });
    this.dirty = false;
  }
}

/** The cache directory of a text-encoder run. */
export function runCacheDir(runDir: string): string {
  return path.join(runDir, 'embeddings');
}

/**
 * Embeddings of `captions` (N·dim) from a trained run directory (computed once, then read from the run's
 * cache) or from a `.t7` file of precomputed embeddings (`{raw_txt, fea_txt}`, looked up by exact caption).
 */
export async function embedCaptions(encoder: string, captions: readonly string[], opts: { useCache?: boolean } = {}): Promise<{ encoderId: string; dim: number; embeddings: Float32Array; computed: number }> {
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
    const cache = EmbeddingCache.open(runCacheDir(encoder), encoderId, dim);
    const computed = await cache.ensure(enc, captions);
    try {
      cache.save();
    } catch (e) {
      // A read-only install (e.g. the shipped encoders under data/pretrained): the embeddings are still right,
      // only not kept for next time.
      if (!['EACCES', 'EPERM', 'EROFS'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
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
