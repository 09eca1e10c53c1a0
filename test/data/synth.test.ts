import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadCub } from '../../src/data/cub.js';
import { loadMpii } from '../../src/data/mpii.js';
import { decodeRgb } from '../../src/data/image.js';
import { COLOURS, COLOUR_NAMES } from '../../src/data/raster.js';
import { BIRD_ATTRIBUTES, BIRD_REGIONS, synthBirds } from '../../src/data/synth-birds.js';
import { captionColours } from '../../src/evaluation/metrics.js';
import { PERSON_REGIONS, synthPeople } from '../../src/data/synth-people.js';
import { cubBoxScale, cubLayouts, mpiiPoses } from '../../src/data/fixtures.js';
import { tmpDir } from './helpers.js';

const nearestColour = (rgb: number[]): string =>
  COLOUR_NAMES.reduce((best, n) => {
    const d = (c: readonly number[]): number => (c[0] - rgb[0]) ** 2 + (c[1] - rgb[1]) ** 2 + (c[2] - rgb[2]) ** 2;
    return d(COLOURS[n]) < d(COLOURS[best]) ? n : best;
  }, COLOUR_NAMES[0]);

/** Mean decoded colour per mask label (only labels with at least `min` pixels). */
async function regionMeans(jpg: string, png: string, min = 40): Promise<Map<number, number[]>> {
  const img = await decodeRgb(jpg);
  const { data: mask, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 1);
  assert.equal(info.width, img.width);
  const sums = new Map<number, number[]>();
  for (let i = 0; i < mask.length; i++) {
    const s = sums.get(mask[i]) ?? [0, 0, 0, 0];
    s[0] += img.data[i * 3];
    s[1] += img.data[i * 3 + 1];
    s[2] += img.data[i * 3 + 2];
    s[3]++;
    sums.set(mask[i], s);
  }
  const out = new Map<number, number[]>();
  for (const [k, s] of sums) if (k > 0 && s[3] >= min) out.set(k, [s[0] / s[3], s[1] / s[3], s[2] / s[3]]);
  return out;
}

function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

test('shipped real-layout fixtures: 1,500 CUB layouts (beak, tail visible), 1,000 full MPII poses', () => {
  const l = cubLayouts();
  assert.equal(l.length, 1500);
  assert.ok(l.every((x) => x.parts.length === 15 && x.parts[1] !== null && x.parts[13] !== null && x.aspect > 0));
  const p = mpiiPoses();
  assert.equal(p.length, 1000);
  assert.ok(p.every((x) => x.joints.length === 16 && x.activity.length > 0));
});

