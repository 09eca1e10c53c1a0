/**
 * The evaluator network: a small CNN that reads a 128² image (the generators' output frame,
 * HWC in [-1,1]) and reports what is drawn where — the object box, the K keypoints with their visibility, the
 * colour of each named part, and a feature vector (for the evaluator Fréchet distance and diversity).
 * It is trained on the real images of a synthetic set, whose ground truth is exact (attributes.json colours,
 * masks/ labels, drawn keypoints), so its held-out accuracy is the ceiling every generated-image number is read
 * against. Not in the paper: the paper shows control only by pictures (§5); this measures it.
 *
 * Design (docs/evaluation.md "Evaluator"): a small encoder–decoder that predicts, at 64² (half the input),
 *   - one heatmap per keypoint, read by soft-argmax (integral regression: the expected position under the
 *     softmax of the heatmap, trained with L1 on visible points) — positions are read where they are, instead
 *     of being regressed through a flattened dense bottleneck (the first evaluator's PCK stalled at 0.77);
 *   - a part segmentation (background + the mask regions of masks/), trained with cross-entropy against the
 *     2×2-averaged 128² labels (soft targets, so the logits carry sub-cell boundaries);
 * and, from the globally pooled bottleneck, the feature vector and the keypoint visibilities.
 * The box is the tight box of the predicted foreground (birds: the synthetic box IS the mask's tight box) or,
 * for datasets whose box is derived from the joints (MPII: data/mpii.ts personBox), the padded box of the
 * detected visible keypoints. Attribute colours are read from the input pixels of the predicted part region by
 * a vote of their nearest colour centroids (colour-reader.ts) — not learned.
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { ColourCentroids, foregroundBox, regionPixels, voteColour, type Rgb } from './colour-reader.js';

/** Shape and vocabulary of an evaluator. */
export interface EvaluatorConfig {
  /** Input side, pixels (the generators' output frame). Default 128. */
  imageSize: number;
  /** Number of keypoints K (CUB 15, MPII 17). */
  numParts: number;
  /** Part names of the dataset, in keypoint order. */
  partNames: string[];
  /** Names of the coloured parts (attributes.json `colours` keys), e.g. crown, wings … */
  attributes: string[];
  /** Colour vocabulary of the captions (classification targets). */
  colours: string[];
  /** Base channel count of the conv ladder. Default 8. */
  width: number;
  /** Size of the feature layer (used for the evaluator Fréchet distance). Default 128. */
  featureDim: number;
  /** Mask region names (attributes.json `regions`): label v ≥ 1 is `regions[v − 1]`, 0 is background. */
  regions: string[];
  /**
   * Colour centroids `[attribute][colour]` (mean RGB 0…255 of that colour word at that part, null when never
   * seen), fitted on the training split at the ground-truth masks; null before fitting.
   */
  colourCentroids: (Rgb | null)[][] | null;
  /** How the box is read: the predicted foreground's tight box, or the padded box of the visible keypoints. */
  boxFrom: 'mask' | 'keypoints';
}

export function validateEvaluatorConfig(c: EvaluatorConfig): void {
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new GawwnError(`evaluator config: expected ${name} to be an integer >= ${min}, but got ${v}`);
  };
  int(c.imageSize, 'imageSize', 32);
  if (c.imageSize % 16 !== 0) throw new GawwnError(`evaluator config: imageSize must be a multiple of 16, got ${c.imageSize}`);
  int(c.numParts, 'numParts', 1);
  int(c.width, 'width', 1);
  int(c.featureDim, 'featureDim', 1);
  if (c.partNames.length !== c.numParts) throw new GawwnError(`evaluator config: ${c.partNames.length} part names for numParts ${c.numParts}`);
  if (c.colours.length < 2) throw new GawwnError(`evaluator config: need at least two colours, got ${c.colours.length}`);
  if (!Array.isArray(c.regions) || c.regions.length < 1) throw new GawwnError('evaluator config: need at least one mask region (attributes.json regions)');
  if (c.boxFrom !== 'mask' && c.boxFrom !== 'keypoints') throw new GawwnError(`evaluator config: boxFrom must be 'mask' or 'keypoints', got ${String(c.boxFrom)}`);
  if (c.colourCentroids !== null && c.colourCentroids.length !== c.attributes.length) {
    throw new GawwnError(`evaluator config: ${c.colourCentroids.length} centroid rows for ${c.attributes.length} attributes`);
  }
}

