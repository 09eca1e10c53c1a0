/**
 * The evaluator network (issue 7 item 1): a small CNN that reads a 128² image (the generators' output frame,
 * HWC in [-1,1]) and reports what is drawn where — the object box, the K keypoints with their visibility, the
 * colour of each named part, and a feature vector (for the evaluator Fréchet distance and diversity).
 * It is trained on the real images of a synthetic set, whose ground truth is exact (attributes.json colours,
 * drawn boxes and keypoints), so its held-out accuracy is the ceiling every generated-image number is read against.
 * Not in the paper: the paper shows control only by pictures (§5); this measures it.
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';

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
  /** Base channel count of the conv ladder. Default 16. */
  width: number;
  /** Size of the feature layer (used for the evaluator Fréchet distance). Default 128. */
  featureDim: number;
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
}

/**
 * Builds the evaluator. Input `image [B,S,S,3]`; outputs, in order:
 * `features [B,F]` (pre-ReLU), `box [B,4]` (x0,y0,x1,y1 in [0,1]), `keypoints [B,2K]` (x,y in [0,1]),
 * `visibility [B,K]` (logits), `attributes [B,A·C]` (logits, attribute-major).
 * Input is average-pooled 2× first: colours and positions to ~1 px of 128 do not need full resolution, and the
 * machine is 2 CPU cores (DEVIATION from a "real" detector, which would use heatmaps at full resolution).
 */
export function buildEvaluator(c: Readonly<EvaluatorConfig>, seed = 0): tf.LayersModel {
  validateEvaluatorConfig(c);
  const init = (i: number): ReturnType<typeof tf.initializers.heNormal> => tf.initializers.heNormal({ seed: seed + i });
  const x = tf.input({ shape: [c.imageSize, c.imageSize, 3], name: 'image' });
  let h = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: 'pool_in' }).apply(x) as tf.SymbolicTensor;
  const w = c.width;
  const ladder: [number, number][] = [[w, 1], [2 * w, 2], [2 * w, 1], [4 * w, 2], [4 * w, 1], [8 * w, 2], [8 * w, 1]];
  ladder.forEach(([f, s], i) => {
    h = tf.layers.conv2d({ filters: f, kernelSize: 3, strides: s, padding: 'same', kernelInitializer: init(i), name: `conv${i + 1}` }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU({ alpha: 0.1, name: `act${i + 1}` }).apply(h) as tf.SymbolicTensor;
  });
  // Flatten (not global pooling): positions must survive to the regression heads.
  h = tf.layers.flatten({ name: 'flatten' }).apply(h) as tf.SymbolicTensor;
  // The reported features are the pre-activation of this layer: after a ReLU, images unlike the training set
  // collapse to all-zero features and the Fréchet distance / diversity lose their resolution.
  const pre = tf.layers.dense({ units: c.featureDim, kernelInitializer: init(20), name: 'features' }).apply(h) as tf.SymbolicTensor;
  const feat = tf.layers.reLU({ name: 'features_act' }).apply(pre) as tf.SymbolicTensor;
  const head = (units: number, name: string, activation: 'sigmoid' | 'linear', i: number): tf.SymbolicTensor =>
    tf.layers.dense({ units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }), name }).apply(feat) as tf.SymbolicTensor;
  const box = head(4, 'box', 'sigmoid', 21);
  const kp = head(2 * c.numParts, 'keypoints', 'sigmoid', 22);
  const vis = head(c.numParts, 'visibility', 'linear', 23);
  const attr = head(c.attributes.length * c.colours.length, 'attributes', 'linear', 24);
  return tf.model({ inputs: x, outputs: [pre, box, kp, vis, attr], name: 'evaluator' });
}

/** What the evaluator reads from N images (plain arrays). */
export interface EvaluatorOutput {
  n: number;
  /** N×4 boxes x, y, w, h in [0,1]. */
  boxes: Float32Array;
  /** N×K×3: x, y in [0,1] and visibility probability. */
  keypoints: Float32Array;
  /** N×A: index of the most probable colour of each attribute. */
  attributes: Int32Array;
  /** N×F features. */
  features: Float32Array;
  featureDim: number;
}

/** Targets of one batch (plain arrays; `attributes` −1 = unknown). */
export interface EvaluatorTargets {
  box: Float32Array; // N×4 x,y,w,h
  keypoints: Float32Array; // N×K×3
  attributes: Int32Array; // N×A
}

/**
 * Loss of one batch: L1 on the box corners, L1 on visible keypoints, BCE on visibility, cross-entropy on each
 * known attribute. Returns the total and the parts (all scalars, owned by the caller's tidy).
 */
