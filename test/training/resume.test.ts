/**
 * Kill-and-resume harness. A child process "trains" a fake model (a 2 MB tensor and a small
 * one, updated from a seeded Rng) and checkpoints every step through the real checkpoint module; it is
 * killed with SIGKILL at random moments, several of them while a checkpoint is being written, and
 * restarted each time like `gawwn train --resume`. After every kill the newest loadable checkpoint must be
 * complete and checksum-valid, have the step of the last save that completed (or of the one in flight, if
 * the kill came after its rename), and hold exactly the weights and RNG state of an uninterrupted run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadLatest, listCheckpoints, saveCheckpoint, type NamedTensor } from '../../src/training/checkpoint.js';
import { Rng, type RngState } from '../../src/util/rng.js';

const CHILD_FLAG = '--gawwn-kill-resume-child';
const EXPECT = { modelFamily: 'fake', preset: 'kill-test' };
const SEED = 20161205;
const BLOB = 1 << 19; // 512k floats = 2 MB per checkpoint: a write takes long enough to be hit
const KEEP = 3;

interface FakeModel {
  step: number;
  rng: Rng;
  tensors: NamedTensor[];
}

function initModel(): FakeModel {
  return {
    step: 0,
    rng: new Rng(SEED),
    tensors: [
      { name: 'blob', shape: [BLOB], data: new Float32Array(BLOB) },
      { name: 'head', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    ],
  };
}

/** One fake training step: every value depends on all previous Rng draws. */
function trainStep(m: FakeModel): void {
  const a = m.rng.normal();
  const b = m.rng.uniform(-1, 1);
  const blob = m.tensors[0].data;
  for (let i = 0; i < blob.length; i++) blob[i] = blob[i] * 0.5 + a + i * 1e-6;
  const head = m.tensors[1].data;
  for (let i = 0; i < head.length; i++) head[i] = head[i] * b + a;
  m.step++;
}

/** Child: resume from the latest checkpoint, then step and checkpoint until `maxSteps`. */
async function child(run: string, maxSteps: number): Promise<void> {
  const say = (s: string): void => void process.stdout.write(`${s}\n`); // pipes are synchronous on Linux
  const m = initModel();
  const c = await loadLatest(run, EXPECT, { warn: (w) => void process.stderr.write(`${w}\n`) });
  if (c !== null) {
    m.step = c.step;
    m.rng = new Rng(c.rng);
    m.tensors = c.groups.model;
  }
  say(`resumed ${m.step}`);
  while (m.step < maxSteps) {
    trainStep(m);
    say(`writing ${m.step}`);
    await saveCheckpoint(
      run,
      { ...EXPECT, config: { seed: SEED }, step: m.step, epoch: 0, rng: m.rng.state(), groups: { model: m.tensors } },
      { keep: KEEP, warn: () => undefined },
    );
    say(`saved ${m.step}`);
  }
}

