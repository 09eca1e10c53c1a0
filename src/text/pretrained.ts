/**
 * Where a text encoder lives: a text-encoder run folder (`gawwn train text-encoder --out RUN`), a `.t7` file
 * of the authors' precomputed embeddings, or a shipped one, `pretrained:NAME` = data/pretrained/NAME.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pretrainedDir } from '../util/package-dir.js';
import { GawwnError } from '../util/errors.js';
import { MANIFEST_NAME } from './run-io.js';

/** Resolves `RUN | FILE.t7 | pretrained:NAME` to a path `embedCaptions` accepts. */
export function resolveTextEncoderSpec(spec: string): string {
  if (spec.startsWith('pretrained:')) {
    const name = spec.slice('pretrained:'.length);
    const d = path.join(pretrainedDir(), name);
    if (!fs.existsSync(path.join(d, MANIFEST_NAME))) throw new GawwnError(`no shipped text encoder '${name}'`, { file: d });
    return d;
  }
  if (!fs.existsSync(spec)) throw new GawwnError('no such text encoder (a run folder, a .t7 file or pretrained:NAME)', { file: spec });
  if (fs.statSync(spec).isDirectory() && !fs.existsSync(path.join(spec, MANIFEST_NAME))) {
    throw new GawwnError(`not a text-encoder run (${MANIFEST_NAME} is missing)`, { file: spec });
  }
  return spec;
}
