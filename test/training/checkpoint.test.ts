import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  saveCheckpoint,
  loadCheckpoint,
  loadLatest,
  findLatestCheckpoint,
  listCheckpoints,
  stepDirName,
  extractModelWeights,
  assignModelWeights,
  extractOptimizerWeights,
  assignOptimizerWeights,
  exportWeights,
  importWeights,
  type CheckpointState,
  type NamedTensor,
} from '../../src/training/checkpoint.js';
import { GawwnError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

function tmpRun(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-ckpt-'));
}

/** A fake model's state whose values are a formula of the step, so a load can be checked exactly. */
function fakeState(step: number, family = 'keypoint', preset = 'small'): CheckpointState {
  const rng = new Rng(11);
  for (let i = 0; i < step; i++) rng.normal();
  const w = new Float32Array(24).map((_, i) => step + i / 8);
  return {
    modelFamily: family,
    preset,
    config: { model: { ngf: 4, ndf: 4 }, train: { lr: 2e-4, batchSize: 2 } },
    step,
    epoch: Math.floor(step / 10),
    rng: rng.state(),
    groups: {
      G: [
        { name: 'g/kernel', shape: [2, 3, 4], data: w },
        { name: 'g/bias', shape: [4], data: new Float32Array([-1.5, 0, 2.25, step]) },
      ],
      optG: [{ name: 'iter', shape: [], data: new Int32Array([step]) }],
    },
    extra: { lossTail: [{ step, lossD: 1.25, lossG: 0.5 }] },
  };
}

const quiet = { warn: () => undefined };

test('save -> load round-trips tensors, RNG state, config and extra; layout as documented', async () => {
  const run = tmpRun();
  const s = fakeState(123);
  const dir = await saveCheckpoint(run, s);
  assert.equal(dir, path.join(run, 'checkpoints', 'step-000123'));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['manifest.json', 'weights.bin']);
  assert.equal(fs.readFileSync(path.join(run, 'checkpoints', 'latest'), 'utf8'), 'step-000123\n');
  assert.equal(fs.statSync(path.join(dir, 'weights.bin')).size, (24 + 4 + 1) * 4);
  const c = await loadCheckpoint(dir, { modelFamily: 'keypoint', preset: 'small' });
  assert.equal(c.step, 123);
  assert.equal(c.epoch, 12);
  assert.deepEqual(c.config, s.config);
  assert.deepEqual(c.extra, s.extra);
  assert.deepEqual(c.rng, s.rng);
  assert.deepEqual(c.groups, s.groups); // same names, shapes, typed-array classes and values
  assert.equal(c.manifest.format, 'gawwn-checkpoint');
  assert.equal(c.manifest.formatVersion, 1);
  assert.match(c.manifest.files[0].sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    c.manifest.tensors.map((t) => [t.group, t.name, t.dtype, t.offset, t.byteLength]),
    [
      ['G', 'g/kernel', 'float32', 0, 96],
      ['G', 'g/bias', 'float32', 96, 16],
      ['optG', 'iter', 'int32', 112, 4],
    ],
  );
  // The restored RNG continues the same stream.
  const a = new Rng(s.rng);
  const b = new Rng(c.rng);
  assert.deepEqual([a.normal(), a.next()], [b.normal(), b.next()]);
  fs.rmSync(run, { recursive: true });
});

test('keepEvery: the multiples of N stay beside the newest K; an abandoned newer one goes all the same', async () => {
  const run = tmpRun();
  for (let s = 1; s <= 7; s++) await saveCheckpoint(run, fakeState(s * 10), { keep: 2, keepEvery: 30 });
  assert.deepEqual((await listCheckpoints(run)).map((c) => c.step), [30, 60, 70]);
  await saveCheckpoint(run, fakeState(50), { keep: 2, keepEvery: 30, warn: () => undefined });
  assert.deepEqual((await listCheckpoints(run)).map((c) => c.step), [30, 50]);
  await assert.rejects(saveCheckpoint(run, fakeState(80), { keepEvery: -1 }), /keepEvery must be an integer >= 0/);
  fs.rmSync(run, { recursive: true });
});

