/**
 * Synthetic people written as an MPII-style root: `mpii_dataset.csv` with the columns of the MPII CSV,
 * `images/`, the MHP-style `captions.tsv` ("a person in a red shirt and blue trousers, skiing"), label
 * masks and `attributes.json`. Each figure is drawn from a REAL MPII pose (data/fixtures/mpii-poses.json)
 * with its real activity; clothing colours come from the caption vocabulary. Deterministic per seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../util/rng.js';
import { formatCaptionTable } from './captions.js';
import { mpiiPoses, type MpiiPose } from './fixtures.js';
import { MPII_CSV } from './mpii.js';
import { Canvas, COLOUR_NAMES, type Rgb } from './raster.js';
import { beginOutput, checkSynthOptions, finishOutput, jitter, paintBackground, pool, writeImageAndMask, type SynthOptions, type SynthReport } from './synth-common.js';
import { MPII_JOINT_NAMES } from './types.js';

export const PERSON_REGIONS: Readonly<Record<number, string>> = Object.freeze({ 1: 'shirt', 2: 'trousers', 3: 'skin', 4: 'hair', 5: 'shoes' });
const SKIN: Rgb[] = [[241, 194, 160], [224, 172, 130], [198, 134, 96], [141, 85, 54], [96, 60, 40]];
const HAIR: Rgb[] = [[30, 25, 20], [90, 60, 30], [200, 170, 90], [150, 150, 150]];

export interface PersonColours {
  shirt: string;
  trousers: string;
}

/** The activity as caption words: the MPII activity before its first comma ("skiing, downhill" -> "skiing"). */
export function activityWords(activity: string): string {
  return activity.split(',')[0].trim().toLowerCase();
}

const TEMPLATES: ((c: PersonColours, a: string) => string)[] = [
  (c, a) => `a person in a ${c.shirt} shirt and ${c.trousers} trousers, ${a}`,
  (c, a) => `someone wearing a ${c.shirt} shirt and ${c.trousers} trousers, ${a}`,
  (c, a) => `a person ${a} in ${c.trousers} trousers and a ${c.shirt} shirt`,
  (c, a) => `a ${c.shirt} shirt and ${c.trousers} trousers on a person, ${a}`,
  (c, a) => `this person wears ${c.trousers} trousers and a ${c.shirt} shirt, ${a}`,
];

/** Five captions naming the drawn clothing colours and the real activity. */
export function personCaptions(c: PersonColours, activity: string, rng: Rng): string[] {
  return rng.shuffle(TEMPLATES).map((t) => t(c, activityWords(activity)));
}

export interface DrawnPerson {
  canvas: Canvas;
  /** 16 MPII joints in pixels (all visible). */
  joints: [number, number][];
  /** MPII scale = person size / 200 px. */
  scale: number;
}

/** Draws one figure from a real MPII pose (limbs as capsules, torso polygon, head circle). */
export function drawPerson(pose: MpiiPose, colours: PersonColours, rng: Rng, sizeRange: [number, number]): DrawnPerson {
  const W = rng.int(sizeRange[0], sizeRange[1]);
  const H = rng.int(sizeRange[0], sizeRange[1]);
  const cv = new Canvas(W, H);
  paintBackground(cv, rng);
  const js = pose.joints;
  const headR = 0.5 * Math.hypot(js[9][0] - js[8][0], js[9][1] - js[8][1]);
  const margin = Math.max(headR, 0.06);
  const xs = js.map((p) => p[0]);
  const ys = js.map((p) => p[1]);
  const ex0 = Math.min(...xs) - margin;
  const ex1 = Math.max(...xs) + margin;
  const ey0 = Math.min(...ys) - margin;
  const ey1 = Math.max(...ys) + margin;
  // Pixels per pose unit (= scale·200): the figure's extent covers 30-90% of the limiting image side.
  const s = rng.uniform(0.3, 0.9) * Math.min(W / (ex1 - ex0), H / (ey1 - ey0));
  const ox = rng.uniform(-ex0 * s, W - ex1 * s);
  const oy = rng.uniform(-ey0 * s, H - ey1 * s);
  const P = js.map((p) => [ox + p[0] * s, oy + p[1] * s] as [number, number]);
  const shirt = jitter(colours.shirt, rng);
  const trousers = jitter(colours.trousers, rng);
  const skin = rng.pick(SKIN);
  const hair = rng.pick(HAIR);
  const shoes = jitter(rng.pick(['black', 'brown', 'white', 'grey']), rng);
  const limb = Math.max(2, 0.045 * s);
  const seg = (a: number, b: number, r: number, c: Rgb, l: number): void => cv.capsule(P[a][0], P[a][1], P[b][0], P[b][1], r, c, l);
  // Legs (trousers), shoes.
  seg(2, 1, limb * 1.2, trousers, 2);
  seg(1, 0, limb, trousers, 2);
  seg(3, 4, limb * 1.2, trousers, 2);
  seg(4, 5, limb, trousers, 2);
  seg(2, 3, limb * 1.2, trousers, 2);
  for (const k of [0, 5]) cv.ellipse(P[k][0], P[k][1], limb * 1.2, limb * 1.2, 0, shoes, 5);
  // Torso (shirt): shoulders-hips quad plus a thick thorax-pelvis core.
  cv.polygon([P[12], P[13], P[3], P[2]], shirt, 1);
  cv.polygon([P[12], P[2], P[3], P[13]], shirt, 1);
  seg(7, 6, limb * 1.8, shirt, 1);
  seg(12, 2, limb * 1.2, shirt, 1);
  seg(13, 3, limb * 1.2, shirt, 1);
  // Neck and head.
  seg(7, 8, limb * 0.8, skin, 3);
  const hc: [number, number] = [(P[8][0] + P[9][0]) / 2, (P[8][1] + P[9][1]) / 2];
  const hr = Math.max(3, headR * s);
  cv.ellipse(hc[0], hc[1], hr, hr, 0, skin, 3);
  const up: [number, number] = [(P[9][0] - P[8][0]) / (2 * hr || 1), (P[9][1] - P[8][1]) / (2 * hr || 1)];
  cv.ellipse(hc[0] + up[0] * hr * 0.45, hc[1] + up[1] * hr * 0.45, hr * 0.95, hr * 0.6, Math.atan2(up[1], up[0]) + Math.PI / 2, hair, 4);
  // Arms: sleeves (shirt) then forearms and hands (skin).
  seg(12, 11, limb, shirt, 1);
  seg(13, 14, limb, shirt, 1);
  seg(11, 10, limb * 0.8, skin, 3);
  seg(14, 15, limb * 0.8, skin, 3);
  for (const k of [10, 15]) cv.ellipse(P[k][0], P[k][1], limb * 1.1, limb * 1.1, 0, skin, 3);
  const joints = P.map(([x, y]) => [Math.min(W - 0.5, Math.max(0, Math.round(x * 10) / 10)), Math.min(H - 0.5, Math.max(0, Math.round(y * 10) / 10))] as [number, number]);
  return { canvas: cv, joints, scale: s / 200 };
}

