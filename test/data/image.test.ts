import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeResized, decodeRgb } from '../../src/data/image.js';
import { headerSize, imageSize } from '../../src/data/image-size.js';
import { preprocess } from '../../src/data/augment.js';
import type { CubRecord, MpiiRecord } from '../../src/data/types.js';
import { Rng } from '../../src/util/rng.js';
import { realCub, tmpDir, writeJpeg } from './helpers.js';

test('a greyscale JPEG decodes to 3 equal channels', async () => {
  const f = path.join(tmpDir('img'), 'grey.jpg');
  await writeJpeg(f, 40, 30, [200, 40, 40], true);
  assert.equal((await sharp(f).metadata()).channels, 1);
  const img = await decodeRgb(f);
  assert.equal(img.data.length, 40 * 30 * 3);
  const [r, g, b] = img.data.slice(0, 3);
  assert.equal(r, g);
  assert.equal(g, b);
  const small = await decodeResized(f, 16);
  assert.equal(small.data.length, 16 * 16 * 3);
});

test('a CMYK JPEG decodes to RGB', async () => {
  const f = path.join(tmpDir('img'), 'cmyk.jpg');
  await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 220, g: 30, b: 30 } } }).toColourspace('cmyk').jpeg().toFile(f);
  assert.equal((await sharp(f).metadata()).space, 'cmyk');
  const img = await decodeRgb(f);
  assert.equal(img.data.length, 20 * 20 * 3);
  assert.ok(img.data[0] > 150 && img.data[1] < 90 && img.data[2] < 90, `red after CMYK->RGB, got ${img.data.slice(0, 3)}`);
});

test('real CUB image 448 (greyscale) decodes to 3 channels', async (t) => {
  const f = path.join(realCub, 'images', '009.Brewer_Blackbird', 'Brewer_Blackbird_0028_2682.jpg');
  if (!fs.existsSync(f)) return t.skip('image 448 is a test-split image, not among the 300 shared images');
  const img = await decodeRgb(f);
  assert.equal(img.data.length, img.width * img.height * 3);
});

test('missing, garbage and truncated images are errors naming the file', async () => {
  const dir = tmpDir('imgbad');
  await assert.rejects(decodeRgb(path.join(dir, 'nope.jpg')), /nope\.jpg: missing image/);
  fs.writeFileSync(path.join(dir, 'garbage.jpg'), 'not a jpeg at all');
  await assert.rejects(decodeRgb(path.join(dir, 'garbage.jpg')), /garbage\.jpg: corrupt or unsupported image/);
  const good = path.join(dir, 'good.jpg');
  await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toFile(good);
  const bytes = fs.readFileSync(good);
  fs.writeFileSync(path.join(dir, 'cut.jpg'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  await assert.rejects(decodeResized(path.join(dir, 'cut.jpg'), 32), /cut\.jpg: corrupt or unsupported image/);
});

test('preprocess: pixels, box and keypoint stay aligned through resize, crop and flip', async () => {
  // 300x200 blue image with a red rectangle (60,40)-(180,120); box = the rectangle, beak at its centre.
  const dir = tmpDir('align');
  const f = path.join(dir, 'x.jpg');
  const W = 300, H = 200;
  const raw = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) raw.set(x >= 60 && x < 180 && y >= 40 && y < 120 ? [230, 20, 20] : [20, 20, 230], (y * W + x) * 3);
  await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 95 }).toFile(f);
  const parts = Array.from({ length: 15 }, (_, k) => ({ name: `p${k}`, x: 0, y: 0, visible: false }));
  parts[1] = { name: 'beak', x: 120, y: 80, visible: true };
  const rec: CubRecord = { imageId: 1, path: f, classId: 1, className: 'c', split: 'train', width: W, height: H, bbox: { x: 60, y: 40, w: 120, h: 80 }, parts };
  const seen = new Set<boolean>();
  for (let seed = 0; seed < 8; seed++) {
    const ex = await preprocess(rec, new Rng(seed));
    assert.equal(ex.image.length, 128 * 128 * 3);
    assert.ok(ex.image.every((v) => v >= -1 && v <= 1));
    const [bx, by, bw, bh] = ex.box;
    // Box is 120x80 px -> 60x60 at 150², so 60/128 wide and high (never clipped: it lies well inside).
    assert.ok(Math.abs(bw - 60 / 128) < 1e-6 && Math.abs(bh - 60 / 128) < 1e-6);
    const px = (u: number, v: number): number[] => {
      const i = (Math.floor(v * 128) * 128 + Math.floor(u * 128)) * 3;
      return [ex.image[i], ex.image[i + 2]];
    };
    const inside = px(bx + bw / 2, by + bh / 2);
    assert.ok(inside[0] > 0.5 && inside[1] < -0.5, `red inside the box, got ${inside}`);
    const outside = px(bx + bw + 4 / 128 < 1 ? bx + bw + 4 / 128 : bx - 4 / 128, by + bh / 2);
    assert.ok(outside[0] < -0.5 && outside[1] > 0.5, `blue outside the box, got ${outside}`);
    // Beak at the rectangle centre = box centre.
    assert.ok(Math.abs(ex.keypoints[3] - (bx + bw / 2)) < 1e-6 && Math.abs(ex.keypoints[4] - (by + bh / 2)) < 1e-6);
    assert.equal(ex.keypoints[5], 1);
    // The rectangle sits left of the centre (x 60..180 of 300), so a flipped crop puts it on the right.
    seen.add(bx + bw / 2 > 0.5);
  }
  assert.equal(seen.size, 2, 'both flipped and unflipped crops seen');
  await assert.rejects(preprocess({ ...rec, path: path.join(dir, 'gone.jpg'), width: 0, height: 0 }, new Rng(0)), /gone\.jpg: missing image/);
});

