/**
 * Pure rendering for the display layer (house style §3.8): image grids with boxes, keypoints and captions as
 * PNG bytes (the paper's figures, §5: "what" = caption, "where" = box or keypoints), vega-lite specs for loss
 * curves and metric bars, headless chart rendering (vega 5 → SVG → resvg → PNG) and HTML tables. No tslab here:
 * everything returns bytes, strings or specs, so it is testable without Jupyter and reusable by `report.ts`.
 */
import * as fs from 'fs';
import sharp from 'sharp';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import type * as tf from '@tensorflow/tfjs';
import { GawwnError, check } from '../util/errors.js';

/** One image of a grid: HWC pixels, RGB (3 channels) or grey (1 channel). */
export interface GridImage {
  /** Floats in [-1, 1] (the generator's tanh range, §4) or bytes in [0, 255]. Length H·W·C. */
  data: Float32Array | Uint8Array;
  width: number;
  height: number;
}

/** A box in normalised image coordinates: (x, y) top-left corner, w × h size, all in [0, 1] (paper §4.1). */
export interface NormBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A keypoint in normalised image coordinates (paper §4.2); `v` = 0 means not visible and is not drawn. */
export interface NormKeypoint {
  x: number;
  y: number;
  v: number;
  name?: string;
  /** True for keypoints produced by the keypoint completer Gk (paper §4.3), drawn as dashed rings. */
  generated?: boolean;
}

export interface ImageGridOptions {
  /** Images per row. Default: all in one row (capped at 8). */
  cols?: number;
  /** One caption per image (`undefined`/'' for none); drawn under the image, wrapped to 3 lines. */
  captions?: (string | undefined)[];
  /** One box, several boxes or none per image. */
  boxes?: (NormBox | NormBox[] | null | undefined)[];
  /** Keypoints per image. Colour follows the keypoint's index, so part i has the same colour in every cell. */
  keypoints?: (NormKeypoint[] | null | undefined)[];
  /** Integer nearest-neighbour upscale (64 px samples read better at 2–4). Default 1. */
  scale?: number;
  /** Pixels between cells and around the grid. Default 2. */
  gap?: number;
  /** Caption font size in pixels. Default 11. */
  fontSize?: number;
}

/** Box outline colour (RGB), exported so tests and legends can refer to it. */
export const BOX_COLOR: readonly [number, number, number] = [255, 48, 48];
/** Box outline width in pixels; the outline lies inside the box, on its first/last pixels. */
export const BOX_STROKE = 2;
/** Grid background (RGB). */
export const GRID_BACKGROUND: readonly [number, number, number] = [255, 255, 255];
/** Part colours, indexed by keypoint index (15 CUB parts, 17 MHP joints: wraps around). */
export const KEYPOINT_COLORS: readonly string[] = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2',
];

const CAPTION_LINES = 3;

/**
 * Lays out images in a grid and draws captions, boxes and keypoints over them; returns PNG bytes.
 * All images must have the same size.
 * @example
 * const png = await imageGrid(samples, { cols: 4, scale: 2, boxes: samples.map(() => ({x: .2, y: .3, w: .5, h: .4})) });
 */
