/**
 * Factories for the Torch layers the GAWWN nets are made of (gawwn-reference §1 mapping), with the original's
 * init (init.ts) and hyper-parameters. Torch's `SpatialConvolution(k, s, p)` with p = (k − s)/2 is TF.js
 * 'same' padding for the even inputs used here (k4 s2 p1, k3 s1 p1), and p = 0 is 'valid'; the same holds
 * for `SpatialFullConvolution` and conv2dTranspose. BatchNorm: Torch eps 1e-5 and momentum 0.1, i.e. TF.js
 * momentum 0.9 (TF.js keeps `momentum` of the old value).
 * DEVIATION: Torch updates the running variance with the unbiased batch variance (n/(n−1)); TF.js layers use
 * the biased one. It only matters for the 1-D BNs at small batch (16/15 at B = 16) and only at inference.
 */
import * as tf from '@tensorflow/tfjs';
import type { DNorm, GUpsample } from '../config/types.js';
import { WeightInit } from './init.js';
import { SpectralConv2D, SpectralDense } from './spectral-norm.js';

/** A functional-API tensor. */
export type Sym = tf.SymbolicTensor;
/** Activations the nets use: ReLU (G), LeakyReLU 0.2 (D), ELU (MHP D), tanh and sigmoid (outputs). */
export type Act = 'relu' | 'lrelu' | 'elu' | 'tanh' | 'sigmoid';

export class Blocks {
  /**
   * `upsample` is how stride-2 transposed convs are built (ModelConfig.gUpsample; generators only). `norm`
   * 'spectral' (ModelConfig.dNorm; discriminators only) makes every conv and dense spectrally normalised and
   * drops the batch norms of `convBnAct` / `denseBnAct`.
   */
  constructor(
    private readonly init: WeightInit,
    private readonly upsample: GUpsample = 'deconv',
    readonly norm: DNorm = 'batch',
  ) {}

  /** Conv k×k stride s; `pad` 'same' is Torch p = (k − s)/2, 'valid' is p = 0. */
  conv(name: string, filters: number, k: number, s: number, pad: 'same' | 'valid'): tf.layers.Layer {
    if (this.norm === 'spectral') {
      return new SpectralConv2D({ name, filters, kernelSize: k, strides: s, padding: pad, kernelInitializer: this.init.convKernel(), biasInitializer: this.init.zeros() });
    }
    return tf.layers.conv2d({ name, filters, kernelSize: k, strides: s, padding: pad, kernelInitializer: this.init.convKernel(), biasInitializer: this.init.zeros() });
  }

  /** Transposed conv (Torch SpatialFullConvolution). */
  convT(name: string, filters: number, k: number, s: number, pad: 'same' | 'valid'): tf.layers.Layer {
    return tf.layers.conv2dTranspose({ name, filters, kernelSize: k, strides: s, padding: pad, kernelInitializer: this.init.convKernel(), biasInitializer: this.init.zeros() });
  }

  /** Batch norm over the last axis (spatial or 1-D), Torch defaults. */
  bn(name: string): tf.layers.Layer {
    return tf.layers.batchNormalization({ name, axis: -1, momentum: 0.9, epsilon: 1e-5, gammaInitializer: this.init.bnGamma(), betaInitializer: this.init.zeros() });
  }

  /** nn.Linear(inDim, units), weight and bias U(±1/√inDim). */
  dense(name: string, inDim: number, units: number, useBias = true): tf.layers.Layer {
    if (this.norm === 'spectral') {
      return new SpectralDense({ name, units, useBias, kernelInitializer: this.init.linear(inDim), biasInitializer: this.init.linear(inDim) });
    }
    return tf.layers.dense({ name, units, useBias, kernelInitializer: this.init.linear(inDim), biasInitializer: this.init.linear(inDim) });
  }

  act(name: string, kind: Act): tf.layers.Layer {
    switch (kind) {
      case 'lrelu':
        return tf.layers.leakyReLU({ name, alpha: 0.2 });
      case 'elu':
        return tf.layers.elu({ name, alpha: 1 });
      case 'relu':
      case 'tanh':
      case 'sigmoid':
        return tf.layers.activation({ name, activation: kind });
    }
  }

  /**
   * Upsampling by 2 to `filters` channels: ConvT k4 s2 'same' named `${name}_convT` ('deconv'), or nearest ×2
   * (`${name}_up`) then conv 3×3 'same' (`${name}_conv`) ('resize'; ModelConfig.gUpsample says why).
   */
  up2(x: Sym, name: string, filters: number): Sym {
    if (this.upsample === 'deconv') return this.convT(`${name}_convT`, filters, 4, 2, 'same').apply(x) as Sym;
    const up = tf.layers.upSampling2d({ name: `${name}_up`, size: [2, 2], interpolation: 'nearest' }).apply(x) as Sym;
    return this.conv(`${name}_conv`, filters, 3, 1, 'same').apply(up) as Sym;
  }

  /**
   * conv → BN → act, the nets' most common triple (act omitted when `null`; BN omitted under spectral norm). `transposed` with k4 s2 'same'
   * is an `up2` (so 'resize' mode replaces it); other transposed shapes are always ConvT.
   */
  convBnAct(x: Sym, name: string, filters: number, k: number, s: number, pad: 'same' | 'valid', act: Act | null, transposed = false): Sym {
    let c: Sym;
    if (transposed && k === 4 && s === 2 && pad === 'same') c = this.up2(x, name, filters);
    else c = (transposed ? this.convT(`${name}_convT`, filters, k, s, pad) : this.conv(`${name}_conv`, filters, k, s, pad)).apply(x) as Sym;
    let y = this.norm === 'spectral' ? c : (this.bn(`${name}_bn`).apply(c) as Sym);
    if (act !== null) y = this.act(`${name}_${act}`, act).apply(y) as Sym;
    return y;
  }

  /** Linear → BN1d → act (no BN under spectral norm). */
  denseBnAct(x: Sym, name: string, inDim: number, units: number, act: Act): Sym {
    const lin = this.dense(`${name}_linear`, inDim, units).apply(x) as Sym;
    const y = this.norm === 'spectral' ? lin : (this.bn(`${name}_bn`).apply(lin) as Sym);
    return this.act(`${name}_${act}`, act).apply(y) as Sym;
  }

  /**
   * The bottleneck residual block of the generators (gawwn-reference §2.2 step 3, §3.2 step 4):
   * act(x + BN(conv3(act(BN(conv3(act(BN(conv1(x)))))))) with widths C → mid → mid → C.
   */
  residual(x: Sym, name: string, channels: number, mid: number, act: Act): Sym {
    let y = this.convBnAct(x, `${name}_1`, mid, 1, 1, 'valid', act);
    y = this.convBnAct(y, `${name}_2`, mid, 3, 1, 'same', act);
    y = this.convBnAct(y, `${name}_3`, channels, 3, 1, 'same', null);
    const sum = tf.layers.add({ name: `${name}_add` }).apply([x, y]) as Sym;
    return this.act(`${name}_${act}`, act).apply(sum) as Sym;
  }
}

/** Applies layers in order. */
export function chain(x: Sym, ...layers: tf.layers.Layer[]): Sym {
  return layers.reduce((h, l) => l.apply(h) as Sym, x);
}
