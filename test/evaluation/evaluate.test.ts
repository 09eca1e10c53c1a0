import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../src/config/resolve.js';
import { synthBirds } from '../../src/data/synth-birds.js';
import { CUB_PART_NAMES } from '../../src/data/types.js';
import { controlMetrics, evaluateGenerator, meanPixelStd, realClassDiversity, type Condition, type EvalResult } from '../../src/evaluation/evaluate.js';
import type { EvalSet } from '../../src/evaluation/eval-data.js';
import type { EvaluatorOutput } from '../../src/evaluation/evaluator.js';
import { Rng } from '../../src/util/rng.js';
import { resultsTable } from '../../src/evaluation/results-table.js';
import { loadEvaluator, trainEvaluator } from '../../src/evaluation/train-evaluator.js';
import { familyBuilders } from '../../src/models/registry.js';
import type { LoadedGenerator } from '../../src/sampling/load.js';
import { main } from '../../src/cli/main.js';
import { initBackend } from '../../src/backend/select.js';

let base = '';
let birds = '';
let evDir = '';

test.before(async () => {
  await initBackend({ force: 'wasm', report: null });
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-evaluate-'));
  birds = path.join(base, 'birds');
  evDir = path.join(base, 'ev');
  await synthBirds({ out: birds, images: 30, seed: 6, classes: 3 });
  await trainEvaluator({ dataRoot: birds, outDir: evDir, steps: 3, batchSize: 4, width: 2, featureDim: 8, log: null });
});

test.after(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

/** An untrained tiny generator of a family (the schema does not depend on training). */
function tinyGenerator(family: 'bbox' | 'keypoint'): LoadedGenerator {
  const cfg = resolveConfig('tiny', { model: { family } });
  const G = familyBuilders(family).buildG(cfg.model, 0);
  return { family, preset: 'tiny', config: cfg, G, partNames: [...CUB_PART_NAMES], textEncoder: 'none', steps: 0, source: `tiny-${family}`, dispose: () => G.dispose() };
}

const embed = (dim: number) => async (captions: readonly string[]): Promise<Float32Array[]> =>
  captions.map((c) => Float32Array.from({ length: dim }, (_, i) => Math.sin(c.length + i)));

const estimateKeys = (e: unknown): void => {
  assert.ok(e !== null && typeof e === 'object');
  const x = e as { value: number; ci: [number, number]; n: number };
  assert.equal(typeof x.value, 'number');
  assert.ok(x.ci[0] <= x.value + 1e-9 && x.value <= x.ci[1] + 1e-9, `ci ${x.ci} value ${x.value}`);
  assert.ok(x.n >= 1);
};

test('evaluateGenerator: JSON with generated/real metrics and CIs; PCK only for the keypoint model; no leaks', async () => {
  const ev = await loadEvaluator(evDir);
  const results: EvalResult[] = [];
  for (const family of ['keypoint', 'bbox'] as const) {
    const gen = tinyGenerator(family);
    const before = tf.memory().numTensors;
    const r = await evaluateGenerator(gen, embed((gen.config.model as { txtSize: number }).txtSize), ev, { dataRoot: birds, n: 6, diversityConditions: 2, diversitySamples: 3, seed: 2 });
    assert.equal(tf.memory().numTensors, before);
    gen.dispose();
    const j = JSON.parse(JSON.stringify(r)) as EvalResult;
    assert.equal(j.format, 'gawwn-eval/1');
    assert.equal(j.family, family);
    assert.equal(j.n, 6);
    assert.equal(j.dataFormat, 'cub');
    for (const k of ['boxIou', 'attributeAccuracy', 'evaluatorFrechetDistance', 'diversity'] as const) estimateKeys(j.generated[k]);
    for (const k of ['boxIou', 'pck', 'pckBox', 'attributeAccuracy', 'evaluatorFrechetDistance'] as const) estimateKeys(j.real[k]);
    if (family === 'keypoint') estimateKeys(j.generated.pck);
    else assert.equal(j.generated.pck, null);
    assert.equal(j.generated.diversity?.n, 2);
    // z-sensitivity: pixel std across z and across captions, both in [0, 0.5] (pixels in [0, 1]).
    for (const k of ['zPixelStd', 'captionPixelStd'] as const) {
      estimateKeys(j.generated[k]);
      assert.ok(j.generated[k]!.value > 0 && j.generated[k]!.value <= 0.5, `${k} ${j.generated[k]!.value}`);
    }
    assert.deepEqual(Object.keys(j.generated.attributeAccuracyByPart ?? {}), ev.config.attributes);
    assert.ok(j.generated.boxIou!.value >= 0 && j.generated.boxIou!.value <= 1);
    assert.ok(j.ceiling !== null);
    assert.match(j.definitions.evaluatorFrechetDistance, /not FID/);
    results.push(j);
  }
  ev.dispose();
  // The table: one row per model, plus real data and ceiling; unmet targets listed.
  const md = resultsTable(results);
  const rows = md.split('\n').filter((l) => l.startsWith('| '));
  assert.equal(rows.length, 1 + 2 + 2);
  assert.match(md, /\| tiny-keypoint \| keypoint \|/);
  assert.match(md, /\| tiny-bbox \| bbox \| [^|]+\| n\/a \|/);
  assert.match(md, /real held-out images/);
  assert.match(md, /evaluator ceiling/);
  assert.match(md, /- tiny-bbox: 0\.\d{3} \/ 0\.\d{3} \(ratio \d+\.\d\d\)/);
  assert.match(md, /Targets not met:/);
  assert.match(md, /\| tiny-bbox \| bbox \| \d\.\d{3} \[[^\]]+\] ✗ \|/);
  // The control targets are set for the bird models: the same results on people are shown unmarked.
  const people = resultsTable(results.map((r) => ({ ...r, dataFormat: 'mpii' as const })));
  assert.equal(people.split('\n').filter((l) => l.startsWith('| ')).length, 5);
  assert.doesNotMatch(people, /[✓✗]|Targets not met|Targets:/);
  assert.match(people, /targets for the bird models only: these people results are not marked/);
  // Results written before dataFormat existed (all birds) keep their marks.
  assert.equal(resultsTable(results.map((r) => ({ ...r, dataFormat: undefined }))), md);
  // Conditions from the held-out classes only are named so in every row (older files, without `classes`, used all).
  assert.equal(results[0].classes, 'all');
  assert.equal(resultsTable(results.map((r) => ({ ...r, classes: undefined }))), md);
  const unseen = resultsTable(results.map((r) => ({ ...r, classes: 'unseen' as const })));
  assert.match(unseen, /\| tiny-bbox \(unseen classes\) \| bbox \|/);
  assert.match(unseen, /\| real held-out images \(unseen classes\) \| data \|/);
  assert.match(unseen, /tiny-keypoint \(unseen classes\) n=/);
  // `gawwn eval table` writes the same markdown.
  const files = results.map((r, i) => {
    const f = path.join(base, `r${i}.json`);
    fs.writeFileSync(f, JSON.stringify(r));
    return f;
  });
  const out = path.join(base, 'table.md');
  assert.equal(await main(['eval', 'table', ...files, '--out', out]), 0);
  assert.equal(fs.readFileSync(out, 'utf8'), md);
});