/** Side of the heatmaps and segmentation (half the input). */
export const mapSize = (c: Readonly<EvaluatorConfig>): number => c.imageSize / 2;

/**
 * Builds the evaluator. Input `image [B,S,S,3]`; outputs, in order:
 * `features [B,F]` (pre-ReLU), `heatmaps [B,S/2,S/2,K]` (logits), `visibility [B,K]` (logits),
 * `segmentation [B,S/2,S/2,R+1]` (logits; channel 0 background).
 * The input is average-pooled 2× first: the synthetic parts are flat colours, and the machine is 2 CPU cores.
 */
export function buildEvaluator(c: Readonly<EvaluatorConfig>, seed = 0): tf.LayersModel {
  validateEvaluatorConfig(c);
  const init = (i: number): ReturnType<typeof tf.initializers.heNormal> => tf.initializers.heNormal({ seed: seed + i });
  const x = tf.input({ shape: [c.imageSize, c.imageSize, 3], name: 'image' });
  const w = c.width;
  let n = 0;
  const conv = (h: tf.SymbolicTensor, f: number, s: number, name: string): tf.SymbolicTensor => {
    const y = tf.layers.conv2d({ filters: f, kernelSize: 3, strides: s, padding: 'same', kernelInitializer: init(n++), name }).apply(h) as tf.SymbolicTensor;
    return tf.layers.leakyReLU({ alpha: 0.1, name: `${name}_act` }).apply(y) as tf.SymbolicTensor;
  };
  const up = (h: tf.SymbolicTensor, name: string): tf.SymbolicTensor => tf.layers.upSampling2d({ size: [2, 2], name }).apply(h) as tf.SymbolicTensor;
  const cat = (a: tf.SymbolicTensor, b: tf.SymbolicTensor, name: string): tf.SymbolicTensor => tf.layers.concatenate({ name }).apply([a, b]) as tf.SymbolicTensor;
  const p = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: 'pool_in' }).apply(x) as tf.SymbolicTensor;
  // Encoder: 64² → 32² → 16² → 8² (S = 128). The 8² level sees ~90 px of the 128² frame: enough to tell
  // the left wing from the right one.
  const e64 = conv(p, w, 1, 'conv1');
  const e32 = conv(conv(e64, 2 * w, 2, 'conv2'), 2 * w, 1, 'conv3');
  const e16 = conv(conv(e32, 4 * w, 2, 'conv4'), 4 * w, 1, 'conv5');
  const e8 = conv(conv(e16, 8 * w, 2, 'conv6'), 8 * w, 1, 'conv7');
  // Decoder with skips back to 64² (U-Net style; nearest upsampling then a 3×3 conv).
  const d16 = conv(cat(up(e8, 'up16'), e16, 'cat16'), 4 * w, 1, 'dec16');
  const d32 = conv(cat(up(d16, 'up32'), e32, 'cat32'), 2 * w, 1, 'dec32');
  const d64 = conv(cat(up(d32, 'up64'), e64, 'cat64'), 2 * w, 1, 'dec64');
  const head = (units: number, name: string, i: number): tf.SymbolicTensor =>
    tf.layers.conv2d({ filters: units, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }), name }).apply(d64) as tf.SymbolicTensor;
  const heat = head(c.numParts, 'heatmaps', 31);
  const seg = head(c.regions.length + 1, 'segmentation', 32);
  // The reported features are the pre-activation of a dense layer on the pooled bottleneck: after a ReLU,
  // images unlike the training set collapse to all-zero features and the Fréchet distance loses resolution.
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool_feat' }).apply(e8) as tf.SymbolicTensor;
  const pre = tf.layers.dense({ units: c.featureDim, kernelInitializer: init(20), name: 'features' }).apply(pooled) as tf.SymbolicTensor;
  const feat = tf.layers.reLU({ name: 'features_act' }).apply(pre) as tf.SymbolicTensor;
  const vis = tf.layers.dense({ units: c.numParts, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 33 }), name: 'visibility' }).apply(feat) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [pre, heat, vis, seg], name: 'evaluator' });
}

/**
 * Channels of every weighted layer of `buildEvaluator`, in units of the base width w: the input segments (a
 * concatenation lists its parts in order) and the output; 'fixed' does not scale with w (RGB input, heads,
 * feature size). `widenEvaluator` follows this table, so it must change with the architecture (it checks that
 * every weighted layer is listed).
 */
