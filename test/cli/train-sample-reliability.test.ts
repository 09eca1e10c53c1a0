/**
 * Determinism and the train/sample part of the bad-input corpus, on the real
 * launcher: the same seed gives identical weights after 3 training steps and identical sample PNG bytes;
 * bad presets, flags, checkpoints, boxes, parts and text encoders each give one line, exit 2, and leave the
 * run folder or output file exactly as it was. The cases are listed in docs/bad-input.md.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { headerSize } from '../../src/data/image-size.js';
import { errorLines, gawwn, makeTinyFixture, trainArgs, type CliResult, type TinyFixture } from './tiny-fixture.js';

let f: TinyFixture;
let run: string; // a finished 3-step keypoint run shared by the cases below

before(() => {
  f = makeTinyFixture('gawwn-rel-');
  run = path.join(f.root, 'kp-a');
  const r = gawwn(trainArgs(f, run, 3, ['--seed', '7', '--checkpoint-every', '1']));
  assert.equal(r.code, 0, r.err);
});
after(() => {
  if (f) fs.rmSync(f.root, { recursive: true, force: true });
});

/** Hash of every file under `dir` (relative path -> sha256), to show a failed command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function assertRefused(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.equal(r.out, '');
  const lines = errorLines(r.err);
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], message);
  assert.doesNotMatch(r.err, /\n\s+at /);
}

test('determinism: 3 tiny training steps twice with the same seed give byte-identical weights', () => {
  const other = path.join(f.root, 'kp-b');
  const r = gawwn(trainArgs(f, other, 3, ['--seed', '7', '--checkpoint-every', '1']));
  assert.equal(r.code, 0, r.err);
  for (const rel of ['final/weights.bin', 'checkpoints/step-000003/weights.bin', 'checkpoints/step-000001/weights.bin']) {
    const a = fs.readFileSync(path.join(run, rel));
    const b = fs.readFileSync(path.join(other, rel));
    assert.ok(a.length > 1000, rel);
    assert.ok(a.equals(b), `${rel} differs between two runs with the same seed`);
  }
  const losses = (d: string): string => fs.readFileSync(path.join(d, 'log.jsonl'), 'utf8').split('\n').map((l) => l.replace(/"sec":[0-9.]+,/, '')).join('\n');
  assert.equal(losses(other), losses(run));
  // Another seed gives other weights (the comparison above can fail).
  const third = path.join(f.root, 'kp-c');
  assert.equal(gawwn(trainArgs(f, third, 3, ['--seed', '8', '--checkpoint-every', '3'])).code, 0);
  assert.ok(!fs.readFileSync(path.join(run, 'final/weights.bin')).equals(fs.readFileSync(path.join(third, 'final/weights.bin'))));
});

test('determinism: gawwn sample twice with the same seed writes identical PNG bytes; another seed does not', () => {
  const args = (out: string, seed: string): string[] => ['sample', '--run', run, '--caption', 'a small bird with a red crown', '--out', out, '--keypoints', 'beak:0.3,0.4;tail:0.8,0.7', '--n', '3', '--seed', seed];
  const [a, b, c] = ['a.png', 'b.png', 'c.png'].map((n) => path.join(f.root, n));
  for (const [out, seed] of [[a, '5'], [b, '5'], [c, '6']]) {
    const r = gawwn(args(out, seed));
    assert.equal(r.code, 0, r.err);
  }
  const pa = fs.readFileSync(a);
  assert.deepEqual([...pa.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  assert.ok(pa.equals(fs.readFileSync(b)), 'same seed, different bytes');
  assert.ok(!pa.equals(fs.readFileSync(c)), 'another seed gave the same bytes');
});

test('bad input to train: unknown preset, unknown flag, missing text encoder — nothing written', () => {
  const out = path.join(f.root, 'never');
  assertRefused(gawwn(trainArgs(f, out, 2).map((a) => (a === 'tiny' ? 'tinny' : a))), /^gawwn: unknown preset 'tinny'; valid presets: paper, small, cpu, tiny$/);
  assertRefused(gawwn([...trainArgs(f, out, 2), '--learning-rate', '1']), /^gawwn: unknown option '--learning-rate'$/);
  assertRefused(gawwn(trainArgs(f, out, 2).map((a) => (a === f.text ? path.join(f.root, 'no-such-encoder') : a))), /^gawwn: .*no-such-encoder: no such text encoder \(a run folder, a \.t7 file or pretrained:NAME\)$/);
  assertRefused(gawwn(trainArgs(f, out, 2).map((a) => (a === 'keypoint' ? 'keypoints' : a))), /^gawwn: option '--model <family>' argument 'keypoints' is invalid\. Allowed choices are bbox, keypoint, keypoint-gen, gan-int-cls\.$/);
  assert.equal(fs.existsSync(out), false);
});

test('train --fake-score-thresh, --lr and --d-lr-scale set train.fakeScoreThresh, train.lr and train.dLrScale (logged lr too); out of range is refused naming the field', () => {
  const out = path.join(f.root, 'gated');
  const r = gawwn(trainArgs(f, out, 1, ['--fake-score-thresh', '0.2', '--lr', '5e-5', '--d-lr-scale', '0.5']));
  assert.equal(r.code, 0, r.err);
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { config: { train: { fakeScoreThresh: number; lr: number; dLrScale: number } } };
  assert.equal(cfg.config.train.fakeScoreThresh, 0.2);
  assert.equal(cfg.config.train.lr, 5e-5);
  assert.equal(cfg.config.train.dLrScale, 0.5);
  const first = JSON.parse(fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').split('\n')[0]) as { lr: number; dUpdated: number };
  assert.equal(first.lr, 5e-5);
  assert.equal(first.dUpdated, 1); // the fake-score EMA starts at 0.5 > 0.2: D steps
  // --resume without the flags keeps the run's own settings; a flag given on resume overrides its value.
  assert.equal(gawwn(trainArgs(f, out, 2, ['--resume'])).code, 0);
  const r3 = gawwn(trainArgs(f, out, 3, ['--resume', '--lr', '1e-4']));
  assert.equal(r3.code, 0, r3.err);
  const lines = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; lr: number });
  assert.deepEqual(lines.map((l) => [l.step, l.lr]), [[1, 5e-5], [2, 5e-5], [3, 1e-4]]);
  const ck3 = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'step-000003', 'manifest.json'), 'utf8')) as { config: { train: { fakeScoreThresh: number; lr: number; dLrScale: number } } };
  assert.deepEqual([ck3.config.train.fakeScoreThresh, ck3.config.train.dLrScale, ck3.config.train.lr], [0.2, 0.5, 1e-4]);
  const closed = path.join(f.root, 'gate-closed');
  assert.equal(gawwn(trainArgs(f, closed, 1, ['--fake-score-thresh', '0.9'])).code, 0);
  assert.equal((JSON.parse(fs.readFileSync(path.join(closed, 'log.jsonl'), 'utf8').split('\n')[0]) as { dUpdated: number }).dUpdated, 0); // 0.5 < 0.9: D frozen
  // The default run of this file was trained without the flags: the CUB scripts' 0 (gate off) and 2e-4.
  const dflt = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as typeof cfg;
  assert.equal(dflt.config.train.fakeScoreThresh, 0);
  assert.equal(dflt.config.train.lr, 2e-4);
  assert.equal((dflt.config.train as { instanceNoise?: number }).instanceNoise, 0);
  assert.equal(dflt.config.train.dLrScale, 1);
  const never = path.join(f.root, 'never-gated');
  for (const bad of ['1', '-0.1', 'abc']) assertRefused(gawwn(trainArgs(f, never, 1, ['--fake-score-thresh', bad])), /train\.fakeScoreThresh/);
  for (const bad of ['0', '2', 'abc']) assertRefused(gawwn(trainArgs(f, never, 1, ['--lr', bad])), /train\.lr/);
  for (const bad of ['-0.1', '2', 'abc']) assertRefused(gawwn(trainArgs(f, never, 1, ['--instance-noise', bad])), /train\.instanceNoise/);
  for (const bad of ['0', '-1', '101', 'abc']) assertRefused(gawwn(trainArgs(f, never, 1, ['--d-lr-scale', bad])), /train\.dLrScale/);
  assert.equal(fs.existsSync(never), false);
});

test('train --g-upsample resize --instance-noise 0.1 record model.gUpsample and train.instanceNoise, trains, resumes and samples with the resize layers; a bad mode is refused', () => {
  const out = path.join(f.root, 'resize');
  const r = gawwn(trainArgs(f, out, 1, ['--g-upsample', 'resize', '--instance-noise', '0.1']));
  assert.equal(r.code, 0, r.err);
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { config: { model: { gUpsample: string } } };
  assert.equal(cfg.config.model.gUpsample, 'resize');
  assert.equal((cfg.config as unknown as { train: { instanceNoise: number } }).train.instanceNoise, 0.1);
  assert.equal((JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as typeof cfg).config.model.gUpsample, 'deconv');
  // --resume keeps the run's upsampling without the flag, and refuses the other one (its weights would not fit).
  assertRefused(gawwn(trainArgs(f, out, 2, ['--g-upsample', 'deconv', '--resume'])), /^gawwn: .*resize\/checkpoints\/step-000001\/manifest\.json: this run was trained with model\.gUpsample = resize; it cannot resume with deconv$/);
  assert.equal(gawwn(trainArgs(f, out, 2, ['--resume'])).code, 0);
  // A run killed before its first checkpoint restarts from step 0 with the flags given; config.json says so.
  const early = path.join(f.root, 'killed-early');
  fs.mkdirSync(early);
  fs.copyFileSync(path.join(out, 'config.json'), path.join(early, 'config.json'));
  const e = gawwn(trainArgs(f, early, 1, ['--resume']));
  assert.equal(e.code, 0, e.err);
  assert.match(e.err, /no checkpoint in .*killed-early; starting from step 0/);
  assert.equal((JSON.parse(fs.readFileSync(path.join(early, 'config.json'), 'utf8')) as typeof cfg).config.model.gUpsample, 'deconv');
  const png = path.join(f.root, 'resize.png');
  const s = gawwn(['sample', '--run', out, '--caption', 'a red bird', '--out', png, '--keypoints', 'beak:0.3,0.4;tail:0.8,0.7', '--n', '2', '--seed', '1']);
  assert.equal(s.code, 0, s.err);
  assert.deepEqual(headerSize(fs.readFileSync(png)), { width: 256, height: 128 }); // two 128-px samples side by side
  const never = path.join(f.root, 'never-resized');
  assertRefused(gawwn(trainArgs(f, never, 1, ['--g-upsample', 'bilinear'])), /^gawwn: option '--g-upsample <mode>' argument 'bilinear' is invalid\. Allowed choices are deconv, resize\.$/);
  assert.equal(fs.existsSync(never), false);
});

test('bad input to train --resume: a run of another model or preset, a tampered checkpoint — the run is untouched', () => {
  const before_ = snapshot(run);
  assertRefused(gawwn(trainArgs(f, run, 5, ['--resume']).map((a) => (a === 'keypoint' ? 'bbox' : a))), /^gawwn: checkpoint .*step-000003 is of model keypoint preset tiny, expected bbox preset tiny$/);
  assertRefused(gawwn(trainArgs(f, run, 5, ['--resume']).map((a) => (a === 'tiny' ? 'small' : a))), /^gawwn: checkpoint .*step-000003 is of model keypoint preset tiny, expected keypoint preset small$/);
  // Resuming without --resume into a folder that holds a run is refused too.
  assertRefused(gawwn(trainArgs(f, run, 5)), /already holds a run; pass --resume to continue it or choose another --out$/);
  assert.deepEqual(snapshot(run), before_);

  // Every checkpoint tampered with (one flipped weight byte): refused, nothing changed.
  const copy = path.join(f.root, 'kp-tampered');
  fs.cpSync(run, copy, { recursive: true });
  for (const s of ['000001', '000002', '000003']) {
    const w = path.join(copy, 'checkpoints', `step-${s}`, 'weights.bin');
    const buf = fs.readFileSync(w);
    buf[100] ^= 0x40;
    fs.writeFileSync(w, buf);
  }
  const tampered = snapshot(copy);
  assertRefused(gawwn(trainArgs(f, copy, 5, ['--resume'])), /^gawwn: no complete checkpoint in .*checkpoints: .*step-000003\/weights\.bin: checksum mismatch \(sha256 [0-9a-f]{12}…, manifest [0-9a-f]{12}…\): the file was modified or corrupted; /);
  assert.deepEqual(snapshot(copy), tampered);
});

test('bad input to sample: box out of range, unknown part, unknown flag, missing text encoder — no PNG written', () => {
  const out = path.join(f.root, 'bad.png');
  const base = ['sample', '--run', run, '--caption', 'a red bird', '--out', out];
  assertRefused(gawwn([...base, '--box', '0.5,0.5,0.7,0.2']), /^gawwn: --box must lie inside the image \[0,1\]², got '0\.5,0\.5,0\.7,0\.2'$/);
  assertRefused(gawwn([...base, '--keypoints', 'wing:0.2,0.3']), /^gawwn: unknown part 'wing' \(parts: back, beak, .*\)$/);
  assertRefused(gawwn([...base, '--keypoints', 'beak:0.2,1.3']), /^gawwn: keypoint 'beak' must be two numbers in \[0,1\], got '0\.2,1\.3'$/);
  assertRefused(gawwn([...base, '--preset', 'tiny']), /^gawwn: unknown option '--preset'$/);
  assertRefused(gawwn([...base.map((a) => (a === run ? path.join(f.root, 'no-run') : a))]), /^gawwn: .*no-run: no such run folder$/);
  // The run's text encoder deleted after training.
  const moved = `${f.text}-moved`;
  fs.renameSync(f.text, moved);
  try {
    assertRefused(gawwn(base), /^gawwn: .*text: no such text encoder \(a run folder, a \.t7 file or pretrained:NAME\)$/);
  } finally {
    fs.renameSync(moved, f.text);
  }
  assert.equal(fs.existsSync(out), false);
});
