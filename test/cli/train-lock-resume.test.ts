/**
 * One writer per run folder, and a resume that is the uninterrupted run: on the real CLI, keypoint model, tiny
 * preset. Two trainings started together into one --out: exactly one runs, the other is refused in one line
 * naming the holder's pid. 30 steps straight vs 10 steps + --resume to 30 (over a stale lock of a dead process):
 * identical log.jsonl losses and identical final weights. A resume with another text encoder is refused unless
 * --switch-inputs; --out onto a file and a root with another part count are refused, leaving nothing behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { LOCK_NAME } from '../../src/util/run-lock.js';
import { bin, errorLines, gawwn, makeTinyFixture, projectRoot, trainArgs, type TinyFixture, type CliResult } from './tiny-fixture.js';

let f: TinyFixture;

before(() => {
  f = makeTinyFixture('gawwn-train-lock-');
});
after(() => {
  if (f) fs.rmSync(f.root, { recursive: true, force: true });
});

function gawwnAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [bin, ...args], { cwd: projectRoot, env: { ...process.env, GAWWN_BACKEND: process.env.GAWWN_BACKEND ?? 'wasm' } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

/** log.jsonl without the wall-clock field. */
function losses(run: string): Record<string, number>[] {
  return fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const { sec: _sec, ...rest } = JSON.parse(l) as Record<string, number>;
    return rest;
  });
}

test('two trainings into one folder: one runs; 30 steps straight = 10 steps + resume to 30, bit for bit', async () => {
  const straight = path.join(f.root, 'straight');
  const ck = ['--checkpoint-every', '10'];
  const [a, b] = await Promise.all([gawwnAsync(trainArgs(f, straight, 30, ck)), gawwnAsync(trainArgs(f, straight, 30, ck))]);
  const codes = [a.code, b.code].sort();
  assert.equal(codes[0], 0, `${a.err}\n${b.err}`);
  assert.equal(codes[1], 2, `${a.err}\n${b.err}`);
  const loser = a.code === 0 ? b : a;
  const lines = errorLines(loser.err);
  assert.equal(lines.length, 1, loser.err);
  assert.match(lines[0], new RegExp(`^gawwn: .*straight: in use by process \\d+ \\(gawwn train --model keypoint\\); wait for it to finish or choose another folder$`));
  assert.equal(loser.out, '');
  assert.ok(!fs.existsSync(path.join(straight, LOCK_NAME)), 'the lock is released at the end');

  const resumed = path.join(f.root, 'resumed');
  const r1 = gawwn(trainArgs(f, resumed, 10, ck));
  assert.equal(r1.code, 0, r1.err);
  // A lock left by a process killed with -9: its pid no longer runs, so it is taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.writeFileSync(path.join(resumed, LOCK_NAME), JSON.stringify({ pid: Number(dead.stdout), host: (await import('node:os')).hostname(), what: 'gawwn train', since: '' }));
  const r2 = gawwn(trainArgs(f, resumed, 30, [...ck, '--resume']));
  assert.equal(r2.code, 0, r2.err);

  const l1 = losses(straight);
  const l2 = losses(resumed);
  assert.equal(l1.length, 30);
  assert.deepEqual(l2.map((l) => l.step), l1.map((l) => l.step));
  assert.deepEqual(l2, l1);
  assert.ok(fs.readFileSync(path.join(resumed, 'final', 'weights.bin')).equals(fs.readFileSync(path.join(straight, 'final', 'weights.bin'))), 'final weights differ');
  for (const s of ['step-000020', 'step-000030']) {
    assert.ok(
      fs.readFileSync(path.join(resumed, 'checkpoints', s, 'weights.bin')).equals(fs.readFileSync(path.join(straight, 'checkpoints', s, 'weights.bin'))),
      `checkpoint ${s} differs (G, D and both optimisers)`,
    );
  }

  // The same encoder under another name is another encoder as far as the run's record goes.
  const alias = path.join(f.root, 'text-alias');
  fs.symlinkSync(f.text, alias);
  const other = { ...f, text: alias };
  const before = fs.readFileSync(path.join(resumed, 'config.json'), 'utf8');
  const r3 = gawwn(trainArgs(other, resumed, 30, ['--resume']));
  assert.equal(r3.code, 2, r3.err);
  assert.deepEqual(errorLines(r3.err), [
    `gawwn: ${path.join(resumed, 'config.json')}: this run was trained with --text-encoder ${f.text}; it cannot resume with ${alias} (pass --switch-inputs to continue with the new one)`,
  ]);
  assert.equal(fs.readFileSync(path.join(resumed, 'config.json'), 'utf8'), before);
  const r4 = gawwn(trainArgs(other, resumed, 30, ['--resume', '--switch-inputs']));
  assert.equal(r4.code, 0, r4.err);
  assert.equal((JSON.parse(fs.readFileSync(path.join(resumed, 'config.json'), 'utf8')) as { textEncoder: string }).textEncoder, alias);
});

test('train --out onto a file, and a keypoint model on a root with another part count: one line, nothing left', () => {
  const file = path.join(f.root, 'a-file');
  fs.writeFileSync(file, 'x');
  const r = gawwn(trainArgs(f, file, 2));
  assert.equal(r.code, 2);
  assert.deepEqual(errorLines(r.err), [`gawwn: ${file}: exists and is not a folder; --out names a run folder (new, or a run to --resume)`]);
  assert.equal(fs.readFileSync(file, 'utf8'), 'x');

  // The same birds with the last of the 15 parts (tail) removed.
  const root = path.join(f.root, 'birds-14');
  fs.cpSync(f.birds, root, { recursive: true });
  const pf = path.join(root, 'parts', 'parts.txt');
  fs.writeFileSync(pf, fs.readFileSync(pf, 'utf8').split('\n').filter((l) => !/^15 /.test(l)).join('\n'));
  const lf = path.join(root, 'parts', 'part_locs.txt');
  fs.writeFileSync(lf, fs.readFileSync(lf, 'utf8').split('\n').filter((l) => !/^\d+ 15 /.test(l)).join('\n'));
  const out = path.join(f.root, 'k14');
  const k = gawwn(trainArgs({ ...f, birds: root }, out, 2));
  assert.equal(k.code, 2, k.err);
  assert.deepEqual(errorLines(k.err), [
    `gawwn: ${root}: the keypoint model takes 15 parts (model.numParts) but this root has 14 (parts.txt); train on a root with 15 parts or set model.numParts = 14`,
  ]);
  assert.ok(!fs.existsSync(out), 'no half-made run folder');
});
