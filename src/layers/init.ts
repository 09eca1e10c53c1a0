/**
 * Weight initialisation of the original (`weights_init` in every N:main_*.lua, gawwn-reference §1), deterministic
 * from a seed: every convolution (transposed included) gets weight N(0, 0.02) and bias 0; every batch norm
 * gets γ ~ N(1, 0.02) and β = 0; `nn.Linear` keeps Torch's default, weight and bias ~ U(±1/√fan_in).
 * Each initializer draws its own seed from one Rng, so the same seed and build order give the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export class WeightInit {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  private seed(): number {
    return this.rng.int(0, 2 ** 31 - 1);
  }

  /** Convolution kernel: N(0, 0.02). */
  convKernel(): Initializer {
    return tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: this.seed() });
  }

  /** Batch-norm scale: N(1, 0.02). */
  bnGamma(): Initializer {
    return tf.initializers.randomNormal({ mean: 1, stddev: 0.02, seed: this.seed() });
  }

  /** Linear weight or bias: U(±1/√fanIn) (Torch `nn.Linear:reset`). */
  linear(fanIn: number): Initializer {
    const b = 1 / Math.sqrt(fanIn);
    return tf.initializers.randomUniform({ minval: -b, maxval: b, seed: this.seed() });
  }

  /** Zeros (conv bias, BN β). */
  zeros(): Initializer {
    return tf.initializers.zeros();
  }
}
