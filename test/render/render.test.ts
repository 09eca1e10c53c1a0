import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import {
  imageGrid, imagesFromTensor, lossChart, metricBars, renderChartPng, readLossLog, tableHtml, wrapText, escapeXml,
  BOX_COLOR, BOX_STROKE, KEYPOINT_COLORS, GRID_BACKGROUND, type GridImage, type HtmlTable, type LossRecord,
} from '../../src/render/render.js';
import { GawwnError } from '../../src/util/errors.js';

async function decode(png: Uint8Array): Promise<{ w: number; h: number; px: (x: number, y: number) => number[] }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { w: info.width, h: info.height, px: (x, y) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)] };
}

function flat(w: number, h: number, rgb: number[]): GridImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { data, width: w, height: h };
}

function hex(c: string): number[] {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
}

function near(a: number[], b: readonly number[], tol = 2): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tol);
}

const GREY = [100, 110, 120];

test('imageGrid: layout size, byte and [-1,1] float pixels, gap background', async () => {
  const floatImg: GridImage = { data: new Float32Array(32 * 32 * 3), width: 32, height: 32 };
  floatImg.data.fill(0); // → round(127.5) = 128
  (floatImg.data as Float32Array).set([-1, 1, 2], 0); // first pixel: -1 → 0, 1 → 255, 2 clamps to 255
  const png = await imageGrid([flat(32, 32, GREY), floatImg, flat(32, 32, [0, 0, 0])], { cols: 2, scale: 2, gap: 2 });
  const g = await decode(png);
  // width = gap + cols·(32·2 + gap), height = gap + rows·(64 + gap)
  assert.equal(g.w, 2 + 2 * 66);
  assert.equal(g.h, 2 + 2 * 66);
  assert.deepEqual(g.px(2, 2), GREY);
  assert.deepEqual(g.px(65, 65), GREY);
  assert.deepEqual(g.px(0, 0), [...GRID_BACKGROUND]);
  assert.deepEqual(g.px(66, 10), [...GRID_BACKGROUND]); // gap between cells 0 and 1
  assert.deepEqual(g.px(68, 2), [0, 255, 255]); // float cell's first pixel (scaled ×2 nearest)
  assert.deepEqual(g.px(69, 3), [0, 255, 255]);
  assert.deepEqual(g.px(70, 2), [128, 128, 128]);
  assert.deepEqual(g.px(2, 68), [0, 0, 0]); // third image, second row
  assert.deepEqual(g.px(100, 100), [...GRID_BACKGROUND]); // empty fourth cell
});

test('imageGrid: a box is drawn on its edge pixels and nowhere else', async () => {
  const png = await imageGrid([flat(32, 32, GREY), flat(32, 32, GREY)], {
    cols: 2, scale: 2, gap: 2, boxes: [{ x: 0.25, y: 0.25, w: 0.5, h: 0.5 }, null],
  });
  const g = await decode(png);
  // Cell 0 at (2,2), 64 px: box from 2 + 16 = 18 to 2 + 48 = 50 (exclusive), stroke inside on 2 px.
  const x0 = 18;
  const x1 = 50;
  const mid = 34;
  assert.equal(BOX_STROKE, 2);
  for (const [x, y] of [[x0, mid], [x0 + 1, mid], [x1 - 1, mid], [x1 - 2, mid], [mid, x0], [mid, x0 + 1], [mid, x1 - 1], [mid, x1 - 2]]) {
    assert.ok(near(g.px(x, y), BOX_COLOR), `box edge at (${x},${y}) is ${g.px(x, y)}`);
  }
  for (const [x, y] of [[x0 - 1, mid], [x0 + 2, mid], [x1, mid], [x1 - 3, mid], [mid, mid], [mid, x0 - 1], [mid, x1]]) {
    assert.deepEqual(g.px(x, y), GREY, `no box at (${x},${y})`);
  }
  // The second cell has no box: its corresponding pixel is untouched.
  assert.deepEqual(g.px(68 + 16, mid), GREY);
});

