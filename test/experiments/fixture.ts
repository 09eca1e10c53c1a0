/**
 * One shared tiny setup for the experiment tests (and the notebook test): small synthetic bird and people
 * sets, a test-tiny text encoder and 2-step tiny runs of every model the experiments use, laid out as a models
 * directory (`birds-bbox/`, `text-birds/`, …) like data/pretrained. Made in-process with the CLI's own code
 * (`main`), so it is exactly what `gawwn train` produces. Untrained models: tests check structure, not quality.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';

export interface TinyModels {
  root: string;
  modelsDir: string;
  birds: string;
  people: string;
}

async function run(argv: string[]): Promise<void> {
  const code = await main(argv);
  if (code !== 0) throw new Error(`gawwn ${argv.join(' ')} exited with ${code}`);
}

/** Builds the fixture in a new temp folder (about 20–40 s on 2 cores). The caller removes `root`. */
export async function makeTinyModels(prefix = 'gawwn-exp-'): Promise<TinyModels> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const modelsDir = path.join(root, 'models');
  const birds = path.join(root, 'birds');
  const people = path.join(root, 'people');
  // Silence the CLI's JSON lines (they would interleave with the test reporter's output).
  const write = process.stdout.write.bind(process.stdout);
  // (Only strings that look like the CLI's JSON lines; the test runner's own messages pass through.)
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    (typeof s === 'string' && s.startsWith('{') ? true : (write as (...a: unknown[]) => boolean)(s, ...rest))) as typeof process.stdout.write;
  try {
    await run(['data', 'synth-birds', '--out', birds, '--images', '40', '--seed', '3', '--min-size', '160', '--max-size', '240']);
    await run(['data', 'synth-people', '--out', people, '--images', '12', '--seed', '4', '--min-size', '160', '--max-size', '240']);
    const text = path.join(modelsDir, 'text-birds');
    await run(['train', 'text-encoder', '--data', birds, '--out', text, '--steps', '3', '--preset', 'test-tiny', '--batch', '4', '--no-progress']);
    // One stand-in encoder under both shipped names (§3.2 reads text-birds200, the shipped bird models' encoder).
    fs.cpSync(text, path.join(modelsDir, 'text-birds200'), { recursive: true });
    for (const m of ['bbox', 'keypoint', 'keypoint-gen', 'gan-int-cls']) {
      await run(['train', '--model', m, '--data', birds, '--out', path.join(modelsDir, `birds-${m}`), '--text-encoder', text, '--preset', 'tiny', '--steps', '2', '--batch', '4']);
    }
    for (const m of ['keypoint', 'keypoint-gen']) {
      await run(['train', '--model', m, '--data', people, '--out', path.join(modelsDir, `people-${m}`), '--text-encoder', text, '--preset', 'tiny', '--steps', '2', '--batch', '4']);
    }
  } finally {
    process.stdout.write = write;
  }
  return { root, modelsDir, birds, people };
}