export async function imageGrid(images: readonly GridImage[], opts: ImageGridOptions = {}): Promise<Uint8Array> {
  check(images.length > 0, 'imageGrid: no images');
  const { width: w0, height: h0 } = images[0];
  const scale = opts.scale ?? 1;
  const gap = opts.gap ?? 2;
  const fontSize = opts.fontSize ?? 11;
  const cols = opts.cols ?? Math.min(images.length, 8);
  check(Number.isInteger(scale) && scale >= 1 && scale <= 16, `imageGrid: scale must be an integer in 1..16, got ${scale}`);
  check(Number.isInteger(cols) && cols >= 1, `imageGrid: cols must be a positive integer, got ${cols}`);
  check(Number.isInteger(gap) && gap >= 0, `imageGrid: gap must be a non-negative integer, got ${gap}`);
  for (const [name, arr] of [['captions', opts.captions], ['boxes', opts.boxes], ['keypoints', opts.keypoints]] as const) {
    check(arr === undefined || arr.length === images.length, `imageGrid: ${name} has ${arr?.length} entries for ${images.length} images`);
  }

  const cellW = w0 * scale;
  const cellH = h0 * scale;
  const lineH = Math.ceil(fontSize * 1.3);
  const maxChars = Math.max(4, Math.floor(cellW / (fontSize * 0.6)));
  const captionLines = (opts.captions ?? []).map((c) => wrapText(c ?? '', maxChars, CAPTION_LINES));
  const capH = captionLines.some((l) => l.length > 0) ? Math.max(...captionLines.map((l) => l.length)) * lineH + 4 : 0;
  const rows = Math.ceil(images.length / cols);
  const gridW = gap + cols * (cellW + gap);
  const gridH = gap + rows * (cellH + capH + gap);

  const layers: sharp.OverlayOptions[] = [];
  const svg: string[] = [];
  for (let i = 0; i < images.length; i++) {
    const img = images[i];
    check(img.width === w0 && img.height === h0, `imageGrid: image ${i} is ${img.width}x${img.height}, image 0 is ${w0}x${h0}`);
    const left = gap + (i % cols) * (cellW + gap);
    const top = gap + Math.floor(i / cols) * (cellH + capH + gap);
    const { bytes, channels } = toBytes(img, i);
    let pipe = sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { raw: { width: w0, height: h0, channels } });
    if (scale > 1) pipe = pipe.resize(cellW, cellH, { kernel: 'nearest' });
    layers.push({ input: await pipe.png().toBuffer(), left, top });

    const boxes = opts.boxes?.[i];
    for (const b of boxes == null ? [] : Array.isArray(boxes) ? boxes : [boxes]) svg.push(boxSvg(b, left, top, cellW, cellH, i));
    const kps = opts.keypoints?.[i];
    if (kps) kps.forEach((k, j) => svg.push(keypointSvg(k, j, left, top, cellW, cellH, scale)));
    captionLines[i]?.forEach((line, j) => {
      svg.push(`<text x="${left + cellW / 2}" y="${top + cellH + 2 + (j + 1) * lineH - lineH * 0.25}" font-family="DejaVu Sans" ` +
        `font-size="${fontSize}" text-anchor="middle" fill="#222">${escapeXml(line)}</text>`);
    });
  }
  if (svg.length > 0) {
    const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="${gridW}" height="${gridH}">${svg.join('')}</svg>`;
    layers.push({ input: Buffer.from(doc), left: 0, top: 0 });
  }
  const [r, g, b] = GRID_BACKGROUND;
  const out = await sharp({ create: { width: gridW, height: gridH, channels: 3, background: { r, g, b } } })
    .composite(layers)
    .png()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Converts a `[N, H, W, C]` (or `[H, W, C]`) image tensor, values in [-1, 1], into grid images. Disposes nothing. */
export async function imagesFromTensor(t: tf.Tensor): Promise<GridImage[]> {
  const shape = t.rank === 3 ? [1, ...t.shape] : t.shape;
  check(shape.length === 4 && (shape[3] === 1 || shape[3] === 3), `imagesFromTensor: expected [N,H,W,1|3], got [${t.shape.join(',')}]`);
  const [n, height, width, c] = shape;
  const all = (await t.data()) as Float32Array;
  const size = height * width * c;
  return Array.from({ length: n }, (_, i) => ({ data: all.slice(i * size, (i + 1) * size), width, height }));
}

function toBytes(img: GridImage, i: number): { bytes: Uint8Array; channels: 1 | 3 } {
  const px = img.width * img.height;
  check(Number.isInteger(img.width) && Number.isInteger(img.height) && px > 0, `imageGrid: image ${i} has bad size ${img.width}x${img.height}`);
  const channels = img.data.length === px * 3 ? 3 : img.data.length === px ? 1 : 0;
  if (channels === 0) {
    throw new GawwnError(`imageGrid: image ${i} has ${img.data.length} values, expected ${px * 3} (RGB) or ${px} (grey) for ${img.width}x${img.height}`);
  }
  if (img.data instanceof Uint8Array) return { bytes: img.data, channels };
  const bytes = new Uint8Array(img.data.length);
  // [-1, 1] → [0, 255], the inverse of the loader's x/127.5 − 1 (N: data loaders scale to tanh range).
  for (let k = 0; k < bytes.length; k++) bytes[k] = Math.max(0, Math.min(255, Math.round((img.data[k] + 1) * 127.5)));
  return { bytes, channels };
}

function boxSvg(b: NormBox, left: number, top: number, cw: number, ch: number, i: number): string {
  check([b.x, b.y, b.w, b.h].every(Number.isFinite) && b.w > 0 && b.h > 0, `imageGrid: box of image ${i} is invalid: ${JSON.stringify(b)}`);
  // Pixel edges, clipped to the cell; the stroke is drawn inside the box so it covers the box's own border pixels.
  const x0 = left + clamp(Math.round(b.x * cw), 0, cw);
  const y0 = top + clamp(Math.round(b.y * ch), 0, ch);
  const x1 = left + clamp(Math.round((b.x + b.w) * cw), 0, cw);
  const y1 = top + clamp(Math.round((b.y + b.h) * ch), 0, ch);
  const s = BOX_STROKE;
  if (x1 - x0 < s || y1 - y0 < s) return '';
  return `<rect x="${x0 + s / 2}" y="${y0 + s / 2}" width="${x1 - x0 - s}" height="${y1 - y0 - s}" fill="none" ` +
    `stroke="rgb(${BOX_COLOR.join(',')})" stroke-width="${s}" shape-rendering="crispEdges"/>`;
}

function keypointSvg(k: NormKeypoint, j: number, left: number, top: number, cw: number, ch: number, scale: number): string {
  if (!(k.v > 0) || !Number.isFinite(k.x) || !Number.isFinite(k.y)) return '';
  const cx = left + clamp(k.x, 0, 1) * cw;
  const cy = top + clamp(k.y, 0, 1) * ch;
  const r = Math.max(2, 1.5 * scale + 1);
  const color = KEYPOINT_COLORS[j % KEYPOINT_COLORS.length];
  const title = k.name ? `<title>${escapeXml(k.name)}${k.generated ? ' (generated)' : ''}</title>` : '';
  if (k.generated) {
    // Generated by Gk (paper §4.3): a dashed ring, so it reads differently from a given (conditioning) keypoint.
    return `<circle cx="${cx}" cy="${cy}" r="${r + 1}" fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="2,1.5">${title}</circle>`;
  }
  return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${color}" stroke="white" stroke-width="1">${title}</circle>`;
}

