/**
 * Character-level text encoders of Reed et al. (§3.2; gawwn-reference §7):
 *   - `cnn-gru` (default; what GAWWN used): `I:modules/HybridCNNLong.lua` + `I:modules/FixedGRU.lua`,
 *     three temporal convolutions down to 18 steps, a GRU with the original gate equations, the mean of the
 *     18 hidden states, Linear(cnn_dim -> 1024).
 *   - `cnn-rnn`: `C:modules/HybridCNN.lua` + `C:modules/FixedRNN.lua`, an extra MaxPool(3,2) down to 8 steps
 *     and a ReLU RNN, hidden states always averaged.
 * Built from explicit `tf.Variable`s and pure tensor ops. Temporal convolutions are computed as
 * "unfold + matmul" (the k shifted slices concatenated on channels, times a [k·Cin, Cout] matrix), which is
 * the same linear map as Torch's TemporalConvolution and only needs kernels whose gradients exist on every
 * tfjs backend (tfjs 4.22 wasm has no Conv2DBackpropFilter, which `tf.conv1d` would need).
 * Layout: inputs and reported stages are [B, T, C] (Torch's TemporalConvolution layout with a batch axis);
 * the computation runs time-major [T, B, C] (see `forwardTimeMajor`).
 */
import * as tf from '@tensorflow/tfjs';
import { createParams } from './params.js';
import { Rng } from '../util/rng.js';
import { check, GawwnError } from '../util/errors.js';
import { ALPHABET_SIZE, DOC_LENGTH, encodeOneHot } from './alphabet.js';

export type TextEncoderArch = 'cnn-gru' | 'cnn-rnn';

/** Text encoder configuration. Defaults: `TEXT_ENCODER_PAPER` (the CUB encoder GAWWN loads). */
export interface TextEncoderConfig {
  /** `cnn-gru` (I: HybridCNNLong + FixedGRU, GAWWN's encoder) or `cnn-rnn` (C: HybridCNN + FixedRNN). Default `cnn-gru`. */
  arch: TextEncoderArch;
  /** Characters per caption. Default 201 (`doc_length`). */
  docLength: number;
  /** One-hot depth. Default 70 (the alphabet). */
  alphabetSize: number;
  /** Output channels of conv 1. Default 384 (I:HybridCNNLong.lua). */
  conv1: number;
  /** Output channels of conv 2. Default 512. */
  conv2: number;
  /** Output channels of conv 3 = recurrent hidden size. Default 512 for cnn-gru ("c512"), 256 for cnn-rnn (C default). */
  cnnDim: number;
  /** Embedding size. Default 1024 (txtSize in N; emb_dim = image_dim in C). */
  embDim: number;
  /** Temporal kernel width of every conv. Default 4. */
  kernel: number;
  /** Dropout before the output Linear, training only. Default 0 (I/C default). */
  dropout: number;
  /**
   * Initialisation: `uniform` = every parameter U(±initRange) (C:train_sje_hybrid.lua, the default);
   * `he` = weights U(±√(6/fan_in)) and biases 0. DEVIATION (narrow presets only): with 8–128 channels
   * U(±0.08) shrinks the signal layer by layer until every caption maps to nearly the same vector, where the
   * DS-SJE gradient vanishes; fan-in scaling keeps captions apart at the start.
   */
  init: 'uniform' | 'he';
  /** Range of the `uniform` init. Default 0.08 (C:train_sje_hybrid.lua). */
  initRange: number;
}

/** The encoder GAWWN loads (`lm_sje_nc4_cub_hybrid_gru18_a1_c512_…`; gawwn-reference §7). */
export const TEXT_ENCODER_PAPER: Readonly<TextEncoderConfig> = Object.freeze({
  arch: 'cnn-gru',
  docLength: DOC_LENGTH,
  alphabetSize: ALPHABET_SIZE,
  conv1: 384,
  conv2: 512,
  cnnDim: 512,
  embDim: 1024,
  kernel: 4,
  dropout: 0,
  init: 'uniform',
  initRange: 0.08,
});

export type TextEncoderPreset = 'paper' | 'paper-cnn-rnn' | 'cpu-small' | 'test-tiny';

