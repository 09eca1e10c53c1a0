/**
 * Synthetic birds written as a CUB-200-2011 root (same files and columns) plus Reed-style `text_c10`
 * captions, a per-image label mask and `attributes.json` (exact ground truth for evaluation). Each bird is
 * drawn from a REAL CUB part layout (data/fixtures/cub-layouts.json), so box and keypoint statistics are
 * CUB's; its part colours come from the vocabulary the captions name; classes are colour combinations.
 * Deterministic per seed (per-image generators are forked in order before any parallel work).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../util/rng.js';
import { cubBoxScale, cubLayouts, type CubLayout } from './fixtures.js';
import { Canvas, COLOUR_NAMES, type Rgb } from './raster.js';
import { GawwnError } from '../util/errors.js';
import { beginOutput, checkSynthOptions, finishOutput, fmt, jitter, paintBackground, pool, writeImageAndMask, type SynthOptions, type SynthReport } from './synth-common.js';
import { CUB_PART_NAMES, type BBox, type Part } from './types.js';

/** Coloured attributes of a synthetic bird, in caption words. */
export const BIRD_ATTRIBUTES = ['crown', 'back', 'wings', 'breast', 'belly', 'tail', 'beak', 'legs'] as const;
export type BirdAttribute = (typeof BIRD_ATTRIBUTES)[number];
export type BirdColours = Record<BirdAttribute, string>;

/** Mask labels (pixel values of masks/*.png). */
export const BIRD_REGIONS: Readonly<Record<number, BirdAttribute | 'eye'>> = Object.freeze({
  1: 'back', 2: 'breast', 3: 'belly', 4: 'wings', 5: 'crown', 6: 'tail', 7: 'beak', 8: 'eye', 9: 'legs',
});
const L = { back: 1, breast: 2, belly: 3, wings: 4, crown: 5, tail: 6, beak: 7, eye: 8, legs: 9 } as const;
const BEAK_COLOURS = ['black', 'grey', 'orange', 'yellow', 'brown', 'pink'];
const LEG_COLOURS = ['black', 'grey', 'orange', 'brown', 'pink'];

export interface SynthBirdsOptions extends SynthOptions {
  /** Number of classes (colour combinations). Default min(200, max(2, round(images / 30))). */
  classes?: number;
  /** Fraction of images in the training split. Default 0.5 (CUB: 5,994 of 11,788). */
  trainFraction?: number;
  /**
   * Seed of the class colour combinations (default `seed`). Two roots with the same `classSeed` and `classes`
   * share their classes while their images differ: e.g. fresh held-out birds for models trained on another root
   * (the shipped bird models: classSeed 11, classes 200, data/pretrained/README.md).
   */
  classSeed?: number;
  /**
   * The last `testClasses` classes are held out entirely: all their images are in the test split (a zero-shot class
   * split like Reed et al.'s 150/50 on CUB), so a model trained on the training split never sees those colour
   * combinations. Default 0.
   */
  testClasses?: number;
}

/** Draws `n` distinct class colour combinations. */
export function makeBirdClasses(n: number, rng: Rng): BirdColours[] {
  const seen = new Set<string>();
  const out: BirdColours[] = [];
  while (out.length < n) {
    const c: BirdColours = {
      crown: rng.pick(COLOUR_NAMES),
      back: rng.pick(COLOUR_NAMES),
      wings: rng.pick(COLOUR_NAMES),
      breast: rng.pick(COLOUR_NAMES),
      belly: rng.pick(COLOUR_NAMES),
      tail: rng.pick(COLOUR_NAMES),
      beak: rng.pick(BEAK_COLOURS),
      legs: rng.pick(LEG_COLOURS),
    };
    const key = BIRD_ATTRIBUTES.map((a) => c[a]).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}

export function birdClassName(i: number, c: BirdColours): string {
  const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);
  return `${String(i + 1).padStart(3, '0')}.${cap(c.crown)}_crowned_${cap(c.wings)}_winged_${cap(c.belly)}_bellied`;
}

/** Parts named in the plural ("blue wings are", "black legs are"). */
const PLURAL_PARTS: ReadonlySet<BirdAttribute> = new Set(['wings', 'legs']);

/** "red crowned", "blue winged": the part as a compound adjective (the CUB class names use these). */
export const PART_ADJECTIVES: Readonly<Record<BirdAttribute, string>> = Object.freeze({
  crown: 'crowned', back: 'backed', wings: 'winged', breast: 'breasted', belly: 'bellied', tail: 'tailed', beak: 'beaked', legs: 'legged',
});

