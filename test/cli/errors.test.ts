/**
 * The CLI error contract, on the real launcher: one line on stderr, non-zero exit, no stack
 * trace unless --debug, nothing on stdout. The GawwnError case uses a checkpoint whose manifest was edited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { saveCheckpoint } from '../../src/training/checkpoint.js';
import { Rng } from '../../src/util/rng.js';

const projectRoot = path.resolve(__dirname, '../../..');
const bin = path.join(projectRoot, 'bin', 'gawwn.js');

function gawwn(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertOneLineError(r: { code: number | null; out: string; err: string }, line: string): void {
  assert.equal(r.err, `${line}\n`);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.doesNotMatch(r.err, /\n\s+at /);
}

test('unknown command, unknown flag, missing required option: one line, exit 2, no stack', () => {
  assertOneLineError(gawwn('frobnicate'), "gawwn: unknown command 'frobnicate'");
  assertOneLineError(gawwn('--bogus'), "gawwn: unknown option '--bogus'");
  assertOneLineError(gawwn('checkpoint', '--run', 'x', '--stpe', '3'), "gawwn: unknown option '--stpe' (Did you mean --step?)");
  assertOneLineError(gawwn('checkpoint'), "gawwn: required option '--run <dir>' not specified");
  assertOneLineError(gawwn('checkpoint', '--run'), "gawwn: option '--run <dir>' argument missing");
});

test('--debug adds the stack trace after the same first line', () => {
  const r = gawwn('--debug', 'checkpoint', '--run', 'x', '--stpe', '3');
  assert.equal(r.code, 2);
  const lines = r.err.split('\n');
  assert.equal(lines[0], "gawwn: unknown option '--stpe' (Did you mean --step?)");
  assert.match(r.err, /\n\s+at .*commander/);
});

test('a GawwnError inside a command prints `gawwn: file:line: message`; with --debug its stack', async () => {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-cli-'));
  const dir = await saveCheckpoint(run, {
    modelFamily: 'bbox',
    preset: 'tiny',
    config: { a: 1 },
    step: 2,
    epoch: 0,
    rng: new Rng(1).state(),
    groups: { G: [{ name: 'w', shape: [3], data: new Float32Array([1, 2, 3]) }] },
  });
  const ok = gawwn('checkpoint', '--run', run, '--step', '2');
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, `${dir}: ok, model bbox preset tiny, step 2, epoch 0, 1 tensors, 0.00 MB\n`);
  assert.equal(ok.err, '');

  // Line 5 of the pretty-printed manifest loses its closing quote: a JSON syntax error on that line.
  const mfile = path.join(dir, 'manifest.json');
  const lines = fs.readFileSync(mfile, 'utf8').split('\n');
  assert.match(lines[4], /^ "createdAt": "/);
  lines[4] = lines[4].replace(/",$/, ',');
  fs.writeFileSync(mfile, lines.join('\n'));
  const bad = gawwn('checkpoint', '--run', run, '--step', '2');
  assert.equal(bad.code, 2);
  assert.equal(bad.out, '');
  assert.match(bad.err, new RegExp(`^gawwn: ${mfile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: not valid JSON \\(truncated or edited\\?\\): [^\\n]+\\n$`));

  const dbg = gawwn('checkpoint', '--run', run, '--step', '2', '--debug');
  assert.equal(dbg.code, 2);
  assert.equal(dbg.err.split('\n')[0], bad.err.trimEnd());
  assert.match(dbg.err, /\nGawwnError: .*\n\s+at /);

  // Listing reports the corrupt checkpoint and still exits with an error: none is usable.
  const list = gawwn('checkpoint', '--run', run);
  assert.equal(list.code, 2);
  assert.match(list.out, /step-000002 {2}CORRUPT {2}.*manifest\.json:5: not valid JSON/);
  assert.match(list.err, /^gawwn: no complete checkpoint in .*\n$/);
  // A file where the run directory should be: a GawwnError naming it, not a raw ENOTDIR.
  const afile = path.join(run, 'not-a-run');
  fs.writeFileSync(afile, 'x');
  assertOneLineError(gawwn('checkpoint', '--run', afile), `gawwn: ${afile}: is not a run directory (it is a file)`);
  fs.rmSync(run, { recursive: true });
});

test('a bad GAWWN_NATIVE_THREADS is refused before any work, naming the variable', () => {
  for (const v of ['0', 'two', '1.5']) {
    const r = spawnSync(process.execPath, [bin, 'bench', '--preset', 'tiny', '--steps', '1'], {
      cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, GAWWN_NATIVE_THREADS: v },
    });
    assert.equal(r.stderr, `gawwn: native threads must be an integer in 1..64 (GAWWN_NATIVE_THREADS), got '${v}'\n`);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
  }
});

test("sharp's native binary missing (npm dropped the optional libvips package): one gawwn line naming the fix, exit 1", () => {
  // A preload makes require('sharp') throw sharp's own error, as on a machine where npm skipped @img/sharp-libvips-*.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-nosharp-'));
  const preload = path.join(dir, 'no-sharp.js');
  fs.writeFileSync(preload, `const M = require('module'); const load = M._load;
M._load = function (req, ...rest) {
  if (req === 'sharp') throw new Error('Could not load the "sharp" module using the linux-x64 runtime\\nERR_DLOPEN_FAILED: libvips-cpp.so.8.18.7: cannot open shared object file\\nPossible solutions: ...');
  return load.call(this, req, ...rest);
};\n`);
  try {
    const r = spawnSync(process.execPath, ['-r', preload, bin, 'checkpoint', '--run', 'x'], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'gawwn: the image codec sharp cannot load its native binary (Could not load the "sharp" module using the linux-x64 runtime); reinstall it: npm ci --include=optional\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('library errors name options; the CLI spells them as its flags (asFlags)', async () => {
  const { asFlags, flagOf } = await import('../../src/cli/main.js');
  const { GawwnError } = await import('../../src/util/errors.js');
  assert.deepEqual(['steps', 'maxMinutes', 'dataRoot', 'batchSize', 'classSeed', 'outDir'].map(flagOf), ['--steps', '--max-minutes', '--data', '--batch', '--class-seed', '--out']);
  const e = new GawwnError('`resume`: this run was started with `dataRoot` /tmp/steps/a, not /b (only `steps` and `maxMinutes` can change)', {
    file: '/runs/resume/checkpoints', options: ['resume', 'dataRoot', 'steps', 'maxMinutes'],
  });
  // Only the quoted names change: the same words in a path or a value stay.
  assert.equal(asFlags(e), '/runs/resume/checkpoints: --resume: this run was started with --data /tmp/steps/a, not /b (only --steps and --max-minutes can change)');
  assert.equal(asFlags(new GawwnError('`n` must be an integer >= 2, got 1')), '`n` must be an integer >= 2, got 1');
});