/**
 * Named presets.
 * - `paper`: the GAWWN CUB encoder.
 * - `paper-cnn-rnn`: C's char-CNN-RNN (cnn_dim 256, 8 steps).
 * - `cpu-small`: channel widths divided by 4 (96/128/128), same depth, lengths and 1024-d output, for
 *   training on a 2-core CPU (about 1/16 of the multiply-adds).
 * - `test-tiny`: 8 channels and a 32-d output, for unit tests only.
 */
export const TEXT_ENCODER_PRESETS: Readonly<Record<TextEncoderPreset, Readonly<TextEncoderConfig>>> = Object.freeze({
  paper: TEXT_ENCODER_PAPER,
  'paper-cnn-rnn': Object.freeze({ ...TEXT_ENCODER_PAPER, arch: 'cnn-rnn', cnnDim: 256 }),
  'cpu-small': Object.freeze({ ...TEXT_ENCODER_PAPER, conv1: 96, conv2: 128, cnnDim: 128, init: 'he' as const }),
  'test-tiny': Object.freeze({ ...TEXT_ENCODER_PAPER, conv1: 8, conv2: 8, cnnDim: 8, embDim: 32, init: 'he' as const }),
});

/** Resolves a preset name plus overrides into a validated, frozen config; unknown keys are refused. */
export function resolveTextEncoderConfig(preset: TextEncoderPreset | string = 'paper', overrides: Partial<TextEncoderConfig> = {}): Readonly<TextEncoderConfig> {
  const base = (TEXT_ENCODER_PRESETS as Record<string, Readonly<TextEncoderConfig>>)[preset];
  if (base === undefined) throw new GawwnError(`unknown text encoder preset '${preset}'; expected one of ${Object.keys(TEXT_ENCODER_PRESETS).join(', ')}`);
  for (const k of Object.keys(overrides)) {
    check(k in base, `unknown text encoder config key '${k}'`);
  }
  const cfg = { ...base, ...overrides };
  validateTextEncoderConfig(cfg);
  return Object.freeze(cfg);
}

export function validateTextEncoderConfig(cfg: TextEncoderConfig): void {
  check(cfg.arch === 'cnn-gru' || cfg.arch === 'cnn-rnn', `text encoder arch must be cnn-gru or cnn-rnn, got '${cfg.arch}'`);
  for (const k of ['docLength', 'alphabetSize', 'conv1', 'conv2', 'cnnDim', 'embDim', 'kernel'] as const) {
    check(Number.isInteger(cfg[k]) && cfg[k] > 0, `text encoder ${k} must be a positive integer, got ${cfg[k]}`);
  }
  check(cfg.dropout >= 0 && cfg.dropout < 1, `text encoder dropout must be in [0,1), got ${cfg.dropout}`);
  check(cfg.init === 'uniform' || cfg.init === 'he', `text encoder init must be uniform or he, got '${cfg.init}'`);
  check(cfg.initRange > 0, `text encoder initRange must be > 0, got ${cfg.initRange}`);
  const L = sequenceLengths(cfg);
  check(L.steps >= 1, `text encoder: docLength ${cfg.docLength} is too short for three convolutions and poolings`);
}

/** Time lengths after each stage (201 -> 198 -> 66 -> 63 -> 21 -> 18 [-> 8 for cnn-rnn]). */
export function sequenceLengths(cfg: Pick<TextEncoderConfig, 'docLength' | 'kernel' | 'arch'>): {
  conv1: number; pool1: number; conv2: number; pool2: number; conv3: number; steps: number;
} {
  const k = cfg.kernel;
  const conv1 = cfg.docLength - k + 1;
  const pool1 = Math.floor((conv1 - 3) / 3) + 1; // TemporalMaxPooling(3,3)
  const conv2 = pool1 - k + 1;
  const pool2 = Math.floor((conv2 - 3) / 3) + 1;
  const conv3 = pool2 - k + 1;
  const steps = cfg.arch === 'cnn-rnn' ? Math.floor((conv3 - 3) / 2) + 1 : conv3; // extra MaxPool(3,2) in C
  return { conv1, pool1, conv2, pool2, conv3, steps };
}

