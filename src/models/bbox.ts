/**
 * The bounding-box-conditional GAWWN (§4.1, gawwn-reference §2; ported from N:main_cub_bbox.lua with
 * num_elt = 1, as N:scripts/train_cub_bbox.sh runs it). Boxes enter as normalised (x, y, w, h) [B,4]; the
 * STN layers derive the crop (D) or paste (G) affine themselves. Layer names keep the Lua module names.
 */
import * as tf from '@tensorflow/tfjs';
import { Blocks, chain, type Sym } from '../layers/blocks.js';
import { WeightInit } from '../layers/init.js';
import { Replicate } from '../layers/replicate.js';
import { SpatialTransformer } from '../layers/spatial-transformer.js';
import type { ModelConfig } from '../config/types.js';
import { checkImageConfig, discriminatorHead, imgGlobalD, prepTxtD } from './common.js';

/** Channels of the last hidden ConvT of bbox-G: the Lua code hard-codes 32 (not ngf/4; gawwn-reference §2.2). */
export const BBOX_G_LAST_CHANNELS = 32;

/**
 * Box generator G(z, t, box).
 * Inputs: 1. `z` [B, nz] noise; 2. `t` [B, txtSize] text embedding; 3. `box` [B, 4] normalised (x, y, w, h).
 * Output: `image` [B, 128, 128, 3] in [−1, 1] (tanh).
 * `prep_txt_g` (Linear txtSize→4ngf) is computed once and feeds both the text-in-box path and the local path.
 */
export function buildBboxGenerator(cfg: Readonly<ModelConfig>, seed = 0): tf.LayersModel {
  checkImageConfig(cfg);
  const b = new Blocks(new WeightInit(seed), cfg.gUpsample);
  const { ngf, nz, txtSize } = cfg;
  const M = cfg.keypointGrid;
  const z = tf.input({ name: 'z', shape: [nz] });
  const t = tf.input({ name: 't', shape: [txtSize] });
  const box = tf.input({ name: 'box', shape: [4] });

  const txtG = b.dense('prep_txt_g', txtSize, ngf * 4).apply(t) as Sym; // [B,4ngf], shared
  // txtGlobalG: text tiled over the grid, pasted into the box (zeros outside), convolved down to 1×1.
  const tiled = new Replicate({ name: 'txtGlobalG_replicate', height: M }).apply(txtG) as Sym; // [B,16,16,4ngf]
  let tg = new SpatialTransformer({ name: 'txtGlobalG_stn_paste', mode: 'paste' }).apply([tiled, box]) as Sym;
  tg = b.convBnAct(tg, 'txtGlobalG_1', ngf * 4, 4, 2, 'same', 'relu'); // [B,8,8,4ngf]
  tg = b.convBnAct(tg, 'txtGlobalG_2', ngf * 4, 4, 2, 'same', 'relu'); // [B,4,4,4ngf]
  tg = b.convBnAct(tg, 'txtGlobalG_3', ngf * 4, 4, 1, 'valid', 'relu'); // [B,1,1,4ngf]
  tg = tf.layers.flatten({ name: 'txtGlobalG_flatten' }).apply(tg) as Sym;

  // Global path (combiner_global + globalG).
  const zg = chain(z, b.dense('combiner_global_linear', nz, ngf * 4), b.act('combiner_global_relu1', 'relu'));
  let g = tf.layers.concatenate({ name: 'combiner_global_concat' }).apply([zg, tg]) as Sym;
  g = chain(g, b.act('combiner_global_relu2', 'relu'), tf.layers.reshape({ name: 'globalG_view', targetShape: [1, 1, ngf * 8] }));
  g = b.convBnAct(g, 'globalG_1', ngf * 8, 4, 1, 'valid', 'relu', true); // [B,4,4,8ngf]
  g = b.convBnAct(g, 'globalG_2', ngf * 4, 4, 2, 'same', 'relu', true); // [B,8,8,4ngf]
  g = b.convBnAct(g, 'globalG_3', ngf * 2, 4, 2, 'same', 'relu', true); // [B,16,16,2ngf]

  // Local path (combiner_local + convG + regionsG).
  const zl = b.dense('prep_noise', nz, ngf * 4).apply(z) as Sym;
  let l = tf.layers.concatenate({ name: 'combiner_local_concat' }).apply([zl, txtG]) as Sym;
  l = chain(l, b.act('combiner_local_relu', 'relu'), tf.layers.reshape({ name: 'convG_view', targetShape: [1, 1, ngf * 8] }));
  l = b.convBnAct(l, 'convG_1', ngf * 8, 4, 1, 'valid', null, true); // [B,4,4,8ngf]
  l = b.residual(l, 'convG_res1', ngf * 8, ngf * 2, 'relu');
  l = b.convBnAct(l, 'convG_2', ngf * 4, 4, 2, 'same', null, true); // [B,8,8,4ngf]
  l = b.residual(l, 'convG_res2', ngf * 4, ngf, 'relu');
  l = b.convBnAct(l, 'convG_3', ngf * 2, 4, 2, 'same', null, true); // [B,16,16,2ngf]
  l = new SpatialTransformer({ name: 'regionsG_stn_paste', mode: 'paste' }).apply([l, box]) as Sym;
  l = b.act('regionsG_relu', 'relu').apply(l) as Sym;

  // Merge.
  let x = tf.layers.concatenate({ name: 'netG_concat' }).apply([g, l]) as Sym; // [B,16,16,4ngf]
  x = b.convBnAct(x, 'netG_1', ngf * 2, 3, 1, 'same', 'relu', true); // [B,16,16,2ngf]
  x = b.convBnAct(x, 'netG_2', ngf, 4, 2, 'same', 'relu', true); // [B,32,32,ngf]
  x = b.convBnAct(x, 'netG_3', BBOX_G_LAST_CHANNELS, 4, 2, 'same', 'relu', true); // [B,64,64,32]
  const image = b.act('image', 'tanh').apply(b.up2(x, 'netG_4', 3)) as Sym; // [B,128,128,3]
  return tf.model({ name: 'bbox_G', inputs: [z, t, box], outputs: image });
}

