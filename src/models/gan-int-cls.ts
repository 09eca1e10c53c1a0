/**
 * GAN-INT-CLS (Reed et al., ICML 2016), the 64×64 text-to-image baseline of §5.4, ported layer by layer
 * from `I:main_cls_int.lua` (reedscot/icml2016, the version with D's residual branch wired in; gawwn-reference
 * §0 tag I, §5). A DCGAN with the text code concatenated to z in G and tiled over D's 4×4 features, plus one
 * bottleneck residual block at 4×4 and 8×8 in G and at 4×4 in D. Shapes are NHWC.
 *
 * Conv biases: `fDx` and `fGx` zero the bias of every `*Convolution*` module of both nets before every forward,
 * so the biases are always zero when used; they are therefore omitted here (`useBias: false`), which is the
 * same function and the same parameter count as what trained. `nn.Linear` biases are kept (not zeroed in I).
 *
 * PAPER-VS-CODE: Torch code details kept as they are, although they differ from the DCGAN the paper describes:
 * - G: the 4×4 and 8×8 ConvT + BN feed the residual add without a ReLU; the ReLU comes after the sum.
 * - D: the third conv (→ 4ndf, 8×8) has BN but no LeakyReLU before the fourth conv (→ 8ndf, 4×4).
 * - D: the text projection is Linear → BatchNorm1d → LeakyReLU (BN not mentioned in the paper).
 * GUESS (documented): another stored version of main_cls_int.lua adds an undefined `skipD` instead of the
 * residual branch to D's ConcatTable, which makes D's block an identity; we follow the version that adds `conv`.
 */
import * as tf from '@tensorflow/tfjs';
import { Blocks, chain, type Act, type Sym } from '../layers/blocks.js';
import { WeightInit } from '../layers/init.js';
import { Replicate } from '../layers/replicate.js';
import { check } from '../util/errors.js';
import type { GanIntClsModelConfig } from '../config/gan-int-cls.js';

/** Side of D's last feature map and of the tiled text code (I: `nn.Replicate(4,3)`, `nn.Replicate(4,4)`). */
export const GAN_INT_CLS_D_GRID = 4;

/** Builders validate their config at entry (house style §3.3). */
function checkGanIntClsModel(cfg: Readonly<GanIntClsModelConfig>): void {
  check(cfg.imageSize === 64, `GAN-INT-CLS model.imageSize must be 64 (G's ConvT ladder 1→4→…→64 assumes it), got ${cfg.imageSize}`);
  for (const k of ['ngf', 'ndf', 'nz', 'txtSize', 'nt'] as const) {
    check(Number.isInteger(cfg[k]) && cfg[k] > 0, `GAN-INT-CLS model.${k} must be a positive integer, got ${cfg[k]}`);
  }
}

/** Bias-free convolutions (see the header) with the original init N(0, 0.02). */
class NoBiasConvs {
  constructor(private readonly init: WeightInit) {}

  conv(name: string, filters: number, k: number, s: number, pad: 'same' | 'valid'): tf.layers.Layer {
    return tf.layers.conv2d({ name, filters, kernelSize: k, strides: s, padding: pad, useBias: false, kernelInitializer: this.init.convKernel() });
  }

  convT(name: string, filters: number, k: number, s: number, pad: 'same' | 'valid'): tf.layers.Layer {
    return tf.layers.conv2dTranspose({ name, filters, kernelSize: k, strides: s, padding: pad, useBias: false, kernelInitializer: this.init.convKernel() });
  }
}

/** conv (or ConvT) → BN → act (act omitted when null). */
function convBn(c: NoBiasConvs, b: Blocks, x: Sym, name: string, filters: number, k: number, s: number, pad: 'same' | 'valid', act: Act | null, transposed = false): Sym {
  const layer = transposed ? c.convT(`${name}_convT`, filters, k, s, pad) : c.conv(`${name}_conv`, filters, k, s, pad);
  let y = b.bn(`${name}_bn`).apply(layer.apply(x)) as Sym;
  if (act !== null) y = b.act(`${name}_${act}`, act).apply(y) as Sym;
  return y;
}

/**
 * I's bottleneck residual block: act(x + BN(conv3(act(BN(conv3(act(BN(conv1(x))))))))), widths C → mid → mid → C.
 */
function residual(c: NoBiasConvs, b: Blocks, x: Sym, name: string, channels: number, mid: number, act: Act): Sym {
  let y = convBn(c, b, x, `${name}_1`, mid, 1, 1, 'valid', act);
  y = convBn(c, b, y, `${name}_2`, mid, 3, 1, 'same', act);
  y = convBn(c, b, y, `${name}_3`, channels, 3, 1, 'same', null);
  const sum = tf.layers.add({ name: `${name}_add` }).apply([x, y]) as Sym;
  return b.act(`${name}_${act}`, act).apply(sum) as Sym;
}

