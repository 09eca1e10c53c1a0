/**
 * Configuration types for GAWWN (Reed et al., NIPS 2016). Every field documents its meaning, its default
 * and where the default comes from: `N:` is the original Torch code (reedscot/nips2016), per
 * gawwn-reference.md §1–§5. Defaults live in `defaults.ts`, named presets in `presets.ts`, and
 * `resolveConfig` (resolve.ts) is the only way to build a validated, frozen config.
 */

/** The three network families of the paper (§4.1 box, §4.2 keypoints, §4.3 keypoint completion). */
export type ModelFamily = 'bbox' | 'keypoint' | 'keypoint-gen';

/** Dataset flavour of the keypoint networks: CUB birds (N:main_cub_keypoints.lua) or MPII humans (N:main_mhp.lua). */
export type ModelVariant = 'cub' | 'mhp';

/** How the generators upsample by 2 (ModelConfig.gUpsample). */
export type GUpsample = 'deconv' | 'resize';

/** How D normalises its activations (ModelConfig.dNorm). */
export type DNorm = 'batch' | 'spectral';

/** What D outputs (ModelConfig.dOutput). */
export type DOutput = 'prob' | 'logit';

/** Training recipes (TrainConfig.recipe). */
export type RecipeName = 'paper' | 'stable';

/** GAN loss (TrainConfig.loss). */
export type GanLoss = 'bce' | 'hinge';

/** Where D's mismatched texts come from (TrainConfig.wrongText). */
export type WrongText = 'shuffle' | 'other-class';

/** Names of the built-in presets. */
export type PresetName = 'paper' | 'small' | 'cpu' | 'tiny';

/** Network shape. Sizes are in pixels or channels. */
export interface ModelConfig {
  /** Which network family to build. Default: `'keypoint'`. */
  family: ModelFamily;
  /**
   * CUB or MHP flavour of the keypoint networks. MHP: ELU instead of LeakyReLU in D, dropout at the end of
   * D's global path, an extra residual block (and no BN/ReLU on the projection) in G's region path
   * (gawwn-reference §3.4). Ignored by the bbox family. Default: `'cub'`.
   */
  variant: ModelVariant;
  /**
   * Side of the generated image, pixels. Only 128 is supported: the nets' stride-2 ladders assume it
   * (N: `fineSize=128`; the MHP 64-px option is not ported). Default: 128.
   */
  imageSize: number;
  /** Generator base width `ngf`, channels. Default: 128 (N:main_*.lua opt default and scripts). */
  ngf: number;
  /**
   * Discriminator base width `ndf`, channels. Default: 128 (PAPER-VS-CODE: the opt default is 64, but every
   * N:scripts/train_*.sh sets NDF=128, which is what ran).
   */
  ndf: number;
  /** Noise size `nz`; z ~ N(0, 1) (N: `noise='normal'`). Default: 100. */
  nz: number;
  /** Text embedding size `txtSize` (char-CNN-GRU output, gawwn-reference §7). Default: 1024. */
  txtSize: number;
  /** D-side text projection `nt` (prep_txt_d: Linear txtSize→nt). Default: 128 (N: `nt=128`). */
  ntD: number;
  /**
   * Side M of the location grid (STN output and keypoint maps), cells. Only 16 works: keypoint-G's global
   * path downsamples it three times to 1×1 (gawwn-reference §1). Default: 16 (N: `keypoint_dim=16`).
   */
  keypointGrid: number;
  /** Number of keypoints K: 15 CUB parts, 17 MHP points (16 MPII joints + head centre). Default: 15. */
  numParts: number;
  /**
   * Dropout rate (drop probability) at the end of D's global path, MHP variant only. Default: 0.2
   * (N:scripts/train_mhp*.sh set DROP=0.2; the opt default 0.8 was not what ran).
   */
  dropoutD: number;
  /**
   * How the image generators upsample by 2: `'deconv'`, the original's 4×4 stride-2 SpatialFullConvolution;
   * or `'resize'`, nearest-neighbour ×2 then a 3×3 convolution (Odena et al. 2016, "Deconvolution and
   * checkerboard artifacts"). DEVIATION when `'resize'`: a k4 s2 ConvT turns a spatially constant 16×16
   * feature map into an image with an 8-px period (three stride-2 stages, each with its own 2-px phase
   * pattern), which is the stripe texture of our GAN runs' backgrounds (data/pretrained/README.md); resize-conv
   * maps a constant map to a constant map. The 1×1 → 4×4 'valid' ConvT and the discriminators are unchanged.
   * Default: `'deconv'` (the paper).
   */
  gUpsample: GUpsample;
  /**
   * Normalisation in D (image families and Dk): `'batch'`, the original's batch norm; or `'spectral'`, no batch
   * norm and every conv and dense kernel divided by its spectral norm (Miyato et al. 2018; layers/spectral-norm.ts).
   * DEVIATION when `'spectral'`: batch norm makes D's score of a sample depend on its batch-mates, so D must be
   * run on mixed batches (training/step.ts) and G can move the batch statistics instead of the images; spectral
   * norm bounds D's Lipschitz constant without that coupling. Default: `'batch'` (the paper); the stable recipe
   * uses `'spectral'`.
   */
  dNorm: DNorm;
  /**
   * D's output: `'prob'`, the original's sigmoid probability; or `'logit'`, the score before it (hinge and
   * logit-BCE losses need it). DEVIATION when `'logit'`. Default: `'prob'`; the stable recipe uses `'logit'`.
   */
  dOutput: DOutput;
  /**
   * A projection term ⟨W·t, φ(x)⟩ added to D's output, φ(x) D's last hidden features and W a (spectrally
   * normalised, under dNorm 'spectral') Linear txtSize→ndf (Miyato & Koyama 2018, "cGANs with projection
   * discriminator"), beside the paper's text paths (§4.1–§4.2). DEVIATION when true: it gives D an inner product
   * between the text and the whole image, which conditions far more strongly than concatenation.
   * Default: false (the paper); the stable recipe uses true.
   */
  dProjection: boolean;
}

