/**
 * A tiny software rasteriser for the synthetic datasets: filled ellipses, convex polygons and capsules on an
 * RGB buffer with a parallel label buffer (the foreground mask, one region id per pixel). No anti-aliasing:
 * the JPEG encoder softens edges, and exact labels make the mask ground truth.
 */

export type Rgb = readonly [number, number, number];

export class Canvas {
  readonly rgb: Uint8Array;
  readonly label: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.rgb = new Uint8Array(width * height * 3);
    this.label = new Uint8Array(width * height);
  }

  /** Smooth background: a linear gradient c0 -> c1 along angle `theta` plus a soft low-frequency texture. */
  background(c0: Rgb, c1: Rgb, theta: number, texture: { amp: number; fx: number; fy: number; phase: number }): void {
    const { width: W, height: H, rgb } = this;
    const dx = Math.cos(theta);
    const dy = Math.sin(theta);
    const span = Math.abs(dx) * W + Math.abs(dy) * H;
    const o = Math.min(0, dx * W) + Math.min(0, dy * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const t = (x * dx + y * dy - o) / span;
        const n = texture.amp * Math.sin(texture.fx * x + texture.phase) * Math.sin(texture.fy * y + 0.7 * texture.phase);
        const i = (y * W + x) * 3;
        rgb[i] = clampByte(c0[0] + (c1[0] - c0[0]) * t + n);
        rgb[i + 1] = clampByte(c0[1] + (c1[1] - c0[1]) * t + n);
        rgb[i + 2] = clampByte(c0[2] + (c1[2] - c0[2]) * t + n);
      }
    }
  }

  private put(x: number, y: number, c: Rgb, label: number): void {
    const p = y * this.width + x;
    this.rgb[p * 3] = c[0];
    this.rgb[p * 3 + 1] = c[1];
    this.rgb[p * 3 + 2] = c[2];
    this.label[p] = label;
  }

  /** Rotated ellipse, centre (cx, cy), semi-axes a (along theta) and b; `within` limits it to some labels. */
  ellipse(cx: number, cy: number, a: number, b: number, theta: number, c: Rgb, label: number, within?: ReadonlySet<number>): void {
    const r = Math.max(a, b);
    const x0 = Math.max(0, Math.floor(cx - r));
    const x1 = Math.min(this.width - 1, Math.ceil(cx + r));
    const y0 = Math.max(0, Math.floor(cy - r));
    const y1 = Math.min(this.height - 1, Math.ceil(cy + r));
    const ct = Math.cos(theta);
    const st = Math.sin(theta);
    const ia = 1 / (a * a);
    const ib = 1 / (b * b);
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        const u = dx * ct + dy * st;
        const v = -dx * st + dy * ct;
        if (u * u * ia + v * v * ib <= 1 && (!within || within.has(this.label[y * this.width + x]))) this.put(x, y, c, label);
      }
    }
  }

  /** Convex polygon (vertices in either winding). */
  polygon(pts: readonly (readonly [number, number])[], c: Rgb, label: number): void {
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const x0 = Math.max(0, Math.floor(Math.min(...xs)));
    const x1 = Math.min(this.width - 1, Math.ceil(Math.max(...xs)));
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(...ys)));
    const n = pts.length;
    let area = 0;
    for (let i = 0; i < n; i++) {
      const [ax, ay] = pts[i];
      const [bx, by] = pts[(i + 1) % n];
      area += ax * by - bx * ay;
    }
    const sgn = area >= 0 ? 1 : -1;
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        let inside = true;
        for (let i = 0; i < n && inside; i++) {
          const [ax, ay] = pts[i];
          const [bx, by] = pts[(i + 1) % n];
          if (sgn * ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) < 0) inside = false;
        }
        if (inside) this.put(x, y, c, label);
      }
    }
  }

  /** Thick segment with round caps (limbs, legs). */
  capsule(ax: number, ay: number, bx: number, by: number, r: number, c: Rgb, label: number): void {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
    const x1 = Math.min(this.width - 1, Math.ceil(Math.max(ax, bx) + r));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(ay, by) + r));
    const vx = bx - ax;
    const vy = by - ay;
    const vv = vx * vx + vy * vy || 1;
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5 - ay;
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5 - ax;
        const t = Math.min(1, Math.max(0, (px * vx + py * vy) / vv));
        const ex = px - t * vx;
        const ey = py - t * vy;
        if (ex * ex + ey * ey <= r * r) this.put(x, y, c, label);
      }
    }
  }

  /** Tight box of the foreground (label > 0) as {x, y, w, h} in pixels, or null when empty. */
  foregroundBox(): { x: number; y: number; w: number; h: number } | null {
    let x0 = this.width;
    let y0 = this.height;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        if (this.label[y * this.width + x] > 0) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
  }
}

export function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** The colour vocabulary the synthetic captions name (11 words, well separated in RGB). */
export const COLOURS: Readonly<Record<string, Rgb>> = Object.freeze({
  red: [200, 30, 35],
  orange: [240, 130, 20],
  yellow: [240, 215, 40],
  green: [40, 150, 50],
  blue: [35, 70, 200],
  purple: [120, 45, 160],
  pink: [240, 130, 190],
  brown: [120, 75, 35],
  black: [20, 20, 20],
  white: [245, 245, 245],
  grey: [135, 135, 135],
});
export const COLOUR_NAMES: readonly string[] = Object.freeze(Object.keys(COLOURS));
