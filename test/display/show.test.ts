/**
 * show.ts against tslab's real display path: the kernel sets `tslab/dist/jupyter`.lastWriteDisplayData for the
 * executing cell; here the test sets it to a recorder, so every message the notebook would receive is checked.
 * (The end-to-end run in a real Jupyter kernel is test/notebooks/execute.test.ts.)
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { spawnSync } from 'child_process';
import sharp from 'sharp';
import { show, showChart, showGrid, showTable, progress, progressHtml, inKernel, showPng } from '../../src/display/show.js';
import { lossChart, type HtmlTable } from '../../src/render/render.js';
import { GawwnError } from '../../src/util/errors.js';

interface Msg { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string }; update: boolean }

const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: ((d: Omit<Msg, 'update'>, update: boolean) => void) | null };

function record(): Msg[] {
  const msgs: Msg[] = [];
  jupyter.lastWriteDisplayData = (d, update) => msgs.push({ ...d, update });
  return msgs;
}

afterEach(() => { jupyter.lastWriteDisplayData = null; });

const projectRoot = path.resolve(__dirname, '../../..');

test('the library loads without tslab (lazy require)', () => {
  const r = spawnSync(process.execPath, ['-e',
    `require(${JSON.stringify(path.join(projectRoot, 'dist/src/index.js'))});` +
    `const hit = Object.keys(require.cache).filter((k) => k.includes('/tslab/'));` +
    `process.stdout.write(String(hit.length));`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '0');
});

test('outside a kernel: inKernel() is false and show* throws a GawwnError', async () => {
  assert.equal(inKernel(), false);
  assert.throws(() => showPng(new Uint8Array(8)), (e: unknown) => e instanceof GawwnError && /not running in a tslab kernel/.test(e.message));
  await assert.rejects(showGrid([]), /showGrid: not running in a tslab kernel/);
});

test('showGrid sends one image/png output', async () => {
  const msgs = record();
  assert.equal(inKernel(), true);
  await showGrid([{ data: new Uint8Array(4 * 4 * 3).fill(200), width: 4, height: 4 }], { scale: 2, gap: 1 });
  assert.equal(msgs.length, 1);
  const png = Buffer.from(msgs[0].data['image/png'] as string, 'base64');
  const meta = await sharp(png).metadata();
  assert.equal(meta.width, 1 + 8 + 1);
  assert.ok(!msgs[0].update); // tslab sends display_data first (update undefined), then update_display_data
});

test('showChart sends PNG + the vega-lite spec in one output, shown at 1x', async () => {
  const msgs = record();
  const spec = lossChart([{ step: 0, lossD: 1 }, { step: 1, lossD: 0.5 }], undefined, { title: 'T', width: 200, height: 100 });
  await showChart(spec, { scale: 2 });
  assert.equal(msgs.length, 1);
  const d = msgs[0].data;
  assert.deepEqual(Object.keys(d).sort(), ['application/vnd.vegalite.v5+json', 'image/png', 'text/plain']);
  assert.deepEqual(d['application/vnd.vegalite.v5+json'], spec);
  assert.equal(d['text/plain'], '<VegaLite 5 chart: T>');
  const meta = await sharp(Buffer.from(d['image/png'] as string, 'base64')).metadata();
  assert.equal((msgs[0].metadata['image/png'] as { width: number }).width, Math.round(meta.width! / 2));
});

test('showTable sends HTML; show() dispatches plain result data', async () => {
  const msgs = record();
  const table: HtmlTable = { toHTML: () => '<table><tr><td>1</td></tr></table>', numRows: () => 1 };
  showTable(table, { caption: 'c' });
  assert.match(msgs[0].data['text/html'] as string, /<table><tr><td>1<\/td><\/tr><\/table>/);
  msgs.length = 0;
  const png = Buffer.from((await sharp({ create: { width: 2, height: 2, channels: 3, background: 'red' } }).png().toBuffer()));
  await show({ score: 3.5, name: 'x', grid: new Uint8Array(png), curves: [lossChart([{ step: 0, a: 1 }])], ignored: { deep: 1 } });
  const kinds = msgs.map((m) => Object.keys(m.data).sort().join('+'));
  // scalars table, heading 'grid', png, heading 'curves', chart bundle
  assert.deepEqual(kinds, ['text/html', 'text/html', 'image/png', 'text/html', 'application/vnd.vegalite.v5+json+image/png+text/plain']);
  assert.match(msgs[0].data['text/html'] as string, /score<\/th><td>3.5/);
  assert.match(msgs[1].data['text/html'] as string, /<h4>grid<\/h4>/);
});

test('progress: one display entry, updated in place and throttled; done() always drawn', () => {
  const msgs = record();
  const p = progress(10, 'train');
  for (let i = 1; i <= 10; i++) p.update(i, { lossD: 0.123456 });
  p.done({ lossG: 2 });
  const ids = new Set(msgs.map((m) => m.transient.display_id));
  assert.equal(ids.size, 1);
  assert.match([...ids][0] ?? '', /^[0-9a-f]{16}$/);
  assert.ok(!msgs[0].update); // tslab sends display_data first (update undefined), then update_display_data
  assert.ok(msgs.slice(1).every((m) => m.update));
  // initial draw, at most one throttled update in the same instant, the final draw
  assert.ok(msgs.length >= 2 && msgs.length <= 3, `${msgs.length} messages`);
  const last = msgs[msgs.length - 1].data['text/html'] as string;
  assert.match(last, /train: 10\/10 \(100.0%\)/);
  assert.match(last, /done/);
  assert.match(last, /lossG=2/);
});

test('progressHtml: percentage, eta and escaped labels', () => {
  const h = progressHtml('a<b', 25, 100, 10, { lossD: 0.5, note: '<i>' });
  assert.match(h, /a&lt;b: 25\/100 \(25.0%\) · 10.0 s · eta 30.0 s/);
  assert.match(h, /lossD=0.5000 note=&lt;i&gt;/);
  assert.match(h, /width:25.0%/);
});
