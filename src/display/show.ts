/**
 * The tslab adapter (house style §3.8): the only module that touches `tslab`. It sends what `render.ts` makes
 * to the notebook: PNG for image grids and charts (PNG survives every front end and nbconvert's HTML export;
 * bare SVG is blanked by nbconvert 6.5.3, notebook-tooling §3b), HTML for tables, and one live-updating entry
 * for progress. tslab is required lazily, so the library loads outside a kernel.
 */
import type * as TslabModule from 'tslab';
import { GawwnError } from '../util/errors.js';
import {
  imageGrid, renderChartPng, tableHtml, escapeXml,
  type GridImage, type ImageGridOptions, type VegaLiteSpec, type HtmlTable,
} from '../render/render.js';

/** A Jupyter display_data content: one entry per MIME type (the notebook front end picks the richest it can show). */
export interface MimeBundle {
  [mime: string]: unknown;
}

interface TslabJupyterInternals {
  lastWriteDisplayData: ((data: { data: MimeBundle; metadata: object; transient: object }, update: boolean) => void) | null;
}

function tslab(): typeof TslabModule {
  try {
    return require('tslab') as typeof TslabModule;
  } catch (e) {
    throw new GawwnError(`display needs the tslab package (npm install tslab): ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * tslab's display hook (`tslab/dist/jupyter`), set by the kernel for the executing cell. It is the only way to
 * send several MIME types in one output (tslab's public `display.raw` sends one); null outside a kernel.
 * Pinned tslab 1.0.22: if the internal moves, callers fall back to the public API.
 */
function displayHook(): TslabJupyterInternals['lastWriteDisplayData'] | undefined {
  tslab();
  try {
    const j = require('tslab/dist/jupyter') as Partial<TslabJupyterInternals>;
    return 'lastWriteDisplayData' in j ? j.lastWriteDisplayData : undefined;
  } catch {
    return undefined;
  }
}

/** True when running inside a tslab kernel cell (display calls would reach a notebook). */
export function inKernel(): boolean {
  try {
    return typeof displayHook() === 'function';
  } catch {
    return false;
  }
}

function requireKernel(what: string): void {
  if (displayHook() === null) throw new GawwnError(`${what}: not running in a tslab kernel (use render/render.ts to get the bytes instead)`);
}

/**
 * Displays one output with several MIME types (e.g. `image/png` + `application/vnd.vegalite.v5+json`).
 * Uint8Array values are base64-encoded as Jupyter expects for binary types.
 */
export function showBundle(bundle: MimeBundle, metadata: Record<string, unknown> = {}): void {
  requireKernel('showBundle');
  const data: MimeBundle = {};
  for (const [mime, v] of Object.entries(bundle)) data[mime] = v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
  const hook = displayHook();
  if (typeof hook === 'function') {
    hook({ data, metadata, transient: {} }, false);
    return;
  }
  // Fallback through the public API: one output per MIME type.
  const d = tslab().display;
  for (const [mime, v] of Object.entries(bundle)) d.raw(mime, v instanceof Uint8Array ? v : (v as string));
}

/** Displays PNG bytes. */
export function showPng(png: Uint8Array): void {
  requireKernel('showPng');
  tslab().display.png(png);
}

/** Displays an HTML fragment. */
export function showHtml(html: string): void {
  requireKernel('showHtml');
  tslab().display.html(html);
}

/** Renders and displays an image grid (see `imageGrid` for the options). */
export async function showGrid(images: readonly GridImage[], opts: ImageGridOptions = {}): Promise<void> {
  requireKernel('showGrid');
  showPng(await imageGrid(images, opts));
}

/**
 * Displays a vega-lite chart as one output holding the PNG (what nbconvert, classic Notebook and code hosts
 * show) and the spec itself as `application/vnd.vegalite.v5+json` (JupyterLab/VS Code render it live), so the
 * saved notebook keeps the data behind every plot (notebook-tooling §3a, §3c).
 */
export async function showChart(spec: VegaLiteSpec, opts: { /** Pixel density of the PNG; default 2. */ scale?: number } = {}): Promise<void> {
  requireKernel('showChart');
  const scale = opts.scale ?? 2;
  const png = await renderChartPng(spec, { scale });
  const title = typeof spec.title === 'string' ? spec.title : 'chart';
  // Rendered at `scale`x for sharp text, shown at 1x: Jupyter's image/png `width` metadata.
  const width = Math.round(Buffer.from(png.subarray(16, 20)).readUInt32BE(0) / scale);
  showBundle({
    'image/png': png,
    'application/vnd.vegalite.v5+json': spec,
    'text/plain': `<VegaLite 5 chart: ${title}>`,
  }, { 'image/png': { width } });
}

/** Displays an arquero table as HTML. */
export function showTable(table: HtmlTable, opts: { caption?: string; limit?: number } = {}): void {
  showHtml(tableHtml(table, opts));
}

/** A live progress entry for a long cell (e.g. training): one output, overwritten in place. */
export interface Progress {
  /** Sets the current step and optional numbers to show (e.g. the last losses). Throttled to 4 updates/s. */
  update(step: number, info?: Record<string, number | string>): void;
  /** Shows the final state (always drawn, not throttled). */
  done(info?: Record<string, number | string>): void;
}

/**
 * Creates a progress display (tslab `newDisplay()`, which overwrites a single display entry).
 * @example
 * const p = progress(steps, 'training'); for (...) p.update(i + 1, { lossD, lossG }); p.done();
 */
export function progress(total: number, label = 'progress'): Progress {
  requireKernel('progress');
  const d = tslab().newDisplay();
  const start = Date.now();
  let last = 0;
  let step = 0;
  const draw = (info?: Record<string, number | string>, final = false): void => {
    d.html(progressHtml(label, step, total, (Date.now() - start) / 1000, info, final));
  };
  draw();
  return {
    update(s, info) {
      step = s;
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      draw(info);
    },
    done(info) {
      if (total > 0) step = Math.max(step, total);
      draw(info, true);
    },
  };
}

/** The HTML of one progress state (exported for tests). */
export function progressHtml(label: string, step: number, total: number, seconds: number, info?: Record<string, number | string>, final = false): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, step / total)) : 0;
  const pct = (frac * 100).toFixed(1);
  const rate = seconds > 0 ? step / seconds : 0;
  const eta = !final && rate > 0 && total > step ? ` · eta ${formatSeconds((total - step) / rate)}` : '';
  const nums = info
    ? Object.entries(info).map(([k, v]) => `${escapeXml(k)}=${typeof v === 'number' ? formatNumber(v) : escapeXml(v)}`).join(' ')
    : '';
  return `<div class="gawwn-progress" style="font-family:monospace">` +
    `<div>${escapeXml(label)}: ${step}/${total} (${pct}%) · ${formatSeconds(seconds)}${eta}${final ? ' · done' : ''}</div>` +
    `<div style="width:320px;height:10px;background:#eee"><div style="width:${pct}%;height:10px;background:${final ? '#2ca02c' : '#1f77b4'}"></div></div>` +
    (nums ? `<div>${nums}</div>` : '') + `</div>`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s - 60 * m)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

/**
 * Shows plain result data (house style §3.7: experiment results are numbers, PNG bytes, vega-lite specs and
 * tables): PNG bytes as images, vega-lite specs as charts, arquero tables as HTML, arrays element by element,
 * and objects field by field (their scalar fields first, as one small table).
 */
export async function show(value: unknown): Promise<void> {
  requireKernel('show');
  if (isPng(value)) return showPng(value);
  if (isVegaLite(value)) return showChart(value);
  if (isTable(value)) return showTable(value);
  if (Array.isArray(value)) {
    for (const v of value) await show(v);
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const scalars = entries.filter(([, v]) => ['number', 'string', 'boolean'].includes(typeof v));
    if (scalars.length > 0) {
      showHtml('<table>' + scalars.map(([k, v]) => `<tr><th style="text-align:left">${escapeXml(k)}</th><td>${escapeXml(String(v))}</td></tr>`).join('') + '</table>');
    }
    for (const [k, v] of entries) {
      if (!isDisplayable(v)) continue;
      showHtml(`<h4>${escapeXml(k)}</h4>`);
      await show(v);
    }
    return;
  }
  tslab().display.text(String(value));
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length > 8 && PNG_SIGNATURE.every((b, i) => v[i] === b);
}

function isVegaLite(v: unknown): v is VegaLiteSpec {
  return v !== null && typeof v === 'object' && typeof (v as { $schema?: unknown }).$schema === 'string' &&
    (v as { $schema: string }).$schema.includes('vega-lite');
}

function isTable(v: unknown): v is HtmlTable {
  return v !== null && typeof v === 'object' && typeof (v as HtmlTable).toHTML === 'function' && typeof (v as HtmlTable).numRows === 'function';
}

function isDisplayable(v: unknown): boolean {
  if (isPng(v) || isVegaLite(v) || isTable(v)) return true;
  return Array.isArray(v) && v.length > 0 && v.every(isDisplayable);
}