/** Parameter names and shapes. Conv weights are [kernel·Cin, Cout], row index = tap·Cin + channel. */
export function textEncoderParamShapes(cfg: TextEncoderConfig): Record<string, number[]> {
  const { kernel: k, alphabetSize: a, conv1, conv2, cnnDim: h, embDim } = cfg;
  const shapes: Record<string, number[]> = {
    'conv1.w': [k * a, conv1], 'conv1.b': [conv1],
    'conv2.w': [k * conv1, conv2], 'conv2.b': [conv2],
    'conv3.w': [k * conv2, h], 'conv3.b': [h],
  };
  // Linear weights stored [in, out] (x·W + b); Torch stores [out, in].
  const rnnNames = cfg.arch === 'cnn-gru' ? ['i2h_update', 'h2h_update', 'i2h_reset', 'h2h_reset', 'i2h', 'h2h'] : ['i2h', 'h2h'];
  for (const n of rnnNames) {
    shapes[`${n}.w`] = [h, h];
    shapes[`${n}.b`] = [h];
  }
  shapes['out.w'] = [h, embDim];
  shapes['out.b'] = [embDim];
  return shapes;
}

/** Intermediate tensors of one forward pass, for inspection and shape tests. */
export interface TextEncoderStages {
  conv1: tf.Tensor3D; pool1: tf.Tensor3D; conv2: tf.Tensor3D; pool2: tf.Tensor3D; conv3: tf.Tensor3D;
  /** Input of the recurrent part: conv3 (cnn-gru) or its MaxPool(3,2) (cnn-rnn). */
  steps: tf.Tensor3D;
  /** Time-averaged hidden state [B, cnnDim]. */
  hidden: tf.Tensor2D;
  /** Embedding [B, embDim]. */
  out: tf.Tensor2D;
}

/**
 * A char-CNN-GRU / char-CNN-RNN text encoder: owns its variables (call `dispose()`).
 * @example
 *   const enc = new CharTextEncoder(resolveTextEncoderConfig('cpu-small'), new Rng(0));
 *   const e = enc.embed(['this bird is red with a black crown']); // Float32Array, 1024 values per caption
 */
export class CharTextEncoder {
  readonly config: Readonly<TextEncoderConfig>;
  readonly params: Readonly<Record<string, tf.Variable>>;

  /** New encoder with U(±initRange) parameters drawn from `rng`, or the given weights (name -> values). */
  constructor(config: Readonly<TextEncoderConfig>, init: Rng | Record<string, Float32Array>) {
    validateTextEncoderConfig(config);
    this.config = config;
    this.params = createParams(textEncoderParamShapes(config), init, 'text_encoder', 'text encoder', (_name, shape, n, rng) => {
      const values = new Float32Array(n);
      if (config.init === 'uniform') {
        for (let i = 0; i < n; i++) values[i] = rng.uniform(-config.initRange, config.initRange);
      } else if (shape.length === 2) {
        const r = Math.sqrt(6 / shape[0]);
        for (let i = 0; i < n; i++) values[i] = rng.uniform(-r, r);
      }
      return values;
    });
  }

  /** Trainable variables, in a fixed order. */
  variables(): tf.Variable[] {
    return Object.keys(this.params).sort().map((k) => this.params[k]);
  }

  /** Number of scalar parameters. */
  countParams(): number {
    return this.variables().reduce((a, v) => a + v.size, 0);
  }

  /**
   * Forward pass: one-hot [B, docLength, alphabetSize] -> embedding [B, embDim].
   * `dropoutSeed` enables dropout (training) when `config.dropout > 0`.
   */
  apply(x: tf.Tensor3D, dropoutSeed?: number): tf.Tensor2D {
    return tf.tidy(() => this.forwardTimeMajor(x, dropoutSeed).out);
  }

  /**
   * Forward pass keeping every stage, in the documented [B, T, C] layout (call inside `tf.tidy` or dispose
   * the results).
   */
  stages(x: tf.Tensor3D, dropoutSeed?: number): TextEncoderStages {
    const s = this.forwardTimeMajor(x, dropoutSeed);
    const bt = (t: tf.Tensor3D) => t.transpose([1, 0, 2]) as tf.Tensor3D;
    const out = {
      conv1: bt(s.conv1), pool1: bt(s.pool1), conv2: bt(s.conv2), pool2: bt(s.pool2), conv3: bt(s.conv3), steps: bt(s.steps),
      hidden: s.hidden, out: s.out,
    };
    tf.dispose([s.conv1, s.pool1, s.conv2, s.pool2, s.conv3, s.steps]);
    return out;
  }

