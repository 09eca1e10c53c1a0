/**
 * The draw page's wire format: strict validation of the JSON posted to `/api/sample` and
 * `/api/interpolate`, and the *condition* JSON — the same fields `gawwn sample --json` prints — that the page
 * saves and that `gawwn sample --condition FILE.json` or `conditionToRequest` + `sampleImages` replay.
 * Coordinates are normalised to [0,1] (x right, y down, box = top-left + size), as in src/sampling/sample.ts.
 */
import * as fs from 'node:fs';
import type { Box } from '../layers/geometry.js';
import type { NormKeypoint } from '../render/render.js';
import { layoutPath, type GivenPart, type Layout } from '../sampling/interpolate.js';
import { partsToMap, type SampleRequest } from '../sampling/sample.js';

export { layoutPath, partsToMap };
export type { GivenPart, Layout };
import { GawwnError } from '../util/errors.js';

/** Bad request JSON: the server answers 400 with `message` as the reason. */
export class RequestError extends Error {}

/** Largest n the page may ask for at once (latency budget). */
export const MAX_N = 16;
/** Longest caption accepted (the text encoder reads at most a few hundred characters). */
export const MAX_CAPTION = 500;
/** Most frames of an interpolation strip. */
export const MAX_FRAMES = 16;


export interface SampleBody {
  model: string;
  caption: string;
  n: number;
  seed: number;
  box?: Box;
  keypoints?: GivenPart[];
}


export interface InterpolateBody {
  model: string;
  caption: string;
  /** Noise seed; the strip uses the noise of sample `index` of an n-sample draw with that seed. */
  seed: number;
  n: number;
  index: number;
  frames: number;
  from: Layout;
  to: Layout;
}

/** The condition JSON (fields of `gawwn sample --json`, plus `keypointGen` when parts were completed). */
export interface Condition {
  run: string;
  family: string;
  caption: string;
  n: number;
  seed: number;
  size?: number;
  box?: Box;
  /** Per sample, the K parts used; given ones have `generated: false` and v = 1. */
  keypoints?: { name?: string; x: number; y: number; v: number; generated?: boolean }[][];
  keypointGen?: string;
  out?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Obj, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new RequestError(`${what}: unknown field '${k}' (allowed: ${allowed.join(', ')})`);
}

function unit(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new RequestError(`${what} must be a number in [0,1], got ${JSON.stringify(v)}`);
  return v;
}

function int(v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new RequestError(`${what} must be an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string') throw new RequestError(`${what} must be a string, got ${JSON.stringify(v)}`);
  if (v.trim() === '') throw new RequestError(`${what} must not be empty`);
  if (v.length > max) throw new RequestError(`${what} is longer than ${max} characters`);
  return v;
}

/** A box `{x,y,w,h}` inside the unit square with positive size. */
export function parseBoxJson(v: unknown, what = 'box'): Box {
  if (!isObj(v)) throw new RequestError(`${what} must be an object {x,y,w,h}`);
  onlyKeys(v, ['x', 'y', 'w', 'h'], what);
  const b = { x: unit(v.x, `${what}.x`), y: unit(v.y, `${what}.y`), w: unit(v.w, `${what}.w`), h: unit(v.h, `${what}.h`) };
  if (b.w <= 0 || b.h <= 0) throw new RequestError(`${what} width and height must be positive`);
  if (b.x + b.w > 1 + 1e-6 || b.y + b.h > 1 + 1e-6) throw new RequestError(`${what} must lie inside the image [0,1]²`);
  return b;
}

/** Given parts `[{name,x,y}]`: known names (of `partNames`), each at most once. */
export function parsePartsJson(v: unknown, partNames: readonly string[], what = 'keypoints'): GivenPart[] {
  if (!Array.isArray(v)) throw new RequestError(`${what} must be an array of {name,x,y}`);
  const seen = new Set<string>();
  return v.map((p, i) => {
    if (!isObj(p)) throw new RequestError(`${what}[${i}] must be an object {name,x,y}`);
    onlyKeys(p, ['name', 'x', 'y'], `${what}[${i}]`);
    if (typeof p.name !== 'string' || !partNames.includes(p.name)) throw new RequestError(`${what}[${i}].name must be one of the model's parts (${partNames.join(', ')}), got ${JSON.stringify(p.name)}`);
    if (seen.has(p.name)) throw new RequestError(`${what}: part '${p.name}' given twice`);
    seen.add(p.name);
    return { name: p.name, x: unit(p.x, `${what}[${i}].x`), y: unit(p.y, `${what}[${i}].y`) };
  });
}

