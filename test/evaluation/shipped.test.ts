import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evalMetricRows, loadEvalResults, resultsHtml, shippedEvalDir } from '../../src/evaluation/shipped.js';
import { EVAL_FORMAT, type EvalResult, type MetricSet } from '../../src/evaluation/evaluate.js';
import { ceilingColumns, resultsTable } from '../../src/evaluation/results-table.js';

const est = (value: number, lo: number, hi: number) => ({ value, ci: [lo, hi] as [number, number], n: 10 });
const none: MetricSet = { boxIou: null, pck: null, pckBox: null, attributeAccuracy: null, evaluatorFrechetDistance: null, diversity: null };

function result(model: string, family: string, generated: Partial<MetricSet>): EvalResult {
  return {
    format: EVAL_FORMAT, model, family, steps: 7, data: 'd', evaluator: 'e', n: 10, seed: 1, definitions: {},
    generated: { ...none, ...generated }, real: { ...none, boxIou: est(0.8, 0.7, 0.9) },
    ceiling: { boxIou: est(0.87, 0.86, 0.88), pck: est(0.9, 0.89, 0.91), attributeAccuracy: est(0.76, 0.75, 0.78) } as unknown as EvalResult['ceiling'],
    seconds: 1,
  };
}

test('shipped evaluation results: read sorted, as bars (CI half-width whiskers, n/a left out) and as an HTML table', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-shipped-'));
  assert.deepEqual(loadEvalResults(path.join(dir, 'nope')), []);
  fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify(result('pretrained:birds-keypoint', 'keypoint', { boxIou: est(0.6, 0.5, 0.7), pck: est(0.4, 0.3, 0.6) })));
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(result('pretrained:birds-bbox', 'bbox', { boxIou: est(0.5, 0.45, 0.55) })));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
  const rs = loadEvalResults(dir);
  assert.deepEqual(rs.map((r) => r.model), ['pretrained:birds-bbox', 'pretrained:birds-keypoint']);
  const rows = evalMetricRows(rs);
  assert.deepEqual(rows.map((r) => [r.label, r.group, r.value]), [['birds-bbox', 'box IoU', 0.5], ['birds-keypoint', 'box IoU', 0.6], ['birds-keypoint', 'PCK@0.1', 0.4]]);
  assert.ok(Math.abs((rows[0].error ?? 0) - 0.05) < 1e-12 && Math.abs((rows[2].error ?? 0) - 0.15) < 1e-12);
  const html = resultsHtml(rs);
  assert.match(html, /<td>birds-bbox<\/td><td>7<\/td><td>0\.500 \[0\.450, 0\.550\]<\/td><td>n\/a<\/td>/);
  // The ceiling row, cell by cell under the columns of both tables: IoU, PCK, attributes, then none for FD and diversity.
  assert.match(html, /<td>evaluator ceiling<\/td><td><\/td><td>0\.870 \[0\.860, 0\.880\]<\/td><td>0\.900 \[0\.890, 0\.910\]<\/td><td>0\.760 \[0\.750, 0\.780\]<\/td><td><\/td><td><\/td><\/tr>/);
  assert.match(resultsTable(rs), /\| evaluator ceiling \(vs exact GT\) \| evaluator \| 0\.870 \[0\.860, 0\.880\] ✗ \| 0\.900 \[0\.890, 0\.910\] ✗ \| 0\.760 \[0\.750, 0\.780\] ✗ \| – \| – \|/);
  assert.deepEqual(ceilingColumns(rs[0].ceiling!).map((c) => c?.key), ['boxIou', 'pck', 'attributeAccuracy', undefined, undefined]);
  assert.equal(shippedEvalDir(dir), path.join(dir, 'eval'));
  fs.writeFileSync(path.join(dir, 'c.json'), '{"format": "other"}');
  assert.throws(() => loadEvalResults(dir), /c\.json: not a gawwn-eval\/1 result \(format 'other'\)/);
  fs.writeFileSync(path.join(dir, 'c.json'), '{"format":');
  assert.throws(() => loadEvalResults(dir), /c\.json: not valid JSON/);
});
