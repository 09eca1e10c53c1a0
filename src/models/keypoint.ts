/**
 * The keypoint-conditional GAWWN (§4.2, gawwn-reference §3; ported from N:main_cub_keypoints.lua and,
 * for `variant: 'mhp'`, N:main_mhp.lua). Keypoints enter as binary maps [B, 16, 16, K] (layers/keypoint-grid.ts);
 * the gating mask clamp(Σ_k maps, 0, 1) is computed inside the nets, as in Lua. Layer names keep the Lua names.
 */
import * as tf from '@tensorflow/tfjs';
import { Blocks, chain, type Act, type Sym } from '../layers/blocks.js';
import { WeightInit } from '../layers/init.js';
import { KeypointGate } from '../layers/keypoint-grid.js';
import { Replicate } from '../layers/replicate.js';
import type { ModelConfig } from '../config/types.js';
import { checkImageConfig, discriminatorHead, imgGlobalD, prepTxtD } from './common.js';

/**
 * Keypoint generator G(z, t, kp).
 * Inputs: 1. `z` [B, nz]; 2. `t` [B, txtSize]; 3. `kp` [B, 16, 16, K] binary keypoint maps.
 * Output: `image` [B, 128, 128, 3] in [−1, 1].
 * `noise_txt` = act(concat[Linear(z), Linear(t)]) is computed once and feeds both the region and the global path.
 * MHP variant (gawwn-reference §3.4): the region projection has no BN/act before the mask, and the region path ends
 * in an extra residual block.
 */
export function buildKeypointGenerator(cfg: Readonly<ModelConfig>, seed = 0): tf.LayersModel {
  checkImageConfig(cfg);
  const b = new Blocks(new WeightInit(seed), cfg.gUpsample);
  const { ngf, nz, txtSize, numParts: K } = cfg;
  const M = cfg.keypointGrid;
  const act: Act = 'relu'; // N: activationG = relu in both variants.
  const mhp = cfg.variant === 'mhp';
  const z = tf.input({ name: 'z', shape: [nz] });
  const t = tf.input({ name: 't', shape: [txtSize] });
  const kp = tf.input({ name: 'kp', shape: [M, M, K] });

  // noise_txt (shared).
  const zp = b.dense('prep_noise', nz, ngf * 4).apply(z) as Sym;
  const tp = b.dense('prep_txt', txtSize, ngf * 4).apply(t) as Sym;
  const nt = chain(tf.layers.concatenate({ name: 'noise_txt_concat' }).apply([zp, tp]) as Sym, b.act(`noise_txt_${act}`, act)); // [B,8ngf]

  // Region path (noise_txt_region): project, tile, gate by the keypoint mask, ConvT.
  let r = mhp
    ? (b.dense('noise_txt_region_linear', ngf * 8, ngf * 4).apply(nt) as Sym)
    : b.denseBnAct(nt, 'noise_txt_region', ngf * 8, ngf * 4, act);
  r = new Replicate({ name: 'noise_txt_region_replicate', height: M }).apply(r) as Sym; // [B,16,16,4ngf]
  r = new KeypointGate({ name: 'noise_txt_region_gate' }).apply([r, kp]) as Sym;
  r = b.convBnAct(r, 'noise_txt_region_1', ngf * 4, 3, 1, 'same', act, true); // [B,16,16,4ngf]
  if (mhp) r = b.residual(r, 'noise_txt_region_res', ngf * 4, ngf, act);

  // Global path: noise_txt projection ‖ keypoints encoded to a vector (prep_loc_global), then up to 16×16.
  const gv = b.denseBnAct(nt, 'noise_txt_global', ngf * 8, ngf * 4, act); // [B,4ngf]
  let loc = b.convBnAct(kp, 'prep_loc_global_1', ngf, 4, 2, 'same', act); // [B,8,8,ngf]
  loc = b.convBnAct(loc, 'prep_loc_global_2', ngf * 2, 4, 2, 'same', act); // [B,4,4,2ngf]
  loc = b.convBnAct(loc, 'prep_loc_global_3', ngf * 4, 4, 1, 'valid', act); // [B,1,1,4ngf]
  loc = tf.layers.flatten({ name: 'prep_loc_global_view' }).apply(loc) as Sym;
  let g = tf.layers.concatenate({ name: 'noise_txt_global_concat' }).apply([gv, loc]) as Sym;
  g = tf.layers.reshape({ name: 'noise_txt_global_view', targetShape: [1, 1, ngf * 8] }).apply(g) as Sym;
  g = b.convBnAct(g, 'noise_txt_global_1', ngf * 4, 4, 1, 'valid', act, true); // [B,4,4,4ngf]
  g = b.convBnAct(g, 'noise_txt_global_2', ngf * 2, 4, 2, 'same', act, true); // [B,8,8,2ngf]
  g = b.convBnAct(g, 'noise_txt_global_3', ngf, 4, 2, 'same', act, true); // [B,16,16,ngf]

  // Merge with the raw keypoints.
  let x = tf.layers.concatenate({ name: 'netG_concat' }).apply([g, r, kp]) as Sym; // [B,16,16,5ngf+K]
  x = b.convBnAct(x, 'netG_1', ngf * 4, 3, 1, 'same', act, true);
  x = b.convBnAct(x, 'netG_2', ngf * 4, 3, 1, 'same', null, true);
  x = b.residual(x, 'netG_res', ngf * 4, ngf, act); // [B,16,16,4ngf]
  x = b.convBnAct(x, 'netG_3', ngf * 2, 4, 2, 'same', act, true); // [B,32,32,2ngf]
  x = b.convBnAct(x, 'netG_4', ngf, 4, 2, 'same', act, true); // [B,64,64,ngf]
  const image = b.act('image', 'tanh').apply(b.up2(x, 'netG_5', 3)) as Sym; // [B,128,128,3]
  return tf.model({ name: 'keypoint_G', inputs: [z, t, kp], outputs: image });
}