/** What the server knows about a model, for validating a request against it. */
export interface ModelInfo {
  family: string;
  partNames: readonly string[];
  /** A keypoint generator is loaded to complete missing parts. */
  completes: boolean;
}

function parseLayout(o: Obj, m: ModelInfo, what: string, allowEmpty: boolean): Layout {
  const out: Layout = {};
  if (o.box !== undefined) {
    if (m.family !== 'bbox') throw new RequestError(`${what}box is for box models; this is a ${m.family} model`);
    out.box = parseBoxJson(o.box, `${what}box`);
  } else if (m.family === 'bbox' && !allowEmpty) throw new RequestError(`the box model needs ${what}box {x,y,w,h}`);
  if (o.keypoints !== undefined) {
    if (m.family !== 'keypoint') throw new RequestError(`${what}keypoints are for keypoint models; this is a ${m.family} model`);
    out.keypoints = parsePartsJson(o.keypoints, m.partNames, `${what}keypoints`);
  }
  if (m.family === 'keypoint' && !m.completes && (out.keypoints?.length ?? 0) === 0 && !allowEmpty) {
    throw new RequestError('this keypoint model has no keypoint generator loaded: give at least one part in keypoints');
  }
  return out;
}

/** Validates a POST /api/sample body; `model(id)` looks the model up (undefined: unknown). */
export function parseSampleBody(v: unknown, model: (id: string) => ModelInfo | undefined): SampleBody {
  if (!isObj(v)) throw new RequestError('body must be a JSON object');
  onlyKeys(v, ['model', 'caption', 'n', 'seed', 'box', 'keypoints'], 'body');
  const id = str(v.model, 'model', 200);
  const m = model(id);
  if (!m) throw new RequestError(`unknown model '${id}'`);
  const body: SampleBody = {
    model: id,
    caption: str(v.caption, 'caption', MAX_CAPTION),
    n: int(v.n, 1, MAX_N, 'n'),
    seed: int(v.seed, 0, 2 ** 31 - 1, 'seed'),
  };
  Object.assign(body, parseLayout(v, m, '', false));
  return body;
}

