/**
 * Test fixture: a tiny synthetic "attribute birds" set. A class is a (body colour, wing colour) pair; an
 * image is a smooth background with a body ellipse and a wing ellipse at a random place and size; captions
 * name both colours in varied CUB-like sentences (see `makeFixture` for how held-out captions differ).
 * Used in memory (SjeDataSource) and written to disk as a
 * CUB-style directory (images.txt, image_class_labels.txt, train_test_split.txt, images/, text_c10/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/util/rng.js';
import type { SjeDataSource } from '../../src/text/train-sje.js';

export const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 30, 30], blue: [30, 60, 220], green: [30, 170, 50], yellow: [240, 220, 30],
  black: [20, 20, 20], white: [250, 250, 250], orange: [250, 140, 20], purple: [140, 40, 170],
};

export interface FixtureItem { imageId: number; classId: number; split: 'train' | 'test'; captions: string[]; pixels: Uint8Array; size: number }

/** Caption slots: every caption is a template filled with random words, so captions rarely repeat. */
interface Slots { size: string; body: string; wing: string; extra: string }
const SIZE = ['', 'small ', 'tiny ', 'medium sized ', 'large ', 'little '];
const BODY = ['body', 'belly', 'breast', 'chest'];
const WING = ['wings', 'wing feathers', 'wingbars', 'secondaries', 'coverts'];
const EXTRA = ['', ' and a short beak', ' and a long tail', ' with a pointed bill', ' and black eyes', ' with thin legs', ' and a curved beak'];

type Template = (b: string, w: string, s: Slots) => string;
const TEMPLATES: Template[] = [
  (b, w, s) => `this ${s.size}bird has a ${b} ${s.body} and ${w} ${s.wing}${s.extra}`,
  (b, w, s) => `a ${s.size}bird with ${w} ${s.wing} and a ${b} ${s.body}${s.extra}`,
  (b, w, s) => `the bird is mostly ${b} with ${w} ${s.wing}${s.extra}`,
  (b, w, s) => `this ${s.size}${b} bird has ${w} ${s.wing}${s.extra}`,
  (b, w, s) => `a bird with a ${b} ${s.body}, ${b} crown and ${w} ${s.wing}${s.extra}`,
  (b, w, s) => `${w} ${s.wing}, a ${b} ${s.body}${s.extra}`,
  (b, w, s) => `this is a ${s.size}${b} bird with ${w} ${s.wing}${s.extra}`,
  (b, w, s) => `the ${s.body} of this bird is ${b} and the ${s.wing} are ${w}`,
  (b, w, s) => `${s.size}${b} bird, its ${s.wing} are ${w}${s.extra}`,
  (b, w, s) => `a ${b} and ${w} bird: ${b} ${s.body}, ${w} ${s.wing}${s.extra}`,
];

/** Sentence shapes never used for training images (the `novelSentenceShapes` option). */
const HELD_OUT_TEMPLATES: Template[] = [
  (b, w) => `this particular bird shows ${w} on the wings and ${b} everywhere else`,
  (b, w) => `a ${b} colored bird whose wings are mostly ${w}`,
  (b, w) => `bird with ${b} plumage on its body, ${w} flight feathers`,
  (b, w) => `look at this ${b} bird, it has ${w} primaries and a small head`,
];

/** Classes = the first `numClasses` (body, wing) pairs of distinct colours in a seeded order. */
export function fixtureClasses(numClasses: number, seed: number): [string, string][] {
  const names = Object.keys(COLOURS);
  const pairs: [string, string][] = [];
  for (const b of names) for (const w of names) if (b !== w) pairs.push([b, w]);
  return new Rng(seed).shuffle(pairs).slice(0, numClasses);
}

function drawBird(rng: Rng, size: number, body: [number, number, number], wing: [number, number, number]): Uint8Array {
  const px = new Uint8Array(size * size * 3);
  const bg0 = [rng.int(120, 200), rng.int(140, 210), rng.int(150, 220)];
  const bg1 = [rng.int(120, 200), rng.int(140, 210), rng.int(150, 220)];
  const r = rng.uniform(0.18, 0.32) * size;
  const cx = rng.uniform(r, size - r), cy = rng.uniform(r, size - r);
  const wx = cx + rng.uniform(-0.3, 0.3) * r, wy = cy + rng.uniform(-0.3, 0.1) * r;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = y / (size - 1);
      let c = bg0.map((v, k) => v * (1 - t) + bg1[k] * t);
      if (((x - cx) / r) ** 2 + ((y - cy) / (0.7 * r)) ** 2 <= 1) c = body;
      if (((x - wx) / (0.6 * r)) ** 2 + ((y - wy) / (0.35 * r)) ** 2 <= 1) c = wing;
      for (let k = 0; k < 3; k++) px[(y * size + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(c[k] + rng.normal(0, 6))));
    }
  }
  return px;
}

