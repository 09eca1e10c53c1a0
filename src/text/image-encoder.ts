/**
 * Image side of DS-SJE training. DEVIATION: the original used fixed 1024-d GoogLeNet features of 10 crops
 * (C: `images/<class>.t7`, `image_noop=1`, gawwn-reference §7); those features and the GoogLeNet weights
 * are not available offline, so a small convolutional image encoder is trained jointly with the text encoder
 * on the dataset's own images (default 64×64 RGB in [-1, 1]).
 * Architecture: three non-overlapping "patch" convolutions (kernel = stride; 4, 2, 2 -> a 4×4 grid) with
 * ReLU, a global mean pool and a Linear to the embedding size. A kernel-equals-stride convolution is
 * space-to-depth + matmul, so it trains on every tfjs backend (tfjs 4.22 wasm lacks Conv2DBackpropFilter).
 * Layout NHWC.
 */
import * as tf from '@tensorflow/tfjs';
import { createParams } from './params.js';
import { Rng } from '../util/rng.js';
import { check } from '../util/errors.js';
import { linear } from './encoder.js';

export interface ImageEncoderConfig {
  /** Input side in pixels (square RGB). Default 64. Must be divisible by the product of `patches`. */
  imageSize: number;
  /** Kernel = stride of each patch convolution. Default [4, 2, 2] (64 -> 16 -> 8 -> 4). */
  patches: number[];
  /** Output channels of each patch convolution. Default [32, 64, 128]. */
  channels: number[];
  /** Embedding size; must equal the text encoder's embDim. Default 1024. */
  embDim: number;
}

export const IMAGE_ENCODER_DEFAULT: Readonly<ImageEncoderConfig> = Object.freeze({ imageSize: 64, patches: [4, 2, 2], channels: [32, 64, 128], embDim: 1024 });

export function validateImageEncoderConfig(cfg: ImageEncoderConfig): void {
  check(cfg.patches.length === cfg.channels.length && cfg.patches.length >= 1, 'image encoder: patches and channels must be non-empty lists of equal length');
  check([...cfg.patches, ...cfg.channels, cfg.imageSize, cfg.embDim].every((v) => Number.isInteger(v) && v > 0), 'image encoder: sizes must be positive integers');
  const f = cfg.patches.reduce((a, b) => a * b, 1);
  check(cfg.imageSize % f === 0, `image encoder: imageSize ${cfg.imageSize} is not divisible by the patch product ${f}`);
}

export function imageEncoderParamShapes(cfg: ImageEncoderConfig): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  let cin = 3;
  cfg.patches.forEach((p, i) => {
    shapes[`conv${i + 1}.w`] = [p * p * cin, cfg.channels[i]];
    shapes[`conv${i + 1}.b`] = [cfg.channels[i]];
    cin = cfg.channels[i];
  });
  shapes['out.w'] = [cin, cfg.embDim];
  shapes['out.b'] = [cfg.embDim];
  return shapes;
}

/** [B, H, W, C] -> [B, H/p, W/p, p·p·C], feature index = (row-in-patch·p + col-in-patch)·C + c. */
export function spaceToDepth(x: tf.Tensor4D, p: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  return x.reshape([B * (H / p), p, W / p, p * C]).transpose([0, 2, 1, 3]).reshape([B, H / p, W / p, p * p * C]);
}

/** Small trainable image encoder; owns its variables (call `dispose()`). */
export class PatchImageEncoder {
  readonly config: Readonly<ImageEncoderConfig>;
  readonly params: Readonly<Record<string, tf.Variable>>;

  /** Weights U(±√(6/fan_in)) (He, for the ReLU stack; the output Linear U(±1/√fan_in)), biases 0, from `rng`; or given values. */
  constructor(config: Readonly<ImageEncoderConfig>, init: Rng | Record<string, Float32Array>) {
    validateImageEncoderConfig(config);
    this.config = config;
    this.params = createParams(imageEncoderParamShapes(config), init, 'image_encoder', 'image encoder', (name, shape, n, rng) => {
      const values = new Float32Array(n);
      if (name.endsWith('.w')) {
        const r = name === 'out.w' ? 1 / Math.sqrt(shape[0]) : Math.sqrt(6 / shape[0]);
        for (let i = 0; i < n; i++) values[i] = rng.uniform(-r, r);
      }
      return values;
    });
  }

  variables(): tf.Variable[] {
    return Object.keys(this.params).sort().map((k) => this.params[k]);
  }

  /** images [B, S, S, 3] in [-1, 1] -> [B, embDim]. */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    const S = this.config.imageSize;
    check(images.rank === 4 && images.shape[1] === S && images.shape[2] === S && images.shape[3] === 3,
      `image encoder input must be [B, ${S}, ${S}, 3], got [${images.shape.join(', ')}]`);
    return tf.tidy(() => {
      let h: tf.Tensor4D = images;
      this.config.patches.forEach((p, i) => {
        const u = spaceToDepth(h, p); // [B, H/p, W/p, p·p·C]
        const [B, Hh, Ww, F] = u.shape;
        h = linear(u.reshape([B * Hh * Ww, F]), this.params[`conv${i + 1}.w`], this.params[`conv${i + 1}.b`]).relu().reshape([B, Hh, Ww, -1]);
      });
      const pooled = h.mean([1, 2]) as tf.Tensor2D; // [B, C]
      return linear(pooled, this.params['out.w'], this.params['out.b']);
    });
  }

  async weights(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(this.params)) out[k] = (await v.data()) as Float32Array;
    return out;
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}

/** The image encoder paired with a text-encoder preset: 64×64 default, a 16×16 toy for `test-tiny`. */
export function imageEncoderForPreset(preset: string, embDim: number): Readonly<ImageEncoderConfig> {
  if (preset === 'test-tiny') return Object.freeze({ imageSize: 16, patches: [2, 2, 2], channels: [8, 8, 8], embDim });
  return Object.freeze({ ...IMAGE_ENCODER_DEFAULT, embDim });
}
