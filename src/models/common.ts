/**
 * Pieces the image discriminators share (gawwn-reference §2.3, §3.3): the image trunk `imgGlobalD`, the text
 * projection `prep_txt_d`, and the output head. Each is built once per model and applied once; its output
 * feeds both the region and the global path (the Lua code reuses one module instance on identical input).
 */
import * as tf from '@tensorflow/tfjs';
import { Blocks, chain, type Act, type Sym } from '../layers/blocks.js';
import { check } from '../util/errors.js';
import type { ModelConfig } from '../config/types.js';

/** imgGlobalD: [B,128,128,3] → [B,16,16,2·ndf]. No BN on the first two convs. */
export function imgGlobalD(b: Blocks, img: Sym, ndf: number, act: Act): Sym {
  let x = chain(img, b.conv('imgGlobalD_1_conv', ndf, 4, 2, 'same'), b.act(`imgGlobalD_1_${act}`, act)); // [B,64,64,ndf]
  x = chain(x, b.conv('imgGlobalD_2_conv', ndf, 4, 2, 'same'), b.act(`imgGlobalD_2_${act}`, act)); // [B,32,32,ndf]
  x = b.convBnAct(x, 'imgGlobalD_3', ndf * 2, 4, 2, 'same', act); // [B,16,16,2ndf]
  return b.convBnAct(x, 'imgGlobalD_4', ndf * 2, 3, 1, 'same', act); // [B,16,16,2ndf]
}

/** prep_txt_d: Linear txtSize→nt, then D's activation. [B,txtSize] → [B,nt]. */
export function prepTxtD(b: Blocks, t: Sym, cfg: ModelConfig, act: Act): Sym {
  return chain(t, b.dense('prep_txt_d_linear', cfg.txtSize, cfg.ntD), b.act(`prep_txt_d_${act}`, act));
}

/** netD head: concat(region, global) [B,2ndf] → Linear→ndf, BN, act, Linear→1, sigmoid → [B,1]. */
export function discriminatorHead(b: Blocks, region: Sym, global: Sym, ndf: number, act: Act): Sym {
  const h = tf.layers.concatenate({ name: 'netD_concat' }).apply([region, global]) as Sym;
  const y = b.denseBnAct(h, 'netD_1', ndf * 2, ndf, act);
  return chain(y, b.dense('netD_2_linear', ndf, 1), b.act('netD_prob', 'sigmoid'));
}

/** Builders validate their config at entry (house style §3.3). */
export function checkImageConfig(cfg: ModelConfig): void {
  check(cfg.imageSize === 128, `model.imageSize must be 128 (the nets' stride ladders assume it), got ${cfg.imageSize}`);
  check(cfg.keypointGrid === 16, `model.keypointGrid must be 16 (gawwn-reference §1), got ${cfg.keypointGrid}`);
  for (const k of ['ngf', 'ndf', 'nz', 'txtSize', 'ntD', 'numParts'] as const) {
    check(Number.isInteger(cfg[k]) && cfg[k] > 0, `model.${k} must be a positive integer, got ${cfg[k]}`);
  }
}