  /**
   * The computation, time-major ([T, B, C]) inside: every time slice is then a contiguous block, which the
   * cpu backend slices without a per-element copy loop (a [B, T, C] slice on axis 1 is ~20x slower there).
   */
  private forwardTimeMajor(x: tf.Tensor3D, dropoutSeed?: number): TextEncoderStages {
    const cfg = this.config;
    check(x.rank === 3 && x.shape[1] === cfg.docLength && x.shape[2] === cfg.alphabetSize,
      `text encoder input must be [B, ${cfg.docLength}, ${cfg.alphabetSize}], got [${x.shape.join(', ')}]`);
    const p = this.params;
    const xt = x.transpose([1, 0, 2]) as tf.Tensor3D; // [201, B, 70]
    const conv1 = temporalConv(xt, p['conv1.w'], p['conv1.b'], cfg.kernel).relu() as tf.Tensor3D; // [198, B, conv1]
    const pool1 = maxPoolNonOverlapping(conv1, 3); // [66, B, conv1]
    const conv2 = temporalConv(pool1, p['conv2.w'], p['conv2.b'], cfg.kernel).relu() as tf.Tensor3D; // [63, B, conv2]
    const pool2 = maxPoolNonOverlapping(conv2, 3); // [21, B, conv2]
    const conv3 = temporalConv(pool2, p['conv3.w'], p['conv3.b'], cfg.kernel).relu() as tf.Tensor3D; // [18, B, cnnDim]
    const steps = cfg.arch === 'cnn-rnn' ? maxPool3Stride2(conv3) : conv3; // [18 | 8, B, cnnDim]
    let hidden = cfg.arch === 'cnn-gru' ? this.gru(steps) : this.reluRnn(steps); // [B, cnnDim]
    if (dropoutSeed !== undefined && cfg.dropout > 0) hidden = tf.dropout(hidden, cfg.dropout, undefined, dropoutSeed) as tf.Tensor2D;
    const out = linear(hidden, p['out.w'], p['out.b']); // [B, embDim]
    return { conv1, pool1, conv2, pool2, conv3, steps, hidden, out };
  }

  /**
   * I:modules/FixedGRU.lua with avg=1: step 1 h = tanh(i2h(x)); then u = σ(i2h_u x + h2h_u h),
   * r = σ(i2h_r x + h2h_r h), h̃ = tanh(i2h x + h2h(r ⊙ h)), h = u ⊙ h̃ + (1 − u) ⊙ h; output the mean of all h.
   * `xs` is time-major [T, B, H].
   */
  private gru(xs: tf.Tensor3D): tf.Tensor2D {
    const p = this.params;
    const [T, B, H] = xs.shape;
    // Input projections for all steps at once: [T·B, H] matmuls.
    const flat = xs.reshape([T * B, H]) as tf.Tensor2D;
    const proj = (n: string) => (linear(flat, p[`${n}.w`], p[`${n}.b`]).reshape([T, B, H]) as tf.Tensor3D);
    const xu = proj('i2h_update');
    const xr = proj('i2h_reset');
    const xc = proj('i2h');
    const at = (t3: tf.Tensor3D, t: number) => t3.slice([t, 0, 0], [1, B, H]).reshape([B, H]) as tf.Tensor2D;
    let h: tf.Tensor2D = at(xc, 0).tanh();
    let sum = h;
    for (let t = 1; t < T; t++) {
      const u = at(xu, t).add(linear(h, p['h2h_update.w'], p['h2h_update.b'])).sigmoid();
      const r = at(xr, t).add(linear(h, p['h2h_reset.w'], p['h2h_reset.b'])).sigmoid();
      const cand = at(xc, t).add(linear(r.mul(h) as tf.Tensor2D, p['h2h.w'], p['h2h.b'])).tanh();
      h = u.mul(cand).add(tf.scalar(1).sub(u).mul(h)) as tf.Tensor2D;
      sum = sum.add(h);
    }
    return sum.div(T) as tf.Tensor2D;
  }

