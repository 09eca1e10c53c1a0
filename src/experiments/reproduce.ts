/**
 * The main job (`gawwn reproduce`, `npm start`): every experiment of the paper (§3.2, §5.1–§5.5)
 * on the shipped models → PNG grids and one self-contained HTML report with the loss curves of the runs that
 * produced the models. Without dataset roots, small synthetic sets are generated (deterministic seed) for the
 * experiments that need held-out ground truth. A missing model is an error naming every missing one, unless
 * `allowMissing`, which reports the section as skipped instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeReport, type ReportSection } from '../render/report.js';
import { escapeXml, type MetricRow, type VegaLiteSpec } from '../render/render.js';
import { writeFileAtomic } from '../util/atomic.js';
import { GawwnError } from '../util/errors.js';
import { hasModel, modelsRoot, syntheticRoot, type ModelInfo } from './common.js';
import { evalMetricRows, loadEvalResults, resultsHtml, shippedEvalDir } from '../evaluation/shipped.js';
import { runBoxControl } from './box-control.js';
import { runComparison } from './comparison.js';
import { runHumans } from './humans.js';
import { runKeypointControl } from './keypoint-control.js';
import { runTextEmbedding } from './text-embedding.js';
import { runTextOnly } from './text-only.js';

export interface ReproduceOptions {
  /** Output folder: PNGs, report.html, summary.json (created). */
  out: string;
  /** Models by name (birds-bbox, …); default the package's data/pretrained. */
  modelsDir?: string;
  /** CUB-style root for §3.2/§5.2/§5.3; default a synthetic set generated under `out/data/birds`. */
  birdsData?: string;
  /** MPII-style root for §5.5; default a synthetic set under `out/data/people`. */
  peopleData?: string;
  seed?: number;
  /** Samples per row. Default 4. */
  samples?: number;
  /** Report sections whose models are missing as skipped instead of failing. */
  allowMissing?: boolean;
  /** Metric rows for §5.4 (from an evaluation), optional. */
  metrics?: MetricRow[];
  /** Progress lines (section started/finished). */
  log?: (line: string) => void;
}

export interface ReproduceSectionSummary {
  id: string;
  title: string;
  status: 'done' | 'missing-models';
  missing?: string[];
  seconds: number;
  files: string[];
}

export interface ReproduceResult {
  report: string;
  sections: ReproduceSectionSummary[];
  birdsData: string;
  peopleData: string;
  synthetic: { birds: boolean; people: boolean };
  seconds: number;
}

/** Models each section needs (names under the models root). */
export const SECTION_MODELS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '3.2': ['text-birds200'],
  '5.1': ['birds-bbox'],
  '5.2': ['birds-keypoint', 'birds-keypoint-gen'],
  '5.3': ['birds-keypoint', 'birds-keypoint-gen'],
  '5.4': ['birds-keypoint', 'birds-keypoint-gen', 'birds-gan-int-cls'],
  '5.5': ['people-keypoint', 'people-keypoint-gen'],
});

function modelText(...ms: ModelInfo[]): string {
  return ms.map((m) => `${m.spec}: ${m.family}, preset ${m.preset}, ${m.steps} steps (${m.source})`).join('\n');
}

function charts(...ms: ModelInfo[]): VegaLiteSpec[] {
  return ms.map((m) => m.lossChart).filter((c): c is VegaLiteSpec => c !== undefined);
}

