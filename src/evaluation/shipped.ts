/**
 * The evaluation of the shipped models: `gawwn eval … --out data/pretrained/eval/NAME.json`
 * results committed beside the weights, read back for the results table (README, `05-comparison`) and the
 * metric bars of §5.4, so a notebook shows the numbers without re-running the evaluation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeXml, type MetricRow } from '../render/render.js';
import { pretrainedDir } from '../sampling/load.js';
import { GawwnError } from '../util/errors.js';
import { EVAL_FORMAT, type EvalResult, type EstimateMetric } from './evaluate.js';
import { ceilingColumns, classesSuffix, formatEstimate, RESULT_COLUMNS } from './results-table.js';

/**
 * The folder of the shipped evaluation results of one synthetic set: `<models>/eval` for birds, `<models>/eval/people`
 * for people (default models folder: the package's data/pretrained). One folder per evaluator: a results table
 * reads its real-data and ceiling rows from the first result, so birds and people are never mixed in one.
 */
export function shippedEvalDir(modelsDir?: string, set: 'birds' | 'people' = 'birds'): string {
  const dir = path.join(modelsDir ?? pretrainedDir(), 'eval');
  return set === 'birds' ? dir : path.join(dir, set);
}

/** Every `*.json` evaluation result in `dir`, sorted by file name; [] when the folder does not exist. */
export function loadEvalResults(dir = shippedEvalDir()): EvalResult[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const file = path.join(dir, f);
    let r: EvalResult;
    try {
      r = JSON.parse(fs.readFileSync(file, 'utf8')) as EvalResult;
    } catch (e) {
      throw new GawwnError(`not valid JSON: ${(e as Error).message}`, { file });
    }
    if (r.format !== EVAL_FORMAT) throw new GawwnError(`not a ${EVAL_FORMAT} result (format '${String(r.format)}')`, { file });
    return r;
  });
}

const BAR_METRICS: readonly [EstimateMetric, string][] = [['boxIou', 'box IoU'], ['pck', 'PCK@0.1'], ['attributeAccuracy', 'attribute acc.']];

/**
 * Bars for `metricBars`: one group per metric, one bar per model (label = the model's name), with the
 * half-width of the 95% CI as the whisker; metrics a model is not evaluated on (n/a) are left out.
 */
export function evalMetricRows(results: readonly EvalResult[]): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const r of results) {
    const label = r.model.replace(/^pretrained:/, '') + classesSuffix(r);
    for (const [k, name] of BAR_METRICS) {
      const e = r.generated[k];
      if (e) rows.push({ label, group: name, value: e.value, error: (e.ci[1] - e.ci[0]) / 2 });
    }
  }
  return rows;
}

/** The results as an HTML table (one row per model, then the real images and the evaluator's ceiling of the first). */
export function resultsHtml(results: readonly EvalResult[]): string {
  const row = (cells: string[], tag = 'td'): string => `<tr>${cells.map((c) => `<${tag}>${escapeXml(c)}</${tag}>`).join('')}</tr>`;
  const rows = [row(['model', 'steps', ...RESULT_COLUMNS.map(([, h]) => h)], 'th')];
  for (const r of results) rows.push(row([r.model.replace(/^pretrained:/, '') + classesSuffix(r), String(r.steps), ...RESULT_COLUMNS.map(([k]) => formatEstimate(r.generated[k]))]));
  if (results.length > 0) {
    rows.push(row(['real held-out images' + classesSuffix(results[0]), '', ...RESULT_COLUMNS.map(([k]) => formatEstimate(results[0].real[k]))]));
    const c = results[0].ceiling;
    if (c) rows.push(row(['evaluator ceiling', '', ...ceilingColumns(c).map((col) => (col ? formatEstimate(col.estimate) : ''))]));
  }
  return `<table>${rows.join('')}</table>`;
}