  /** C:modules/FixedRNN.lua: h1 = relu(i2h x1), h_t = relu(i2h x_t + h2h h_{t−1}); output the mean of all h. */
  private reluRnn(xs: tf.Tensor3D): tf.Tensor2D {
    const p = this.params;
    const [T, B, H] = xs.shape;
    const xh = linear(xs.reshape([T * B, H]) as tf.Tensor2D, p['i2h.w'], p['i2h.b']).reshape([T, B, H]) as tf.Tensor3D;
    const at = (t: number) => xh.slice([t, 0, 0], [1, B, H]).reshape([B, H]) as tf.Tensor2D;
    let h: tf.Tensor2D = at(0).relu();
    let sum = h;
    for (let t = 1; t < T; t++) {
      h = at(t).add(linear(h, p['h2h.w'], p['h2h.b'])).relu() as tf.Tensor2D;
      sum = sum.add(h);
    }
    return sum.div(T) as tf.Tensor2D;
  }

  /**
   * Embeds captions (text -> one-hot -> forward) in batches of `batchSize`; returns N·embDim float32 values,
   * caption i at [i·embDim, (i+1)·embDim).
   */
  async embed(texts: readonly string[], batchSize = 64): Promise<Float32Array> {
    const E = this.config.embDim;
    const out = new Float32Array(texts.length * E);
    for (let s = 0; s < texts.length; s += batchSize) {
      const chunk = texts.slice(s, s + batchSize);
      const y = tf.tidy(() => this.apply(tf.tensor3d(encodeOneHot(chunk, this.config.docLength), [chunk.length, this.config.docLength, this.config.alphabetSize])));
      out.set(await y.data(), s * E);
      y.dispose();
    }
    return out;
  }

  /** Current weights as plain arrays (name -> values), for checkpoints. */
  async weights(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(this.params)) out[k] = (await v.data()) as Float32Array;
    return out;
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}

/** x·W + b for x [N, in], W [in, out], b [out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return x.matMul(w as tf.Tensor2D).add(b) as tf.Tensor2D;
}

/**
 * Torch TemporalConvolution(Cin, Cout, k) (stride 1, no padding) as unfold + matmul, time-major:
 * x [T, B, Cin], w [k·Cin, Cout] -> [T−k+1, B, Cout].
 */
export function temporalConv(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor, k: number): tf.Tensor3D {
  const [T, B, C] = x.shape;
  const To = T - k + 1;
  const taps: tf.Tensor3D[] = [];
  for (let i = 0; i < k; i++) taps.push(x.slice([i, 0, 0], [To, B, C]));
  const unfolded = (k === 1 ? taps[0] : tf.concat(taps, 2)).reshape([To * B, k * C]) as unknown as tf.Tensor2D; // [To·B, k·Cin]
  return linear(unfolded, w, b).reshape([To, B, w.shape[1] as number]) as tf.Tensor3D;
}

/** TemporalMaxPooling(p, p), time-major [T, B, C]: non-overlapping windows; a ragged tail is dropped as in Torch. */
export function maxPoolNonOverlapping(x: tf.Tensor3D, p: number): tf.Tensor3D {
  const [T, B, C] = x.shape;
  const To = Math.floor(T / p);
  const body = To * p === T ? x : x.slice([0, 0, 0], [To * p, B, C]);
  return body.reshape([To, p, B, C]).max(1) as tf.Tensor3D;
}

/** TemporalMaxPooling(3, 2), time-major [T, B, C]: out[t] = max(x[2t], x[2t+1], x[2t+2]), t < floor((T−3)/2)+1. */
export function maxPool3Stride2(x: tf.Tensor3D): tf.Tensor3D {
  const [T, B, C] = x.shape;
  const To = Math.floor((T - 3) / 2) + 1;
  // The view for offset s is x[s .. s+2·To) reshaped to [To, 2, B, C], element 0: x[s + 2t]. When T is odd
  // the s = 2 view needs one step past the end; a copy of the last step fills it and is never selected
  // (it sits at an odd offset of that view).
  const xp = 2 + 2 * To > T ? (tf.concat([x, x.slice([T - 1, 0, 0], [1, B, C])], 0) as tf.Tensor3D) : x;
  const view = (s: number) => xp.slice([s, 0, 0], [2 * To, B, C]).reshape([To, 2 * B * C]).slice([0, 0], [To, B * C]).reshape([To, B, C]);
  return tf.maximum(tf.maximum(view(0), view(1)), view(2)) as tf.Tensor3D;
}
