/**
 * `gawwn draw` server: one static page (src/draw/static, plain HTML/JS/CSS, no build step) and a
 * JSON API that samples through the same `Pipeline` as `gawwn sample` and the notebooks (keypoint completion
 * by Gk, §4.3). Inference runs here, not in the browser: with the models already loaded
 * server-side on the native/wasm backend a draw of 4 small-preset images takes tens of ms, under the
 * 300 ms drag-to-image target, without shipping weights to the page.
 *
 * Listens on 127.0.0.1 only and checks the Host header (a page on another origin cannot rebind to it).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { imageGrid, KEYPOINT_COLORS } from '../render/render.js';
import type { LoadedGenerator } from '../sampling/load.js';
import { Pipeline } from '../sampling/pipeline.js';
import type { Embedder, SampleResult } from '../sampling/sample.js';
import { GawwnError } from '../util/errors.js';
import {
  RequestError, makeCondition, parseInterpolateBody, parseSampleBody,
  type Condition, type Layout, type ModelInfo,
} from './condition.js';

/** Largest request body accepted (a full layout is well under 4 KB). */
const MAX_BODY = 64 * 1024;

export interface DrawServerOptions {
  /** Models to serve: run folders or `pretrained:NAME` (bbox or keypoint families). */
  runs: string[];
  /** Keypoint generator completing missing parts of every keypoint model (default: the shipped one, if any). */
  keypointGen?: string;
  /** Port; 0 = any free port. Default 0. */
  port?: number;
  /**
   * Folder holding models by name (as GAWWN_MODELS_DIR in the notebooks): `pretrained:NAME` specs, including the
   * text encoder a model records, are looked up there. The page and its saved conditions keep the specs as given.
   */
  modelsDir?: string;
}

export interface DrawModel {
  /** The id the page uses: the spec as given on the command line. */
  id: string;
  /** The model, its text encoder and embedding cache, and its keypoint generator. */
  pipeline: Pipeline;
  gen: LoadedGenerator;
  completer?: LoadedGenerator;
  completerSpec?: string;
  embed: Embedder;
}

export interface DrawTiming {
  embedMs: number;
  sampleMs: number;
  encodeMs: number;
  totalMs: number;
}

export interface DrawServer {
  url: string;
  /** The bound address (always 127.0.0.1) and port. */
  address: AddressInfo;
  models: DrawModel[];
  /** Draws computed so far and draws waiting (for tests and the bench). */
  stats(): { drawn: number; waiting: number };
  close(): Promise<void>;
}

/** Where the page's static files are (src/draw/static, from src/ or dist/src/). */
export function staticDir(): string {
  for (const d of [path.join(__dirname, 'static'), path.resolve(__dirname, '../../../src/draw/static')]) {
    if (fs.existsSync(path.join(d, 'index.html'))) return d;
  }
  throw new GawwnError('the draw page assets (src/draw/static/index.html) are missing from this install');
}

const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** The draw page's view of a pipeline (the spec as given is the id the page and its saved conditions use). */
function drawModel(id: string, p: Pipeline): DrawModel {
  return { id, pipeline: p, gen: p.generator, completer: p.completer, completerSpec: p.completerSpec, embed: (c) => p.embed(c) };
}

/** Loads the models `gawwn draw` serves (`pretrained:NAME` looked up in `modelsDir` when given). */
export async function loadDrawModels(runs: readonly string[], keypointGen?: string, modelsDir?: string): Promise<DrawModel[]> {
  if (runs.length === 0) throw new GawwnError('give at least one model to serve');
  const out: DrawModel[] = [];
  try {
    for (const id of runs) {
      const p = await Pipeline.load(id, { modelsDir, keypointGen });
      out.push(drawModel(id, p));
      if (p.family !== 'bbox' && p.family !== 'keypoint') throw new GawwnError(`gawwn draw serves box and keypoint models; ${id} is a ${p.family} model`);
    }
  } catch (e) {
    for (const m of out) m.pipeline.dispose();
    throw e;
  }
  return out;
}

