/**
 * A full disk while a checkpoint is written: the training stops with one line saying which step could not be
 * saved and that the checkpoint before it is intact (and it is: it loads), with no temporary folder left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthBirds } from '../../src/data/synth-birds.js';
import { train } from '../../src/training/loop.js';
import { loadLatest } from '../../src/training/checkpoint.js';
import { initBackend } from '../../src/backend/select.js';
import { GawwnError } from '../../src/util/errors.js';
import { LOCK_NAME } from '../../src/util/run-lock.js';

test('ENOSPC during the checkpoint of step 2: one line naming the intact step-1 checkpoint; --resume material intact', async () => {
  await initBackend({ report: null });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-enospc-'));
  const birds = path.join(root, 'birds');
  await synthBirds({ out: birds, images: 12, seed: 2 });
  const out = path.join(root, 'run');
  const open = fs.promises.open;
  // Every file opened for writing under the step-2 checkpoint's temporary folder fails as on a full disk.
  fs.promises.open = (async (...a: Parameters<typeof open>) => {
    if (String(a[1]).includes('w') && String(a[0]).includes('step-000002')) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${String(a[0])}'`), { code: 'ENOSPC', syscall: 'open', path: String(a[0]) });
    }
    return open(...a);
  }) as typeof open;
  try {
    await assert.rejects(
      train({
        family: 'bbox', dataRoot: birds, preset: 'tiny', overrides: { model: { txtSize: 8 } }, outDir: out, steps: 3, checkpointEvery: 1, sampleEvery: 1000,
        embed: (_r, i) => new Float32Array(8).fill(i / 10), textEncoder: 'test', warn: () => undefined,
      }),
      (e: Error) => e instanceof GawwnError && e.message ===
        `${path.join(out, 'checkpoints')}: cannot write the checkpoint of step 2: no space left on the device (ENOSPC); the previous checkpoint ${path.join(out, 'checkpoints', 'step-000001')} is intact: free space and continue with --resume`,
    );
  } finally {
    fs.promises.open = open;
  }
  const ck = await loadLatest(out, { modelFamily: 'bbox', preset: 'tiny' });
  assert.equal(ck?.step, 1);
  assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')).filter((n) => n !== 'latest'), ['step-000001'], 'no temporary folder left');
  assert.ok(!fs.existsSync(path.join(out, LOCK_NAME)), 'the lock is released');
  fs.rmSync(root, { recursive: true, force: true });
});
