/**
 * Drag-to-image latency of the `gawwn draw` page (the 300 ms target): headless Chromium
 * (Debian `chromium`, driven by playwright-core) opens the page, types a caption, then drags the box (box
 * models) or a placed beak (keypoint models) N times; each drag's pointer move → its images decoded in the
 * page is read from the page's own clock (`window.__draw.latencies`, src/draw/static/app.js). The same
 * browser helpers drive the browser test (test/draw/server.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { writeFileAtomic } from '../util/atomic.js';
import { GawwnError } from '../util/errors.js';
import type { DrawServer } from '../draw/server.js';

/** Where Debian (and Ubuntu's older package) installs Chromium. */
export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium binary, or a GawwnError naming the Debian package to install. */
export function findChromium(candidates: readonly string[] = CHROMIUM_PATHS): string {
  const found = candidates.find((p) => fs.existsSync(p));
  if (found === undefined) {
    throw new GawwnError(`headless Chromium not found (looked for ${candidates.join(', ')}): install the Debian package 'chromium' (apt-get install chromium)`);
  }
  return found;
}

/** The page state hook (`window.__draw`), typed for page.evaluate callbacks (tsconfig has no DOM lib). */
export interface DrawHook {
  draws: number;
  busy: boolean;
  latencies: number[];
  lastError: string | null;
  condition(): PageCondition;
  layout(): { box?: { x: number; y: number; w: number; h: number }; keypoints?: { name: string; x: number; y: number }[] };
}

/** The condition of the page's last draw (src/draw/condition.ts `Condition`, as the page sees it). */
export interface PageCondition {
  caption: string;
  box?: { x: number; y: number; w: number; h: number };
  keypoints?: { name: string; x: number; y: number; v: number; generated: boolean }[][];
}

export interface DrawBrowser {
  page: Page;
  context: BrowserContext;
  /** Errors thrown in the page. */
  errors: string[];
  close(): Promise<void>;
}

