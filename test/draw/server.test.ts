/**
 * `gawwn draw` for real: tiny box, keypoint and keypoint-generator models are trained here
 * (~30 s), the server runs in-process on 127.0.0.1, and headless Chromium (Debian `chromium` + playwright-core)
 * types a caption, drags a box, places a beak and checks the images change and the screenshot is not blank.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { imageGrid } from '../../src/render/render.js';
import {
  benchPage, dragOnEditor, editorRect, findChromium, firstSrc, openBrowser, pageCondition as condition, pageLatencies, placePart, selectModel, typeCaption, waitDraw,
  type DrawBrowser,
} from '../../src/bench/draw.js';
import { readCondition } from '../../src/draw/condition.js';
import { openDraw, replayCondition } from '../../src/draw/notebook.js';
import { drawSample, loadDrawModels, serveDraw, type DrawModel, type DrawServer } from '../../src/draw/server.js';
import { initBackend } from '../../src/backend/select.js';
import { GawwnError } from '../../src/util/errors.js';

const projectRoot = path.resolve(__dirname, '../../..');
const bin = path.join(projectRoot, 'bin', 'gawwn.js');
let T = '';
let server: DrawServer;
let kp = '';
let kg = '';
let bb = '';
let byId = new Map<string, DrawModel>();

function amplify(g: tf.LayersModel, k: number): void {
  const layer = [...g.layers].reverse().find((l) => l.getWeights().length > 0)!;
  const scaled = layer.getWeights().map((w) => tf.mul(w, k));
  layer.setWeights(scaled);
  tf.dispose(scaled);
}

function gawwn(...args: string[]): string {
  return execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

before(async () => {
  T = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-draw-'));
  gawwn('data', 'synth-birds', '--out', `${T}/birds`, '--images', '24', '--seed', '3');
  gawwn('train', 'text-encoder', '--data', `${T}/birds`, '--out', `${T}/text`, '--steps', '5', '--preset', 'test-tiny', '--batch', '4', '--no-progress');
  kp = `${T}/kp`;
  kg = `${T}/kg`;
  bb = `${T}/bb`;
  gawwn('train', '--model', 'keypoint', '--data', `${T}/birds`, '--out', kp, '--text-encoder', `${T}/text`, '--preset', 'tiny', '--steps', '2');
  gawwn('train', '--model', 'keypoint-gen', '--data', `${T}/birds`, '--out', kg, '--text-encoder', `${T}/text`, '--preset', 'tiny', '--steps', '2');
  gawwn('train', '--model', 'bbox', '--data', `${T}/birds`, '--out', bb, '--text-encoder', `${T}/text`, '--preset', 'tiny', '--steps', '2');
  await initBackend({ report: null });
  const models = await loadDrawModels([kp, bb], kg);
  // A 2-step model draws almost flat grey (output ≈ ±0.002 before the final tanh, one grey level in a PNG):
  // scale the last transposed convolution so its dependence on z, text and layout shows in the pixels. The
  // page/server pipeline under test is unchanged; replays below use these same in-memory models.
  for (const m of models) amplify(m.gen.G, 300);
  byId = new Map(models.map((m) => [m.id, m]));
  server = await serveDraw(models, 0);
});

after(async () => {
  await server?.close();
  if (T) fs.rmSync(T, { recursive: true, force: true });
});

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

function request(method: string, pathname: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.address.port, method, path: pathname, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function pixels(b64OrBuf: string | Uint8Array): Promise<{ data: Buffer; width: number; height: number }> {
  const buf = typeof b64OrBuf === 'string' ? Buffer.from(b64OrBuf, 'base64') : Buffer.from(b64OrBuf);
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function maxDiff(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('the server listens on 127.0.0.1 only; other interfaces are refused', async () => {
  assert.equal(server.address.address, '127.0.0.1');
  assert.equal(server.address.family, 'IPv4');
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const external = Object.values(os.networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a!.address);
  for (const addr of external) {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const s = net.connect({ host: addr, port: server.address.port });
      s.once('connect', () => { s.destroy(); resolve(null); });
      s.once('error', (e) => resolve(e));
    });
    assert.ok(err !== null && err.code === 'ECONNREFUSED', `connecting via ${addr} should be refused, got ${err?.code ?? 'a connection'}`);
  }
  // A foreign Host header (DNS rebinding) is refused too.
  const r = await request('GET', '/api/models', undefined, { host: `evil.example:${server.address.port}` });
  assert.equal(r.status, 403);
});

test('malformed or invalid JSON gets a 400 with a reason; wrong method/type/path get 405/415/404', async () => {
  const cases: [string, RegExp][] = [
    ['{"model": ', /malformed JSON/],
    ['', /empty body/],
    ['[1,2]', /JSON object/],
    [JSON.stringify({ model: kp, caption: 'a bird', n: 2, seed: 1, extra: true }), /unknown field 'extra'/],
    [JSON.stringify({ model: bb, caption: 'a bird', n: 2, seed: 1 }), /box model needs box/],
    [JSON.stringify({ model: kp, caption: 'a bird', n: 2, seed: 1, keypoints: [{ name: 'snout', x: 0.5, y: 0.5 }] }), /one of the model's parts/],
    [JSON.stringify({ model: kp, caption: 'a bird', n: 99, seed: 1 }), /n must be an integer in 1\.\.16/],
    [JSON.stringify({ model: 'elsewhere', caption: 'a bird', n: 1, seed: 1 }), /unknown model/],
    [JSON.stringify({ model: kp, caption: 'x'.repeat(70_000), n: 1, seed: 1 }), /body larger than/],
  ];
  for (const [body, re] of cases) {
    const r = await request('POST', '/api/sample', body);
    assert.equal(r.status, 400, body.slice(0, 60));
    assert.match(String(r.json.error), re);
  }
  const interp = await request('POST', '/api/interpolate', JSON.stringify({ model: bb, caption: 'c', n: 1, seed: 1, frames: 3, from: {}, to: {} }));
  assert.equal(interp.status, 400);
  assert.match(String(interp.json.error), /box model needs from\.box/);
  assert.equal((await request('GET', '/api/sample')).status, 405);
  assert.equal((await request('POST', '/api/sample', '{}', { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await request('GET', '/nope')).status, 404);
});

test('POST /api/sample draws n PNGs through sampleImages, leak-free, and its condition replays exactly', async () => {
  const models = (await request('GET', '/api/models')).json.models as { id: string; family: string; partNames: string[]; size: number; keypointGen: string | null }[];
  assert.deepEqual(models.map((m) => [m.id, m.family, m.keypointGen]), [[kp, 'keypoint', kg], [bb, 'bbox', null]]);
  assert.ok(models[0].partNames.includes('beak'));
  const body = JSON.stringify({ model: kp, caption: 'a small red bird', n: 3, seed: 11, keypoints: [{ name: 'beak', x: 0.25, y: 0.3 }] });
  await request('POST', '/api/sample', body); // warm-up (first predict builds kernels)
  const n0 = tf.memory().numTensors;
  const r = await request('POST', '/api/sample', body);
  assert.equal(tf.memory().numTensors, n0, 'a draw leaves no tensors behind');
  assert.equal(r.status, 200);
  const images = r.json.images as string[];
  assert.equal(images.length, 3);
  const px = await Promise.all(images.map((b) => pixels(b)));
  for (const p of px) assert.deepEqual([p.width, p.height], [128, 128]);
  assert.ok(maxDiff(px[0].data, px[1].data) > 0, 'different z give different images');
  const cond = r.json.condition as { keypoints: { name: string; x: number; y: number; v: number; generated: boolean }[][]; keypointGen: string; seed: number };
  assert.equal(cond.keypointGen, kg);
  assert.equal(cond.keypoints.length, 3);
  const beak = cond.keypoints[0].find((k) => k.name === 'beak')!;
  assert.deepEqual(beak, { name: 'beak', x: 0.25, y: 0.3, v: 1, generated: false });
  assert.ok(cond.keypoints[0].every((k) => k.name === 'beak' || k.generated), 'every other part is Gk-filled');
  const timing = r.json.timing as Record<string, number>;
  assert.ok(timing.totalMs > 0 && timing.totalMs >= timing.sampleMs);

  // Same draw again: identical bytes (the seed fixes z). And the condition replays through sampleImages.
  const again = await request('POST', '/api/sample', body);
  assert.deepEqual(again.json.images, images);
  const m = byId.get(kp)!;
  const replay = await replayCondition(JSON.parse(JSON.stringify(cond)), { gen: m.gen, completer: m.completer });
  for (let i = 0; i < 3; i++) assert.equal(Buffer.from(await imageGrid([replay.images[i]], { gap: 0 })).toString('base64'), images[i]);

  // `gawwn sample --condition` replays it from a file, in another process.
  const f = path.join(T, 'cond.json');
  fs.writeFileSync(f, JSON.stringify(cond));
  const out = path.join(T, 'replay.png');
  const printed = JSON.parse(gawwn('sample', '--condition', f, '--out', out, '--json')) as Record<string, unknown>;
  assert.deepEqual(printed.keypoints, cond.keypoints);
  assert.equal(printed.keypointGen, kg);
  // The CLI loads the saved (unamplified) weights: compare with the same condition replayed from disk here.
  const fromDisk = await replayCondition(f);
  const strip = await pixels(fs.readFileSync(out));
  const mine = await pixels(await imageGrid(fromDisk.images, { cols: 3, gap: 0 }));
  assert.deepEqual([strip.width, strip.height], [384, 128]);
  assert.ok(maxDiff(strip.data, mine.data) <= 1, 'CLI replay matches the page draw');
  assert.deepEqual(readCondition(f), cond);
});

test('a models directory: pretrained:NAME specs of the server, its saved conditions and replayCondition resolve there', async () => {
  // A models folder like GAWWN_MODELS_DIR in the notebooks: the test's runs under the shipped models' names.
  const modelsDir = path.join(T, 'models');
  fs.mkdirSync(modelsDir, { recursive: true });
  for (const [name, dir] of [['birds-keypoint', kp], ['birds-keypoint-gen', kg], ['birds-bbox', bb]]) {
    if (!fs.existsSync(path.join(modelsDir, name))) fs.symlinkSync(dir, path.join(modelsDir, name));
  }
  const s = await openDraw({ runs: ['pretrained:birds-keypoint', 'pretrained:birds-bbox'], modelsDir }, () => undefined);
  try {
    // The keypoint generator that goes with birds-keypoint is found in modelsDir; ids stay as given.
    assert.deepEqual(s.models.map((m) => [m.id, m.gen.family, m.completerSpec]), [['pretrained:birds-keypoint', 'keypoint', 'pretrained:birds-keypoint-gen'], ['pretrained:birds-bbox', 'bbox', undefined]]);
    const body = { caption: 'a bird with a purple crown', n: 2, seed: 5, keypoints: [{ name: 'beak', x: 0.3, y: 0.3 }] };
    const drawn = await drawSample(s.models[0], body);
    assert.equal(drawn.condition.run, 'pretrained:birds-keypoint');
    assert.equal(drawn.condition.keypointGen, 'pretrained:birds-keypoint-gen');
    // Its condition replays through modelsDir to the same PNGs (both sides load the saved weights from disk).
    const replay = await replayCondition(JSON.parse(JSON.stringify(drawn.condition)), { modelsDir });
    for (let i = 0; i < 2; i++) assert.equal(Buffer.from(await imageGrid([replay.images[i]], { gap: 0 })).toString('base64'), drawn.images[i]);
    // A name missing from modelsDir is an error naming the folder looked in (not a fallback elsewhere).
    await assert.rejects(replayCondition({ ...drawn.condition, run: 'pretrained:birds-none' }, { modelsDir }), (e: Error) => e instanceof GawwnError && e.message.includes(path.join(modelsDir, 'birds-none')));
  } finally {
    await s.close();
  }
  // The example conditions the notebooks replay (data/conditions) parse and replay on these models.
  for (const [file, family, given] of [['birds-bbox.json', 'bbox', 0], ['birds-keypoint.json', 'keypoint', 3]] as const) {
    const c = readCondition(path.join(projectRoot, 'data/conditions', file));
    assert.equal(c.run, `pretrained:${file.replace(/\.json$/, '')}`);
    const n0 = tf.memory().numTensors;
    const r = await replayCondition(c, { modelsDir });
    assert.equal(tf.memory().numTensors, n0, 'replay disposes the models it loaded');
    assert.equal(r.images.length, c.n);
    assert.equal(family === 'bbox' ? r.box !== undefined : r.keypoints !== undefined, true);
    if (given > 0) assert.equal(r.keypoints![0].filter((k) => !k.generated).length, given, 'the given parts of the file');
  }
});

test('POST /api/interpolate: frame 0 is the "from" layout and the last frame the "to" layout, same z', async () => {
  const base = { model: bb, caption: 'a bird', n: 2, seed: 4 };
  const from = { x: 0.05, y: 0.1, w: 0.4, h: 0.4 };
  const to = { x: 0.5, y: 0.5, w: 0.45, h: 0.45 };
  const r = await request('POST', '/api/interpolate', JSON.stringify({ ...base, index: 1, frames: 4, from: { box: from }, to: { box: to } }));
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const frames = r.json.images as string[];
  assert.equal(frames.length, 4);
  const a = (await request('POST', '/api/sample', JSON.stringify({ ...base, box: from }))).json.images as string[];
  const b = (await request('POST', '/api/sample', JSON.stringify({ ...base, box: to }))).json.images as string[];
  assert.ok(maxDiff((await pixels(frames[0])).data, (await pixels(a[1])).data) <= 1, 'frame 0 = sample 1 drawn at the from box');
  assert.ok(maxDiff((await pixels(frames[3])).data, (await pixels(b[1])).data) <= 1, 'last frame = sample 1 drawn at the to box');
  assert.ok(maxDiff((await pixels(a[1])).data, (await pixels(b[1])).data) > 0, 'the two boxes draw different images');
  assert.ok(maxDiff((await pixels(frames[0])).data, (await pixels(frames[3])).data) > 0, 'the strip changes along the path');
});

test('`gawwn draw --run … --port 0` prints its 127.0.0.1 URL, serves the page and stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [bin, 'draw', '--run', bb, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /gawwn draw: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`gawwn draw exited with ${code} before printing its URL: ${out}`)));
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<canvas id="editor"/);
    const models = (await (await fetch(`${url}api/models`)).json()) as { models: { id: string; family: string }[] };
    assert.deepEqual(models.models.map((m) => [m.id, m.family]), [[bb, 'bbox']]);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

/** Chromium, or why the browser tests skip (a GawwnError naming the Debian package). */
function chromiumMissing(): string | null {
  try {
    findChromium();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

test('headless Chromium: type a caption, drag a box, place a beak; the images change and the page is not blank', async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) return t.skip(`${missing} (listed in .ci/apt-packages.txt)`);
  let browser: DrawBrowser | undefined;
  try {
    browser = await openBrowser(server.url, { acceptDownloads: true });
    const page = browser.page;
    // Keypoint model first, no parts placed: the keypoint generator fills them all (text-only, §5.3).
    await waitDraw(page, 0);
    assert.equal(await page.locator('#samples img').count(), 4);
    let c = await condition(page);
    assert.ok(c.keypoints![0].some((k) => k.generated && k.v === 1), 'Gk-filled parts are shown');

    // Type a caption.
    let src = await firstSrc(page);
    await typeCaption(page, 'this bird is bright red with black wings');
    c = await condition(page);
    assert.equal(c.caption, 'this bird is bright red with black wings');
    assert.notEqual(await firstSrc(page), src);

    // Box model: drag the box 40 px right and 30 px down (editor is 384 px for the unit square).
    await selectModel(page, bb);
    src = await firstSrc(page);
    const { S } = await editorRect(page);
    let draws = await page.evaluate(() => (globalThis as unknown as { __draw: { draws: number } }).__draw.draws);
    await dragOnEditor(page, { x: 0.5, y: 0.5 }, { x: 0.5 + 40 / S, y: 0.5 + 30 / S }, 8);
    draws = await waitDraw(page, draws);
    c = await condition(page);
    assert.ok(Math.abs(c.box!.x - (0.2 + 40 / S)) < 0.01 && Math.abs(c.box!.y - (0.25 + 30 / S)) < 0.01, `box moved: ${JSON.stringify(c.box)}`);
    assert.ok(Math.abs(c.box!.w - 0.6) < 1e-9 && Math.abs(c.box!.h - 0.5) < 1e-9, 'moving keeps the size');
    assert.notEqual(await firstSrc(page), src, 'the images changed after the drag');

    // Keypoint model: place the beak, then drag it; interpolate from the previous layout.
    await selectModel(page, kp);
    src = await firstSrc(page);
    draws = await page.evaluate(() => (globalThis as unknown as { __draw: { draws: number } }).__draw.draws);
    await placePart(page, 'beak', { x: 0.3, y: 0.35 });
    draws = await waitDraw(page, draws);
    c = await condition(page);
    const beak = c.keypoints![0].find((k) => k.name === 'beak')!;
    assert.ok(beak.v === 1 && !beak.generated && Math.abs(beak.x - 0.3) < 0.01 && Math.abs(beak.y - 0.35) < 0.01, `beak placed: ${JSON.stringify(beak)}`);
    assert.ok(c.keypoints![0].filter((k) => k.generated).length === 14, 'the other 14 parts come from Gk');
    assert.notEqual(await firstSrc(page), src, 'the images changed after placing the beak');
    await dragOnEditor(page, { x: 0.3, y: 0.35 }, { x: 0.6, y: 0.4 }, 5);
    draws = await waitDraw(page, draws);
    await page.click('#interpolate');
    await page.locator('#strip img').nth(7).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#strip img').count(), 8);

    // Save the condition JSON: it replays to the page's images.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-json')]);
    const saved = path.join(T, 'page-condition.json');
    await download.saveAs(saved);
    const m = byId.get(kp)!;
    const replay = await replayCondition(saved, { gen: m.gen, completer: m.completer });
    const pageImages = (await page.locator('#samples img').evaluateAll((imgs) => imgs.map((i) => (i as unknown as { src: string }).src))).map((s) => s.replace(/^data:image\/png;base64,/, ''));
    assert.equal(pageImages.length, 4);
    for (let i = 0; i < 4; i++) assert.equal(Buffer.from(await imageGrid([replay.images[i]], { gap: 0 })).toString('base64'), pageImages[i]);

    // The screenshot is not blank: the page and the first sample cell have real contrast.
    const shot = await page.screenshot();
    const stats = await sharp(shot).stats();
    assert.ok(stats.channels.slice(0, 3).every((ch) => ch.stdev > 20), `page screenshot has contrast: ${stats.channels.map((ch) => ch.stdev.toFixed(1))}`);
    const cell = await sharp(await page.locator('#samples .cell').first().screenshot()).stats();
    assert.ok(cell.channels.slice(0, 3).some((ch) => ch.stdev > 2), 'the first sample is not a flat colour');
    if (process.env.GAWWN_DRAW_SCREENSHOT) fs.writeFileSync(process.env.GAWWN_DRAW_SCREENSHOT, shot);
    const latencies = await pageLatencies(page);
    assert.ok(latencies.length >= 5 && latencies.every((ms) => Number.isFinite(ms) && ms > 0));

    // The benchmark's drags (gawwn draw-bench) on the same page: one summary per model, each from `draws` drags,
    // and every drag moved the layout (the box / the beak end where the last drag put them).
    const before = latencies.length;
    const bench = await benchPage(page, [{ id: bb, family: 'bbox', partNames: [] }, { id: kp, family: 'keypoint', partNames: m.gen.partNames }], { draws: 2, n: 2, caption: 'a blue bird' });
    assert.deepEqual(bench.map((r) => [r.model, r.family, r.draws, r.n]), [[bb, 'bbox', 2, 2], [kp, 'keypoint', 2, 2]]);
    for (const r of bench) assert.ok(r.min_ms > 0 && r.min_ms <= r.median_ms && r.median_ms <= r.p90_ms, JSON.stringify(r));
    c = await condition(page);
    assert.equal(c.caption, 'a blue bird');
    assert.equal(c.keypoints!.length, 2, 'n = 2 images per draw');
    const b2 = c.keypoints![0].find((k) => k.name === 'beak')!;
    // 1 warm-up + 2 measured drags alternate a → b → a → b: the beak ends at b = (0.6, 0.4).
    assert.ok(Math.abs(b2.x - 0.6) < 0.01 && Math.abs(b2.y - 0.4) < 0.01 && !b2.generated, `beak after the drags: ${JSON.stringify(b2)}`);
    const all = await pageLatencies(page);
    assert.ok(all.length >= before + 2 * 3, `every benchmark drag drew (${all.length - before} draws)`);
    const sorted = [...latencies].sort((a, b) => a - b);
    t.diagnostic(`drag-to-image latency (tiny models, 4 images): median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms over ${latencies.length} draws; bench ${JSON.stringify(bench)}`);
    assert.deepEqual(browser.errors, [], 'no page errors');
  } finally {
    await browser?.close();
  }
});