if (process.argv[2] === CHILD_FLAG) {
  child(process.argv[3], Number(process.argv[4])).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
    process.exit(3);
  });
} else {
  test('SIGKILL at random moments, mid-write included: resume always finds the last completed checkpoint', async (t) => {
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-kill-'));
    const rng = new Rng(8);
    // Reference: the uninterrupted run, replayed in this process as far as needed.
    const ref = initModel();
    const refStates = new Map<number, { rng: RngState; blob: Float32Array; head: Float32Array }>();
    const reference = (step: number) => {
      while (ref.step < step) {
        trainStep(ref);
        refStates.set(ref.step, { rng: ref.rng.state(), blob: Float32Array.from(ref.tensors[0].data), head: Float32Array.from(ref.tensors[1].data) });
        refStates.delete(ref.step - 2 * KEEP - 5);
      }
      return refStates.get(step);
    };

    let lastStep = 0;
    let midWriteKills = 0;
    let inFlightCompleted = 0;
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      // Even rounds: kill while the step directory is half-written (0..5 ms after its temporary appears);
      // odd rounds: at a random moment 0..300 ms after a save completed.
      const midWrite = round % 2 === 0;
      const delay = midWrite ? rng.uniform(0, 5) : rng.uniform(0, 300);
      const target = lastStep + 1 + rng.int(0, 2); // let a few saves complete first
      const proc = spawn(process.execPath, [__filename, CHILD_FLAG, run, '1000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const log = await runUntilKilled(proc, (line) => {
        const [what, n] = line.split(' ');
        if (midWrite && what === 'writing' && Number(n) >= target) return { delay, whenTempIn: path.join(run, 'checkpoints') };
        if (!midWrite && what === 'saved' && Number(n) >= target) return { delay };
        return null;
      });
      assert.equal(log.signal, 'SIGKILL', `round ${round}: child ended by itself: ${log.stderr}`);
      const resumed = log.lines.find((l) => l.startsWith('resumed '));
      assert.equal(resumed, `resumed ${lastStep}`, `round ${round}: the child resumed from the last checkpoint`);
      const saved = Math.max(lastStep, ...log.lines.filter((l) => l.startsWith('saved ')).map((l) => Number(l.split(' ')[1])));
      const writing = Math.max(0, ...log.lines.filter((l) => l.startsWith('writing ')).map((l) => Number(l.split(' ')[1])));

      const ckDir = path.join(run, 'checkpoints');
      const leftovers = fs.existsSync(ckDir) ? fs.readdirSync(ckDir).filter((n) => HALF_WRITTEN.test(n)) : [];
      if (leftovers.length > 0) midWriteKills++;
      const warnings: string[] = [];
      const c = await loadLatest(run, EXPECT, { warn: (w) => warnings.push(w) });
      if (c === null) {
        // Killed during the very first save: nothing under a final name, the next run starts from scratch.
        assert.equal(saved, 0, `round ${round}: saves completed but no checkpoint found`);
        continue;
      }
      // The newest complete one: the last reported save, or the one in flight if its rename had happened.
      assert.ok(c.step === saved || (c.step === writing && writing === saved + 1), `round ${round}: loaded step ${c.step}, saved ${saved}, writing ${writing}`);
      assert.deepEqual(warnings, [], `round ${round}: a directory under a final name was incomplete`);
      const want = reference(c.step);
      assert.ok(want !== undefined);
      assert.deepEqual(c.rng, want.rng, `round ${round}: RNG state`);
      assert.deepEqual(c.groups.model[1].data, want.head, `round ${round}: head`);
      assert.ok(Buffer.from(c.groups.model[0].data.buffer).equals(Buffer.from(want.blob.buffer)), `round ${round}: blob`);
      if (c.step === writing && writing === saved + 1) inFlightCompleted++;
      lastStep = c.step;
    }
    t.diagnostic(`${rounds} kills: ${midWriteKills} left a half-written step directory, ${inFlightCompleted} came after the rename of the save in flight; last step ${lastStep}`);
    assert.ok(midWriteKills >= rounds / 4, `too few kills landed inside a write (${midWriteKills} of ${rounds} rounds)`);

    // A last, uninterrupted resume runs to the end, cleans up the killed writers' temporaries and keeps K.
    const final = lastStep + 3;
    const proc = spawn(process.execPath, [__filename, CHILD_FLAG, run, String(final)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = await runUntilKilled(proc, () => null);
    assert.equal(log.code, 0, log.stderr);
    assert.equal(log.lines[0], `resumed ${lastStep}`);
    assert.deepEqual((await listCheckpoints(run)).map((x) => x.step), [final - 2, final - 1, final]);
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).filter((n) => n.includes('.tmp-')), []);
    assert.equal(fs.readFileSync(path.join(run, 'checkpoints', 'latest'), 'utf8'), `step-${String(final).padStart(6, '0')}\n`);
    const last = await loadLatest(run, EXPECT);
    assert.deepEqual(last?.groups.model[1].data, reference(final)?.head);
    fs.rmSync(run, { recursive: true });
  });
}

/** How to kill: `delay` ms after the triggering line, or once a half-written step directory exists (+ delay). */
type KillPlan = { delay: number; whenTempIn?: string } | null;

const HALF_WRITTEN = /^step-\d+\.tmp-\d+-[0-9a-f]+$/;

/** Collects the child's stdout lines; `plan(line)` says when to SIGKILL it (null: not on this line). */
function runUntilKilled(
  proc: ChildProcess,
  plan: (line: string) => KillPlan,
): Promise<{ lines: string[]; stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    let stderr = '';
    let pending = '';
    let armed = false;
    let poll: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000); // never hang the suite
    const killIn = (delay: number): void => {
      if (delay < 1) proc.kill('SIGKILL');
      else setTimeout(() => proc.kill('SIGKILL'), delay);
    };
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout?.on('data', (d: Buffer) => {
      pending += d.toString();
      const parts = pending.split('\n');
      pending = parts.pop() as string;
      for (const line of parts) {
        lines.push(line);
        if (armed) continue;
        const p = plan(line);
        if (p === null) continue;
        armed = true;
        const dir = p.whenTempIn;
        if (dir === undefined) {
          killIn(p.delay);
          continue;
        }
        poll = setInterval(() => {
          if (!fs.existsSync(dir) || !fs.readdirSync(dir).some((n) => HALF_WRITTEN.test(n))) return;
          clearInterval(poll);
          killIn(p.delay);
        }, 1);
      }
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ lines, stderr, code, signal });
    });
  });
}
