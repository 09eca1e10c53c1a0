import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { cropRect, datasetCaptionSource, loadImageBytes } from '../../src/text/dataset-source.js';
import type { CubRecord } from '../../src/data/types.js';

test('cropRect: the box plus 10% per side, clipped to the image, in whole pixels', () => {
  assert.deepEqual(cropRect({ x: 20, y: 10, w: 40, h: 20 }, 100, 50), { left: 16, top: 8, width: 48, height: 24 });
  // Clipped at the image border.
  assert.deepEqual(cropRect({ x: 0, y: 0, w: 100, h: 50 }, 100, 50), { left: 0, top: 0, width: 100, height: 50 });
  assert.deepEqual(cropRect({ x: 90, y: 40, w: 10, h: 10 }, 100, 50, 0), { left: 90, top: 40, width: 10, height: 10 });
});

test('box crop: the image side sees only the box (a blue bird right of a red field)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-crop-'));
  const file = path.join(dir, 'a.png');
  const W = 40;
  const H = 20;
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) px.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * W + x) * 3);
  await sharp(px, { raw: { width: W, height: H, channels: 3 } }).png().toFile(file);
  const full = await loadImageBytes(file, 8);
  const crop = await loadImageBytes(file, 8, cropRect({ x: 22, y: 2, w: 16, h: 16 }, W, H));
  assert.equal(full[0], 255); // top-left of the full frame is red
  assert.equal(full[(8 * 8 - 1) * 3 + 2], 255); // bottom-right is blue
  for (let i = 0; i < 64; i++) assert.deepEqual([...crop.subarray(i * 3, i * 3 + 3)], [0, 0, 255]);
  const rec: CubRecord = {
    imageId: 1, path: file, classId: 1, className: '001.A', split: 'train', width: W, height: H,
    bbox: { x: 22, y: 2, w: 16, h: 16 }, parts: [], captions: ['a blue bird'],
  };
  const src = datasetCaptionSource([rec], { crop: 'box' });
  const unit = await src.image(rec, 8);
  assert.deepEqual([...unit.subarray(0, 3)], [-1, -1, 1]);
  await assert.rejects(datasetCaptionSource([{ ...rec, width: 0 }], { crop: 'box' }).image({ ...rec, width: 0 }, 8), /image size is unknown/);
  assert.throws(() => datasetCaptionSource([rec], { crop: 'middle' as never }), /image crop must be 'full' or 'box', got 'middle'/);
});
