/**
 * Named trainable variables of the text and image encoders: drawn from an Rng by the encoder's own init rule,
 * or taken from saved weights (name -> values, each checked against its shape).
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** tfjs variable names must be unique per process; this counter makes them so (no other state). */
let serial = 0;

/**
 * One variable per entry of `shapes`, named `<scope>/<name>/<serial>`. With an Rng, `draw(name, shape, n, rng)`
 * gives the initial values; otherwise `init[name]` must hold exactly n values (`what` names the model in errors).
 */
export function createParams(
  shapes: Readonly<Record<string, number[]>>,
  init: Rng | Readonly<Record<string, Float32Array>>,
  scope: string,
  what: string,
  draw: (name: string, shape: number[], n: number, rng: Rng) => Float32Array,
): Readonly<Record<string, tf.Variable>> {
  const params: Record<string, tf.Variable> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (init instanceof Rng) {
      values = draw(name, shape, n, init);
    } else {
      const v = init[name];
      if (v === undefined) throw new GawwnError(`${what} weights: missing '${name}'`);
      check(v.length === n, `${what} weights: '${name}' has ${v.length} values, expected ${n} (${shape.join('x')})`);
      values = v;
    }
    const initial = tf.tensor(values, shape, 'float32');
    params[name] = tf.variable(initial, true, `${scope}/${name}/${serial++}`);
    initial.dispose(); // the variable holds its own reference to the data
  }
  return Object.freeze(params);
}