test('synthetic birds round-trip through the CUB loader; annotations inside; captions and pixels name the drawn colours', async () => {
  const out = path.join(tmpDir('sb'), 'birds');
  const rep = await synthBirds({ out, images: 20, seed: 5, classes: 4 });
  assert.equal(rep.images, 20);
  const d = await loadCub(out, { warn: (m) => assert.fail(`unexpected warning ${m}`) });
  assert.equal(d.records.length, 20);
  assert.equal(d.classNames.length, 4);
  assert.ok(d.records.some((r) => r.split === 'train') && d.records.some((r) => r.split === 'test'));
  const attrs = JSON.parse(fs.readFileSync(path.join(out, 'attributes.json'), 'utf8'));
  const frames = new Set<string>();
  let checkedRegions = 0;
  for (const r of d.records) {
    assert.ok(r.width >= 200 && r.width <= 500 && r.height >= 200 && r.height <= 500);
    const b = r.bbox;
    assert.ok(b.x >= 0 && b.y >= 0 && b.w > 0 && b.h > 0 && b.x + b.w <= r.width && b.y + b.h <= r.height, `box inside image ${JSON.stringify(b)}`);
    const frac = Math.max(b.w / r.width, b.h / r.height);
    assert.ok(frac > 0.1 && frac <= 1, `box fraction ${frac}`);
    for (const p of r.parts.filter((q) => q.visible)) assert.ok(p.x >= 0 && p.y >= 0 && p.x <= r.width && p.y <= r.height, `part ${p.name} inside`);
    // Beak and tail are in every layout (fixture filter); a bird drawn at CUB's scale may reach past the border.
    assert.ok(r.parts[1].visible || r.parts[13].visible, 'beak or tail visible');
    const a = attrs.images[r.imageId - 1];
    assert.equal(a.classId, r.classId);
    assert.equal(r.captions?.length, 10);
    for (const c of r.captions!) {
      // Every frame (attributive, predicative, "red crowned") is read back by the evaluator's caption parser.
      const named = captionColours(c, BIRD_ATTRIBUTES, COLOUR_NAMES);
      const parts = BIRD_ATTRIBUTES.filter((_, i) => named[i] >= 0);
      assert.ok(parts.length >= 2 && parts.length <= 4, `caption names 2–4 colours: ${c}`);
      for (const part of parts) assert.equal(COLOUR_NAMES[named[BIRD_ATTRIBUTES.indexOf(part)]], a.colours[part], `${c}: ${part}`);
      frames.add(c.replace(new RegExp(`\\b(${COLOUR_NAMES.join('|')}|${BIRD_ATTRIBUTES.join('|')}|crowned|winged|breasted|bellied|tailed|billed|legged|an?)\\b`, 'g'), '_'));
    }
    // Mean pixel colour of each large part region is nearest to the colour word in the attributes.
    const stem = path.relative(path.join(out, 'images'), r.path).replace(/\.jpg$/, '');
    const means = await regionMeans(r.path, path.join(out, 'masks', `${stem}.png`));
    for (const [label, rgb] of means) {
      const region = BIRD_REGIONS[label];
      if (region === 'eye' || region === 'beak' || region === 'legs') continue;
      assert.equal(nearestColour(rgb), a.colours[region], `image ${r.imageId} ${region} mean ${rgb.map(Math.round)}`);
      checkedRegions++;
    }
    // The box is the tight box of the mask.
    const { data: mask, info } = await sharp(path.join(out, 'masks', `${stem}.png`)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    let x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1;
    for (let i = 0; i < mask.length; i++) if (mask[i] > 0) { const x = i % info.width, y = Math.floor(i / info.width); x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    assert.deepEqual(b, { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 });
  }
  assert.ok(checkedRegions >= 60, `checked ${checkedRegions} regions`);
  assert.ok(frames.size >= 20, `caption word orders: ${frames.size}`);
});

test('synthetic birds are drawn at CUB-200-2011\'s scale: box area / image area follows the shipped CUB distribution', async () => {
  const cub = cubBoxScale().areaFractions;
  const q = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const out = path.join(tmpDir('scale'), 'birds');
  await synthBirds({ out, images: 120, seed: 21, classes: 4 });
  const d = await loadCub(out);
  const area = d.records.map((r) => (r.bbox.w * r.bbox.h) / (r.width * r.height)).sort((x, y) => x - y);
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  // CUB: mean 0.39, median 0.37, 10th–90th percentile 0.15–0.68 (data/README.md); 120 draws agree within sampling error.
  assert.ok(Math.abs(mean(area) - mean(cub)) < 0.05, `mean ${mean(area)} vs CUB ${mean(cub)}`);
  for (const p of [0.1, 0.5, 0.9]) assert.ok(Math.abs(q(area, p) - q(cub, p)) < 0.08, `p${p * 100}: ${q(area, p)} vs CUB ${q(cub, p)}`);
});

test('synthetic people round-trip through the MPII loader; joints inside; captions and pixels name the clothes', async () => {
  const out = path.join(tmpDir('sp'), 'people');
  await synthPeople({ out, images: 20, seed: 9 });
  const d = await loadMpii(out, { warn: (m) => assert.fail(`unexpected warning ${m}`) });
  assert.equal(d.records.length, 20);
  const attrs = JSON.parse(fs.readFileSync(path.join(out, 'attributes.json'), 'utf8'));
  let checked = 0;
  for (const [i, r] of d.records.entries()) {
    const a = attrs.images[i];
    assert.equal(r.imageName, a.imageName);
    assert.equal(r.activity, a.activity);
    assert.equal(r.parts.filter((p) => p.visible).length, 17);
    for (const p of r.parts) assert.ok(p.x >= 0 && p.y >= 0 && p.x <= r.width && p.y <= r.height, `${p.name} inside`);
    assert.ok(r.scale > 0);
    assert.equal(r.captions?.length, 5);
    for (const c of r.captions!) {
      assert.ok(c.includes(`${a.colours.shirt} shirt`) && c.includes(`${a.colours.trousers} trousers`), c);
      assert.ok(c.includes(a.activity.split(',')[0].toLowerCase()), c);
    }
    const means = await regionMeans(r.path, path.join(out, 'masks', r.imageName.replace(/\.jpg$/, '.png')), 60);
    for (const [label, rgb] of means) {
      const region = PERSON_REGIONS[label];
      if (region !== 'shirt' && region !== 'trousers') continue;
      assert.equal(nearestColour(rgb), a.colours[region], `${r.imageName} ${region}`);
      checked++;
    }
  }
  assert.ok(checked >= 30, `checked ${checked} regions`);
});

test('determinism: the same seed gives byte-identical datasets, another seed does not', async () => {
  const base = tmpDir('det');
  await synthBirds({ out: path.join(base, 'a'), images: 6, seed: 11 });
  await synthBirds({ out: path.join(base, 'b'), images: 6, seed: 11, concurrency: 1 });
  await synthBirds({ out: path.join(base, 'c'), images: 6, seed: 12 });
  const [a, b, c] = ['a', 'b', 'c'].map((x) => hashTree(path.join(base, x)));
  assert.ok(a.size > 20);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // classSeed: the classes of seed 11 with the images of seed 12; classSeed = seed changes nothing.
  await synthBirds({ out: path.join(base, 'd'), images: 6, seed: 12, classSeed: 11 });
  await synthBirds({ out: path.join(base, 'e'), images: 6, seed: 11, classSeed: 11, concurrency: 1 });
  assert.deepEqual(hashTree(path.join(base, 'e')), a);
  const cls = (x: string) => fs.readFileSync(path.join(base, x, 'classes.txt'), 'utf8');
  assert.equal(cls('d'), cls('a'));
  assert.notEqual(cls('c'), cls('a'));
  assert.notDeepEqual(hashTree(path.join(base, 'd')), a);
  await synthPeople({ out: path.join(base, 'p'), images: 5, seed: 3 });
  await synthPeople({ out: path.join(base, 'q'), images: 5, seed: 3, concurrency: 2 });
  assert.deepEqual(hashTree(path.join(base, 'p')), hashTree(path.join(base, 'q')));
});

test('synthesis refuses a non-empty output folder and bad counts, leaving nothing behind', async () => {
  const base = tmpDir('refuse');
  const out = path.join(base, 'x');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'keep.txt'), 'mine');
  await assert.rejects(synthBirds({ out, images: 2, seed: 0 }), /x: output folder exists and is not empty/);
  await assert.rejects(synthPeople({ out: path.join(base, 'y'), images: 0, seed: 0 }), /`images` must be a positive integer, got 0/);
  await assert.rejects(synthBirds({ out: path.join(base, 'z'), images: NaN, seed: 0 }), /`images` must be a positive integer, got NaN/);
  await assert.rejects(synthBirds({ out: path.join(base, 'w'), images: 2, seed: 0, classSeed: 1.5 }), /`classSeed` must be an integer, got 1.5/);
  assert.deepEqual(fs.readdirSync(base), ['x']);
  assert.deepEqual(fs.readdirSync(out), ['keep.txt']);
});