test('findChromium names the Debian package when Chromium is missing', () => {
  assert.throws(() => findChromium(['/nonexistent/chromium']), (e: Error) => e instanceof GawwnError && /Debian package 'chromium'/.test(e.message) && e.message.includes('/nonexistent/chromium'));
});

test('`gawwn draw-bench --json --screenshot` prints one latency summary per model and writes the page PNG', async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) return t.skip(`${missing} (listed in .ci/apt-packages.txt)`);
  const shot = path.join(T, 'bench.png');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [bin, 'draw-bench', '--run', bb, '--run', kp, '--keypoint-gen', kg, '--draws', '2', '--n', '1', '--json', '--screenshot', shot], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((r) => [r.model, r.family, r.draws, r.n]), [[bb, 'bbox', 2, 1], [kp, 'keypoint', 2, 1]]);
  for (const r of lines) {
    const [mn, med, p90] = [r.min_ms, r.median_ms, r.p90_ms] as number[];
    assert.ok(mn > 0 && mn <= med && med <= p90, JSON.stringify(r));
  }
  const meta = await sharp(shot).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1280, 760]);
  // Bad input fails before anything starts: exit 2 with one line naming the option.
  const bad = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, 'draw-bench', '--run', bb, '--n', '3'], { encoding: 'utf8' }, (err, _o, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr }));
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^gawwn: --n must be 1, 2, 4 or 8/);
});