test('imageGrid: given keypoints are filled dots, generated ones hollow rings, invisible ones absent', async () => {
  const kps = [
    { x: 0.25, y: 0.25, v: 1 },
    { x: 0.75, y: 0.25, v: 1, generated: true },
    { x: 0.25, y: 0.75, v: 0 },
  ];
  const png = await imageGrid([flat(32, 32, GREY)], { scale: 2, gap: 0, keypoints: [kps] });
  const g = await decode(png);
  assert.ok(near(g.px(16, 16), hex(KEYPOINT_COLORS[0]), 3), `filled dot centre ${g.px(16, 16)}`);
  // Ring: centre keeps the image colour, the ring (radius ≈ 5) carries part 1's colour.
  assert.deepEqual(g.px(48, 16), GREY);
  let ring = 0;
  for (let y = 8; y < 25; y++) for (let x = 40; x < 57; x++) if (near(g.px(x, y), hex(KEYPOINT_COLORS[1]), 40)) ring++;
  assert.ok(ring >= 10, `generated ring pixels: ${ring}`);
  // v = 0: nothing drawn around (16, 48).
  for (let y = 40; y < 57; y++) for (let x = 8; x < 25; x++) assert.deepEqual(g.px(x, y), GREY);
});

test('imageGrid: captions add a text band under each row', async () => {
  const png = await imageGrid([flat(32, 32, GREY), flat(32, 32, GREY)], { scale: 2, gap: 2, captions: ['red bird', undefined] }); // fits one line of floor(64 / 6.6) = 9 chars
  const g = await decode(png);
  const lineH = Math.ceil(11 * 1.3);
  assert.equal(g.h, 2 + 64 + (lineH + 4) + 2);
  let ink = 0;
  for (let y = 66; y < g.h; y++) for (let x = 2; x < 66; x++) if (g.px(x, y)[0] < 160) ink++;
  assert.ok(ink > 20, `caption ink pixels: ${ink}`);
  let ink2 = 0;
  for (let y = 66; y < g.h; y++) for (let x = 68; x < 132; x++) if (g.px(x, y)[0] < 160) ink2++;
  assert.equal(ink2, 0);
});

test('imageGrid: bad input is a GawwnError naming the problem', async () => {
  await assert.rejects(imageGrid([]), /no images/);
  await assert.rejects(imageGrid([{ data: new Uint8Array(10), width: 4, height: 4 }]), (e: unknown) =>
    e instanceof GawwnError && /image 0 has 10 values, expected 48/.test(e.message));
  await assert.rejects(imageGrid([flat(4, 4, GREY), flat(5, 4, GREY)]), /image 1 is 5x4/);
  await assert.rejects(imageGrid([flat(4, 4, GREY)], { captions: ['a', 'b'] }), /captions has 2 entries for 1 images/);
  await assert.rejects(imageGrid([flat(4, 4, GREY)], { scale: 1.5 }), /scale must be an integer/);
  await assert.rejects(imageGrid([flat(4, 4, GREY)], { boxes: [{ x: 0, y: 0, w: -1, h: 1 }] }), /box of image 0 is invalid/);
});

test('imagesFromTensor splits [N,H,W,C] into images without leaking', async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const t = tf.tensor4d(Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i / 24), [2, 2, 2, 3]);
  const before = tf.memory().numTensors;
  const imgs = await imagesFromTensor(t);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(imgs.length, 2);
  assert.equal(imgs[1].width, 2);
  assert.equal(imgs[1].height, 2);
  assert.deepEqual([...imgs[1].data], Array.from({ length: 12 }, (_, i) => Math.fround((12 + i) / 24)));
  t.dispose();
  const bad = tf.zeros([2, 2, 2]);
  await assert.rejects(imagesFromTensor(bad), /expected \[N,H,W,1\|3\]/);
  bad.dispose();
});

