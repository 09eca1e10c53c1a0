/**
 * Spatial replication of a vector (Lua `nn.Replicate(n,3):Replicate(n,4)`, gawwn-reference §1): [B, C] → [B, H, W, C].
 * Used to tile text codes over the 16×16 (or 4×4) grid before concatenation with feature maps.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../util/errors.js';

/**
 * Tiles `x` [B, C] to [B, height, width, C]. The gradient is one sum over the grid axes: tfjs's own Tile
 * gradient adds up H·W slices (256 Slice + Add kernels per 16×16 tile), which cost more than every
 * convolution of a bbox-D step on wasm.
 */
export function replicate(x: tf.Tensor2D, height: number, width: number = height): tf.Tensor4D {
  return tileGrid(x, height, width);
}

function tileGrid(x: tf.Tensor2D, height: number, width: number): tf.Tensor4D {
  const f = tf.customGrad((v) => {
    const t = v as tf.Tensor2D;
    return {
      value: tf.tile(t.reshape([t.shape[0], 1, 1, t.shape[1]]), [1, height, width, 1]),
      gradFunc: (dy: tf.Tensor) => tf.sum(dy, [1, 2]),
    };
  });
  return f(x) as tf.Tensor4D;
}

/** Layer form of `replicate`. */
export class Replicate extends tf.layers.Layer {
  static className = 'GawwnReplicate';
  readonly height: number;
  readonly width: number;

  constructor(args: { height: number; width?: number; name?: string }) {
    super({ name: args.name });
    check(Number.isInteger(args.height) && args.height > 0, `Replicate height must be a positive integer, got ${args.height}`);
    this.height = args.height;
    this.width = args.width ?? args.height;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0], this.height, this.width, s[1]];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
    return replicate(x, this.height, this.width);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}
tf.serialization.registerClass(Replicate);