/** Validates a POST /api/interpolate body. */
export function parseInterpolateBody(v: unknown, model: (id: string) => ModelInfo | undefined): InterpolateBody {
  if (!isObj(v)) throw new RequestError('body must be a JSON object');
  onlyKeys(v, ['model', 'caption', 'n', 'seed', 'index', 'frames', 'from', 'to'], 'body');
  const id = str(v.model, 'model', 200);
  const m = model(id);
  if (!m) throw new RequestError(`unknown model '${id}'`);
  const n = int(v.n, 1, MAX_N, 'n');
  const layout = (x: unknown, what: string): Layout => {
    if (!isObj(x)) throw new RequestError(`${what} must be an object {box}|{keypoints}`);
    onlyKeys(x, ['box', 'keypoints'], what);
    return parseLayout(x, m, `${what}.`, false);
  };
  return {
    model: id,
    caption: str(v.caption, 'caption', MAX_CAPTION),
    n,
    seed: int(v.seed, 0, 2 ** 31 - 1, 'seed'),
    index: int(v.index ?? 0, 0, n - 1, 'index'),
    frames: int(v.frames, 2, MAX_FRAMES, 'frames'),
    from: layout(v.from, 'from'),
    to: layout(v.to, 'to'),
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The condition JSON of a draw (the fields `gawwn sample --json` prints). */
export function makeCondition(a: { run: string; family: string; caption: string; n: number; seed: number; size: number; box?: Box; keypoints?: NormKeypoint[][]; keypointGen?: string; out?: string }): Condition {
  const c: Condition = { run: a.run, family: a.family, caption: a.caption, n: a.n, seed: a.seed, size: a.size };
  if (a.box) c.box = a.box;
  if (a.keypoints) c.keypoints = a.keypoints.map((ks) => ks.map((k) => ({ name: k.name, x: round(k.x), y: round(k.y), v: k.v > 0.5 ? 1 : 0, generated: k.generated })));
  if (a.keypointGen !== undefined) c.keypointGen = a.keypointGen;
  if (a.out !== undefined) c.out = a.out;
  return c;
}

/** Checks a parsed condition JSON (from the page or `gawwn sample --json`); throws GawwnError naming `file`. */
export function parseCondition(v: unknown, file?: string): Condition {
  const fail = (msg: string): never => {
    throw new GawwnError(`condition: ${msg}`, { file });
  };
  if (!isObj(v)) return fail('must be a JSON object');
  try {
    onlyKeys(v, ['run', 'family', 'caption', 'n', 'seed', 'size', 'box', 'keypoints', 'keypointGen', 'out'], 'condition');
    const c: Condition = {
      run: str(v.run, 'run', 4096),
      family: str(v.family, 'family', 40),
      caption: str(v.caption, 'caption', 10_000),
      n: int(v.n, 1, 64, 'n'),
      seed: int(v.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'seed'),
    };
    if (v.size !== undefined) c.size = int(v.size, 1, 4096, 'size');
    if (v.box !== undefined && v.box !== null) c.box = parseBoxJson(v.box);
    if (v.keypointGen !== undefined) c.keypointGen = str(v.keypointGen, 'keypointGen', 4096);
    if (v.out !== undefined) c.out = str(v.out, 'out', 4096);
    if (v.keypoints !== undefined && v.keypoints !== null) {
      if (!Array.isArray(v.keypoints) || v.keypoints.length === 0 || !v.keypoints.every(Array.isArray)) throw new RequestError('keypoints must be a non-empty array (per sample) of arrays of {name,x,y,v,generated}');
      c.keypoints = (v.keypoints as unknown[][]).map((row, s) =>
        row.map((k, i) => {
          const what = `keypoints[${s}][${i}]`;
          if (!isObj(k)) throw new RequestError(`${what} must be an object`);
          onlyKeys(k, ['name', 'x', 'y', 'v', 'generated'], what);
          if (k.name !== undefined && typeof k.name !== 'string') throw new RequestError(`${what}.name must be a string`);
          if (k.v !== 0 && k.v !== 1) throw new RequestError(`${what}.v must be 0 or 1`);
          if (k.generated !== undefined && typeof k.generated !== 'boolean') throw new RequestError(`${what}.generated must be a boolean`);
          return { name: k.name as string | undefined, x: unit(k.x, `${what}.x`), y: unit(k.y, `${what}.y`), v: k.v, generated: k.generated as boolean | undefined };
        }),
      );
    }
    return c;
  } catch (e) {
    if (e instanceof RequestError) return fail(e.message);
    throw e;
  }
}

/** Reads and checks a condition JSON file. */
export function readCondition(file: string): Condition {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new GawwnError('cannot read the condition file', { file });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new GawwnError(`condition is not valid JSON: ${(e as Error).message}`, { file });
  }
  return parseCondition(v, file);
}

/**
 * The given parts of a condition: those of sample 0 that are visible and not filled in by the keypoint
 * generator (the same for every sample of a draw).
 */
export function givenParts(c: Condition, partNames: readonly string[]): Map<number, { x: number; y: number }> {
  const m = new Map<number, { x: number; y: number }>();
  (c.keypoints?.[0] ?? []).forEach((k, i) => {
    if (k.v !== 1 || k.generated === true) return;
    const idx = k.name !== undefined ? partNames.indexOf(k.name) : i;
    if (idx < 0) throw new GawwnError(`condition names part '${k.name}', not one of the model's parts (${partNames.join(', ')})`);
    m.set(idx, { x: k.x, y: k.y });
  });
  return m;
}

/** The `sampleImages` request that replays a condition (same caption, n, seed, box, given parts). */
export function conditionToRequest(c: Condition, partNames: readonly string[]): SampleRequest {
  const req: SampleRequest = { captions: [c.caption], n: c.n, seed: c.seed };
  if (c.box) req.box = c.box;
  if (c.keypoints) req.keypoints = givenParts(c, partNames);
  return req;
}