const CHANNELS: Record<string, { in: (number | 'fixed')[]; out: number | 'fixed' }> = {
  conv1: { in: ['fixed'], out: 1 },
  conv2: { in: [1], out: 2 },
  conv3: { in: [2], out: 2 },
  conv4: { in: [2], out: 4 },
  conv5: { in: [4], out: 4 },
  conv6: { in: [4], out: 8 },
  conv7: { in: [8], out: 8 },
  dec16: { in: [8, 4], out: 4 },
  dec32: { in: [4, 2], out: 2 },
  dec64: { in: [2, 1], out: 2 },
  heatmaps: { in: [2], out: 'fixed' },
  segmentation: { in: [2], out: 'fixed' },
  features: { in: [8], out: 'fixed' },
  visibility: { in: ['fixed'], out: 'fixed' },
};

/**
 * Copies a trained evaluator into a wider one (`to.width` an integer multiple f of `from`'s), computing the
 * same function (Net2WiderNet, Chen et al. 2016): every channel of a widened activation is repeated f times
 * (new channel j is old channel j mod C), so each layer's output kernel columns are copied and its input rows
 * divided by f. Then the kernels of widened outputs get noise of `noise` × their standard deviation, or the
 * copies would receive equal gradients forever. The nonlinearities (leaky ReLU), pooling, upsampling and
 * concatenations commute with the repetition. Not in the paper: the evaluator is ours; it lets a
 * trained evaluator grow in capacity without starting over on 2 CPU cores.
 */
export function widenEvaluator(from: tf.LayersModel, fromCfg: Readonly<EvaluatorConfig>, to: tf.LayersModel, toCfg: Readonly<EvaluatorConfig>, rng: Rng, noise = 0.01): void {
  const f = toCfg.width / fromCfg.width;
  if (!Number.isInteger(f) || f < 1) throw new GawwnError(`an evaluator of width ${fromCfg.width} can only be widened to a multiple of it, not ${toCfg.width}`);
  const same = (k: keyof EvaluatorConfig): boolean => JSON.stringify(fromCfg[k]) === JSON.stringify(toCfg[k]);
  for (const k of ['imageSize', 'numParts', 'featureDim', 'regions'] as const) {
    if (!same(k)) throw new GawwnError(`widening an evaluator keeps its ${k}: ${JSON.stringify(fromCfg[k])} vs ${JSON.stringify(toCfg[k])}`);
  }
  const w = fromCfg.width;
  // New index → old index over a list of segments (fixed segments keep the old layer's size).
  const indexMap = (segs: (number | 'fixed')[], oldSize: number): { map: Int32Array; div: number[] } => {
    const fixedOld = oldSize - segs.reduce<number>((a, s) => a + (s === 'fixed' ? 0 : s * w), 0);
    const map: number[] = [];
    const div: number[] = [];
    let o = 0;
    for (const s of segs) {
      const c = s === 'fixed' ? fixedOld : s * w;
      const n = s === 'fixed' ? c : c * f;
      for (let j = 0; j < n; j++) {
        map.push(o + (j % c));
        div.push(s === 'fixed' ? 1 : f);
      }
      o += c;
    }
    return { map: Int32Array.from(map), div };
  };
  for (const layer of to.layers) {
    if (layer.getWeights().length === 0) continue;
    const spec = CHANNELS[layer.name];
    if (!spec) throw new GawwnError(`widenEvaluator: layer '${layer.name}' is not in its channel table`);
    const [k0, b0] = from.getLayer(layer.name).getWeights();
    const oldK = k0.dataSync();
    const oldB = b0.dataSync();
    const [cinOld, coutOld] = k0.shape.slice(-2) as [number, number];
    const taps = k0.size / (cinOld * coutOld); // 9 for a 3×3 conv, 1 for dense and 1×1 convs
    const inM = indexMap(spec.in, cinOld);
    const outM = indexMap([spec.out], coutOld);
    const cin = inM.map.length;
    const cout = outM.map.length;
    const K = new Float32Array(taps * cin * cout);
    for (let t = 0; t < taps; t++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) K[(t * cin + i) * cout + o] = oldK[(t * cinOld + inM.map[i]) * coutOld + outM.map[o]] / inM.div[i];
      }
    }
    if (spec.out !== 'fixed' && f > 1 && noise > 0) {
      let m = 0;
      let v = 0;
      for (const x of oldK) m += x / oldK.length;
      for (const x of oldK) v += (x - m) ** 2 / oldK.length;
      const sd = noise * Math.sqrt(v);
      for (let j = 0; j < K.length; j++) K[j] += sd * rng.normal();
    }
    const B = Float32Array.from(outM.map, (j) => oldB[j]);
    const kShape = [...k0.shape.slice(0, -2), cin, cout];
    tf.tidy(() => layer.setWeights([tf.tensor(K, kShape), tf.tensor(B, [cout])]));
  }
}

