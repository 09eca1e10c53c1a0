/**
 * Spectral normalisation (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial Networks"):
 * every kernel W of the stable recipe's discriminator is used as W / σ(W), σ the largest singular value of W
 * reshaped to [fanIn, units], so D is 1-Lipschitz per layer and cannot win by growing its weights.
 *
 * σ is estimated by power iteration with a persistent pair (u, v) held as non-trainable weights (so checkpoints
 * save and restore them): `powerIterate(model)` runs ONE iteration per training step, outside the gradient
 * tape, and the forward pass computes σ = vᵀ W u with u, v constant — the gradient flows through W only, as in
 * the reference implementation (u, v are not differentiated).
 */
import * as tf from '@tensorflow/tfjs';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** ε of the power iteration's normalisations (Miyato et al.'s reference code: 1e-12). */
export const SN_EPS = 1e-12;

/** Common part of the two spectrally normalised layers: u [units], v [fanIn], σ, the normalised kernel. */
interface SpectralLayer {
  kernel: tf.LayerVariable;
  snU: tf.LayerVariable;
  snV: tf.LayerVariable;
}

function l2normalize(x: tf.Tensor1D): tf.Tensor1D {
  return tf.div(x, tf.add(tf.norm(x), SN_EPS));
}

/** W / σ(W) with σ = vᵀ W u from the stored u, v (differentiable in W only). */
function normalisedKernel(layer: SpectralLayer): tf.Tensor {
  const w = layer.kernel.read();
  const units = w.shape[w.shape.length - 1];
  const w2 = tf.reshape(w, [-1, units]); // [fanIn, units]
  const u = layer.snU.read() as tf.Tensor1D;
  const v = layer.snV.read() as tf.Tensor1D;
  const sigma = tf.sum(tf.mul(tf.matMul(tf.reshape(v, [1, -1]), w2), tf.reshape(u, [1, -1])));
  return tf.div(w, sigma);
}

/** One power iteration: v ← normalize(W u), u ← normalize(Wᵀ v). */
function iterate(layer: SpectralLayer): void {
  tf.tidy(() => {
    const w = layer.kernel.read();
    const units = w.shape[w.shape.length - 1];
    const w2 = tf.reshape(w, [-1, units]);
    const v = l2normalize(tf.reshape(tf.matMul(w2, tf.reshape(layer.snU.read(), [-1, 1])), [-1]) as tf.Tensor1D);
    const u = l2normalize(tf.reshape(tf.matMul(tf.reshape(v, [1, -1]), w2), [-1]) as tf.Tensor1D);
    layer.snV.write(v);
    layer.snU.write(u);
  });
}

/** The current estimate σ = vᵀ W u of a spectral layer (for tests and diagnostics). */
export function spectralSigma(layer: tf.layers.Layer): number {
  const l = layer as unknown as SpectralLayer;
  return tf.tidy(() => {
    const w = l.kernel.read();
    const w2 = tf.reshape(w, [-1, w.shape[w.shape.length - 1]]);
    return tf.sum(tf.mul(tf.matMul(tf.reshape(l.snV.read(), [1, -1]), w2), tf.reshape(l.snU.read(), [1, -1]))).dataSync()[0];
  });
}

/** Initial u: a fixed unit vector ∝ (1, −1, 1, …) + a small ramp, deterministic and never orthogonal to the top singular vector in practice. */
function initialU(n: number): tf.Tensor1D {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (i % 2 === 0 ? 1 : -1) + (i + 1) / (n + 1);
  return l2normalize(tf.tensor1d(a));
}

/**
 * Adds the non-trainable power-iteration vectors u [units], v [fanIn] to a spectral layer and runs one iteration
 * from the initial kernel, so σ is defined before the first training step.
 */