/** Optimisation and sampling of training batches. */
export interface TrainConfig {
  /** Images per step. Default: 16 (N:scripts/train_cub_*.sh; the opt default 64 was not what ran). */
  batchSize: number;
  /** Adam learning rate. Default: 2e-4 (§5, N: `lr=0.0002`). */
  lr: number;
  /** Adam β1. Default: 0.5 (N: `beta1=0.5`). */
  beta1: number;
  /** Adam β2. Default: 0.999 (Torch `optim.adam` default). */
  beta2: number;
  /** Adam ε. Default: 1e-8 (Torch `optim.adam` default). */
  eps: number;
  /**
   * Weight of the wrong-text term in D's loss; the fake term gets `1 − clsWeight`
   * (matching-aware D, gawwn-reference §5; N: `cls_weight=0.5`). Default: 0.5.
   */
  clsWeight: number;
  /** Captions averaged per sample (gawwn-reference §5 "Text conditioning"). Default: 4 (N:train_cub_*.sh). */
  numCaptions: number;
  /** Total training epochs. Default: 600 (N:scripts/train_cub_*.sh `niter`). */
  epochs: number;
  /** Multiply lr by `lrDecay` every `decayEvery` epochs. Default: 100 (N: `decay_every`). */
  decayEvery: number;
  /** Learning-rate decay factor. Default: 0.5 (N: `lr_decay`). */
  lrDecay: number;
  /** Seed of every random choice (init, noise, shuffles, switch units). Default: 0. */
  seed: number;
  /**
   * Keypoint-completion training: probability that a conditioning keypoint is switched OFF in `k_g`
   * (so p_on = 1 − gkDropProb = 0.1). Default: 0.9 (N:main_gen_keypoints.lua `drop_prob`).
   */
  gkDropProb: number;
  /**
   * D-update gate (MHP): D's Adam step runs only while the EMA (0.99) of D's mean score on fakes exceeds
   * this. 0 disables the gate (the score is a sigmoid, always > 0). Default: 0 (CUB scripts); the MHP
   * scripts use 0.2 (N:main_mhp.lua `fake_score_thresh`).
   */
  fakeScoreThresh: number;
  /**
   * Standard deviation of Gaussian "instance noise" added to every image D sees, real and generated, in the D
   * step and in the G step (image families; images are in [−1, 1]). DEVIATION when > 0: the original has none.
   * It blurs the difference between the real and the fake distribution so D cannot win on fine texture alone
   * (Sønderby et al. 2016; Arjovsky & Bottou 2017). Default: 0 (off, the paper).
   */
  instanceNoise: number;
  /**
   * D's learning rate as a multiple of G's (`lr`; the schedule halves both). DEVIATION when ≠ 1: the original
   * uses one rate for both nets. Below 1 slows D, the two-time-scale idea (Heusel et al. 2017) turned to a D that
   * wins: in our gated cpu-preset runs lossG climbs from 1.0 to 2.5 while samples degrade. Default: 1 (the paper).
   */
  dLrScale: number;
  /**
   * Which recipe the remaining train.* defaults come from (config/presets.ts RECIPES): `'paper'`, the 2016
   * recipe as the original scripts ran it; or `'stable'`, the DEVIATIONs below that keep a GAN of this size
   * improving for hours on a CPU (spectral-norm D, hinge loss, projection, generator EMA, mode seeking,
   * location-consistent augmentation, other-class wrong texts, Adam β (0, 0.99), no gate). Fields set
   * explicitly (preset or overrides) win over the recipe's. Default: `'paper'`; the cpu, small and tiny presets
   * use `'stable'`.
   */
  recipe: RecipeName;
  /**
   * The GAN loss: `'bce'`, the paper's (binary cross-entropy of D's probability; on a logit D, the same function
   * of the logit); or `'hinge'`: D minimises relu(1 − D(x, t)) + w·relu(1 + D(x, t̂)) + (1 − w)·relu(1 + D(G(z), t))
   * and G minimises −D(G(z), t) (Lim & Ye 2017; Miyato et al. 2018). DEVIATION when `'hinge'` (needs
   * model.dOutput 'logit'). Default: `'bce'`; the stable recipe uses `'hinge'`.
   */
  loss: GanLoss;
  /**
   * Mismatched texts of D's wrong-text term (matching-aware D, paper §3): `'shuffle'`, an in-batch permutation
   * as the original (`torch.randperm`, which can map a sample to itself or to its own class: about 11% of our
   * birds20 pairs were real matches); or `'other-class'`, a batch-mate of another class. DEVIATION when
   * `'other-class'`. Default: `'shuffle'`; the stable recipe uses `'other-class'`.
   */
  wrongText: WrongText;
  /**
   * β of the exponential moving average of G's weights used for samples, evaluation and publishing (Karras et
   * al. 2018; Yazıcı et al. 2019), with warm-up β_t = min(β, (1 + t)/(10 + t)); the averaged G's batch-norm
   * statistics are recomputed before use. 0 = off. DEVIATION when > 0. Default: 0; the stable recipe uses 0.999.
   */
  emaBeta: number;
  /**
   * Weight λ of the mode-seeking term (Mao et al. 2019, MSGAN): each batch's fakes are B/2 conditions × 2 noise
   * vectors and G adds λ·mean|z₁ − z₂| / (mean|G(z₁) − G(z₂)| + ε), so different z must give different images.
   * 0 = off (fakes use all B conditions once). DEVIATION when > 0. Default: 0; the stable recipe uses 1.
   */
  modeSeeking: number;
  /**
   * Differentiable augmentation of every image D sees, real and generated, in both passes (Zhao et al. 2020,
   * DiffAugment): a random translation by up to this fraction of the image side (zero-padded), with the SAME
   * shift applied to the box or keypoints D is told, so the location condition stays true. 0 = off. No colour
   * jitter: the captions name colours. DEVIATION when > 0. Default: 0; the stable recipe uses 0.125 (DiffAugment's).
   */
  augTranslate: number;
  /**
   * DiffAugment's cutout: a random square of this fraction of the image side is zeroed in every image D sees
   * (images only; the condition is unchanged). 0 = off. DEVIATION when > 0. Default: 0; the stable recipe uses 0.25.
   */
  augCutout: number;
  /**
   * γ of the R1 penalty γ/2·‖∇ₓD(x, c, t)‖² on real images (Mescheder et al. 2018), applied lazily every
   * `r1Every` steps with weight γ·r1Every (Karras et al. 2020). 0 = off. Reserved: only 0 is accepted until the
   * trainer applies it (the double backprop through D needs a zero gradient for tfjs's `Greater`). Default: 0.
   */
  r1Gamma: number;
  /** Steps between lazy R1 penalties. Default: 16 (StyleGAN2). */
  r1Every: number;
}

/** The whole configuration. */
export interface GawwnConfig {
  model: ModelConfig;
  train: TrainConfig;
}

/** Recursively optional, for presets and overrides. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