/**
 * Soft-argmax of heatmap logits `[B,H,W,K]` → `[B,K,2]` (x, y in [0,1]): the expectation of the cell centres
 * (j + 0.5) / W under the per-part softmax. Differentiable, sub-cell precise.
 */
export function softArgmax(heat: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, H, W, K] = heat.shape;
    const p = tf.softmax(heat.transpose([0, 3, 1, 2]).reshape([B, K, H * W])).reshape([B, K, H, W]);
    const xs = tf.linspace(0.5 / W, 1 - 0.5 / W, W);
    const ys = tf.linspace(0.5 / H, 1 - 0.5 / H, H);
    const ex = p.sum(2).mul(xs).sum(2); // [B,K]
    const ey = p.sum(3).mul(ys).sum(2);
    return tf.stack([ex, ey], 2) as tf.Tensor3D;
  });
}

/** What the evaluator reads from N images (plain arrays). */
export interface EvaluatorOutput {
  n: number;
  /** N×4 boxes x, y, w, h in [0,1]. */
  boxes: Float32Array;
  /** N×K×3: x, y in [0,1] and visibility probability. */
  keypoints: Float32Array;
  /** N×A: index of the detected colour of each attribute. */
  attributes: Int32Array;
  /** N×F features. */
  features: Float32Array;
  featureDim: number;
  /** N×S×S predicted region labels (0 background) at the evaluator's input size. */
  labels: Uint8Array;
}

/**
 * Loss of one batch: L1 of the soft-argmax positions of visible keypoints (×10: positions are in [0,1], so a
 * 1-px error at 128 is 0.008), BCE on visibility, soft-target cross-entropy of the segmentation (× `segWeight`,
 * default 1). `t.kp [B,K,3]`, `t.seg [B,S/2,S/2,R+1]` (fractions of each label in the 2×2 block). Returns
 * scalars owned by the caller's tidy; `seg` is the unweighted cross-entropy.
 */
export function evaluatorLoss(
  c: Readonly<EvaluatorConfig>,
  outputs: tf.Tensor[],
  t: { kp: tf.Tensor3D; seg: tf.Tensor4D },
  segWeight = 1,
): { total: tf.Scalar; kp: tf.Scalar; vis: tf.Scalar; seg: tf.Scalar } {
  const [, heat, vis, seg] = outputs;
  const B = heat.shape[0] as number;
  const K = c.numParts;
  const v = t.kp.slice([0, 0, 2], [-1, -1, 1]); // B×K×1
  const kpPred = softArgmax(heat as tf.Tensor4D);
  const diff = tf.abs(kpPred.sub(t.kp.slice([0, 0, 0], [-1, -1, 2]))).mul(v);
  const lKp = diff.sum().div(v.sum().mul(2).add(1e-6)).mul(10) as tf.Scalar;
  const lVis = tf.losses.sigmoidCrossEntropy(v.reshape([B, K]), vis) as tf.Scalar;
  const lSeg = tf.neg(tf.mean(tf.sum(t.seg.mul(tf.logSoftmax(seg)), 3))) as tf.Scalar;
  const total = lKp.add(lVis).add(lSeg.mul(segWeight)) as tf.Scalar;
  return { total, kp: lKp, vis: lVis, seg: lSeg };
}

/**
 * The box of the visible keypoints padded as data/mpii.ts `personBox` (0.1 × the longer side + 0.05 of the
 * frame, which is 0.05 · scale · 200 px after the MHP crop's 1.1 · scale · 200 → 140 → 128 mapping), clipped to
 * [0,1]. `kp` K×3 with visibility probabilities (visible: > 0.5).
 */