test('gawwn eval: usage errors exit 2 with one line', async () => {
  const writes: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as { write: unknown }).write = (s: string) => (writes.push(String(s)), true);
  try {
    assert.equal(await main(['eval', '--data', birds, '--evaluator', evDir]), 2);
    assert.equal(await main(['eval', 'table', path.join(base, 'missing.json')]), 2);
    assert.equal(await main(['eval', 'train-evaluator', '--data', path.join(base, 'nope'), '--out', path.join(base, 'x')]), 2);
    assert.equal(await main(['eval', '--run', 'x', '--data', birds, '--evaluator', evDir, '--classes', 'novel']), 2);
  } finally {
    (process.stderr as { write: unknown }).write = orig;
  }
  assert.match(writes.join(''), /needs --run/);
  assert.match(writes.join(''), /no such file/);
  assert.match(writes.join(''), /no such data folder/);
  assert.match(writes.join(''), /--classes.*novel.*all, seen, unseen/s);
});

test('gawwn eval train-evaluator --resume: options left at their defaults keep the run\'s own; a typed different one is refused', async () => {
  const run = path.join(base, 'ev-cli');
  const writes: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  // Only the CLI's JSON lines are swallowed: the test runner reports through stdout too.
  (process.stdout as { write: unknown }).write = (s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === 'string' && s.startsWith('{') ? true : (origOut as (...a: unknown[]) => boolean)(s, ...rest);
  (process.stderr as { write: unknown }).write = (s: string) => (writes.push(String(s)), true);
  const metrics = (): { steps: number; segWeight: number; augment: boolean } => JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
  try {
    // Started with non-default --lr, --batch, --seed, --seg-weight and --augment.
    assert.equal(await main(['eval', 'train-evaluator', '--data', birds, '--out', run, '--steps', '2', '--width', '2', '--batch', '4', '--lr', '1e-3', '--seed', '3', '--seg-weight', '2', '--augment', '--test-limit', '6', '--checkpoint-every', '1']), 0);
    assert.equal(await main(['eval', 'train-evaluator', '--out', run, '--resume', '--steps', '3']), 0);
    assert.deepEqual([metrics().steps, metrics().segWeight, metrics().augment], [3, 2, true]);
    // Had the defaults (--lr 2e-3, --batch 32, --seed 1, --seg-weight 1) been passed, the resume above would be refused.
    const log = fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number });
    assert.deepEqual(log.map((r) => r.step), [1, 2, 3]);
    const ck = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', 'step-000003', 'manifest.json'), 'utf8')) as { config: { run: { lr: number; batchSize: number; seed: number } } };
    assert.deepEqual([ck.config.run.lr, ck.config.run.batchSize, ck.config.run.seed], [1e-3, 4, 3]);
    assert.equal(await main(['eval', 'train-evaluator', '--out', run, '--resume', '--steps', '4', '--seed', '4']), 2);
    assert.equal(await main(['eval', 'train-evaluator', '--data', birds, '--out', run, '--steps', '2']), 2);
  } finally {
    (process.stdout as { write: unknown }).write = origOut;
    (process.stderr as { write: unknown }).write = origErr;
  }
  assert.match(writes.join(''), /started with --seed 3, not 4/);
  assert.match(writes.join(''), /already holds an evaluator run; pass --resume/);
  assert.equal(metrics().steps, 3, 'the refused commands changed nothing');
});

