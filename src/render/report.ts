/**
 * A self-contained HTML report (used by `gawwn reproduce`): sections of text, key numbers, PNG image grids and
 * charts embedded as data URIs, and tables, in one file that opens anywhere with no network and no Jupyter.
 * Each chart keeps its vega-lite spec in a collapsed <details> block, so the numbers behind a plot stay readable.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GawwnError } from '../util/errors.js';
import { escapeXml, renderChartPng, tableHtml, type HtmlTable, type VegaLiteSpec } from './render.js';

/** One figure: PNG bytes with an optional caption. */
export interface ReportImage {
  png: Uint8Array;
  caption?: string;
}

export interface ReportSection {
  title: string;
  /** Plain text paragraphs (blank-line separated); escaped, not interpreted as HTML. */
  text?: string;
  /** Key numbers, shown as a two-column table (e.g. `{ 'Inception score': 3.62 }`). */
  metrics?: Record<string, number | string>;
  images?: ReportImage[];
  charts?: VegaLiteSpec[];
  /** arquero tables, or ready HTML fragments. */
  tables?: (HtmlTable | { html: string })[];
}

export interface Report {
  title: string;
  /** One line under the title, e.g. the config preset and the date. */
  subtitle?: string;
  sections: ReportSection[];
}

const STYLE = `body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}figcaption{font-size:.9em;color:#555}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}pre{background:#f7f7f7;padding:8px;max-height:300px;overflow:auto;font-size:.8em}`;

function dataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

function formatMetric(v: number | string): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v;
}

/** Builds the report's HTML (charts are rendered to PNG here). */
export async function reportHtml(report: Report): Promise<string> {
  const parts: string[] = [
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeXml(report.title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${escapeXml(report.title)}</h1>`,
  ];
  if (report.subtitle) parts.push(`<p style="color:#666">${escapeXml(report.subtitle)}</p>`);
  for (const s of report.sections) {
    parts.push(`<section><h2>${escapeXml(s.title)}</h2>`);
    for (const para of (s.text ?? '').split(/\n\s*\n/).filter((p) => p.trim())) parts.push(`<p>${escapeXml(para.trim())}</p>`);
    if (s.metrics && Object.keys(s.metrics).length > 0) {
      parts.push('<table>' + Object.entries(s.metrics)
        .map(([k, v]) => `<tr><th style="text-align:left">${escapeXml(k)}</th><td>${escapeXml(formatMetric(v))}</td></tr>`).join('') + '</table>');
    }
    for (const img of s.images ?? []) {
      parts.push(`<figure><img src="${dataUri(img.png)}">${img.caption ? `<figcaption>${escapeXml(img.caption)}</figcaption>` : ''}</figure>`);
    }
    for (const spec of s.charts ?? []) {
      const png = await renderChartPng(spec, { scale: 1 });
      parts.push(`<figure><img src="${dataUri(png)}"><details><summary>vega-lite spec</summary><pre>${escapeXml(JSON.stringify(spec, null, 1))}</pre></details></figure>`);
    }
    for (const t of s.tables ?? []) parts.push('html' in t ? t.html : tableHtml(t));
    parts.push('</section>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

/** Writes the report to `file` atomically (temp file + rename; the folder is created). */
export async function writeReport(file: string, report: Report): Promise<void> {
  const html = await reportHtml(report);
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, html);
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* the folder itself is unusable: nothing was written */ }
    throw new GawwnError(`cannot write report: ${(e as Error).message}`, { file });
  }
}
