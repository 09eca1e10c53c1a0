/**
 * `gawwn train --resume` after `kill -9` and the numerical guard, on the real
 * launcher and trainer. A keypoint/tiny run checkpointing every step is SIGKILLed several times — twice the
 * moment a checkpoint temporary appears (mid-write), otherwise after a random delay — and resumed each time.
 * The run must then finish with the right step count, log.jsonl must hold exactly one line per step 1..N,
 * every checkpoint left must verify, and the final weights must load.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { listCheckpoints, loadCheckpoint, loadLatest } from '../../src/training/checkpoint.js';
import { loadGenerator } from '../../src/sampling/load.js';
import { Rng } from '../../src/util/rng.js';
import { TMP_MARKER, tmpOwnerPid } from '../../src/util/atomic.js';
import { bin, errorLines, gawwn, makeTinyFixture, projectRoot, trainArgs, type TinyFixture } from './tiny-fixture.js';

const STEPS = 12;
let f: TinyFixture;

before(() => {
  f = makeTinyFixture('gawwn-train-resume-');
});
after(() => {
  if (f) fs.rmSync(f.root, { recursive: true, force: true });
});

/**
 * When to kill: once the log shows `newSteps` steps past the checkpoint the run resumed from, either at the
 * next sighting of a checkpoint temporary (`mid-write`) or after `ms` milliseconds (`delay`). Keyed to progress,
 * not wall time, so the kills land where intended on a loaded machine too.
 */
type KillPlan = { kind: 'mid-write'; newSteps: number } | { kind: 'delay'; newSteps: number; ms: number };

function lastLoggedStep(out: string): number {
  let text = '';
  try {
    text = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8');
  } catch {
    return 0;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return (JSON.parse(lines[i]) as { step: number }).step;
    } catch {
      // a line cut by an earlier kill
    }
  }
  return 0;
}

/**
 * Starts the trainer with --resume and kills it per `plan`. Resolves with how it ended: killed (and whether a
 * checkpoint temporary existed at that moment) or exited by itself.
 */
function runAndKill(out: string, plan: KillPlan, resumeStep: number): Promise<{ killed: boolean; midWrite: boolean; code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...trainArgs(f, out, STEPS, ['--checkpoint-every', '1', '--resume'])], {
      cwd: projectRoot,
      env: { ...process.env, GAWWN_BACKEND: process.env.GAWWN_BACKEND ?? 'wasm' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let killed = false;
    let midWrite = false;
    let armed = false;
    let truncated = false;
    let timer: NodeJS.Timeout | null = null;
    const ckDir = path.join(out, 'checkpoints');
    const kill = (): void => {
      if (killed || child.exitCode !== null) return;
      killed = true;
      child.kill('SIGKILL');
    };
    // The log is re-read only until the wanted step shows up (after the resume truncated it).
    const poll = setInterval(() => {
      if (!armed) {
        // Lines of the killed run past its checkpoint stay until the new process truncates the log.
        const last = lastLoggedStep(out);
        if (last <= resumeStep) truncated = true;
        if (!truncated || last < resumeStep + plan.newSteps) return;
        armed = true;
        if (plan.kind === 'delay') timer = setTimeout(kill, plan.ms);
      }
      if (plan.kind === 'mid-write') {
        let names: string[] = [];
        try {
          names = fs.readdirSync(ckDir);
        } catch {
          return;
        }
        // Only this process's temporaries: those of the killed one are removed by its first save.
        if (names.some((n) => tmpOwnerPid(n) === child.pid)) {
          midWrite = true;
          kill();
        }
      }
    }, 1);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      resolve({ killed, midWrite, code, err });
    });
  });
}

