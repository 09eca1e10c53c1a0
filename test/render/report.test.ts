import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { reportHtml, writeReport, type Report } from '../../src/render/report.js';
import { lossChart } from '../../src/render/render.js';

async function report(): Promise<Report> {
  const png = new Uint8Array(await sharp({ create: { width: 3, height: 2, channels: 3, background: 'blue' } }).png().toBuffer());
  return {
    title: 'GAWWN <reproduction>',
    subtitle: 'preset test-tiny',
    sections: [{
      title: '§5.1 Box control',
      text: 'first paragraph\n\nsecond & last',
      metrics: { 'Inception score': 3.14159, steps: 10 },
      images: [{ png, caption: 'translate' }],
      charts: [lossChart([{ step: 0, lossD: 1 }, { step: 1, lossD: 0.5 }], undefined, { width: 100, height: 50 })],
      tables: [{ html: '<table id="t1"></table>' }],
    }],
  };
}

test('reportHtml: escaped text, metrics, images and charts as PNG data URIs, spec kept in <details>', async () => {
  const r = await report();
  const html = await reportHtml(r);
  assert.match(html, /<title>GAWWN &lt;reproduction&gt;<\/title>/);
  assert.match(html, /<p>first paragraph<\/p>\n<p>second &amp; last<\/p>/);
  assert.match(html, /Inception score<\/th><td>3.142<\/td>/);
  assert.match(html, /<figcaption>translate<\/figcaption>/);
  assert.match(html, /<table id="t1"><\/table>/);
  assert.match(html, /<summary>vega-lite spec<\/summary><pre>[^<]*&quot;lossD&quot;/);
  const uris = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
  assert.equal(uris.length, 2);
  assert.deepEqual([...uris[0]], [...r.sections[0].images![0].png]);
  const chart = await sharp(uris[1]).metadata();
  assert.ok(chart.width! > 100 && chart.height! > 50, `${chart.width}x${chart.height}`);
});

test('writeReport writes atomically and creates the folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-report-'));
  const file = path.join(dir, 'sub', 'report.html');
  await writeReport(file, await report());
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['report.html']);
  assert.match(fs.readFileSync(file, 'utf8'), /^<!DOCTYPE html>/);
  fs.writeFileSync(path.join(dir, 'blocker'), '');
  await assert.rejects(writeReport(path.join(dir, 'blocker', 'r.html'), await report()), /cannot write report/);
  fs.rmSync(dir, { recursive: true });
});