test('keeps the newest K; a save at an earlier step removes the abandoned newer ones', async () => {
  const run = tmpRun();
  for (let s = 1; s <= 5; s++) await saveCheckpoint(run, fakeState(s * 10), { keep: 2 });
  assert.deepEqual((await listCheckpoints(run)).map((c) => c.step), [40, 50]);
  const warnings: string[] = [];
  await saveCheckpoint(run, fakeState(45), { keep: 2, warn: (m) => warnings.push(m) });
  assert.deepEqual((await listCheckpoints(run)).map((c) => c.step), [40, 45]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /step-000050: it is newer than the checkpoint just written \(step 45\)/);
  assert.equal(fs.readFileSync(path.join(run, 'checkpoints', 'latest'), 'utf8'), 'step-000045\n');
  assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), ['latest', 'step-000040', 'step-000045']);
  assert.equal(stepDirName(1234567), 'step-1234567');
  fs.rmSync(run, { recursive: true });
});

test('a checkpoint of another model or preset is refused with a clear message', async () => {
  const run = tmpRun();
  const dir = await saveCheckpoint(run, fakeState(3, 'keypoint', 'small'));
  await assert.rejects(loadCheckpoint(dir, { modelFamily: 'bbox', preset: 'small' }), {
    name: 'GawwnError',
    message: `checkpoint ${dir} is of model keypoint preset small, expected bbox preset small`,
  });
  await assert.rejects(loadLatest(run, { modelFamily: 'keypoint', preset: 'paper-128' }, quiet), /is of model keypoint preset small, expected keypoint preset paper-128/);
  fs.rmSync(run, { recursive: true });
});

test('tampered, truncated, edited, or future-version checkpoints fail naming the file', async () => {
  const run = tmpRun();
  const dir = await saveCheckpoint(run, fakeState(7));
  const wfile = path.join(dir, 'weights.bin');
  const mfile = path.join(dir, 'manifest.json');
  const wOrig = fs.readFileSync(wfile);
  const mOrig = fs.readFileSync(mfile, 'utf8');

  const flipped = Buffer.from(wOrig);
  flipped[17] ^= 0x01;
  fs.writeFileSync(wfile, flipped);
  await assert.rejects(loadCheckpoint(dir), (e: unknown) => e instanceof GawwnError && e.file === wfile && /checksum mismatch/.test(e.message));

  fs.writeFileSync(wfile, wOrig.subarray(0, 50));
  await assert.rejects(loadCheckpoint(dir), { message: `${wfile}: truncated: 50 of ${wOrig.length} bytes` });

  fs.writeFileSync(wfile, Buffer.concat([wOrig, Buffer.from([0])]));
  await assert.rejects(loadCheckpoint(dir), { message: `${wfile}: has ${wOrig.length + 1} bytes, the manifest says ${wOrig.length}` });

  fs.rmSync(wfile);
  await assert.rejects(loadCheckpoint(dir), { message: `${wfile}: missing (incomplete checkpoint?)` });
  fs.writeFileSync(wfile, wOrig);
  await loadCheckpoint(dir); // intact again

  fs.writeFileSync(mfile, mOrig.replace('"step": 7', '"step": 8'));
  await assert.rejects(loadCheckpoint(dir), { message: `${mfile}: checksum mismatch: the manifest was edited or corrupted` });

  fs.writeFileSync(mfile, mOrig.replace('"formatVersion": 1', '"formatVersion": 2'));
  await assert.rejects(loadCheckpoint(dir), { message: `${mfile}: format version 2 is not supported (this gawwn reads version 1)` });

  const lines = mOrig.split('\n');
  fs.writeFileSync(mfile, lines.slice(0, 6).join('\n'));
  await assert.rejects(loadCheckpoint(dir), (e: unknown) => e instanceof GawwnError && e.file === mfile && e.line === 6 && /not valid JSON/.test(e.message));

  fs.rmSync(mfile);
  await assert.rejects(loadCheckpoint(dir), { message: `${mfile}: missing (incomplete or not a gawwn checkpoint/weights directory)` });
  await assert.rejects(loadCheckpoint(path.join(run, 'nope')), { message: `${path.join(run, 'nope')}: not found` });
  fs.rmSync(run, { recursive: true });
});