/**
 * Box discriminator D(image, box, t).
 * Inputs: 1. `image` [B, 128, 128, 3]; 2. `box` [B, 4] normalised (x, y, w, h); 3. `t` [B, txtSize].
 * Output: [B, 1], the probability that (image, box, t) is a real, matching triple (a score under dOutput 'logit').
 * `imgGlobalD` and `prep_txt_d` are computed once and feed both the region and the global path.
 */
export function buildBboxDiscriminator(cfg: Readonly<ModelConfig>, seed = 1): tf.LayersModel {
  checkImageConfig(cfg);
  const b = new Blocks(new WeightInit(seed), 'deconv', cfg.dNorm);
  const { ndf } = cfg;
  const M = cfg.keypointGrid;
  const img = tf.input({ name: 'image', shape: [cfg.imageSize, cfg.imageSize, 3] });
  const box = tf.input({ name: 'box', shape: [4] });
  const t = tf.input({ name: 't', shape: [cfg.txtSize] });

  const f = imgGlobalD(b, img, ndf, 'lrelu'); // [B,16,16,2ndf], shared
  const txt = prepTxtD(b, t, cfg, 'lrelu'); // [B,nt], shared
  const txtTiled = new Replicate({ name: 'txtD_replicate', height: M }).apply(txt) as Sym; // [B,16,16,nt]

  // Region path (imgTextRegionD + regionD): crop the box from the image-text features, zoom to 16×16.
  let r = tf.layers.concatenate({ name: 'imgTextRegionD_concat' }).apply([f, txtTiled]) as Sym;
  r = b.convBnAct(r, 'imgTextRegionD_1', ndf * 2, 3, 1, 'same', 'lrelu');
  r = new SpatialTransformer({ name: 'regionD_stn_crop', mode: 'crop' }).apply([r, box]) as Sym;
  r = b.convBnAct(r, 'regionD_1', ndf * 2, 1, 1, 'valid', 'lrelu');
  r = chain(r, b.conv('regionD_2_conv', ndf, 1, 1, 'valid'), tf.layers.globalAveragePooling2d({ name: 'regionD_mean' }), b.act('regionD_lrelu', 'lrelu')); // [B,ndf]

  // Global path: convGlobalD ‖ txtGlobalD (text cropped by the box; constant map, so it matters at borders).
  let g = b.convBnAct(f, 'convGlobalD_1', ndf * 4, 4, 2, 'same', 'lrelu'); // [B,8,8,4ndf]
  g = b.convBnAct(g, 'convGlobalD_2', ndf * 8, 4, 2, 'same', 'lrelu'); // [B,4,4,8ndf]
  let tg = new SpatialTransformer({ name: 'txtGlobalD_stn_crop', mode: 'crop' }).apply([txtTiled, box]) as Sym;
  tg = b.convBnAct(tg, 'txtGlobalD_1', ndf * 4, 4, 2, 'same', 'relu'); // N uses ReLU in txtGlobalD (LeakyReLU elsewhere in D); kept.
  tg = b.convBnAct(tg, 'txtGlobalD_2', ndf, 4, 2, 'same', 'relu'); // [B,4,4,ndf]
  g = tf.layers.concatenate({ name: 'globalD_concat' }).apply([g, tg]) as Sym; // [B,4,4,9ndf]
  g = b.convBnAct(g, 'globalD_1', ndf * 4, 1, 1, 'valid', 'lrelu');
  g = b.convBnAct(g, 'globalD_2', ndf, 4, 1, 'valid', 'lrelu'); // [B,1,1,ndf]
  g = tf.layers.flatten({ name: 'globalD_view' }).apply(g) as Sym;

  const prob = discriminatorHead(b, r, g, t, cfg, 'lrelu');
  return tf.model({ name: 'bbox_D', inputs: [img, box, t], outputs: prob });
}