export function evaluatorLoss(
  c: Readonly<EvaluatorConfig>,
  outputs: tf.Tensor[],
  t: { box: tf.Tensor2D; kp: tf.Tensor3D; attr: tf.Tensor2D },
): { total: tf.Scalar; box: tf.Scalar; kp: tf.Scalar; vis: tf.Scalar; attr: tf.Scalar } {
  const [, box, kp, vis, attr] = outputs;
  const B = box.shape[0] as number;
  const K = c.numParts;
  const A = c.attributes.length;
  const C = c.colours.length;
  // Box as corners.
  const bx = t.box.slice([0, 0], [-1, 1]);
  const by = t.box.slice([0, 1], [-1, 1]);
  const corners = tf.concat([bx, by, bx.add(t.box.slice([0, 2], [-1, 1])), by.add(t.box.slice([0, 3], [-1, 1]))], 1);
  const lBox = tf.mean(tf.abs(box.sub(corners))).mul(4) as tf.Scalar;
  const v = t.kp.slice([0, 0, 2], [-1, -1, 1]); // B×K×1
  const kpPred = kp.reshape([B, K, 2]);
  const diff = tf.abs(kpPred.sub(t.kp.slice([0, 0, 0], [-1, -1, 2]))).mul(v);
  const lKp = diff.sum().div(v.sum().mul(2).add(1e-6)).mul(4) as tf.Scalar;
  const lVis = tf.losses.sigmoidCrossEntropy(v.reshape([B, K]), vis) as tf.Scalar;
  const logits = attr.reshape([B * A, C]);
  const labels = t.attr.reshape([B * A]);
  const known = tf.cast(tf.greaterEqual(labels, 0), 'float32');
  const onehot = tf.oneHot(tf.cast(tf.maximum(labels, 0), 'int32'), C);
  const ce = tf.neg(tf.sum(onehot.mul(tf.logSoftmax(logits)), 1)).mul(known);
  const lAttr = ce.sum().div(known.sum().add(1e-6)) as tf.Scalar;
  const total = lBox.add(lKp).add(lVis).add(lAttr) as tf.Scalar;
  return { total, box: lBox, kp: lKp, vis: lVis, attr: lAttr };
}

/**
 * Runs the evaluator on N images (HWC float32 in [-1,1], any square size: resized to the evaluator's input).
 * Batches of `batch` keep memory flat.
 */
export async function runEvaluator(model: tf.LayersModel, c: Readonly<EvaluatorConfig>, images: Float32Array, size: number, batch = 64): Promise<EvaluatorOutput> {
  const per = size * size * 3;
  if (images.length % per !== 0) throw new GawwnError(`images hold ${images.length} values, not a multiple of ${size}x${size}x3`);
  const n = images.length / per;
  const K = c.numParts;
  const A = c.attributes.length;
  const C = c.colours.length;
  const F = c.featureDim;
  const out: EvaluatorOutput = {
    n,
    boxes: new Float32Array(n * 4),
    keypoints: new Float32Array(n * K * 3),
    attributes: new Int32Array(n * A),
    features: new Float32Array(n * F),
    featureDim: F,
  };
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    const res = tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(images.subarray(s * per, (s + b) * per), [b, size, size, 3]);
      if (size !== c.imageSize) x = tf.image.resizeBilinear(x, [c.imageSize, c.imageSize]);
      const [f, box, kp, vis, attr] = model.predict(x) as tf.Tensor[];
      return [f, box, kp, tf.sigmoid(vis), tf.argMax(attr.reshape([b, A, C]), 2)];
    });
    const [f, box, kp, vis, attr] = (await Promise.all(res.map((t) => t.data()))) as [Float32Array, Float32Array, Float32Array, Float32Array, Int32Array];
    tf.dispose(res);
    out.features.set(f, s * F);
    out.attributes.set(attr, s * A);
    for (let i = 0; i < b; i++) {
      const [x0, y0, x1, y1] = box.subarray(i * 4, i * 4 + 4);
      const lx = Math.min(x0, x1);
      const ly = Math.min(y0, y1);
      out.boxes.set([lx, ly, Math.abs(x1 - x0), Math.abs(y1 - y0)], (s + i) * 4);
      for (let k = 0; k < K; k++) {
        out.keypoints.set([kp[(i * K + k) * 2], kp[(i * K + k) * 2 + 1], vis[i * K + k]], ((s + i) * K + k) * 3);
      }
    }
  }
  return out;
}