test('wrapText and escapeXml', () => {
  assert.deepEqual(wrapText('this bird has a red crown', 10, 3), ['this bird', 'has a red', 'crown']);
  assert.deepEqual(wrapText('this bird has a red crown and black wings', 10, 2), ['this bird', 'has a red…']);
  assert.deepEqual(wrapText('', 10, 3), []);
  assert.deepEqual(wrapText('abcdefghijklmnop', 6, 2), ['abcde…']);
  assert.equal(escapeXml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});

test('lossChart: one series per key, bucket means, NaN dropped, default keys', () => {
  const recs: LossRecord[] = Array.from({ length: 10 }, (_, i) => ({ step: i, lossD: i * 2, lossG: i === 3 ? NaN : 1 }));
  const spec = lossChart(recs, ['lossD'], { maxPoints: 5 }) as unknown as { data: { values: { step: number; series: string; value: number }[] } };
  // 10 points in 5 equal buckets: means of (0,1), (2,3), … → step 0.5, 2.5, …; value 2·step.
  assert.deepEqual(spec.data.values, [0.5, 2.5, 4.5, 6.5, 8.5].map((s) => ({ step: s, series: 'lossD', value: 2 * s })));
  const all = lossChart(recs) as unknown as { data: { values: { series: string }[] }; encoding: { color: { sort: string[] } } };
  assert.deepEqual(all.encoding.color.sort, ['lossD', 'lossG']);
  assert.equal(all.data.values.filter((v) => v.series === 'lossG').length, 9);
  assert.throws(() => lossChart([{ step: 0 }]), /no series/);
});

test('renderChartPng: a loss chart renders to a non-blank PNG with the first series colour', async () => {
  const recs: LossRecord[] = Array.from({ length: 50 }, (_, i) => ({ step: i, lossD: Math.exp(-i / 10), lossG: 1 - Math.exp(-i / 10) }));
  const png = await renderChartPng(lossChart(recs, undefined, { width: 300, height: 150 }), { scale: 1 });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const g = await decode(png);
  assert.ok(g.w > 300 && g.w < 500 && g.h > 150 && g.h < 300, `${g.w}x${g.h}`);
  const stats = await sharp(png).stats();
  assert.ok(stats.channels[0].stdev > 10, `stdev ${stats.channels[0].stdev}`);
  let blue = 0;
  let orange = 0;
  for (let y = 0; y < g.h; y++) for (let x = 0; x < g.w; x++) {
    if (near(g.px(x, y), [76, 120, 168], 30)) blue++; // vega's category10 first colour #4c78a8
    if (near(g.px(x, y), [245, 133, 24], 30)) orange++; // second #f58518
  }
  assert.ok(blue > 100 && orange > 100, `series pixels blue ${blue}, orange ${orange}`);
});

test('metricBars: error whiskers and groups; renders', async () => {
  const spec = metricBars([
    { label: 'GAWWN', value: 3.6, error: 0.1, group: 'CUB' },
    { label: 'GAN-INT-CLS', value: 2.9, group: 'CUB' },
  ], { metric: 'Inception score' }) as unknown as { layer: { mark: { type: string }; encoding: Record<string, unknown> }[]; data: { values: { lo: number; hi: number }[] } };
  assert.deepEqual(spec.layer.map((l) => l.mark.type), ['bar', 'rule']);
  assert.ok('xOffset' in spec.layer[0].encoding);
  assert.ok(Math.abs(spec.data.values[0].lo - 3.5) < 1e-12 && Math.abs(spec.data.values[0].hi - 3.7) < 1e-12);
  const png = await renderChartPng(spec as never, { scale: 1 });
  assert.ok((await sharp(png).stats()).channels[2].stdev > 10);
  assert.equal((metricBars([{ label: 'a', value: 1 }]) as unknown as { layer: unknown[] }).layer.length, 1);
  assert.throws(() => metricBars([{ label: 'a', value: NaN }]), /not a finite number/);
});

test('readLossLog: JSON lines, blank lines skipped, null → NaN, bad line names file:line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-log-'));
  const file = path.join(dir, 'train.jsonl');
  fs.writeFileSync(file, '{"step":1,"lossD":0.5,"phase":"train"}\n\n{"step":2,"lossD":null,"lossG":2}\n');
  const recs = readLossLog(file);
  assert.equal(recs.length, 2);
  assert.deepEqual(recs[0], { step: 1, lossD: 0.5 });
  assert.ok(Number.isNaN(recs[1].lossD));
  assert.equal(recs[1].lossG, 2);
  fs.writeFileSync(file, '{"step":1}\n{"lossD":1}\n');
  assert.throws(() => readLossLog(file), (e: unknown) => e instanceof GawwnError && e.line === 2 && e.message === `${file}:2: missing numeric 'step' field`);
  fs.writeFileSync(file, '{"step":1}\n\n{oops\n');
  assert.throws(() => readLossLog(file), (e: unknown) => e instanceof GawwnError && e.line === 3);
  assert.throws(() => readLossLog(path.join(dir, 'missing.jsonl')), /cannot read loss log/);
  fs.rmSync(dir, { recursive: true });
});

test('tableHtml renders an arquero table with caption and a truncation note', () => {
  // arquero 8 is ESM: loaded through require(esm) (Node ≥ 20.19), as tslab does.
  const aq = require('arquero') as { from(rows: object[]): HtmlTable };
  const t = aq.from([{ model: 'GAWWN', is: 3.62 }, { model: '<b>x</b>', is: 2.9 }, { model: 'c', is: 1 }]);
  const html = tableHtml(t, { caption: 'Scores & more', limit: 2 });
  assert.match(html, /<table/);
  assert.match(html, /GAWWN/);
  assert.match(html, /Scores &amp; more/);
  assert.match(html, /2 of 3 rows shown/);
  assert.doesNotMatch(html, />c</);
});