/** Runs every experiment and writes the PNGs and `report.html` into `opts.out`. */
export async function runReproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? 0;
  const samples = opts.samples ?? 4;
  const md = opts.modelsDir;
  const missingOf = (id: string) => SECTION_MODELS[id].filter((n) => !hasModel(n, md));
  const allMissing = [...new Set(Object.keys(SECTION_MODELS).flatMap(missingOf))];
  if (allMissing.length > 0 && !opts.allowMissing) {
    throw new GawwnError(`missing models: ${allMissing.join(', ')} (looked in ${modelsRoot(md)}; train them with 'gawwn train' or pass --models-dir, or --allow-missing to skip their sections)`, { file: modelsRoot(md) });
  }
  fs.mkdirSync(opts.out, { recursive: true });
  const synthetic = { birds: opts.birdsData === undefined, people: opts.peopleData === undefined };
  const birds = opts.birdsData ?? await syntheticRoot('birds', 1000 + seed, path.join(opts.out, 'data'));
  const people = opts.peopleData ?? await syntheticRoot('people', 2000 + seed, path.join(opts.out, 'data'));
  const sections: ReportSection[] = [];
  const summary: ReproduceSectionSummary[] = [];
  const png = async (name: string, bytes: Uint8Array, files: string[]): Promise<Uint8Array> => {
    await writeFileAtomic(path.join(opts.out, name), bytes);
    files.push(name);
    return bytes;
  };
  const section = async (id: string, title: string, body: (files: string[]) => Promise<Omit<ReportSection, 'title'>>): Promise<void> => {
    const s0 = Date.now();
    const missing = missingOf(id);
    if (missing.length > 0) {
      sections.push({ title: `§${id} ${title}`, text: `Not run: missing model(s) ${missing.join(', ')} in ${modelsRoot(md)}.` });
      summary.push({ id, title, status: 'missing-models', missing, seconds: 0, files: [] });
      log(`§${id} ${title}: skipped (missing ${missing.join(', ')})`);
      return;
    }
    log(`§${id} ${title} …`);
    const files: string[] = [];
    const s = await body(files);
    sections.push({ ...s, title: `§${id} ${title}` });
    const seconds = (Date.now() - s0) / 1000;
    summary.push({ id, title, status: 'done', seconds, files });
    log(`§${id} ${title}: ${seconds.toFixed(1)} s, ${files.join(', ')}`);
  };
  const dataNote = (kind: 'birds' | 'people', root: string) => synthetic[kind]
    ? `Ground truth from a small synthetic ${kind} set generated for this report (${root}).`
    : `Ground truth from ${root}.`;

  await section('3.2', 'Text embedding (char-CNN-GRU, DS-SJE)', async () => {
    const r = await runTextEmbedding({ seed, modelsDir: md, data: birds });
    const rows = r.nearest.flatMap((n) => n.neighbours.map((x, i) => ({ query: i === 0 ? n.query : '', neighbour: x.caption, cosine: x.cosine.toFixed(3), 'same class': x.sameClass ? 'yes' : 'no' })));
    return {
      text: `Encoder ${r.encoder} (step ${r.step}, ${r.embDim}-d). Retrieval on the held-out split of ${birds}.`,
      metrics: {
        ...(r.metrics ? { 'caption→image top-1': r.metrics.captionToImageTop1, 'image→caption top-1': r.metrics.imageToCaptionTop1, 'caption→image mAP': r.metrics.captionToImageMap, classes: r.metrics.classes } : {}),
        'nearest captions of the same class': r.neighbourPrecision,
      },
      charts: [...(r.metricsChart ? [r.metricsChart] : []), ...(r.lossChart ? [r.lossChart] : [])],
      tables: [{ html: tableHtmlRows(rows) }],
    };
  });
  await section('5.1', 'Controlling bird location via bounding boxes', async (files) => {
    const r = await runBoxControl({ seed, modelsDir: md, data: birds });
    const images = [];
    for (const s of r.schedules) images.push({ png: await png(`5.1-box-${s.demo}.png`, s.png, files), caption: `${s.demo}: one z per row, boxes ${s.boxes.map((b) => `(${[b.x, b.y, b.w, b.h].map((v) => v.toFixed(2)).join(',')})`).join(' → ')}` });
    return { text: `Rows: ${r.captions.length} held-out captions of the birds set; the box (red) follows the schedule while z stays fixed per row.\n\n${modelText(r.model)}`, images, charts: charts(r.model) };
  });
  await section('5.2', 'Controlling individual part locations via keypoints', async (files) => {
    const r = await runKeypointControl({ seed, modelsDir: md, data: birds, samples });
    const images = [{ png: await png('5.2-keypoints-given.png', r.groundTruthPng, files), caption: 'First column: held-out image with its keypoints; then samples from those keypoints and its held-out caption.' }];
    for (const s of r.moving) images.push({ png: await png(`5.2-move-${s.demo}.png`, s.png, files), caption: `${s.demo}: beak and tail given (box corners), the rest generated by Gk (rings).` });
    return { text: `${dataNote('birds', birds)}\n\n${modelText(r.model, r.completer)}`, images, charts: charts(r.model, r.completer) };
  });
  await section('5.3', 'Generating keypoints and images from text alone', async (files) => {
    const r = await runTextOnly({ seed, modelsDir: md, data: birds, samples });
    return {
      text: `Gk draws the keypoints from the caption alone (no part given); they are drawn over the birds as rings.\n\n${modelText(r.model, r.completer)}`,
      images: [{ png: await png('5.3-text-only.png', r.png, files), caption: 'generated keypoints drawn' }, { png: await png('5.3-text-only-plain.png', r.plainPng, files), caption: 'the same samples' }],
      charts: charts(r.model, r.completer),
    };
  });
  await section('5.4', 'Comparison with GAN-INT-CLS', async (files) => {
    // The committed evaluation of the models (data/pretrained/eval) unless metrics are given.
    const results = loadEvalResults(shippedEvalDir(modelsRoot(md)));
    const metrics = opts.metrics ?? (results.length > 0 ? evalMetricRows(results) : undefined);
    const r = await runComparison({ seed, modelsDir: md, data: birds, samples, metrics });
    return {
      text: `${r.note}\n\n${modelText(r.model, r.completer, r.baseline)}${results.length > 0 ? '\n\nMeasured control of the models (evaluator on held-out conditions, mean [95% CI]; data/pretrained/eval):' : ''}`,
      ...(results.length > 0 ? { tables: [{ html: resultsHtml(results) }] } : {}),
      images: [{ png: await png('5.4-comparison.png', r.png, files), caption: 'GAWWN (left) vs GAN-INT-CLS (right, upscaled)' }],
      charts: [...(r.metricsChart ? [r.metricsChart] : []), ...charts(r.model, r.completer, r.baseline)],
    };
  });
  await section('5.5', 'Generating images of humans', async (files) => {
    const r = await runHumans({ seed, modelsDir: md, data: people, samples });
    const results = loadEvalResults(shippedEvalDir(modelsRoot(md), 'people'));
    return {
      text: `${dataNote('people', people)}\n\n${modelText(r.model, r.completer)}${results.length > 0 ? '\n\nMeasured control of the people model (its own evaluator on held-out people, mean [95% CI]; data/pretrained/eval/people):' : ''}`,
      ...(results.length > 0 ? { tables: [{ html: resultsHtml(results) }] } : {}),
      images: [
        { png: await png('5.5-humans-given.png', r.groundTruthPng, files), caption: 'First column: held-out person with its joints; then samples from those joints and its caption.' },
        { png: await png('5.5-humans-generated.png', r.generatedPng, files), caption: 'joints generated from the caption by Gk' },
      ],
      charts: charts(r.model, r.completer),
    };
  });
  const report = path.join(opts.out, 'report.html');
  const seconds = (Date.now() - t0) / 1000;
  await writeReport(report, {
    title: 'GAWWN: Learning What and Where to Draw — reproduction',
    subtitle: `seed ${seed}, models from ${modelsRoot(md)}, ${new Date().toISOString()}, ${seconds.toFixed(0)} s`,
    sections,
  });
  const result: ReproduceResult = { report, sections: summary, birdsData: birds, peopleData: people, synthetic, seconds };
  await writeFileAtomic(path.join(opts.out, 'summary.json'), JSON.stringify(result, null, 1) + '\n');
  return result;
}

/** A small HTML table of plain string rows (escaped). */
export function tableHtmlRows(rows: Record<string, string>[]): string {
  if (rows.length === 0) return '';
  const esc = escapeXml;
  const keys = Object.keys(rows[0]);
  return `<table><tr>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${keys.map((k) => `<td style="text-align:left">${esc(r[k])}</td>`).join('')}</tr>`).join('')}</table>`;
}
