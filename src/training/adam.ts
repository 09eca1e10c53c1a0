/**
 * Adam with one `tf.tidy` per variable. tfjs 4.22's `AdamOptimizer.applyGradients` runs the update of every
 * variable inside ONE tidy, so the ~11 weight-sized temporaries of each variable's update (β·m, (1−β)·g, g², the
 * bias-corrected moments, √v̂ + ε, the step, …) stay allocated until the last variable is done. For the paper's
 * box generator (gawwn-reference §2.2: 73.6 M parameters, 294 MB of float32; its two 4×4 1024→1024 transposed
 * convolutions alone are 128 MB) that is ~3 GB of temporaries on top of weights, moments and gradients, and the
 * wasm backend's 4 GiB heap overflowed: `gawwn bench --model bbox --preset paper` failed at any batch size (at
 * batch 2, 4.6 GB of live tensors when it died), with "dfilter lies outside the heap" or "memory access out of
 * bounds". Freeing each variable's temporaries before the next bounds the extra memory by the largest variable.
 *
 * The arithmetic is tfjs's, op for op and in the same order (Kingma & Ba 2015, Algorithm 1, with tfjs's ε
 * placement), the state is tfjs's (`<name>/m`, `<name>/v`, the iteration count; `getWeights` / `setWeights` are
 * inherited), so results are bit-identical to `tf.train.adam` and checkpoints written by either load in the
 * other (tested).
 */
import * as tf from '@tensorflow/tfjs';
import { nativeAdamUpdate } from '../backend/native/native-kernels.js';

/** The private state of tfjs's AdamOptimizer (TypeScript-private only; plain properties at run time). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

export class LowMemoryAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Gradients): void {
    const s = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const [oneMinusAccBeta1, oneMinusAccBeta2] = tf.tidy(() => [tf.sub(1, s.accBeta1), tf.sub(1, s.accBeta2)]);
    try {
      names.forEach((name, i) => {
        tf.tidy(() => {
          const value = tf.engine().registeredVariables[name];
          if (s.accumulatedFirstMoment[i] == null) {
            s.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          }
          if (s.accumulatedSecondMoment[i] == null) {
            s.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          }
          const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
          if (gradient == null) return;
          const firstMoment = s.accumulatedFirstMoment[i].variable;
          const secondMoment = s.accumulatedSecondMoment[i].variable;
          // On wasm+native the same arithmetic runs as one kernel (backend/native: nativeAdamUpdate).
          const fused = nativeAdamUpdate(value, firstMoment, secondMoment, gradient, oneMinusAccBeta1, oneMinusAccBeta2,
            this.beta1, this.beta2, this.learningRate, this.epsilon);
          if (fused !== null) {
            firstMoment.assign(fused[1]);
            secondMoment.assign(fused[2]);
            value.assign(fused[0]);
            return;
          }
          const newFirstMoment = tf.add(tf.mul(firstMoment, this.beta1), tf.mul(gradient, 1 - this.beta1));
          const newSecondMoment = tf.add(tf.mul(secondMoment, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
          const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
          const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
          firstMoment.assign(newFirstMoment);
          secondMoment.assign(newSecondMoment);
          const newValue = tf.add(tf.mul(tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), this.epsilon)), -this.learningRate), value);
          value.assign(newValue);
        });
      });
      tf.tidy(() => {
        s.accBeta1.assign(tf.mul(s.accBeta1, this.beta1));
        s.accBeta2.assign(tf.mul(s.accBeta2, this.beta2));
      });
    } finally {
      tf.dispose([oneMinusAccBeta1, oneMinusAccBeta2]);
    }
    this.incrementIterations();
  }
}

/**
 * tfjs's `setWeights` sets β₁ᵗ and β₂ᵗ to pow(β, t + 1), while every update multiplies them by β once: the two
 * differ in the last bits after a few steps, so a resumed run drifted from the uninterrupted one from its first
 * step. Here they are rebuilt by the same t float32 products the updates made (a float32 product is exact in a
 * double before its one rounding, so Math.fround reproduces the backend's multiply bit for bit).
 */
export class ResumableAdam extends LowMemoryAdam {
  override async setWeights(weightValues: Parameters<tf.AdamOptimizer["setWeights"]>[0]): Promise<void> {
    await super.setWeights(weightValues);
    const s = this as unknown as AdamState;
    const t = (this as unknown as { iterations_: number }).iterations_;
    const b1 = Math.fround(this.beta1);
    const b2 = Math.fround(this.beta2);
    let a1 = b1;
    let a2 = b2;
    for (let i = 0; i < t; i++) {
      a1 = Math.fround(a1 * b1);
      a2 = Math.fround(a2 * b2);
    }
    tf.tidy(() => {
      s.accBeta1.assign(tf.scalar(a1));
      s.accBeta2.assign(tf.scalar(a2));
    });
  }
}

/** `tf.train.adam` with per-variable temporaries (see the file header). */
export function adam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.AdamOptimizer {
  return new ResumableAdam(learningRate, beta1, beta2, epsilon);
}
