/**
 * A tiny synthetic bird set and text encoder made through the real CLI (state.md's recipe), shared by the
 * CLI-level reliability tests (train kill/resume, determinism, bad input). About 5 s on 2 cores.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

export const projectRoot = path.resolve(__dirname, '../../..');
export const bin = path.join(projectRoot, 'bin', 'gawwn.js');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `gawwn ARGS` to completion (the wasm backend, as every test of the CLI). */
export function gawwn(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, GAWWN_BACKEND: process.env.GAWWN_BACKEND ?? 'wasm', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** stderr without the informational lines (backend choice, embedding progress, warnings). */
export function errorLines(err: string): string[] {
  return err.split('\n').filter((l) => l !== '' && !/^gawwn: (backend |embedding |warning: |step \d)/.test(l));
}

export interface TinyFixture {
  root: string;
  birds: string;
  text: string;
}

export function makeTinyFixture(prefix: string): TinyFixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const birds = path.join(root, 'birds');
  const text = path.join(root, 'text');
  const a = gawwn(['data', 'synth-birds', '--out', birds, '--images', '40', '--seed', '3']);
  assert.equal(a.code, 0, a.err);
  const b = gawwn(['train', 'text-encoder', '--data', birds, '--out', text, '--steps', '5', '--preset', 'test-tiny', '--batch', '4', '--no-progress']);
  assert.equal(b.code, 0, b.err);
  return { root, birds, text };
}

/** `gawwn train --model keypoint --preset tiny` arguments on the fixture. */
export function trainArgs(f: TinyFixture, out: string, steps: number, extra: string[] = []): string[] {
  return ['train', '--model', 'keypoint', '--data', f.birds, '--out', out, '--text-encoder', f.text, '--preset', 'tiny', '--steps', String(steps), '--sample-every', '1000', ...extra];
}
