/**
 * Files shipped with the package (data/pretrained, data/captions), found from this file's location: the same
 * lookup serves the built library (dist/src/util/…, three levels below the root) and the sources (two).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `data/<parts…>` of the package: the first candidate root where it exists, else the built layout's. */
export function packageDataPath(...parts: string[]): string {
  for (const up of ['../../..', '../..']) {
    const p = path.resolve(__dirname, up, 'data', ...parts);
    if (fs.existsSync(p)) return p;
  }
  return path.resolve(__dirname, '../../..', 'data', ...parts);
}

/** The package's shipped models and text encoders (data/pretrained): what `pretrained:NAME` names. */
export function pretrainedDir(): string {
  return packageDataPath('pretrained');
}
