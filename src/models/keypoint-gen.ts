/**
 * The conditional keypoint generator Gk and its discriminator Dk (§4.3, gawwn-reference §4; ported from
 * N:main_gen_keypoints.lua). Keypoints are [B, K, 3] = normalised (x, y, v). Gk completes a partial set:
 * output = s ⊙ k_g + (1 − s) ⊙ f(z, t, k_g), s = the visibility column of k_g replicated over (x, y, v)
 * (Lua maskOn/maskOff): a keypoint is "given" iff its v = 1, there is no separate switch input.
 */
import * as tf from '@tensorflow/tfjs';
import { Blocks, chain, type Sym } from '../layers/blocks.js';
import { WeightInit } from '../layers/init.js';
import { check } from '../util/errors.js';
import type { ModelConfig } from '../config/types.js';
import { scoreHead } from './common.js';

/** s ⊙ k_g + (1 − s) ⊙ f with s = k_g[..., 2] (maskOn/maskOff of N:main_gen_keypoints.lua). */
export function switchKeypoints(kg: tf.Tensor3D, f: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const s = kg.slice([0, 0, 2], [-1, -1, 1]); // [B, K, 1], broadcast over (x, y, v)
    return tf.add(tf.mul(s, kg), tf.mul(tf.sub(1, s), f)) as tf.Tensor3D;
  });
}

/** Layer form of `switchKeypoints`: inputs `[k_g, f]`, both [B, K, 3]. */
export class KeypointSwitch extends tf.layers.Layer {
  static className = 'GawwnKeypointSwitch';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [kg, f] = inputs as tf.Tensor3D[];
    return switchKeypoints(kg, f);
  }
}
tf.serialization.registerClass(KeypointSwitch);

/**
 * Gk(z, t, k_g).
 * Inputs: 1. `z` [B, nz]; 2. `t` [B, txtSize]; 3. `kg` [B, K, 3] conditioning keypoints (switched-off ones all 0).
 * Output: `keypoints` [B, K, 3] in [0, 1].
 * PAPER-VS-CODE: the paper describes f as one 3-layer MLP on concat(z, t, k); N has per-input encoders
 * (z→4ngf, t→4ngf, k→4ngf→2ngf) followed by a 4-Linear trunk; this follows N.
 */
export function buildKeypointCompleter(cfg: Readonly<ModelConfig>, seed = 0): tf.LayersModel {
  checkKeypointGenConfig(cfg);
  const b = new Blocks(new WeightInit(seed));
  const { ngf, nz, txtSize, numParts: K } = cfg;
  const z = tf.input({ name: 'z', shape: [nz] });
  const t = tf.input({ name: 't', shape: [txtSize] });
  const kg = tf.input({ name: 'kg', shape: [K, 3] });

  const ze = chain(z, b.dense('convG_noise_linear', nz, ngf * 4), b.act('convG_noise_relu', 'relu'));
  const te = chain(t, b.dense('convG_txt_linear', txtSize, ngf * 4), b.act('convG_txt_relu', 'relu'));
  let ke = tf.layers.flatten({ name: 'convG_loc_view' }).apply(kg) as Sym; // [B,3K]
  ke = b.denseBnAct(ke, 'convG_loc_1', 3 * K, ngf * 4, 'relu');
  ke = b.denseBnAct(ke, 'convG_loc_2', ngf * 4, ngf * 2, 'relu');
  let h = tf.layers.concatenate({ name: 'convG_concat' }).apply([ze, te, ke]) as Sym; // [B,10ngf]
  h = b.denseBnAct(h, 'convG_1', ngf * 10, ngf * 8, 'relu');
  h = b.denseBnAct(h, 'convG_2', ngf * 8, ngf * 4, 'relu');
  h = b.denseBnAct(h, 'convG_3', ngf * 4, ngf * 2, 'relu');
  const f = chain(h, b.dense('convG_4_linear', ngf * 2, 3 * K), tf.layers.reshape({ name: 'convG_view', targetShape: [K, 3] }), b.act('convG_sigmoid', 'sigmoid'));
  const out = new KeypointSwitch({ name: 'keypoints' }).apply([kg, f]) as Sym;
  return tf.model({ name: 'keypoint_Gk', inputs: [z, t, kg], outputs: out });
}

/**
 * Dk(k, t).
 * Output: [B, 1], a probability (a score under dOutput 'logit').
 * Output: `prob` [B, 1].
 * N builds the k-encoder's first Linear with ngf·4 outputs but its BN with ndf·4, so it only runs with
 * ndf = ngf; the builder checks that.
 */
export function buildKeypointCritic(cfg: Readonly<ModelConfig>, seed = 1): tf.LayersModel {
  checkKeypointGenConfig(cfg);
  const b = new Blocks(new WeightInit(seed), 'deconv', cfg.dNorm);
  const { ndf, txtSize, numParts: K } = cfg;
  const k = tf.input({ name: 'k', shape: [K, 3] });
  const t = tf.input({ name: 't', shape: [txtSize] });
  let ke = tf.layers.flatten({ name: 'netD_loc_view' }).apply(k) as Sym;
  ke = b.denseBnAct(ke, 'netD_loc_1', 3 * K, ndf * 4, 'lrelu');
  ke = b.denseBnAct(ke, 'netD_loc_2', ndf * 4, ndf * 2, 'lrelu');
  let te = b.denseBnAct(t, 'netD_txt_1', txtSize, ndf * 4, 'lrelu');
  te = b.denseBnAct(te, 'netD_txt_2', ndf * 4, ndf * 2, 'lrelu');
  let h = tf.layers.concatenate({ name: 'netD_concat' }).apply([ke, te]) as Sym; // [B,4ndf]
  h = b.denseBnAct(h, 'netD_1', ndf * 4, ndf * 2, 'lrelu');
  const prob = scoreHead(b, h, t, ndf * 2, cfg);
  return tf.model({ name: 'keypoint_Dk', inputs: [k, t], outputs: prob });
}

function checkKeypointGenConfig(cfg: ModelConfig): void {
  for (const key of ['ngf', 'ndf', 'nz', 'txtSize', 'numParts'] as const) {
    check(Number.isInteger(cfg[key]) && cfg[key] > 0, `model.${key} must be a positive integer, got ${cfg[key]}`);
  }
  check(cfg.ngf === cfg.ndf, `keypoint-gen needs model.ndf = model.ngf (N's Dk mixes them), got ngf=${cfg.ngf}, ndf=${cfg.ndf}`);
}