test('--resume skips a corrupt newest checkpoint with a warning and falls back', async () => {
  const run = tmpRun();
  assert.equal(await findLatestCheckpoint(run, quiet), null); // nothing yet: start from scratch
  for (const s of [10, 20, 30]) await saveCheckpoint(run, fakeState(s));
  const newest = path.join(run, 'checkpoints', 'step-000030', 'weights.bin');
  fs.truncateSync(newest, 10);
  const warnings: string[] = [];
  const c = await loadLatest(run, { modelFamily: 'keypoint', preset: 'small' }, { warn: (m) => warnings.push(m) });
  assert.equal(c?.step, 20);
  assert.deepEqual(c?.groups.G[0].data, fakeState(20).groups.G[0].data);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^skipping checkpoint .*step-000030: .*weights\.bin: truncated: 10 of 116 bytes$/);
  assert.equal(await findLatestCheckpoint(run, quiet), path.join(run, 'checkpoints', 'step-000020'));
  // A directory left by a killed writer is not a candidate (temporary name).
  fs.mkdirSync(path.join(run, 'checkpoints', 'step-000040.tmp-999999-abcdef01'));
  assert.equal((await loadLatest(run, undefined, quiet))?.step, 20);
  // None valid: an error, not a silent restart from scratch.
  for (const s of [10, 20]) fs.rmSync(path.join(run, 'checkpoints', stepDirName(s), 'manifest.json'));
  await assert.rejects(loadLatest(run, undefined, quiet), (e: unknown) =>
    e instanceof GawwnError && /^no complete checkpoint in .*checkpoints: .*step-000030.*truncated.*step-000020.*missing.*step-000010.*missing/.test(e.message));
  fs.rmSync(run, { recursive: true });
});

test('a state with NaN is refused and the last good checkpoint stays', async () => {
  const run = tmpRun();
  await saveCheckpoint(run, fakeState(5));
  const bad = fakeState(6);
  bad.groups.G[1].data[2] = NaN;
  await assert.rejects(saveCheckpoint(run, bad), { message: 'refusing to save checkpoint at step 6: tensor G/g/bias contains NaN or Infinity' });
  assert.deepEqual((await listCheckpoints(run)).map((c) => c.step), [5]);
  assert.equal(fs.readFileSync(path.join(run, 'checkpoints', 'latest'), 'utf8'), 'step-000005\n');
  const dup = fakeState(7);
  dup.groups.G.push({ name: 'g/bias', shape: [1], data: new Float32Array(1) });
  await assert.rejects(saveCheckpoint(run, dup), /tensor name 'g\/bias' appears twice/);
  const wrongSize = fakeState(7);
  wrongSize.groups.G[0].shape = [5];
  await assert.rejects(saveCheckpoint(run, wrongSize), /24 values for shape \[5\]/);
  fs.rmSync(run, { recursive: true });
});

function smallModel(): tf.LayersModel {
  const x = tf.input({ shape: [3] });
  const h = tf.layers.dense({ units: 4, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  const b = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 2, name: 'head' }).apply(b) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

test('model + Adam state restored into fresh objects continue bit-identically (cpu), without leaks', async () => {
  await tf.setBackend('cpu');
  const xs = tf.tensor2d([[0.1, -0.2, 0.3], [1, 0.5, -1], [0.3, 0.3, 0.9], [-0.7, 0.2, 0.1]]);
  const ys = tf.tensor2d([[1, 0], [0, 1], [1, 1], [0, 0]]);
  const stepFn = (m: tf.LayersModel, opt: tf.Optimizer): void => {
    const vars = m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(ys, m.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    opt.applyGradients(grads);
    tf.dispose([value, grads]);
  };
  const a = smallModel();
  const optA = tf.train.adam(0.01, 0.5);
  for (let i = 0; i < 3; i++) stepFn(a, optA);
  const run = tmpRun();
  const groups = { G: await extractModelWeights(a), optG: await extractOptimizerWeights(optA) };
  assert.equal(groups.G.length, 8); // 2 dense (kernel, bias) + BN (gamma, beta, moving mean, moving variance)
  assert.equal(groups.optG.length, 1 + 2 * 6); // iter + m, v of the 6 trainable weights
  assert.deepEqual(groups.optG[0], { name: 'iter', shape: [], data: new Int32Array([3]) });
  const dir = await saveCheckpoint(run, { ...fakeState(3), groups });
  for (let i = 0; i < 2; i++) stepFn(a, optA);
  const wantWeights = await extractModelWeights(a);

  const b = smallModel(); // different initial weights and different auto-numbered names
  assert.notEqual(b.weights[0].name, a.weights[0].name);
  const optB = tf.train.adam(0.01, 0.5);
  const c = await loadCheckpoint(dir, { modelFamily: 'keypoint', preset: 'small' });
  const before = tf.memory().numTensors;
  assignModelWeights(b, c.groups.G);
  await assignOptimizerWeights(optB, c.groups.optG);
  assert.equal(tf.memory().numTensors, before + 12); // exactly the 12 new moment variables, no temporaries
  for (let i = 0; i < 2; i++) stepFn(b, optB);
  const got = await extractModelWeights(b);
  for (let i = 0; i < got.length; i++) assert.deepEqual(got[i].data, wantWeights[i].data, `weight ${i} (${got[i].name})`);

  // Wrong shapes and wrong models are refused before anything is assigned.
  const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 5 })] });
  assert.throws(() => assignModelWeights(other, c.groups.G), /checkpoint has 8 weight tensors, the model '.*' has 2/);
  const badShape = c.groups.G.map((t, i) => (i === 0 ? { ...t, shape: [4, 3] } : t));
  assert.throws(() => assignModelWeights(b, badShape), /weight '.*' has shape \[4,3\], the model '.*' expects \[3,4\]/);
  // Names that all match are matched by name, whatever the order.
  assignModelWeights(a, [...c.groups.G].reverse());
  assert.deepEqual(await extractModelWeights(a), c.groups.G);
  const n0 = tf.memory().numTensors;
  await extractOptimizerWeights(optB); // the iter scalar it creates is disposed
  assert.equal(tf.memory().numTensors, n0);
  tf.dispose([xs, ys]);
  a.dispose();
  b.dispose();
  other.dispose();
  fs.rmSync(run, { recursive: true });
});