/** Greedy word wrap to at most `maxLines` lines of `maxChars`; the last line ends in '…' when text is cut. */
export function wrapText(text: string, maxChars: number, maxLines: number): string[] {
  const words = text.trim().split(/\s+/).filter((s) => s.length > 0);
  const lines: string[] = [];
  let cur = '';
  let k = 0;
  for (; k < words.length; k++) {
    const word = words[k].length > maxChars ? words[k].slice(0, maxChars - 1) + '…' : words[k];
    const next = cur ? `${cur} ${word}` : word;
    if (next.length <= maxChars) { cur = next; continue; }
    lines.push(cur);
    cur = word;
    if (lines.length === maxLines) break;
  }
  if (lines.length < maxLines && cur) { lines.push(cur); cur = ''; k = words.length; }
  if (k < words.length || cur) {
    const last = lines[maxLines - 1];
    lines[maxLines - 1] = (last.length + 1 > maxChars ? last.slice(0, maxChars - 1) : last) + '…';
  }
  return lines;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

// ---------------------------------------------------------------------------------------------------------
// Charts

/** A vega-lite v5 top-level spec (what the charts below return and `renderChartPng` takes). */
export type VegaLiteSpec = vl.TopLevelSpec;

/** One line of a JSON-lines training log: the step and numeric fields (losses, lr, …). */
export interface LossRecord {
  step: number;
  [key: string]: number;
}

export interface LossChartOptions {
  title?: string;
  width?: number;
  height?: number;
  /** At most this many points per series: longer logs are averaged in equal step buckets. Default 1000. */
  maxPoints?: number;
  /** Log-scale y axis. Default false. */
  logY?: boolean;
  /** Title of the y axis. Default 'loss'. */
  yTitle?: string;
}

/**
 * Reads a JSON-lines training log: one JSON object per line with a numeric `step` and loss fields. Numeric fields
 * are kept, `null` becomes NaN (JSON cannot hold NaN; the chart drops such points), other fields are ignored.
 * Blank lines are skipped. A bad line is a GawwnError naming the file and line.
 */
export function readLossLog(file: string): LossRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new GawwnError(`cannot read loss log: ${(e as Error).message}`, { file });
  }
  const out: LossRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new GawwnError(`not a JSON object: ${(e as Error).message}`, { file, line: i + 1 });
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new GawwnError('not a JSON object', { file, line: i + 1 });
    const o = obj as Record<string, unknown>;
    if (typeof o.step !== 'number' || !Number.isFinite(o.step)) throw new GawwnError(`missing numeric 'step' field`, { file, line: i + 1 });
    const rec: LossRecord = { step: o.step };
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number') rec[k] = v;
      else if (v === null) rec[k] = NaN;
    }
    out.push(rec);
  });
  return out;
}