/** Launches headless Chromium (fresh temp profile) on `url`. */
export async function openBrowser(url: string, opts: { chromium?: string; acceptDownloads?: boolean } = {}): Promise<DrawBrowser> {
  const executablePath = opts.chromium ?? findChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-chromium-'));
  let context: BrowserContext | undefined;
  const close = async (): Promise<void> => {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      acceptDownloads: opts.acceptDownloads ?? false,
      viewport: { width: 1280, height: 760 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    return { page, context, errors, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Waits until the page has finished a draw after `after` draws (nothing in flight); returns the draw count. */
export async function waitDraw(page: Page, after: number, timeout = 30_000): Promise<number> {
  await page.waitForFunction((n) => {
    const d = (globalThis as unknown as { __draw: DrawHook }).__draw;
    return d.draws > n && !d.busy;
  }, after, { timeout });
  return page.evaluate(() => (globalThis as unknown as { __draw: DrawHook }).__draw.draws);
}

/** Waits until no draw is in flight or pending. */
export async function waitIdle(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(() => !(globalThis as unknown as { __draw: DrawHook }).__draw.busy, undefined, { timeout });
}

export const drawCount = (page: Page): Promise<number> => page.evaluate(() => (globalThis as unknown as { __draw: DrawHook }).__draw.draws);
export const pageCondition = (page: Page): Promise<PageCondition> => page.evaluate(() => (globalThis as unknown as { __draw: DrawHook }).__draw.condition());
export const pageLatencies = (page: Page): Promise<number[]> => page.evaluate(() => (globalThis as unknown as { __draw: DrawHook }).__draw.latencies);
export const firstSrc = (page: Page): Promise<string> => page.locator('#samples img').first().getAttribute('src').then((s) => s ?? '');

/** The editor canvas: page position of its top-left corner and its side (the unit square). */
export async function editorRect(page: Page): Promise<{ x: number; y: number; S: number }> {
  const ed = await page.locator('#editor').boundingBox();
  if (ed === null) throw new GawwnError('the draw page has no visible editor canvas');
  return { x: ed.x, y: ed.y, S: ed.width };
}

/** Drags on the editor from → to (normalised [0,1] coordinates) in `steps` pointer moves. */
export async function dragOnEditor(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, steps = 1): Promise<void> {
  const ed = await editorRect(page);
  await page.mouse.move(ed.x + from.x * ed.S, ed.y + from.y * ed.S);
  await page.mouse.down();
  await page.mouse.move(ed.x + to.x * ed.S, ed.y + to.y * ed.S, { steps });
  await page.mouse.up();
}

/** Picks part `name` in the part list and clicks it onto the editor at (x, y). */
export async function placePart(page: Page, name: string, at: { x: number; y: number }): Promise<void> {
  const ed = await editorRect(page);
  await page.click(`button[data-part="${name}"]`);
  await page.mouse.click(ed.x + at.x * ed.S, ed.y + at.y * ed.S);
}

/** Selects a model in the page and waits for its first draw. */
export async function selectModel(page: Page, id: string): Promise<void> {
  // Selecting the model already shown fires no change event, hence no draw: only wait for the page to be idle.
  if ((await page.inputValue('#model')) === id) {
    await waitIdle(page);
    return;
  }
  const before = await drawCount(page);
  await page.selectOption('#model', id);
  await waitDraw(page, before);
}

/** Types a caption and waits for the draw it triggers. */
export async function typeCaption(page: Page, caption: string): Promise<void> {
  const before = await drawCount(page);
  await page.fill('#caption', caption);
  await waitDraw(page, before);
}

/**
 * One measured drag: press at `from`, one pointer move to `to`, wait for that move's draw to be shown, release.
 * Returns the page's pointer-move → images-decoded time of the move. The press (keypoint models redraw on it)
 * and the release each trigger their own draw, waited for but not measured, so no draw queues behind another.
 */
async function measuredDrag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<number> {
  const ed = await editorRect(page);
  await page.mouse.move(ed.x + from.x * ed.S, ed.y + from.y * ed.S);
  await page.mouse.down();
  await waitIdle(page);
  const before = (await pageLatencies(page)).length;
  await page.mouse.move(ed.x + to.x * ed.S, ed.y + to.y * ed.S, { steps: 1 });
  await page.waitForFunction((n) => {
    const d = (globalThis as unknown as { __draw: DrawHook }).__draw;
    return d.latencies.length > n && !d.busy;
  }, before, { timeout: 60_000 });
  const ms = (await pageLatencies(page))[before];
  await page.mouse.up();
  await waitIdle(page);
  return ms;
}

/** The part a keypoint benchmark drags (CUB's beak; else the model's first part). */
function benchPart(partNames: readonly string[]): string {
  return partNames.includes('beak') ? 'beak' : partNames[0];
}

export interface DrawBenchResult {
  model: string;
  family: string;
  draws: number;
  /** Images per draw. */
  n: number;
  median_ms: number;
  p90_ms: number;
  min_ms: number;
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function summarise(model: string, family: string, n: number, ms: number[]): DrawBenchResult {
  const s = [...ms].sort((a, b) => a - b);
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  return { model, family, draws: ms.length, n, median_ms: r1(quantile(s, 0.5)), p90_ms: r1(quantile(s, 0.9)), min_ms: r1(s[0]) };
}

export interface DrawBenchOptions {
  /** Measured drags per model (after one unmeasured warm-up drag). Default 20. */
  draws?: number;
  /** Images per draw (the page's "samples": 1, 2, 4 or 8). Default 4. */
  n?: number;
  caption?: string;
}

/**
 * Benchmarks every model the page serves, in an open page: types the caption, then per model N drags of the box
 * (alternating right-down / back) or of a placed beak (between two positions).
 */
export async function benchPage(page: Page, models: readonly { id: string; family: string; partNames: readonly string[] }[], opts: DrawBenchOptions = {}): Promise<DrawBenchResult[]> {
  const draws = opts.draws ?? 20;
  const n = opts.n ?? 4;
  if (!Number.isInteger(draws) || draws < 1) throw new GawwnError(`\`draws\` must be a positive integer, got ${draws}`, { options: ['draws'] });
  if (![1, 2, 4, 8].includes(n)) throw new GawwnError(`\`n\` must be one of the page's sample counts 1, 2, 4, 8; got ${n}`, { options: ['n'] });
  await waitIdle(page);
  if ((await page.inputValue('#n')) !== String(n)) {
    const before = await drawCount(page);
    await page.selectOption('#n', String(n));
    await waitDraw(page, before);
  }
  await typeCaption(page, opts.caption ?? 'a bird with a purple crown, blue wings and a white belly');
  const out: DrawBenchResult[] = [];
  for (const m of models) {
    await selectModel(page, m.id);
    const ms: number[] = [];
    if (m.family === 'bbox') {
      // Drag from the box centre by ±(0.1, 0.08): the box stays inside the image.
      for (let i = 0; i <= draws; i++) {
        const b = (await page.evaluate(() => (globalThis as unknown as { __draw: DrawHook }).__draw.layout())).box!;
        const c = { x: b.x + b.w / 2, y: b.y + b.h / 2 };
        const s = i % 2 === 0 ? 1 : -1;
        const t = await measuredDrag(page, c, { x: c.x + 0.1 * s, y: c.y + 0.08 * s });
        if (i > 0) ms.push(t);
      }
    } else {
      const part = benchPart(m.partNames);
      const a = { x: 0.3, y: 0.35 };
      const b = { x: 0.6, y: 0.4 };
      const before = await drawCount(page);
      await placePart(page, part, a);
      await waitDraw(page, before);
      for (let i = 0; i <= draws; i++) {
        const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
        const t = await measuredDrag(page, from, to);
        if (i > 0) ms.push(t);
      }
    }
    const err = await page.evaluate(() => (globalThis as unknown as { __draw: DrawHook }).__draw.lastError);
    if (err !== null) throw new GawwnError(`the draw page reported an error on ${m.id}: ${err}`);
    out.push(summarise(m.id, m.family, n, ms));
  }
  return out;
}

/** Opens headless Chromium on a running draw server, benchmarks its models, optionally saves a screenshot. */
export async function benchDraw(server: DrawServer, opts: DrawBenchOptions & { screenshot?: string; chromium?: string } = {}): Promise<DrawBenchResult[]> {
  const browser = await openBrowser(server.url, { chromium: opts.chromium });
  try {
    await waitDraw(browser.page, 0, 120_000);
    const results = await benchPage(browser.page, server.models.map((m) => ({ id: m.id, family: m.gen.family, partNames: m.gen.partNames })), opts);
    if (opts.screenshot !== undefined) {
      await writeFileAtomic(opts.screenshot, await browser.page.screenshot());
    }
    if (browser.errors.length > 0) throw new GawwnError(`the draw page threw: ${browser.errors.join('; ')}`);
    return results;
  } finally {
    await browser.close();
  }
}