/**
 * GAN-INT-CLS generator G(z, t).
 * Inputs: 1. `z` [B, nz] noise, N(0, 1); 2. `t` [B, txtSize] text embedding.
 * Output: `image` [B, 64, 64, 3] in [−1, 1] (tanh).
 * @param seed seed of the weight initialisation (same seed → same weights).
 */
export function buildGanIntClsGenerator(cfg: Readonly<GanIntClsModelConfig>, seed = 0): tf.LayersModel {
  checkGanIntClsModel(cfg);
  const init = new WeightInit(seed);
  const b = new Blocks(init);
  const c = new NoBiasConvs(init);
  const { ngf, nz, nt, txtSize } = cfg;
  const z = tf.input({ name: 'z', shape: [nz] });
  const t = tf.input({ name: 't', shape: [txtSize] });

  const txt = chain(t, b.dense('fcG_linear', txtSize, nt), b.act('fcG_lrelu', 'lrelu')); // [B,nt]
  let x = tf.layers.concatenate({ name: 'netG_join' }).apply([z, txt]) as Sym; // [B,nz+nt], z first (JoinTable(2))
  x = tf.layers.reshape({ name: 'netG_view', targetShape: [1, 1, nz + nt] }).apply(x) as Sym;
  x = convBn(c, b, x, 'netG_1', ngf * 8, 4, 1, 'valid', null, true); // [B,4,4,8ngf]
  x = residual(c, b, x, 'netG_res1', ngf * 8, ngf * 2, 'relu');
  x = convBn(c, b, x, 'netG_2', ngf * 4, 4, 2, 'same', null, true); // [B,8,8,4ngf]
  x = residual(c, b, x, 'netG_res2', ngf * 4, ngf, 'relu');
  x = convBn(c, b, x, 'netG_3', ngf * 2, 4, 2, 'same', 'relu', true); // [B,16,16,2ngf]
  x = convBn(c, b, x, 'netG_4', ngf, 4, 2, 'same', 'relu', true); // [B,32,32,ngf]
  const image = chain(x, c.convT('netG_5_convT', 3, 4, 2, 'same'), b.act('image', 'tanh')); // [B,64,64,3]
  return tf.model({ name: 'gan_int_cls_G', inputs: [z, t], outputs: image });
}

/**
 * GAN-INT-CLS discriminator D(image, t).
 * Inputs: 1. `image` [B, 64, 64, 3] in [−1, 1]; 2. `t` [B, txtSize] text embedding.
 * Output: `prob` [B, 1], the probability that (image, t) is a real, matching pair.
 * @param seed seed of the weight initialisation.
 */
export function buildGanIntClsDiscriminator(cfg: Readonly<GanIntClsModelConfig>, seed = 1): tf.LayersModel {
  checkGanIntClsModel(cfg);
  const init = new WeightInit(seed);
  const b = new Blocks(init);
  const c = new NoBiasConvs(init);
  const { ndf, nt, txtSize } = cfg;
  const img = tf.input({ name: 'image', shape: [cfg.imageSize, cfg.imageSize, 3] });
  const t = tf.input({ name: 't', shape: [txtSize] });

  // convD: the image ladder 64 → 4.
  let f = chain(img, c.conv('convD_1_conv', ndf, 4, 2, 'same'), b.act('convD_1_lrelu', 'lrelu')); // [B,32,32,ndf]
  f = convBn(c, b, f, 'convD_2', ndf * 2, 4, 2, 'same', 'lrelu'); // [B,16,16,2ndf]
  f = convBn(c, b, f, 'convD_3', ndf * 4, 4, 2, 'same', null); // [B,8,8,4ndf], PAPER-VS-CODE: no activation (I)
  f = convBn(c, b, f, 'convD_4', ndf * 8, 4, 2, 'same', null); // [B,4,4,8ndf]
  f = residual(c, b, f, 'convD_res', ndf * 8, ndf * 2, 'lrelu');

  // fcD: text → nt, tiled over the 4×4 grid.
  const txt = b.denseBnAct(t, 'fcD', txtSize, nt, 'lrelu'); // [B,nt]
  const tiled = new Replicate({ name: 'fcD_replicate', height: GAN_INT_CLS_D_GRID }).apply(txt) as Sym; // [B,4,4,nt]

  let h = tf.layers.concatenate({ name: 'netD_join' }).apply([f, tiled]) as Sym; // [B,4,4,8ndf+nt]
  h = convBn(c, b, h, 'netD_1', ndf * 8, 1, 1, 'valid', 'lrelu'); // [B,4,4,8ndf]
  h = chain(h, c.conv('netD_2_conv', 1, 4, 1, 'valid'), b.act('netD_sigmoid', 'sigmoid')); // [B,1,1,1]
  const prob = tf.layers.flatten({ name: 'prob' }).apply(h) as Sym; // [B,1]
  return tf.model({ name: 'gan_int_cls_D', inputs: [img, t], outputs: prob });
}