const article = (word: string): string => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** "a red crown" / "blue wings" / "an orange beak". */
function attributive(part: BirdAttribute, colour: string): string {
  return PLURAL_PARTS.has(part) ? `${colour} ${part}` : `${article(colour)} ${colour} ${part}`;
}

/** "its crown is red" / "its wings are blue" (`owner` "its" or "the"). */
function predicative(part: BirdAttribute, colour: string, owner: string): string {
  return `${owner} ${part} ${PLURAL_PARTS.has(part) ? 'are' : 'is'} ${colour}`;
}

/** "x", "x and y", "x, y and z". */
function listJoin(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Sentence frames over an ordered list of (part, colour) pairs. Word order, sentence shape and the form of each
 * phrase vary, so that telling one bird class from another (DS-SJE, paper §3) requires knowing which colour goes
 * with which part: with fixed templates an encoder can read colours off fixed positions and never bind them.
 */
const CAPTION_FRAMES: ((ps: readonly [BirdAttribute, string][], rng: Rng) => string)[] = [
  (ps) => `this bird has ${listJoin(ps.map(([p, c]) => attributive(p, c)))}`,
  (ps) => `a bird with ${listJoin(ps.map(([p, c]) => attributive(p, c)))}`,
  (ps, rng) => `this ${rng.pick(['small', 'little', 'medium sized'])} bird has ${listJoin(ps.map(([p, c]) => attributive(p, c)))}`,
  (ps) => `${listJoin(ps.map(([p, c]) => attributive(p, c)))} on this bird`,
  (ps) => `the bird's ${listJoin(ps.map(([p, c], i) => (i === 0 ? predicative(p, c, '').trim() : predicative(p, c, 'its'))))}`,
  (ps) => `this bird's ${listJoin(ps.map(([p, c], i) => (i === 0 ? predicative(p, c, '').trim() : predicative(p, c, 'its'))))}`,
  (ps) => `${listJoin(ps.map(([p, c]) => predicative(p, c, 'the')))}`,
  (ps) => `a bird whose ${listJoin(ps.map(([p, c], i) => (i === 0 ? predicative(p, c, '').trim() : predicative(p, c, 'whose'))))}`,
  ([first, ...rest]) => `this bird has ${attributive(first[0], first[1])}${rest.length ? ` with ${listJoin(rest.map(([p, c]) => attributive(p, c)))}` : ''}`,
  ([first, ...rest]) => `${article(first[1])} ${first[1]} ${PART_ADJECTIVES[first[0]]} bird${rest.length ? ` with ${listJoin(rest.map(([p, c]) => attributive(p, c)))}` : ''}`,
];

/** The caption of `pairs` in frame `f`. */
export function birdCaption(pairs: readonly [BirdAttribute, string][], frame: number, rng: Rng): string {
  return CAPTION_FRAMES[frame % CAPTION_FRAMES.length](pairs, rng);
}

/** Number of caption frames (for paraphrase sets). */
export const BIRD_CAPTION_FRAMES = CAPTION_FRAMES.length;

/**
 * Ten captions naming drawn colours, in the CUB style: each names 2–4 of the bird's parts, chosen and ordered at
 * random, in one of the frames above.
 */
export function birdCaptions(c: BirdColours, rng: Rng): string[] {
  return Array.from({ length: 10 }, () => {
    const n = rng.int(2, 4);
    const parts = rng.shuffle([...BIRD_ATTRIBUTES]).slice(0, n);
    const pairs = parts.map((p) => [p, c[p]] as [BirdAttribute, string]);
    return birdCaption(pairs, rng.int(0, CAPTION_FRAMES.length - 1), rng);
  });
}

type Pt = [number, number];
const sub = (a: Pt, b: Pt): Pt => [a[0] - b[0], a[1] - b[1]];
const add = (a: Pt, b: Pt): Pt => [a[0] + b[0], a[1] + b[1]];
const mul = (a: Pt, s: number): Pt => [a[0] * s, a[1] * s];
const len = (a: Pt): number => Math.hypot(a[0], a[1]);
const mean = (ps: Pt[]): Pt => mul(ps.reduce(add, [0, 0]), 1 / ps.length);

export interface DrawnBird {
  canvas: Canvas;
  parts: Part[];
  bbox: BBox;
}

/**
 * Draws one bird from a real CUB layout into a fresh canvas (shapes placed from the 15 keypoints), its tight
 * box covering `areaFraction` of the image (as far as the image can hold it). The target area comes from CUB's
 * own distribution (data/fixtures/cub-box-scale.json: mean 0.39, median 0.37, 10th–90th percentile 0.15–0.68
 * over the CUB images on disk): a GAN learns shapes last, and a bird that fills a tenth of a 128-px frame is a
 * few hundred pixels, while the paper's CUB birds (§5) fill a third of it. The drawn bird's tight box is not
 * the layout box (tail, beak and legs stick out, ellipses fall short), so the bird is drawn once, its box
 * measured, and drawn again with the layout box rescaled to hit the target; both passes use the same draws.
 */
export function drawBird(layout: CubLayout, colours: BirdColours, rng: Rng, sizeRange: [number, number], areaFraction: number): DrawnBird {
  // The image's aspect q = H/W such that a box of the layout's aspect r and area a fits, q in [a/r, 1/(a·r)]
  // (within what the size range allows), then the sides.
  const a = Math.min(0.95, Math.max(0.005, areaFraction));
  const r = layout.aspect;
  const [smin, smax] = sizeRange;
  const qLo = Math.max(a / r, smin / smax);
  const qHi = Math.min(1 / (a * r), smax / smin);
  const q = qLo <= qHi ? Math.exp(rng.uniform(Math.log(qLo), Math.log(qHi))) : qLo > 1 ? smax / smin : smin / smax;
  const wLo = Math.max(smin, smin / q);
  const wHi = Math.min(smax, smax / q);
  const W = Math.round(rng.uniform(wLo, Math.max(wLo, wHi)));
  const H = Math.min(smax, Math.max(smin, Math.round(q * W)));
  // Pass 1: the layout box at the target area, centred; its drawn tight box tells how the bird fills it.
  const draws = rng.fork();
  let bh = Math.sqrt((a * W * H) / r);
  let bw = r * bh;
  const fit = Math.min(1, W / bw, H / bh);
  bw *= fit;
  bh *= fit;
  const box1 = { bw, bh, bx: (W - bw) / 2, by: (H - bh) / 2 };
  const d1 = paintBird(layout, colours, new Rng(draws.state()), W, H, box1).bbox;
  // Pass 2: the layout box scaled by k so the drawn box has the target area (the layout box may extend past the
  // image where the bird does not), then placed at random where the drawn box lies inside the image.
  const k = Math.min(Math.sqrt((a * W * H) / (d1.w * d1.h)), W / d1.w, H / d1.h);
  const offX = k * (d1.x - box1.bx);
  const offY = k * (d1.y - box1.by);
  const bx = rng.uniform(-offX, Math.max(-offX, W - k * d1.w - offX));
  const by = rng.uniform(-offY, Math.max(-offY, H - k * d1.h - offY));
  return paintBird(layout, colours, new Rng(draws.state()), W, H, { bw: k * bw, bh: k * bh, bx, by });
}

function paintBird(layout: CubLayout, colours: BirdColours, rng: Rng, W: number, H: number, box: { bw: number; bh: number; bx: number; by: number }): DrawnBird {
  const cv = new Canvas(W, H);
  paintBackground(cv, rng);
  const { bw, bh, bx, by } = box;
  const pts: (Pt | null)[] = layout.parts.map((p) => (p ? [bx + Math.min(1, Math.max(0, p[0])) * bw, by + Math.min(1, Math.max(0, p[1])) * bh] : null));
  const vis = (ids: number[]): Pt[] => ids.map((i) => pts[i]).filter((p): p is Pt => p !== null);
  const col = (k: keyof BirdColours): Rgb => jitter(colours[k], rng);

  const beak = pts[1]!;
  const tail = pts[13]!;
  const headPts = vis([4, 5, 9, 6, 10]);
  const head = headPts.length ? mean(headPts) : beak;
  const bodyC = mean(vis([0, 2, 3]));
  const span = Math.max(len(sub(tail, head)), 0.35 * Math.min(bw, bh), 8);
  const rh = Math.max(3, 0.17 * span);
  // Body: an ellipse from the neck to the tail base, through the body centre.
  const neck = add(head, mul(sub(bodyC, head), 0.45));
  const tailBase = add(bodyC, mul(sub(tail, bodyC), 0.55));
  const centre = mean([neck, tailBase, bodyC]);
  const axis = sub(tailBase, neck);
  const theta = Math.atan2(axis[1], axis[0]);
  const major = Math.max(len(axis) / 2 + rh * 0.6, rh * 1.3);
  const minor = Math.max(0.5 * major, rh * 1.1);
  const dir: Pt = [Math.cos(theta), Math.sin(theta)];
  const perp: Pt = [-dir[1], dir[0]];

  // Legs under everything.
  for (const k of [7, 11]) {
    const p = pts[k];
    if (p) cv.capsule(centre[0], centre[1], p[0], p[1], Math.max(1.2, rh * 0.16), col('legs'), L.legs);
  }
  // Tail: a quad from the tail base to the tail point, widening.
  const tw = sub(tail, tailBase);
  const tperp: Pt = len(tw) > 0 ? mul([-tw[1] / len(tw), tw[0] / len(tw)], 1) : perp;
  cv.polygon(
    [add(tailBase, mul(tperp, minor * 0.45)), add(tail, mul(tperp, minor * 0.55)), add(tail, mul(tperp, -minor * 0.55)), add(tailBase, mul(tperp, -minor * 0.45))],
    col('tail'),
    L.tail,
  );
  cv.ellipse(centre[0], centre[1], major, minor, theta, col('back'), L.back);
  const inBody = new Set([L.back]);
  const breast = pts[3] ?? add(centre, mul(dir, -major * 0.45));
  cv.ellipse(breast[0], breast[1], major * 0.5, minor * 0.75, theta, col('breast'), L.breast, inBody);
  const belly = pts[2] ?? add(centre, mul(dir, major * 0.15));
  cv.ellipse(belly[0], belly[1], major * 0.45, minor * 0.7, theta, col('belly'), L.belly, new Set([L.back, L.breast]));
  for (const k of [8, 12]) {
    const p = pts[k];
    if (p) {
      const wc = add(p, mul(dir, major * 0.25));
      cv.ellipse(wc[0], wc[1], major * 0.6, minor * 0.42, theta, col('wings'), L.wings);
    }
  }
  cv.ellipse(head[0], head[1], rh, rh, 0, col('crown'), L.crown);
  const throat = pts[14];
  if (throat) cv.ellipse(throat[0], throat[1], rh * 0.45, rh * 0.35, theta, col('breast'), L.breast, new Set([L.crown]));
  // Beak: a triangle from the head edge to the beak point.
  const bd = sub(beak, head);
  const bl = len(bd) || 1;
  const bu: Pt = [bd[0] / bl, bd[1] / bl];
  const bp: Pt = [-bu[1], bu[0]];
  const root = add(head, mul(bu, Math.min(bl, rh) * 0.7));
  cv.polygon([add(root, mul(bp, rh * 0.38)), beak, add(root, mul(bp, -rh * 0.38))], col('beak'), L.beak);
  for (const k of [6, 10]) {
    const p = pts[k];
    if (p) {
      cv.ellipse(p[0], p[1], Math.max(1.5, rh * 0.26), Math.max(1.5, rh * 0.26), 0, [240, 240, 240], L.eye);
      cv.ellipse(p[0], p[1], Math.max(1, rh * 0.15), Math.max(1, rh * 0.15), 0, [10, 10, 10], L.eye);
    }
  }
  const parts: Part[] = CUB_PART_NAMES.map((name, k) => {
    const p = pts[k];
    return p ? { name, x: Math.round(p[0] * 10) / 10, y: Math.round(p[1] * 10) / 10, visible: true } : { name, x: 0, y: 0, visible: false };
  });
  // Keep annotations inside the image (CUB coordinates are pixels, x <= width): a point a little past the border
  // is moved onto it; one that the image cut off (the layout box may extend past the image where the bird does
  // not) is invisible, as CUB marks parts it cannot see.
  for (const p of parts) {
    if (!p.visible) continue;
    if (p.x < -1 || p.y < -1 || p.x > W + 1 || p.y > H + 1) Object.assign(p, { x: 0, y: 0, visible: false });
    else {
      p.x = Math.min(W - 0.5, Math.max(0, p.x));
      p.y = Math.min(H - 0.5, Math.max(0, p.y));
    }
  }
  const bbox = cv.foregroundBox()!;
  return { canvas: cv, parts, bbox };
}

/** Writes `images` synthetic birds as a CUB-200-2011 root at `out` (see data/README.md). */
export async function synthBirds(o: SynthBirdsOptions): Promise<SynthReport> {
  checkSynthOptions(o);
  if (o.classSeed !== undefined && !Number.isInteger(o.classSeed)) throw new GawwnError(`\`classSeed\` must be an integer, got ${o.classSeed}`, { options: ['classSeed'] });
  const t0 = Date.now();
  const N = o.images;
  const rng = new Rng(o.seed);
  const nClasses = o.classes ?? Math.min(200, Math.max(2, Math.round(N / 30)));
  const classRng = rng.fork(); // always drawn, so `classSeed` changes nothing else of the stream
  const classes = makeBirdClasses(nClasses, o.classSeed === undefined ? classRng : new Rng(o.classSeed).fork());
  const classNames = classes.map((c, i) => birdClassName(i, c));
  const testClasses = o.testClasses ?? 0;
  if (!Number.isInteger(testClasses) || testClasses < 0 || testClasses >= nClasses) throw new GawwnError(`--test-classes must be an integer in 0..${nClasses - 1} (fewer than the ${nClasses} classes), got ${o.testClasses}`);
  const layouts = cubLayouts();
  const trainFraction = o.trainFraction ?? 0.5;
  const sizeRange: [number, number] = [o.minSize ?? 200, o.maxSize ?? 500];
  const areas = cubBoxScale().areaFractions;
  // Per-image plan, drawn sequentially (deterministic), rendered in parallel.
  const plan = Array.from({ length: N }, (_, i) => {
    const cls = Math.floor((i * nClasses) / N);
    const r = rng.fork();
    const layout = layouts[Math.floor(r.next() * layouts.length)];
    const area = areas[Math.floor(r.next() * areas.length)];
    const train = r.next() < trainFraction && cls < nClasses - testClasses;
    const name = `${classNames[cls]}/${classNames[cls].slice(4)}_${String(i + 1).padStart(5, '0')}_${layout.id}.jpg`;
    return { id: i + 1, cls, layout, area, train, name, rng: r };
  });
  const tmp = beginOutput(o.out);
  try {
    const results: { parts: Part[]; bbox: BBox; captions: string[] }[] = new Array(N);
    await pool(
      N,
      o.concurrency ?? 4,
      async (i) => {
        const p = plan[i];
        const drawn = drawBird(p.layout, classes[p.cls], p.rng, sizeRange, p.area);
        const captions = birdCaptions(classes[p.cls], p.rng);
        results[i] = { parts: drawn.parts, bbox: drawn.bbox, captions };
        const stem = p.name.replace(/\.jpg$/, '');
        fs.mkdirSync(path.join(tmp, 'text_c10', path.dirname(p.name)), { recursive: true });
        fs.writeFileSync(path.join(tmp, 'text_c10', `${stem}.txt`), captions.join('\n') + '\n');
        await writeImageAndMask(drawn.canvas, path.join(tmp, 'images', p.name), path.join(tmp, 'masks', `${stem}.png`), o.quality ?? 90);
      },
      (d) => o.onProgress?.(d, N),
    );
    const w = (f: string, s: string): void => fs.writeFileSync(path.join(tmp, f), s);
    w('images.txt', plan.map((p) => `${p.id} ${p.name}\n`).join(''));
    w('classes.txt', classNames.map((c, i) => `${i + 1} ${c}\n`).join(''));
    w('image_class_labels.txt', plan.map((p) => `${p.id} ${p.cls + 1}\n`).join(''));
    w('train_test_split.txt', plan.map((p) => `${p.id} ${p.train ? 1 : 0}\n`).join(''));
    w('bounding_boxes.txt', plan.map((p, i) => { const b = results[i].bbox; return `${p.id} ${fmt(b.x)} ${fmt(b.y)} ${fmt(b.w)} ${fmt(b.h)}\n`; }).join(''));
    fs.mkdirSync(path.join(tmp, 'parts'));
    w('parts/parts.txt', CUB_PART_NAMES.map((n, k) => `${k + 1} ${n}\n`).join(''));
    w('parts/part_locs.txt', plan.map((p, i) => results[i].parts.map((q, k) => `${p.id} ${k + 1} ${fmt(q.x)} ${fmt(q.y)} ${q.visible ? 1 : 0}\n`).join('')).join(''));
    w('attributes.json', JSON.stringify({
      generator: 'gawwn data synth-birds',
      seed: o.seed,
      ...(o.classSeed !== undefined && o.classSeed !== o.seed ? { classSeed: o.classSeed } : {}),
      ...(testClasses > 0 ? { testClasses: classNames.slice(nClasses - testClasses).map((_, k) => nClasses - testClasses + k + 1) } : {}),
      regions: BIRD_REGIONS,
      classes: classes.map((c, i) => ({ classId: i + 1, name: classNames[i], colours: c })),
      images: plan.map((p) => ({ imageId: p.id, classId: p.cls + 1, layoutFrom: p.layout.id, colours: classes[p.cls] })),
    }, null, 1));
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  finishOutput(tmp, o.out);
  const seconds = (Date.now() - t0) / 1000;
  return { out: path.resolve(o.out), images: N, seconds, imagesPerSecond: N / seconds };
}