test('train --resume after kill -9 at random moments (incl. mid-checkpoint) finishes with one log line per step', async (t) => {
  const out = path.join(f.root, 'kp-killed');
  const rng = new Rng(8);
  // A logged step k+1 implies checkpoint k is complete (the loop logs step k, saves it, then runs k+1), so
  // every plan but the first guarantees progress; the mid-write kills hit the save of the newest step.
  const plans: KillPlan[] = [
    { kind: 'mid-write', newSteps: 0 }, // the very first checkpoint write: nothing complete yet
    { kind: 'delay', newSteps: 2, ms: rng.int(0, 400) },
    { kind: 'mid-write', newSteps: 2 },
    { kind: 'delay', newSteps: 2, ms: rng.int(0, 400) },
    { kind: 'mid-write', newSteps: 3 },
  ];
  let kills = 0;
  let midWrites = 0;
  let resumedFrom = 0;
  const starts: number[] = [];
  for (const plan of plans) {
    const before_ = await loadLatest(out, { modelFamily: 'keypoint', preset: 'tiny' }, { warn: () => undefined });
    resumedFrom = Math.max(resumedFrom, before_?.step ?? 0);
    starts.push(before_?.step ?? 0);
    const r = await runAndKill(out, plan, before_?.step ?? 0);
    if (!r.killed) {
      // It finished before the kill: only acceptable when there was nothing left to do.
      assert.equal(r.code, 0, r.err);
      break;
    }
    kills++;
    if (r.midWrite) midWrites++;
    // After every kill the newest loadable checkpoint verifies completely (or there is none yet).
    const ck = await loadLatest(out, { modelFamily: 'keypoint', preset: 'tiny' }, { warn: () => undefined });
    if (ck !== null) assert.ok(ck.step >= 1 && ck.step <= STEPS);
  }
  t.diagnostic(`kills ${kills}, of which mid-write ${midWrites}; runs started from steps ${starts.join(', ')}`);
  assert.ok(kills >= 4, `only ${kills} kills landed`);
  assert.ok(midWrites >= 2, 'fewer than two kills landed while a checkpoint was being written');
  assert.ok(resumedFrom >= 3, `runs started from steps ${starts.join(', ')}: too little progress between kills`);

  const done = gawwn(trainArgs(f, out, STEPS, ['--checkpoint-every', '1', '--resume']));
  assert.equal(done.code, 0, done.err);
  assert.equal((JSON.parse(done.out) as { steps: number }).steps, STEPS);

  const lines = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'log.jsonl ends with a newline');
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { step: number }).step), Array.from({ length: STEPS }, (_, i) => i + 1));
  for (const l of lines) assert.ok(Number.isFinite((JSON.parse(l) as { lossD: number }).lossD));

  const cks = await listCheckpoints(out);
  assert.equal(cks[cks.length - 1].step, STEPS);
  for (const c of cks) await loadCheckpoint(c.dir, { modelFamily: 'keypoint', preset: 'tiny' });
  assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')).filter((n) => n.includes(TMP_MARKER)), []);
  assert.equal(fs.readFileSync(path.join(out, 'checkpoints', 'latest'), 'utf8'), `step-${String(STEPS).padStart(6, '0')}\n`);

  const gen = await loadGenerator(out);
  try {
    assert.equal(gen.family, 'keypoint');
    assert.equal(gen.steps, STEPS);
    assert.ok(gen.G.countParams() > 0);
  } finally {
    gen.dispose();
  }
});

test('a NaN loss stops the run with one clear line, exit 2, keeps the last good checkpoint and writes no final/', async () => {
  const out = path.join(f.root, 'kp-nan');
  const r = gawwn(trainArgs(f, out, 6, ['--checkpoint-every', '2']), { GAWWN_FAULT_NAN_AT: '5' });
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  const errs = errorLines(r.err);
  assert.equal(errs.length, 1, r.err);
  const good = path.join(out, 'checkpoints', 'step-000004');
  assert.match(errs[0], new RegExp(`^gawwn: loss became NaN at step 5 \\(lossD=NaN, .*\\); the last good checkpoint is ${good.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  assert.doesNotMatch(r.err, /\n\s+at /);
  const cks = (await listCheckpoints(out)).map((c) => c.step);
  assert.deepEqual(cks, [2, 4]);
  const ck = await loadCheckpoint(good, { modelFamily: 'keypoint', preset: 'tiny' });
  for (const g of Object.values(ck.groups)) for (const w of g) assert.ok(w.data.every((v) => Number.isFinite(v)), `${w.name} finite`);
  assert.equal(fs.existsSync(path.join(out, 'final')), false);
  const steps = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(steps, [1, 2, 3, 4], 'the NaN step is not logged');

  // The guard is no dead end: resuming without the fault continues from step 4 to the end.
  const again = gawwn(trainArgs(f, out, 6, ['--checkpoint-every', '2', '--resume']));
  assert.equal(again.code, 0, again.err);
  const all = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(all, [1, 2, 3, 4, 5, 6]);
});
