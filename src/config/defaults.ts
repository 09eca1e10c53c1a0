/**
 * The paper's configuration, as run by the original scripts (gawwn-reference §1, §5, §10 item 1).
 * Frozen: derive variants with `resolveConfig(preset, overrides)`.
 */
import type { GawwnConfig } from './types.js';

/** Location-grid side M (gawwn-reference §1). */
export const KEYPOINT_GRID = 16;
/** CUB part count (gawwn-reference §6). */
export const CUB_PARTS = 15;
/** MHP keypoint count: 16 MPII joints + head-box centre (gawwn-reference §3.4). */
export const MHP_KEYPOINTS = 17;

export const PAPER_DEFAULTS: Readonly<GawwnConfig> = Object.freeze({
  model: Object.freeze({
    family: 'keypoint',
    variant: 'cub',
    imageSize: 128,
    ngf: 128,
    ndf: 128,
    nz: 100,
    txtSize: 1024,
    ntD: 128,
    keypointGrid: KEYPOINT_GRID,
    numParts: CUB_PARTS,
    dropoutD: 0.2,
    gUpsample: 'deconv',
    dNorm: 'batch',
    dOutput: 'prob',
    dProjection: false,
  }),
  train: Object.freeze({
    batchSize: 16,
    lr: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    eps: 1e-8,
    clsWeight: 0.5,
    numCaptions: 4,
    epochs: 600,
    decayEvery: 100,
    lrDecay: 0.5,
    seed: 0,
    gkDropProb: 0.9,
    fakeScoreThresh: 0,
    instanceNoise: 0,
    dLrScale: 1,
    recipe: 'paper',
    loss: 'bce',
    wrongText: 'shuffle',
    emaBeta: 0,
    modeSeeking: 0,
    augTranslate: 0,
    augCutout: 0,
    r1Gamma: 0,
    r1Every: 16,
  }),
} satisfies GawwnConfig);
