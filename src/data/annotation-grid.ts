/**
 * A small PNG grid of images with their boxes and keypoints drawn (for data/README.md and quick checks of a
 * dataset); the display layer (src/display) makes the fancier notebook grids.
 */
import sharp from 'sharp';
import { decodeRgb } from './image.js';
import type { DatasetRecord } from './types.js';

const PART_COLOURS = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe', '#008080', '#e6beff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#000075'];

/** Renders `records` as a cols-wide grid of tile×tile cells (aspect kept, letterboxed) with boxes and points. */
export async function annotationGrid(records: readonly DatasetRecord[], opts: { cols?: number; tile?: number } = {}): Promise<Buffer> {
  const cols = opts.cols ?? 6;
  const tile = opts.tile ?? 160;
  const rows = Math.ceil(records.length / cols);
  const cells = await Promise.all(
    records.map(async (r, i) => {
      const img = await decodeRgb(r.path);
      const s = Math.min(tile / img.width, tile / img.height);
      const w = Math.round(img.width * s);
      const h = Math.round(img.height * s);
      const ox = Math.floor((tile - w) / 2);
      const oy = Math.floor((tile - h) / 2);
      const b = r.bbox;
      let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${tile}" height="${tile}">`;
      svg += `<rect x="${ox + b.x * s}" y="${oy + b.y * s}" width="${b.w * s}" height="${b.h * s}" fill="none" stroke="#00ff00" stroke-width="2"/>`;
      r.parts.forEach((p, k) => {
        if (p.visible) svg += `<circle cx="${ox + p.x * s}" cy="${oy + p.y * s}" r="3" fill="${PART_COLOURS[k % PART_COLOURS.length]}" stroke="black" stroke-width="0.8"/>`;
      });
      svg += '</svg>';
      const resized = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(w, h).png().toBuffer();
      const cell = await sharp({ create: { width: tile, height: tile, channels: 3, background: { r: 255, g: 255, b: 255 } } })
        .composite([{ input: resized, left: ox, top: oy }, { input: Buffer.from(svg), left: 0, top: 0 }])
        .png()
        .toBuffer();
      return { input: cell, left: (i % cols) * (tile + 2), top: Math.floor(i / cols) * (tile + 2) };
    }),
  );
  return sharp({ create: { width: cols * (tile + 2) - 2, height: rows * (tile + 2) - 2, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(cells)
    .png()
    .toBuffer();
}