function info(m: DrawModel): ModelInfo {
  return { family: m.gen.family, partNames: m.gen.partNames, completes: m.completer !== undefined };
}

/** PNG (base64) of each image, through the same renderer as `gawwn sample`. */
async function encode(r: SampleResult): Promise<string[]> {
  return Promise.all(r.images.map(async (im) => Buffer.from(await imageGrid([im], { gap: 0 })).toString('base64')));
}

/** Draws queued behind the running one before a request is turned away (503): a page sends one per edit. */
export const MAX_QUEUED_DRAWS = 8;

/** A draw refused because the queue is full: the client may retry. */
export class BusyError extends Error {}
/** A draw whose client went away before it ran: nobody would read its images. */
export class CancelledError extends Error {}

/**
 * Serialises inference (one draw at a time keeps latency predictable on 2 cores) with a bounded queue: beyond
 * `max` waiting draws a request is refused at once, and a draw whose request was closed is dropped when its turn
 * comes instead of being computed for nobody (30 abandoned n = 16 draws made the next real one wait 9 s).
 */
export function drawQueue(max = MAX_QUEUED_DRAWS): { run<T>(f: () => Promise<T>, signal: AbortSignal): Promise<T>; waiting(): number } {
  let tail: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  return {
    waiting: () => waiting,
    run<T>(f: () => Promise<T>, signal: AbortSignal): Promise<T> {
      if (waiting >= max) return Promise.reject(new BusyError(`the server is busy: ${waiting} draws are queued (limit ${max}); retry in a moment`));
      waiting++;
      // A closed request leaves the count at once, so abandoned draws do not take the places of live ones.
      let queued = true;
      const leave = (): void => {
        if (queued) waiting--;
        queued = false;
      };
      signal.addEventListener('abort', leave, { once: true });
      const start = (): Promise<T> => {
        leave();
        signal.removeEventListener('abort', leave);
        return signal.aborted ? Promise.reject(new CancelledError('request closed')) : f();
      };
      // One event-loop turn before starting: a close that arrived during the previous draw is seen first.
      const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
      const run = tail.then(turn, turn).then(start);
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

/** Handles one POST /api/sample body; exported for tests and the notebook. */
export async function drawSample(m: DrawModel, body: { caption: string; n: number; seed: number } & Layout): Promise<{ images: string[]; condition: Condition; timing: DrawTiming }> {
  const t0 = performance.now();
  await m.embed([body.caption]);
  const t1 = performance.now();
  const r = await m.pipeline.sample({ caption: body.caption, n: body.n, seed: body.seed, box: body.box, keypoints: body.keypoints });
  const t2 = performance.now();
  const images = await encode(r);
  const t3 = performance.now();
  const condition = makeCondition({ ...r.condition, run: m.id });
  return { images, condition, timing: { embedMs: t1 - t0, sampleMs: t2 - t1, encodeMs: t3 - t2, totalMs: t3 - t0 } };
}

/** An interpolation strip: the noise of sample `index` held fixed while the layout moves from → to. */
export async function drawInterpolate(m: DrawModel, body: { caption: string; n: number; seed: number; index: number; frames: number; from: Layout; to: Layout }, signal?: AbortSignal): Promise<{ images: string[]; layouts: Layout[]; keypoints?: Condition['keypoints'] }> {
  // A strip is several draws; the pipeline stops between frames once the client has gone.
  let r;
  try {
    r = await m.pipeline.interpolate({ ...body, signal });
  } catch (e) {
    if (signal?.aborted === true) throw new CancelledError('request closed');
    throw e;
  }
  const images = await Promise.all(r.images.map(async (im) => Buffer.from(await imageGrid([im], { gap: 0 })).toString('base64')));
  const keypoints = r.keypoints ? makeCondition({ run: m.id, family: m.gen.family, caption: body.caption, n: 1, seed: body.seed, size: 0, keypoints: r.keypoints }).keypoints : undefined;
  return { images, layouts: r.layouts, keypoints };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Keep draining an oversized body (so the 400 reaches the client) but stop storing it.
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => (size > MAX_BODY ? reject(new RequestError(`body larger than ${MAX_BODY} bytes`)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new RequestError('empty body: expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RequestError(`malformed JSON: ${(e as Error).message}`);
  }
}

/** Starts the server on 127.0.0.1 with already loaded models; `close()` stops it and disposes the models. */
export async function serveDraw(models: DrawModel[], port = 0): Promise<DrawServer> {
  const dir = staticDir();
  const byId = new Map(models.map((m) => [m.id, m]));
  const lookup = (id: string): ModelInfo | undefined => {
    const m = byId.get(id);
    return m ? info(m) : undefined;
  };
  const queue = drawQueue();
  let drawn = 0;
  const counted = <T>(f: () => Promise<T>) => async (): Promise<T> => {
    const r = await f();
    drawn++;
    return r;
  };
  let bound = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      // DNS-rebinding guard: only our own loopback origin may talk to us.
      const host = req.headers.host ?? '';
      if (host !== `127.0.0.1:${bound}` && host !== `localhost:${bound}`) return send(res, 403, { error: `forbidden host '${host}'` });
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${bound}`);
      if (req.method === 'GET' && STATIC[url.pathname]) {
        const f = path.join(dir, STATIC[url.pathname]);
        const data = fs.readFileSync(f);
        res.writeHead(200, { 'content-type': MIME[path.extname(f)], 'cache-control': 'no-store', 'content-length': data.length });
        return res.end(data);
      }
      if (req.method === 'GET' && url.pathname === '/api/models') {
        return send(res, 200, {
          models: models.map((m) => ({
            id: m.id, family: m.gen.family, partNames: m.gen.partNames, size: m.gen.config.model.imageSize,
            nz: m.gen.config.model.nz, keypointGen: m.completerSpec ?? null, steps: m.gen.steps,
          })),
          colors: KEYPOINT_COLORS,
        });
      }
      if (url.pathname === '/api/sample' || url.pathname === '/api/interpolate') {
        if (req.method !== 'POST') return send(res, 405, { error: `${url.pathname} takes POST` });
        const ct = req.headers['content-type'] ?? '';
        if (!/^application\/json\b/i.test(ct)) return send(res, 415, { error: `content-type must be application/json, got '${ct}'` });
        // Aborted when the client closes the connection before the answer is sent (a page superseding its draw).
        const abort = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) abort.abort();
        });
        try {
          const v = parseJson(await readBody(req));
          if (url.pathname === '/api/sample') {
            const body = parseSampleBody(v, lookup);
            const out = await queue.run(counted(() => drawSample(byId.get(body.model)!, body)), abort.signal);
            return send(res, 200, out);
          }
          const body = parseInterpolateBody(v, lookup);
          const out = await queue.run(counted(() => drawInterpolate(byId.get(body.model)!, body, abort.signal)), abort.signal);
          return send(res, 200, out);
        } catch (e) {
          if (e instanceof CancelledError) return res.destroy();
          if (e instanceof BusyError) {
            res.setHeader('retry-after', '1');
            return send(res, 503, { error: e.message });
          }
          if (e instanceof RequestError) return send(res, 400, { error: e.message });
          if (e instanceof GawwnError) return send(res, 422, { error: e.message });
          return send(res, 500, { error: e instanceof Error ? e.message : String(e) });
        }
      }
      return send(res, 404, { error: `no such path ${url.pathname}` });
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(e) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new GawwnError(`port ${port} on 127.0.0.1 is in use: pass another --port (0 = any free port)`) : e));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  bound = address.port;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    address,
    models,
    stats: () => ({ drawn, waiting: queue.waiting() }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const m of models) m.pipeline.dispose();
    },
  };
}

/** Loads the models and serves the page: `gawwn draw` and `openDraw` in a notebook. */
export async function startDrawServer(opts: DrawServerOptions): Promise<DrawServer> {
  const models = await loadDrawModels(opts.runs, opts.keypointGen, opts.modelsDir);
  try {
    return await serveDraw(models, opts.port ?? 0);
  } catch (e) {
    for (const m of models) m.pipeline.dispose();
    throw e;
  }
}
