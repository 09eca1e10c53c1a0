/**
 * A trained text-encoder run on disk: `RUN/text-encoder.json` (manifest: format, configs, step, RNG state,
 * weight index, sha256 of the weights) and `RUN/text-encoder.bin` (all weights, float32 little-endian).
 * Both are written to a temporary file, flushed and renamed (bin first, manifest last), so a killed process
 * leaves the previous complete checkpoint. The encoder id (first 16 hex digits of the weights' sha256)
 * keys the embedding cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { writeFileAtomicSync } from '../util/atomic.js';
import { GawwnError } from '../util/errors.js';
import type { RngState } from '../util/rng.js';
import { CharTextEncoder, type TextEncoderConfig, validateTextEncoderConfig } from './encoder.js';
import type { ImageCrop } from './dataset-source.js';
import { PatchImageEncoder, type ImageEncoderConfig, validateImageEncoderConfig } from './image-encoder.js';

export const RUN_FORMAT = 'gawwn-text-encoder/1';
export const MANIFEST_NAME = 'text-encoder.json';
export const WEIGHTS_NAME = 'text-encoder.bin';

export interface EncoderRunManifest {
  format: typeof RUN_FORMAT;
  /** sha256 of the weight file (hex). */
  sha256: string;
  /** Training step of these weights. */
  step: number;
  textConfig: TextEncoderConfig;
  /** Absent for an encoder saved without its image side. */
  imageConfig?: ImageEncoderConfig;
  rng?: RngState;
  /** Free-form training metadata (preset, data dir, metrics). */
  meta?: Record<string, unknown>;
  /** name ('text/<param>' or 'image/<param>') -> offset and length in float32 elements. */
  weights: { name: string; offset: number; length: number }[];
}

export interface EncoderRun {
  manifest: EncoderRunManifest;
  /** Cache key of this encoder: first 16 hex digits of the weights' sha256. */
  encoderId: string;
  textWeights: Record<string, Float32Array>;
  imageWeights?: Record<string, Float32Array>;
}

/** Saves an encoder run (weights then manifest, each atomic). Returns the encoder id. */
export function saveEncoderRun(
  dir: string,
  run: { textConfig: TextEncoderConfig; textWeights: Record<string, Float32Array>; imageConfig?: ImageEncoderConfig; imageWeights?: Record<string, Float32Array>; step: number; rng?: RngState; meta?: Record<string, unknown> },
): string {
  const entries: [string, Float32Array][] = [
    ...Object.keys(run.textWeights).sort().map((k) => [`text/${k}`, run.textWeights[k]] as [string, Float32Array]),
    ...Object.keys(run.imageWeights ?? {}).sort().map((k) => [`image/${k}`, run.imageWeights![k]] as [string, Float32Array]),
  ];
  const total = entries.reduce((a, [, v]) => a + v.length, 0);
  const all = new Float32Array(total);
  const index: EncoderRunManifest['weights'] = [];
  let off = 0;
  for (const [name, v] of entries) {
    all.set(v, off);
    index.push({ name, offset: off, length: v.length });
    off += v.length;
  }
  const bytes = new Uint8Array(all.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new GawwnError('big-endian hosts are not supported for weight files');
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const manifest: EncoderRunManifest = {
    format: RUN_FORMAT, sha256, step: run.step, textConfig: run.textConfig, imageConfig: run.imageConfig, rng: run.rng, meta: run.meta, weights: index,
  };
  writeFileAtomicSync(path.join(dir, WEIGHTS_NAME), bytes, { mkdir: true });
  writeFileAtomicSync(path.join(dir, MANIFEST_NAME), JSON.stringify(manifest, null, 1) + '\n', { mkdir: true });
  return sha256.slice(0, 16);
}

/** Loads and verifies an encoder run directory. Errors name the file and what is wrong. */
export function loadEncoderRun(dir: string): EncoderRun {
  const mfile = path.join(dir, MANIFEST_NAME);
  const wfile = path.join(dir, WEIGHTS_NAME);
  if (!fs.existsSync(mfile)) throw new GawwnError(`not a text-encoder run: ${MANIFEST_NAME} is missing`, { file: mfile });
  let manifest: EncoderRunManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(mfile, 'utf8')) as EncoderRunManifest;
  } catch (e) {
    throw new GawwnError(`unreadable manifest: ${(e as Error).message.split('\n')[0]}`, { file: mfile });
  }
  if (manifest?.format !== RUN_FORMAT) throw new GawwnError(`unknown run format '${String(manifest?.format)}', expected ${RUN_FORMAT}`, { file: mfile });
  if (!fs.existsSync(wfile)) throw new GawwnError('weights file is missing', { file: wfile });
  const buf = fs.readFileSync(wfile);
  const sha256 = crypto.createHash('sha256').update(buf).digest('hex');
  if (sha256 !== manifest.sha256) throw new GawwnError('weights do not match the manifest checksum (truncated or modified file)', { file: wfile });
  try {
    validateTextEncoderConfig(manifest.textConfig);
    if (manifest.imageConfig) validateImageEncoderConfig(manifest.imageConfig);
  } catch (e) {
    throw new GawwnError(`bad config in manifest: ${(e as Error).message}`, { file: mfile });
  }
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const textWeights: Record<string, Float32Array> = {};
  const imageWeights: Record<string, Float32Array> = {};
  for (const w of manifest.weights) {
    if (!(w.offset >= 0 && w.length >= 0 && w.offset + w.length <= all.length)) throw new GawwnError(`weight '${w.name}' lies outside the weights file`, { file: mfile });
    const v = all.slice(w.offset, w.offset + w.length);
    if (w.name.startsWith('text/')) textWeights[w.name.slice(5)] = v;
    else if (w.name.startsWith('image/')) imageWeights[w.name.slice(6)] = v;
    else throw new GawwnError(`unknown weight name '${w.name}'`, { file: mfile });
  }
  return { manifest, encoderId: sha256.slice(0, 16), textWeights, imageWeights: manifest.imageConfig ? imageWeights : undefined };
}

/** Loads the text encoder of a run (caller disposes). */
export function loadTextEncoder(dir: string): { encoder: CharTextEncoder; encoderId: string; run: EncoderRun } {
  const run = loadEncoderRun(dir);
  try {
    return { encoder: new CharTextEncoder(run.manifest.textConfig, run.textWeights), encoderId: run.encoderId, run };
  } catch (e) {
    throw new GawwnError(`weights do not fit the config: ${(e as Error).message}`, { file: path.join(dir, MANIFEST_NAME) });
  }
}

/** Loads the image encoder of a run, when it has one (caller disposes). */
export function loadImageEncoder(run: EncoderRun): PatchImageEncoder | null {
  if (!run.manifest.imageConfig || !run.imageWeights) return null;
  return new PatchImageEncoder(run.manifest.imageConfig, run.imageWeights);
}

/** What the run's image side was trained on (`train text-encoder --image-crop`, recorded in meta): retrieval must show it the same. */
export function trainedImageCrop(run: EncoderRun): ImageCrop {
  return (run.manifest.meta as { imageCrop?: unknown } | undefined)?.imageCrop === 'box' ? 'box' : 'full';
}