/**
 * A vega-lite line chart of training losses against step, one coloured line per key.
 * @param keys which fields to plot; default: every numeric field except `step`, in first-seen order.
 */
export function lossChart(records: readonly LossRecord[], keys?: readonly string[], opts: LossChartOptions = {}): VegaLiteSpec {
  const ks = keys ?? [...new Set(records.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'step');
  check(ks.length > 0, 'lossChart: no series to plot');
  const maxPoints = opts.maxPoints ?? 1000;
  check(Number.isInteger(maxPoints) && maxPoints >= 2, `lossChart: maxPoints must be an integer >= 2, got ${maxPoints}`);
  const sorted = [...records].sort((a, b) => a.step - b.step);
  const values: { step: number; series: string; value: number }[] = [];
  for (const k of ks) {
    const pts = sorted.filter((r) => Number.isFinite(r[k])).map((r) => ({ step: r.step, value: r[k] }));
    for (const p of bucketMeans(pts, maxPoints)) values.push({ step: p.step, series: k, value: p.value });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'Training losses',
    width: opts.width ?? 480,
    height: opts.height ?? 240,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: opts.yTitle ?? 'loss', scale: opts.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, sort: [...ks] },
    },
  };
}

/** Averages consecutive points in equal-count buckets so a long log stays a readable (and small) chart. */
function bucketMeans(pts: { step: number; value: number }[], maxPoints: number): { step: number; value: number }[] {
  if (pts.length <= maxPoints) return pts;
  const out: { step: number; value: number }[] = [];
  for (let b = 0; b < maxPoints; b++) {
    const lo = Math.floor((b * pts.length) / maxPoints);
    const hi = Math.floor(((b + 1) * pts.length) / maxPoints);
    let s = 0;
    let v = 0;
    for (let i = lo; i < hi; i++) { s += pts[i].step; v += pts[i].value; }
    out.push({ step: s / (hi - lo), value: v / (hi - lo) });
  }
  return out;
}

/** One bar of a metric comparison (e.g. an Inception score per model, paper §5.4). */
export interface MetricRow {
  /** Bar label on the x axis (e.g. the model: 'GAWWN', 'GAN-INT-CLS'). */
  label: string;
  value: number;
  /** Optional ± error (e.g. a standard deviation over splits), drawn as a whisker. */
  error?: number;
  /** Optional group: bars with the same label are placed side by side, coloured by group. */
  group?: string;
}

