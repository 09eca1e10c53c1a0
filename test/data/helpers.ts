/**
 * Shared test fixtures for the data tests (no tests here): a tiny CUB root and MPII root written into a temp
 * folder with real JPEGs, and the location of the real data (../shared/data, or GAWWN_SHARED_DATA).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

export const projectRoot = path.resolve(__dirname, '../../..');
export const sharedData = process.env.GAWWN_SHARED_DATA ?? path.resolve(projectRoot, '../shared/data');
export const realCub = path.join(sharedData, 'cub', 'CUB_200_2011');
export const realMpii = path.join(sharedData, 'mpii');
export const hasReal = fs.existsSync(path.join(realCub, 'images.txt'));

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gawwn-${tag}-`));
}

/** A solid-colour JPEG of w×h, optionally greyscale. */
export async function writeJpeg(file: string, w: number, h: number, rgb: [number, number, number] = [200, 40, 40], grey = false): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let s = sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  if (grey) s = s.toColourspace('b-w');
  await s.jpeg({ quality: 95 }).toFile(file);
}

/**
 * A 3-image CUB root: images 300×200, boxes (10,20,100,80), parts 1 and 2 visible at (50+i, 60) and
 * (70, 40+i), the rest invisible; classes 1,1,2; split 1,0,1; optional text_c10 captions.
 */
export async function makeTinyCub(dir: string, opts: { captions?: boolean } = {}): Promise<void> {
  const names = ['001.A/A_1.jpg', '001.A/A_2.jpg', '002.B/B_3.jpg'];
  fs.mkdirSync(path.join(dir, 'parts'), { recursive: true });
  const w = (f: string, s: string): void => fs.writeFileSync(path.join(dir, f), s);
  w('images.txt', names.map((n, i) => `${i + 1} ${n}\n`).join(''));
  w('classes.txt', '1 001.A\n2 002.B\n');
  w('image_class_labels.txt', '1 1\n2 1\n3 2\n');
  w('train_test_split.txt', '1 1\n2 0\n3 1\n');
  w('bounding_boxes.txt', [1, 2, 3].map((i) => `${i} 10.0 20.0 100.0 80.0\n`).join(''));
  const partNames = ['back', 'beak', 'belly', 'breast', 'crown', 'forehead', 'left eye', 'left leg', 'left wing', 'nape', 'right eye', 'right leg', 'right wing', 'tail', 'throat'];
  w('parts/parts.txt', partNames.map((n, k) => `${k + 1} ${n}\n`).join(''));
  let locs = '';
  for (let i = 1; i <= 3; i++) {
    for (let k = 1; k <= 15; k++) {
      locs += k === 1 ? `${i} ${k} ${50 + i}.0 60.0 1\n` : k === 2 ? `${i} ${k} 70.0 ${40 + i}.0 1\n` : `${i} ${k} 0.0 0.0 0\n`;
    }
  }
  w('parts/part_locs.txt', locs);
  for (const n of names) await writeJpeg(path.join(dir, 'images', n), 300, 200);
  if (opts.captions) {
    for (const n of names) {
      const f = path.join(dir, 'text_c10', n.replace(/\.jpg$/, '.txt'));
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, Array.from({ length: 10 }, (_, j) => `caption ${j + 1} of ${n}`).join('\n') + '\n');
    }
  }
}

export const MPII_HEADER =
  ',NAME,r ankle_X,r ankle_Y,r knee_X,r knee_Y,r hip_X,r hip_Y,l hip_X,l hip_Y,l knee_X,l knee_Y,l ankle_X,l ankle_Y,pelvis_X,pelvis_Y,thorax_X,thorax_Y,upper neck_X,upper neck_Y,head top_X,head top_Y,r wrist_X,r wrist_Y,r elbow_X,r elbow_Y,r shoulder_X,r shoulder_Y,l shoulder_X,l shoulder_Y,l elbow_X,l elbow_Y,l wrist_X,l wrist_Y,Scale,Activity,Category';

/** A joint row: joint k at (100 + 5k, 50 + 10k), optionally with some joints missing (-1). */
export function mpiiRow(name: string, missing: number[] = [], scale = 1.5, activity = '"skiing, downhill"'): string {
  const j = Array.from({ length: 16 }, (_, k) => (missing.includes(k) ? '-1,-1' : `${100 + 5 * k},${50 + 10 * k}`));
  return ['0', name, ...j, String(scale), activity, 'winter activities'].join(',');
}
