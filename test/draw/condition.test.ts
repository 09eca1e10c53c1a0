import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  RequestError, conditionToRequest, givenParts, layoutPath, makeCondition, parseCondition, parseInterpolateBody,
  parseSampleBody, readCondition, type ModelInfo,
} from '../../src/draw/condition.js';
import { GawwnError } from '../../src/util/errors.js';

const PARTS = ['back', 'beak', 'belly', 'tail'];
const MODELS: Record<string, ModelInfo> = {
  kp: { family: 'keypoint', partNames: PARTS, completes: true },
  kpAlone: { family: 'keypoint', partNames: PARTS, completes: false },
  bb: { family: 'bbox', partNames: [], completes: false },
};
const lookup = (id: string): ModelInfo | undefined => MODELS[id];

test('parseSampleBody accepts a well-formed box or keypoint request and returns exactly its fields', () => {
  assert.deepEqual(parseSampleBody({ model: 'bb', caption: 'a bird', n: 4, seed: 7, box: { x: 0.1, y: 0.2, w: 0.5, h: 0.6 } }, lookup), {
    model: 'bb', caption: 'a bird', n: 4, seed: 7, box: { x: 0.1, y: 0.2, w: 0.5, h: 0.6 },
  });
  assert.deepEqual(parseSampleBody({ model: 'kp', caption: 'c', n: 1, seed: 0, keypoints: [{ name: 'beak', x: 0.25, y: 0.5 }] }, lookup).keypoints, [{ name: 'beak', x: 0.25, y: 0.5 }]);
  // With a keypoint generator, no parts at all is the text-only setting (§5.3).
  assert.equal(parseSampleBody({ model: 'kp', caption: 'c', n: 1, seed: 0 }, lookup).keypoints, undefined);
});