function addPowerVectors(layer: tf.layers.Layer & SpectralLayer, units: number, fanIn: number): void {
  const add = (name: string, n: number): tf.LayerVariable =>
    (layer as unknown as { addWeight(n: string, s: number[], d: 'float32', i: Initializer, r: undefined, t: boolean): tf.LayerVariable }).addWeight(name, [n], 'float32', tf.initializers.zeros(), undefined, false);
  layer.snU = add('sn_u', units);
  layer.snV = add('sn_v', fanIn);
  layer.snU.write(initialU(units));
  iterate(layer);
}

export interface SpectralConv2DArgs {
  name: string;
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'same' | 'valid';
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
}

/** Conv2D (NHWC, bias) whose kernel is divided by its spectral norm. Weights: kernel, bias, sn_u, sn_v. */
export class SpectralConv2D extends tf.layers.Layer implements SpectralLayer {
  static readonly className = 'GawwnSpectralConv2D';
  kernel!: tf.LayerVariable;
  bias!: tf.LayerVariable;
  snU!: tf.LayerVariable;
  snV!: tf.LayerVariable;
  private readonly a: SpectralConv2DArgs;

  constructor(args: SpectralConv2DArgs) {
    super({ name: args.name });
    this.a = args;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as tf.Shape;
    const ci = s[s.length - 1] as number;
    const { kernelSize: k, filters } = this.a;
    this.kernel = this.addWeight('kernel', [k, k, ci, filters], 'float32', this.a.kernelInitializer);
    this.bias = this.addWeight('bias', [filters], 'float32', this.a.biasInitializer);
    addPowerVectors(this, filters, k * k * ci);
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    const { kernelSize: k, strides, padding, filters } = this.a;
    const out = (n: number | null): number | null => (n === null ? null : padding === 'same' ? Math.ceil(n / strides) : Math.floor((n - k) / strides) + 1);
    return [s[0], out(s[1]), out(s[2]), filters];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const w = normalisedKernel(this) as tf.Tensor4D;
      return tf.add(tf.conv2d(x, w, this.a.strides, this.a.padding), this.bias.read());
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    const { name, filters, kernelSize, strides, padding } = this.a;
    return { ...super.getConfig(), name, filters, kernelSize, strides, padding };
  }
}

export interface SpectralDenseArgs {
  name: string;
  units: number;
  useBias?: boolean;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
}

/** Dense (x·W + b) whose kernel is divided by its spectral norm. Weights: kernel, bias (optional), sn_u, sn_v. */
export class SpectralDense extends tf.layers.Layer implements SpectralLayer {
  static readonly className = 'GawwnSpectralDense';
  kernel!: tf.LayerVariable;
  bias: tf.LayerVariable | null = null;
  snU!: tf.LayerVariable;
  snV!: tf.LayerVariable;
  private readonly a: SpectralDenseArgs;

  constructor(args: SpectralDenseArgs) {
    super({ name: args.name });
    this.a = args;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as tf.Shape;
    const fanIn = s[s.length - 1] as number;
    const { units } = this.a;
    this.kernel = this.addWeight('kernel', [fanIn, units], 'float32', this.a.kernelInitializer);
    if (this.a.useBias ?? true) this.bias = this.addWeight('bias', [units], 'float32', this.a.biasInitializer);
    addPowerVectors(this, units, fanIn);
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [...s.slice(0, -1), this.a.units];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const y = tf.matMul(x, normalisedKernel(this) as tf.Tensor2D);
      return this.bias === null ? y : tf.add(y, this.bias.read());
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    const { name, units, useBias } = this.a;
    return { ...super.getConfig(), name, units, useBias: useBias ?? true };
  }
}

tf.serialization.registerClass(SpectralConv2D);
tf.serialization.registerClass(SpectralDense);

/** The spectrally normalised layers of a model. */
export function spectralLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l instanceof SpectralConv2D || l instanceof SpectralDense);
}

/**
 * One power iteration on every spectrally normalised layer of `model` (call once per training step, before the
 * D pass; outside any gradient tape). A model without such layers is left alone.
 */
export function powerIterate(model: tf.LayersModel): void {
  for (const l of spectralLayers(model)) iterate(l as unknown as SpectralLayer);
}