test('header sizes (JPEG SOF / PNG IHDR, read in JS) agree with sharp', async () => {
  const dir = tmpDir('hdr');
  const files: string[] = [];
  const mk = (name: string, w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 9, g: 99, b: 199 } } });
  await mk('a', 123, 45).jpeg().toFile(path.join(dir, 'a.jpg'));
  await mk('b', 77, 300).jpeg({ progressive: true }).toFile(path.join(dir, 'b.jpg'));
  await mk('c', 31, 17).toColourspace('cmyk').jpeg().toFile(path.join(dir, 'c.jpg'));
  await mk('d', 64, 65).png().toFile(path.join(dir, 'd.png'));
  await mk('e', 50, 40).webp().toFile(path.join(dir, 'e.webp')); // not JPEG/PNG: sharp fallback
  files.push(...['a.jpg', 'b.jpg', 'c.jpg', 'd.png', 'e.webp'].map((f) => path.join(dir, f)));
  const realDir = path.join(realCub, 'images', '001.Black_footed_Albatross');
  if (fs.existsSync(realDir)) files.push(...fs.readdirSync(realDir).map((f) => path.join(realDir, f)));
  for (const f of files) {
    const m = await sharp(f).metadata();
    assert.deepEqual(await imageSize(f), { width: m.width, height: m.height }, f);
  }
  assert.deepEqual(headerSize(fs.readFileSync(files[0])), { width: 123, height: 45 });
  assert.equal(headerSize(Buffer.from('not an image')), null);
  assert.equal(await imageSize(path.join(dir, 'none.jpg')), null);
});

test('MHP preprocess: person crop around objpos, resized to 140, centred 128 crop without augmentation', async () => {
  const dir = tmpDir('mhp');
  const f = path.join(dir, 'p.jpg');
  const W = 400, H = 300;
  const raw = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) raw.set(Math.abs(x - 200) < 12 && Math.abs(y - 150) < 12 ? [230, 20, 20] : [20, 20, 230], (y * W + x) * 3);
  await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 95 }).toFile(f);
  const parts = Array.from({ length: 17 }, (_, k) => ({ name: `j${k}`, x: 0, y: 0, visible: false }));
  parts[7] = { name: 'thorax', x: 200, y: 150, visible: true };
  parts[0] = { name: 'r ankle', x: 95, y: 45, visible: true }; // inside the region, outside the centred crop
  const rec: MpiiRecord = {
    imageId: 1, imageName: 'p.jpg', path: f, width: W, height: H, parts, scale: 1, objpos: { x: 200, y: 150 },
    activity: 'a', category: 'c', bbox: { x: 150, y: 100, w: 100, h: 100 },
  };
  // Region: side ceil(1·200·1.1) = 220 around (200,150) -> (90, 40, 220, 220); 140/220 px per px; offset (140-128)/2 = 6.
  const ex = await preprocess(rec, new Rng(0), { augment: false });
  const k = (x: number): number => ((x - 90) * 140) / 220 - 6;
  assert.ok(Math.abs(ex.keypoints[7 * 3] - k(200) / 128) < 1e-6 && Math.abs(ex.keypoints[7 * 3 + 1] - ((150 - 40) * 140 / 220 - 6) / 128) < 1e-6);
  assert.equal(ex.keypoints[7 * 3 + 2], 1);
  assert.equal(ex.keypoints[2], 0, 'ankle at (95,45) maps to (-2.8, -2.8): cropped out');
  const c = (64 * 128 + 64) * 3;
  assert.ok(ex.image[c] > 0.5 && ex.image[c + 2] < -0.5, 'red square at the crop centre');
  const e = (4 * 128 + 4) * 3;
  assert.ok(ex.image[e] < -0.5 && ex.image[e + 2] > 0.5, 'blue near the corner');
  close4(ex.box, [k(150) / 128, ((100 - 40) * 140 / 220 - 6) / 128, (100 * 140) / 220 / 128, (100 * 140) / 220 / 128]);
});

function close4(a: ArrayLike<number>, b: number[]): void {
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `box[${i}] ${a[i]} vs ${b[i]}`);
}
