/**
 * Pieces the image discriminators share (gawwn-reference §2.3, §3.3): the image trunk `imgGlobalD`, the text
 * projection `prep_txt_d`, and the output head. Each is built once per model and applied once; its output
 * feeds both the region and the global path (the Lua code reuses one module instance on identical input).
 */
import * as tf from '@tensorflow/tfjs';
import { type Blocks, chain, type Act, type Sym } from '../layers/blocks.js';
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

/**
 * netD head: concat(region, global) [B,2ndf] → Linear→ndf, BN, act, Linear→1, sigmoid → [B,1].
 * `cfg.dOutput` 'logit' drops the sigmoid; `cfg.dProjection` adds ⟨W·t, φ⟩ (φ the ndf features before the last
 * Linear) to the score (ModelConfig.dProjection).
 */
export function discriminatorHead(b: Blocks, region: Sym, global: Sym, t: Sym, cfg: ModelConfig, act: Act): Sym {
  const h = tf.layers.concatenate({ name: 'netD_concat' }).apply([region, global]) as Sym;
  const y = b.denseBnAct(h, 'netD_1', cfg.ndf * 2, cfg.ndf, act);
  return scoreHead(b, y, t, cfg.ndf, cfg);
}

/** The last Linear→1 of a D on features `phi` [B,width], the projection term and the output activation. */
export function scoreHead(b: Blocks, phi: Sym, t: Sym, width: number, cfg: ModelConfig): Sym {
  let logit = b.dense('netD_2_linear', width, 1).apply(phi) as Sym;
  if (cfg.dProjection) {
    const wt = b.dense('netD_projection', cfg.txtSize, width, false).apply(t) as Sym; // [B,width]
    const proj = tf.layers.dot({ name: 'netD_projection_dot', axes: 1 }).apply([phi, wt]) as Sym; // [B,1]
    logit = tf.layers.add({ name: 'netD_logit' }).apply([logit, proj]) as Sym;
  }
  return cfg.dOutput === 'prob' ? (b.act('netD_prob', 'sigmoid').apply(logit) as Sym) : logit;
}

/** Builders validate their config at entry (house style §3.3). */
export function checkImageConfig(cfg: ModelConfig): void {
  check(cfg.imageSize === 128, `model.imageSize must be 128 (the nets' stride ladders assume it), got ${cfg.imageSize}`);
  check(cfg.keypointGrid === 16, `model.keypointGrid must be 16 (gawwn-reference §1), got ${cfg.keypointGrid}`);
  for (const k of ['ngf', 'ndf', 'nz', 'txtSize', 'ntD', 'numParts'] as const) {
    check(Number.isInteger(cfg[k]) && cfg[k] > 0, `model.${k} must be a positive integer, got ${cfg[k]}`);
  }
}