/** A vega-lite bar chart comparing metric values, with optional error whiskers and groups. */
export function metricBars(rows: readonly MetricRow[], opts: { title?: string; metric?: string; width?: number; height?: number } = {}): VegaLiteSpec {
  check(rows.length > 0, 'metricBars: no rows');
  for (const r of rows) check(Number.isFinite(r.value), `metricBars: value of '${r.label}' is not a finite number: ${r.value}`);
  const grouped = rows.some((r) => r.group !== undefined);
  const values = rows.map((r) => ({
    label: r.label, value: r.value, group: r.group ?? '',
    lo: r.value - (r.error ?? 0), hi: r.value + (r.error ?? 0), hasError: r.error !== undefined,
  }));
  const metric = opts.metric ?? 'value';
  const x = { field: 'label', type: 'nominal' as const, title: null, sort: null, axis: { labelAngle: 0 } };
  const xOffset = grouped ? { xOffset: { field: 'group', type: 'nominal' as const } } : {};
  // Built as plain objects; the whole spec is checked by vega-lite's compiler when rendered.
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'bar' },
      encoding: {
        x, ...xOffset,
        y: { field: 'value', type: 'quantitative', title: metric },
        ...(grouped ? { color: { field: 'group', type: 'nominal', title: null } } : {}),
        tooltip: [{ field: 'label' }, { field: 'value', type: 'quantitative', format: '.4g' }],
      },
    },
  ];
  if (rows.some((r) => r.error !== undefined)) {
    layers.push({
      transform: [{ filter: 'datum.hasError' }],
      mark: { type: 'rule', color: 'black' },
      encoding: { x, ...xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? metric,
    // A band width per label that fits its group's bars side by side.
    width: opts.width ?? { step: grouped ? 24 * new Set(rows.map((r) => r.group)).size + 16 : 56 },
    height: opts.height ?? 220,
    data: { values },
    layer: layers,
  } as unknown as VegaLiteSpec;
}

/** Renders a vega-lite spec headless to an SVG string (vega's `renderer: 'none'` view; no canvas, no browser). */
export async function renderChartSvg(spec: VegaLiteSpec, scale = 1): Promise<string> {
  let compiled: vega.Spec;
  try {
    compiled = vl.compile(spec).spec;
  } catch (e) {
    throw new GawwnError(`invalid vega-lite spec: ${(e as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG(scale);
  } finally {
    view.finalize();
  }
}

/** Renders a vega-lite spec to PNG bytes: vega → SVG → @resvg/resvg-js, text in DejaVu Sans (notebook-tooling §3c). */
export async function renderChartPng(spec: VegaLiteSpec, opts: { scale?: number } = {}): Promise<Uint8Array> {
  const svg = await renderChartSvg(spec, opts.scale ?? 2);
  const png = new Resvg(svg, {
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

// ---------------------------------------------------------------------------------------------------------
// Tables

/** What `tableHtml` needs from an arquero table (arquero 8 is ESM; the structural type avoids importing it). */
export interface HtmlTable {
  toHTML(options?: { limit?: number; null?: (v: null | undefined) => string }): string;
  numRows(): number;
}

/** An arquero table as an HTML fragment, with an optional caption and a row-count note when truncated. */
export function tableHtml(table: HtmlTable, opts: { caption?: string; limit?: number } = {}): string {
  const limit = opts.limit ?? 100;
  const n = table.numRows();
  const caption = opts.caption ? `<div style="font-weight:bold;margin:4px 0">${escapeXml(opts.caption)}</div>` : '';
  const more = n > limit ? `<div style="color:#666;font-size:smaller">${limit} of ${n} rows shown</div>` : '';
  return `<div class="gawwn-table">${caption}${table.toHTML({ limit })}${more}</div>`;
}