export function keypointBox(kp: ArrayLike<number>, K: number): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let k = 0; k < K; k++) {
    if (kp[k * 3 + 2] <= 0.5) continue;
    x0 = Math.min(x0, kp[k * 3]);
    x1 = Math.max(x1, kp[k * 3]);
    y0 = Math.min(y0, kp[k * 3 + 1]);
    y1 = Math.max(y1, kp[k * 3 + 1]);
  }
  if (!Number.isFinite(x0)) return [0.5, 0.5, 0, 0];
  const pad = 0.1 * Math.max(x1 - x0, y1 - y0) + 0.05;
  const c = (v: number): number => Math.min(1, Math.max(0, v));
  const [a, b, e, d] = [c(x0 - pad), c(y0 - pad), c(x1 + pad), c(y1 + pad)];
  return [a, b, e - a, d - b];
}

/**
 * Runs the evaluator on N images (HWC float32 in [-1,1], any square size: resized to the evaluator's input).
 * Batches of `batch` keep memory flat. Needs fitted colour centroids (config.colourCentroids).
 */
export async function runEvaluator(model: tf.LayersModel, c: Readonly<EvaluatorConfig>, images: Float32Array, size: number, batch = 32): Promise<EvaluatorOutput> {
  const per = size * size * 3;
  if (images.length % per !== 0) throw new GawwnError(`images hold ${images.length} values, not a multiple of ${size}x${size}x3`);
  if (!c.colourCentroids) throw new GawwnError('this evaluator has no fitted colour centroids (train it with gawwn eval train-evaluator)');
  const centroids = new ColourCentroids(c.colourCentroids);
  const n = images.length / per;
  const K = c.numParts;
  const A = c.attributes.length;
  const F = c.featureDim;
  const S = c.imageSize;
  const R1 = c.regions.length + 1;
  const regionOf = c.attributes.map((a) => c.regions.indexOf(a) + 1); // 0: no region of that name
  const out: EvaluatorOutput = {
    n,
    boxes: new Float32Array(n * 4),
    keypoints: new Float32Array(n * K * 3),
    attributes: new Int32Array(n * A),
    features: new Float32Array(n * F),
    featureDim: F,
    labels: new Uint8Array(n * S * S),
  };
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    const res = tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(images.subarray(s * per, (s + b) * per), [b, size, size, 3]);
      if (size !== S) x = tf.image.resizeBilinear(x, [S, S], false, true);
      const [f, heat, vis, seg] = model.predict(x) as tf.Tensor[];
      // Segmentation logits back to the input resolution (half-pixel centres: cell j covers pixels 2j, 2j+1).
      const prob = tf.softmax(tf.image.resizeBilinear(seg as tf.Tensor4D, [S, S], false, true));
      const rgb = x.add(1).mul(127.5).round().clipByValue(0, 255);
      return [f, softArgmax(heat as tf.Tensor4D), tf.sigmoid(vis), tf.argMax(prob, 3), prob, rgb];
    });
    const [f, kp, vis, lab, prob, rgb] = (await Promise.all(res.map((t) => t.data()))) as [Float32Array, Float32Array, Float32Array, Int32Array, Float32Array, Float32Array];
    tf.dispose(res);
    out.features.set(f, s * F);
    const labels = out.labels.subarray(s * S * S, (s + b) * S * S);
    labels.set(lab);
    const plane = new Float32Array(S * S);
    for (let i = 0; i < b; i++) {
      const g = s + i;
      for (let k = 0; k < K; k++) out.keypoints.set([kp[(i * K + k) * 2], kp[(i * K + k) * 2 + 1], vis[i * K + k]], (g * K + k) * 3);
      const li = labels.subarray(i * S * S, (i + 1) * S * S);
      out.boxes.set(c.boxFrom === 'mask' ? foregroundBox(li, S) : keypointBox(out.keypoints.subarray(g * K * 3, (g + 1) * K * 3), K), g * 4);
      const img = rgb.subarray(i * S * S * 3, (i + 1) * S * S * 3);
      for (let a = 0; a < A; a++) {
        const r = regionOf[a];
        let px: number[];
        if (r > 0) {
          for (let j = 0; j < S * S; j++) plane[j] = prob[(i * S * S + j) * R1 + r];
          px = regionPixels(li, r, plane);
        } else {
          // No region of that name: the whole predicted foreground (never the case for the synthetic sets).
          px = [];
          for (let j = 0; j < S * S; j++) if (li[j] > 0) px.push(j);
          if (px.length === 0) px = Array.from({ length: S * S }, (_, j) => j);
        }
        out.attributes[g * A + a] = voteColour(img, px, centroids, a);
      }
    }
  }
  return out;
}