test('exportWeights float16 halves the size and round-trips within fp16 tolerance; float32 exactly', async () => {
  await tf.setBackend('cpu');
  const m = smallModel();
  const x = tf.tensor2d([[0.3, -1, 2]]);
  const want = await (m.predict(x) as tf.Tensor).data();
  const d = tmpRun();
  await exportWeights(m, path.join(d, 'w16'), { dtype: 'float16', meta: { modelFamily: 'bbox', preset: 'tiny' } });
  await exportWeights(m, path.join(d, 'w32'));
  const n = m.countParams();
  assert.equal(fs.statSync(path.join(d, 'w16', 'weights.bin')).size, 2 * n);
  assert.equal(fs.statSync(path.join(d, 'w32', 'weights.bin')).size, 4 * n);

  const orig = await extractModelWeights(m);
  const w16 = await importWeights(path.join(d, 'w16'));
  assert.deepEqual(w16.meta, { modelFamily: 'bbox', preset: 'tiny' });
  assert.equal(w16.manifest.dtype, 'float16');
  for (let i = 0; i < orig.length; i++) {
    const a = orig[i].data;
    const b = w16.groups.model[i].data;
    assert.ok(b instanceof Float32Array);
    for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j] - b[j]) <= Math.abs(a[j]) * 2 ** -11 + 2 ** -25, `${orig[i].name}[${j}]`);
  }
  const w32 = await importWeights(path.join(d, 'w32'));
  assert.deepEqual(w32.groups.model, orig);

  const m2 = smallModel();
  await importWeights(path.join(d, 'w32'), { into: m2 });
  assert.deepEqual(await (m2.predict(x) as tf.Tensor).data(), want);
  const m3 = smallModel();
  await importWeights(path.join(d, 'w16'), { into: m3 });
  const got16 = await (m3.predict(x) as tf.Tensor).data();
  for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got16[j] - want[j]) < 1e-2, `${got16[j]} vs ${want[j]}`);

  const big: NamedTensor[] = [{ name: 'w', shape: [2], data: new Float32Array([1, 70000]) }];
  await assert.rejects(exportWeights({ g: big }, path.join(d, 'big'), { dtype: 'float16' }), /cannot store g\/w as float16: value 70000 exceeds 65504/);
  assert.equal(fs.existsSync(path.join(d, 'big')), false);
  await assert.rejects(importWeights(path.join(d, 'w16'), { into: { gen: m3 } }), /have no group 'gen' \(groups: model\)/);
  const ck = await saveCheckpoint(path.join(d, 'run'), fakeState(1));
  await assert.rejects(importWeights(ck), /format is 'gawwn-checkpoint', expected 'gawwn-weights'/);
  tf.dispose(x);
  m.dispose();
  m2.dispose();
  m3.dispose();
  fs.rmSync(d, { recursive: true });
});