function csvField(s: string): string {
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The MPII CSV header (as /work/shared/data/mpii/mpii_dataset.csv). */
export const MPII_CSV_HEADER = ['', 'NAME', ...MPII_JOINT_NAMES.flatMap((j) => [`${j}_X`, `${j}_Y`]), 'Scale', 'Activity', 'Category'].join(',');

/** Writes `images` synthetic people as an MPII-style root at `out` (see data/README.md). */
export async function synthPeople(o: SynthOptions): Promise<SynthReport> {
  checkSynthOptions(o);
  const t0 = Date.now();
  const N = o.images;
  const rng = new Rng(o.seed);
  const poses = mpiiPoses();
  const sizeRange: [number, number] = [o.minSize ?? 200, o.maxSize ?? 500];
  const plan = Array.from({ length: N }, (_, i) => {
    const r = rng.fork();
    const pose = poses[Math.floor(r.next() * poses.length)];
    const colours: PersonColours = { shirt: r.pick(COLOUR_NAMES), trousers: r.pick(COLOUR_NAMES) };
    return { name: `${String(i + 1).padStart(9, '0')}.jpg`, pose, colours, rng: r };
  });
  const tmp = beginOutput(o.out);
  try {
    const rows: string[] = new Array(N);
    const caps: [string, string[]][] = new Array(N);
    await pool(
      N,
      o.concurrency ?? 4,
      async (i) => {
        const p = plan[i];
        const d = drawPerson(p.pose, p.colours, p.rng, sizeRange);
        caps[i] = [p.name, personCaptions(p.colours, p.pose.activity, p.rng)];
        rows[i] = ['0', p.name, ...d.joints.flatMap(([x, y]) => [String(x), String(y)]), String(d.scale), csvField(p.pose.activity), csvField(p.pose.category)].join(',');
        await writeImageAndMask(d.canvas, path.join(tmp, 'images', p.name), path.join(tmp, 'masks', p.name.replace(/\.jpg$/, '.png')), o.quality ?? 90);
      },
      (d) => o.onProgress?.(d, N),
    );
    fs.writeFileSync(path.join(tmp, MPII_CSV), MPII_CSV_HEADER + '\n' + rows.join('\n') + '\n');
    fs.writeFileSync(path.join(tmp, 'captions.tsv'), formatCaptionTable(caps));
    fs.writeFileSync(path.join(tmp, 'attributes.json'), JSON.stringify({
      generator: 'gawwn data synth-people',
      seed: o.seed,
      regions: PERSON_REGIONS,
      images: plan.map((p) => ({ imageName: p.name, colours: p.colours, activity: p.pose.activity, poseFromRow: p.pose.row })),
    }, null, 1));
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  finishOutput(tmp, o.out);
  const seconds = (Date.now() - t0) / 1000;
  return { out: path.resolve(o.out), images: N, seconds, imagesPerSecond: N / seconds };
}