/**
 * Keypoint discriminator D(image, kp, t).
 * Inputs: 1. `image` [B, 128, 128, 3]; 2. `kp` [B, 16, 16, K]; 3. `t` [B, txtSize].
 * Output: [B, 1], a probability (a score under dOutput 'logit').
 * `imgGlobalD` and `prep_txt_d` are computed once and feed both paths. MHP: ELU replaces every LeakyReLU and
 * dropout `dropoutD` ends the global path.
 */
export function buildKeypointDiscriminator(cfg: Readonly<ModelConfig>, seed = 1): tf.LayersModel {
  checkImageConfig(cfg);
  const b = new Blocks(new WeightInit(seed), 'deconv', cfg.dNorm);
  const { ndf, numParts: K } = cfg;
  const M = cfg.keypointGrid;
  const mhp = cfg.variant === 'mhp';
  const act: Act = mhp ? 'elu' : 'lrelu';
  const img = tf.input({ name: 'image', shape: [cfg.imageSize, cfg.imageSize, 3] });
  const kp = tf.input({ name: 'kp', shape: [M, M, K] });
  const t = tf.input({ name: 't', shape: [cfg.txtSize] });

  const f = imgGlobalD(b, img, ndf, act); // [B,16,16,2ndf], shared
  const txt = prepTxtD(b, t, cfg, act); // [B,nt], shared

  // Region path: image ‖ tiled text, conv, gate by the mask, concat raw keypoints, 1×1 convs, mean.
  const txtTiled = new Replicate({ name: 'imgTextGlobalD_replicate', height: M }).apply(txt) as Sym;
  let r = tf.layers.concatenate({ name: 'imgTextGlobalD_concat' }).apply([f, txtTiled]) as Sym; // [B,16,16,2ndf+nt]
  r = b.convBnAct(r, 'imgTextGlobalD_1', ndf * 2, 3, 1, 'same', act);
  r = new KeypointGate({ name: 'keyMulD_gate' }).apply([r, kp]) as Sym;
  r = tf.layers.concatenate({ name: 'regionD_concat' }).apply([r, kp]) as Sym; // [B,16,16,2ndf+K]
  r = b.convBnAct(r, 'regionD_1', ndf * 2, 1, 1, 'valid', act);
  // The mean is over all 16×16 positions, not only the masked ones (gawwn-reference §3.3).
  r = chain(r, b.conv('regionD_2_conv', ndf, 1, 1, 'valid'), tf.layers.globalAveragePooling2d({ name: 'regionD_mean' }), b.act(`regionD_${act}`, act));

  // Global path: image trunk down to 4×4, text tiled 4×4 (PAPER-VS-CODE: the paper says additive; N concatenates).
  let g = b.convBnAct(f, 'convGlobalD_1', ndf * 4, 4, 2, 'same', act); // [B,8,8,4ndf]
  g = b.convBnAct(g, 'convGlobalD_2', ndf * 8, 4, 2, 'same', act); // [B,4,4,8ndf]
  const txt4 = new Replicate({ name: 'txtGlobalD_replicate', height: 4 }).apply(txt) as Sym;
  g = tf.layers.concatenate({ name: 'globalD_concat' }).apply([g, txt4]) as Sym; // [B,4,4,8ndf+nt]
  g = b.convBnAct(g, 'globalD_1', ndf * 4, 1, 1, 'valid', act);
  g = b.convBnAct(g, 'globalD_2', ndf, 4, 1, 'valid', act); // [B,1,1,ndf]
  g = tf.layers.flatten({ name: 'globalD_view' }).apply(g) as Sym;
  if (mhp) g = tf.layers.dropout({ name: 'globalD_dropout', rate: cfg.dropoutD }).apply(g) as Sym;

  const prob = discriminatorHead(b, r, g, t, cfg, act);
  return tf.model({ name: 'keypoint_D', inputs: [img, kp, t], outputs: prob });
}