test('realClassDiversity: mean over classes (birds) or activities (people) of the mean pairwise feature distance; null with fewer than 2 groups', () => {
  // Six real images with 1-d features: class 1 = {0, 3} (distance 3), class 2 = {1, 2, 5} (distances 1, 4, 3: mean 8/3),
  // class 3 = {7} (one image: left out). Expected (3 + 8/3) / 2.
  const feats = Float32Array.from([0, 3, 1, 2, 5, 7]);
  const classes = [1, 1, 2, 2, 2, 3];
  const conds = classes.map((_, i) => ({ imageId: i + 1 }) as Condition);
  const out = { features: feats, n: 6 } as unknown as EvaluatorOutput;
  const birds = { records: classes.map((c, i) => ({ imageId: i + 1, classId: c })) } as unknown as EvalSet;
  const d = realClassDiversity(birds, conds, out, 1, new Rng(1));
  assert.ok(d !== null);
  assert.ok(Math.abs(d.value - (3 + 8 / 3) / 2) < 1e-6, `${d.value}`);
  assert.equal(d.n, 2);
  // People are grouped by activity; the same grouping gives the same value.
  const people = { records: classes.map((c, i) => ({ imageId: i + 1, activity: `act ${c}` })) } as unknown as EvalSet;
  assert.ok(Math.abs(realClassDiversity(people, conds, out, 1, new Rng(1))!.value - d.value) < 1e-6);
  // One group with ≥ 2 images: no estimate, not a one-value "interval".
  const one = { records: classes.map((c, i) => ({ imageId: i + 1, activity: c === 3 ? 'b' : 'a' })) } as unknown as EvalSet;
  assert.equal(realClassDiversity(one, conds, out, 1, new Rng(1)), null);
});

test('controlMetrics: attribute accuracy overall (mean over conditions) and per attribute (over the conditions whose caption names it)', () => {
  const ev = { attributes: ['crown', 'back'], colours: ['red', 'blue'], numParts: 1 };
  const conds = [
    { imageId: 1, caption: 'a bird with a red crown and a blue back', box: Float32Array.from([0, 0, 1, 1]), keypoints: new Float32Array(3) },
    { imageId: 2, caption: 'this bird has a blue crown', box: Float32Array.from([0, 0, 1, 1]), keypoints: new Float32Array(3) },
  ] as Condition[];
  // Read: condition 1 crown red (right), back red (wrong); condition 2 crown blue (right), back red (not named).
  const out = { n: 2, boxes: Float32Array.from([0, 0, 1, 1, 0, 0, 0.5, 0.5]), keypoints: new Float32Array(6), attributes: Int32Array.from([0, 0, 1, 0]) } as unknown as EvaluatorOutput;
  const m = controlMetrics(out, conds, ev, { pck: false }, new Rng(1));
  assert.ok(Math.abs(m.attributeAccuracy!.value - (0.5 + 1) / 2) < 1e-9);
  assert.deepEqual([m.attributeAccuracyByPart!.crown!.value, m.attributeAccuracyByPart!.crown!.n], [1, 2]);
  assert.deepEqual([m.attributeAccuracyByPart!.back!.value, m.attributeAccuracyByPart!.back!.n], [0, 1]);
  assert.ok(Math.abs(m.boxIou!.value - (1 + 0.25) / 2) < 1e-9);
});

test('meanPixelStd: golden values (G\'s [−1, 1] output, std reported in [0, 1] units)', () => {
  // Two images of 2 pixels: [−1, 1] and [1, 1] → per-pixel std in [0, 1] units: 0.5 and 0 → mean 0.25.
  assert.equal(meanPixelStd(new Float32Array([-1, 1, 1, 1]), 2), 0.25);
  assert.equal(meanPixelStd(new Float32Array([0.3, 0.3, 0.3]), 3), 0);
});