test('parseSampleBody rejects malformed requests with a reason naming the field', () => {
  const ok = { model: 'bb', caption: 'a bird', n: 4, seed: 7, box: { x: 0.1, y: 0.2, w: 0.5, h: 0.6 } };
  const bad: [unknown, RegExp][] = [
    [null, /JSON object/],
    [[1, 2], /JSON object/],
    [{ ...ok, extra: 1 }, /unknown field 'extra'/],
    [{ ...ok, model: 'nope' }, /unknown model 'nope'/],
    [{ ...ok, caption: '   ' }, /caption must not be empty/],
    [{ ...ok, caption: 'x'.repeat(501) }, /caption is longer than 500/],
    [{ ...ok, n: 0 }, /n must be an integer in 1\.\.16/],
    [{ ...ok, n: 2.5 }, /n must be an integer/],
    [{ ...ok, seed: -1 }, /seed must be an integer/],
    [{ ...ok, seed: '3' }, /seed must be an integer/],
    [{ ...ok, box: undefined }, /box model needs box/],
    [{ ...ok, box: { x: 0.6, y: 0.2, w: 0.5, h: 0.6 } }, /inside the image/],
    [{ ...ok, box: { x: 0.1, y: 0.2, w: 0, h: 0.6 } }, /positive/],
    [{ ...ok, box: { x: 0.1, y: 0.2, w: 0.5, h: 0.6, r: 1 } }, /box: unknown field 'r'/],
    [{ ...ok, box: { x: 'a', y: 0.2, w: 0.5, h: 0.6 } }, /box\.x must be a number in \[0,1\]/],
    [{ ...ok, keypoints: [] }, /keypoints are for keypoint models/],
    [{ model: 'kp', caption: 'c', n: 1, seed: 0, box: ok.box }, /box is for box models/],
    [{ model: 'kp', caption: 'c', n: 1, seed: 0, keypoints: [{ name: 'wing', x: 0.1, y: 0.1 }] }, /keypoints\[0\]\.name must be one of the model's parts/],
    [{ model: 'kp', caption: 'c', n: 1, seed: 0, keypoints: [{ name: 'beak', x: 0.1, y: 0.1 }, { name: 'beak', x: 0.2, y: 0.1 }] }, /given twice/],
    [{ model: 'kp', caption: 'c', n: 1, seed: 0, keypoints: [{ name: 'beak', x: 1.5, y: 0.1 }] }, /keypoints\[0\]\.x must be a number in \[0,1\]/],
    [{ model: 'kp', caption: 'c', n: 1, seed: 0, keypoints: { beak: [0, 0] } }, /must be an array/],
    [{ model: 'kpAlone', caption: 'c', n: 1, seed: 0, keypoints: [] }, /no keypoint generator loaded/],
  ];
  for (const [body, re] of bad) {
    assert.throws(() => parseSampleBody(body, lookup), (e: unknown) => e instanceof RequestError && re.test(e.message), `${JSON.stringify(body)?.slice(0, 80)} should fail with ${re}`);
  }
});

test('parseInterpolateBody checks both layouts and the sample index', () => {
  const b = parseInterpolateBody({ model: 'bb', caption: 'c', n: 4, seed: 1, index: 3, frames: 5, from: { box: { x: 0, y: 0, w: 0.5, h: 0.5 } }, to: { box: { x: 0.5, y: 0.5, w: 0.5, h: 0.5 } } }, lookup);
  assert.equal(b.index, 3);
  assert.equal(b.frames, 5);
  assert.throws(() => parseInterpolateBody({ ...b, index: 4 }, lookup), /index must be an integer in 0\.\.3/);
  assert.throws(() => parseInterpolateBody({ ...b, frames: 1 }, lookup), /frames must be an integer in 2\.\.16/);
  assert.throws(() => parseInterpolateBody({ ...b, to: {} }, lookup), /box model needs to\.box/);
  assert.throws(() => parseInterpolateBody({ ...b, from: 3 }, lookup), /from must be an object/);
});

test('layoutPath interpolates boxes and shared parts linearly; new parts stay, dropped parts go', () => {
  const boxes = layoutPath({ box: { x: 0, y: 0, w: 0.2, h: 0.4 } }, { box: { x: 0.4, y: 0.2, w: 0.6, h: 0.8 } }, 5);
  assert.equal(boxes.length, 5);
  boxes.forEach((l, f) => {
    const t = f / 4;
    for (const [k, a, b] of [['x', 0, 0.4], ['y', 0, 0.2], ['w', 0.2, 0.6], ['h', 0.4, 0.8]] as const) assert.ok(Math.abs(l.box![k] - (a + (b - a) * t)) < 1e-12);
  });
  const kps = layoutPath(
    { keypoints: [{ name: 'beak', x: 0.1, y: 0.1 }, { name: 'back', x: 0.9, y: 0.9 }] },
    { keypoints: [{ name: 'beak', x: 0.5, y: 0.3 }, { name: 'tail', x: 0.7, y: 0.6 }] },
    3,
  );
  const near = (got: { name: string; x: number; y: number }[] | undefined, want: { name: string; x: number; y: number }[]): void => {
    assert.deepEqual(got?.map((p) => p.name), want.map((p) => p.name));
    got!.forEach((p, i) => assert.ok(Math.abs(p.x - want[i].x) < 1e-12 && Math.abs(p.y - want[i].y) < 1e-12, `${p.name} at ${p.x},${p.y}`));
  };
  near(kps[1].keypoints, [{ name: 'beak', x: 0.3, y: 0.2 }, { name: 'tail', x: 0.7, y: 0.6 }]);
  assert.deepEqual(kps[2].keypoints, [{ name: 'beak', x: 0.5, y: 0.3 }, { name: 'tail', x: 0.7, y: 0.6 }]);
  assert.deepEqual(kps[0].keypoints![0], { name: 'beak', x: 0.1, y: 0.1 });
});

test('condition JSON round-trips: makeCondition → file → readCondition → conditionToRequest gives the given parts only', () => {
  const kp = (name: string, x: number, y: number, v: number, generated: boolean) => ({ name, x, y, v, generated });
  const c = makeCondition({
    run: 'pretrained:birds-keypoint', family: 'keypoint', caption: 'a bird', n: 2, seed: 9, size: 128, keypointGen: 'pretrained:birds-keypoint-gen',
    keypoints: [
      [kp('back', 0.123456, 0.5, 0.9, true), kp('beak', 0.2, 0.3, 1, false), kp('belly', 0.4, 0.4, 0.2, true), kp('tail', 0, 0, 0, true)],
      [kp('back', 0.3, 0.5, 0.7, true), kp('beak', 0.2, 0.3, 1, false), kp('belly', 0.4, 0.4, 0.6, true), kp('tail', 0, 0, 0, true)],
    ],
  });
  assert.equal(c.keypoints![0][0].x, 0.1235);
  assert.deepEqual(c.keypoints![0].map((k) => k.v), [1, 1, 0, 0]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-cond-'));
  try {
    const f = path.join(dir, 'c.json');
    fs.writeFileSync(f, JSON.stringify(c));
    const back = readCondition(f);
    assert.deepEqual(back, c);
    const req = conditionToRequest(back, PARTS);
    assert.deepEqual(req.captions, ['a bird']);
    assert.equal(req.n, 2);
    assert.equal(req.seed, 9);
    assert.deepEqual([...req.keypoints!], [[1, { x: 0.2, y: 0.3 }]]);
    // Part names are looked up by name, so a model listing parts in another order still gets the beak.
    assert.deepEqual([...givenParts(back, ['beak', 'back', 'tail', 'belly'])], [[0, { x: 0.2, y: 0.3 }]]);
    assert.throws(() => givenParts(back, ['back', 'belly']), /part 'beak'/);
    fs.writeFileSync(f, '{"run": "x",');
    assert.throws(() => readCondition(f), (e: unknown) => e instanceof GawwnError && /not valid JSON/.test(e.message) && e.message.includes(f));
    assert.throws(() => readCondition(path.join(dir, 'missing.json')), /cannot read/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const box = makeCondition({ run: 'r', family: 'bbox', caption: 'c', n: 1, seed: 0, size: 64, box: { x: 0.1, y: 0.1, w: 0.5, h: 0.5 } });
  assert.deepEqual(conditionToRequest(parseCondition(JSON.parse(JSON.stringify(box))), []).box, { x: 0.1, y: 0.1, w: 0.5, h: 0.5 });
  assert.throws(() => parseCondition({ ...box, n: 0 }), /condition: n must be/);
  assert.throws(() => parseCondition({ ...box, bogus: 1 }), /unknown field 'bogus'/);
  assert.throws(() => parseCondition({ ...box, keypoints: [[{ x: 0.1, y: 0.1, v: 0.5 }]] }), /v must be 0 or 1/);
});

test('gawwn sample: --run and --caption may come from --condition, else the error names the option', async () => {
  const { main } = await import('../../src/cli/main.js');
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['sample', '--caption', 'a bird', '--out', 'x.png']), 2);
    assert.equal(await main(['sample', '--run', 'r', '--out', 'x.png']), 2);
    assert.equal(await main(['sample', '--condition', '/nonexistent/c.json', '--out', 'x.png']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(lines[0], /^gawwn: required option '--run <run>' not specified \(nor given by --condition\)/);
  assert.match(lines[1], /^gawwn: required option '--caption <text>' not specified/);
  assert.match(lines[2], /^gawwn: \/nonexistent\/c\.json: cannot read the condition file/);
});