/**
 * Items: `perClass` images per class, the last `testPerClass` of each class in the test split. Every image
 * gets 10 captions (each template once, random slot words); a test caption is redrawn until it differs from
 * every training caption, so held-out captions are strings never seen in training. With
 * `novelSentenceShapes`, test images instead get 4 captions from 4 sentence shapes never used in training.
 */
export function makeFixture(opts: { numClasses: number; perClass: number; testPerClass: number; size: number; seed: number; novelSentenceShapes?: boolean }): FixtureItem[] {
  const rng = new Rng(opts.seed);
  const classes = fixtureClasses(opts.numClasses, opts.seed);
  const items: FixtureItem[] = [];
  const names: [string, string][] = [];
  let id = 1;
  classes.forEach(([b, w], ci) => {
    for (let k = 0; k < opts.perClass; k++) {
      const split = k >= opts.perClass - opts.testPerClass ? 'test' : 'train';
      items.push({ imageId: id++, classId: ci + 1, split, captions: [], pixels: drawBird(rng, opts.size, COLOURS[b], COLOURS[w]), size: opts.size });
      names.push([b, w]);
    }
  });
  const slots = (): Slots => ({ size: rng.pick(SIZE), body: rng.pick(BODY), wing: rng.pick(WING), extra: rng.pick(EXTRA) });
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (it.split !== 'train') return;
    it.captions = rng.shuffle(TEMPLATES).map((f) => f(names[i][0], names[i][1], slots()));
    it.captions.forEach((c) => seen.add(c));
  });
  items.forEach((it, i) => {
    if (it.split !== 'test') return;
    if (opts.novelSentenceShapes) {
      it.captions = rng.shuffle(HELD_OUT_TEMPLATES).map((f) => f(names[i][0], names[i][1], slots()));
      return;
    }
    it.captions = rng.shuffle(TEMPLATES).map((f) => {
      for (let tries = 0; tries < 50; tries++) {
        const c = f(names[i][0], names[i][1], slots());
        if (!seen.has(c)) return c;
      }
      throw new Error('fixture: could not draw an unseen caption');
    });
  });
  return items;
}

/** In-memory data source over fixture items of one split (images are already `size`×`size`). */
export function fixtureSource(items: readonly FixtureItem[]): SjeDataSource<FixtureItem> {
  const byClass = new Map<number, FixtureItem[]>();
  for (const it of items) {
    if (!byClass.has(it.classId)) byClass.set(it.classId, []);
    byClass.get(it.classId)!.push(it);
  }
  return {
    classes: [...byClass.keys()],
    itemsOfClass: (c) => byClass.get(c) ?? [],
    captions: (it) => it.captions,
    image: async (it, size) => {
      if (size !== it.size) throw new Error(`fixture images are ${it.size}px, asked ${size}`);
      return Float32Array.from(it.pixels, (v) => v / 127.5 - 1);
    },
  };
}

/** Writes the items as a CUB-style directory with text_c10 captions (PNG images). */
export async function writeFixtureDir(dir: string, items: readonly FixtureItem[]): Promise<void> {
  const images: string[] = [], labels: string[] = [], split: string[] = [];
  for (const it of items) {
    const cls = `${String(it.classId).padStart(3, '0')}.Synthetic_${it.classId}`;
    const base = `Synthetic_${it.classId}_${it.imageId}`;
    fs.mkdirSync(path.join(dir, 'images', cls), { recursive: true });
    fs.mkdirSync(path.join(dir, 'text_c10', cls), { recursive: true });
    await sharp(Buffer.from(it.pixels), { raw: { width: it.size, height: it.size, channels: 3 } }).png().toFile(path.join(dir, 'images', cls, base + '.png'));
    fs.writeFileSync(path.join(dir, 'text_c10', cls, base + '.txt'), it.captions.join('\n') + '\n');
    images.push(`${it.imageId} ${cls}/${base}.png`);
    labels.push(`${it.imageId} ${it.classId}`);
    split.push(`${it.imageId} ${it.split === 'train' ? 1 : 0}`);
  }
  fs.writeFileSync(path.join(dir, 'images.txt'), images.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'image_class_labels.txt'), labels.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'train_test_split.txt'), split.join('\n') + '\n');
}
