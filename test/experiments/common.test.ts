import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCurveChart } from '../../src/experiments/common.js';

test('runCurveChart: one series per metric present in curve.jsonl, nulls dropped; none without the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-curve-'));
  assert.equal(runCurveChart(dir, 't'), undefined);
  fs.writeFileSync(path.join(dir, 'curve.jsonl'), [
    { step: 200, boxIou: 0.4, pck: null, attributeAccuracy: 0.3, zPixelStd: 0.05, captionPixelStd: 0.1 },
    { step: 400, boxIou: 0.5, pck: null, attributeAccuracy: 0.35, zPixelStd: 0.06, captionPixelStd: 0.11 },
  ].map((l) => JSON.stringify(l)).join('\n') + '\n');
  const spec = runCurveChart(dir, 'validation') as { title: string; data: { values: { step: number; series: string; value: number }[] }; encoding: { y: { title: string } } };
  assert.equal(spec.title, 'validation');
  assert.equal(spec.encoding.y.title, 'metric');
  const series = [...new Set(spec.data.values.map((v) => v.series))];
  assert.deepEqual(series, ['boxIou', 'attributeAccuracy', 'zPixelStd', 'captionPixelStd']);
  assert.deepEqual(spec.data.values.filter((v) => v.series === 'boxIou').map((v) => [v.step, v.value]), [[200, 0.4], [400, 0.5]]);
  fs.rmSync(dir, { recursive: true, force: true });
});
