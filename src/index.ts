/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './util/backend.js';
export type { BackendName, BackendInfo } from './util/backend.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';
export { GAN_INT_CLS_DEFAULTS, GAN_INT_CLS_PRESETS, resolveGanIntClsConfig, validateGanIntClsConfig } from './config/gan-int-cls.js';
export type { GanIntClsConfig, GanIntClsModelConfig, GanIntClsTrainConfig } from './config/gan-int-cls.js';
export { buildGanIntClsGenerator, buildGanIntClsDiscriminator } from './models/gan-int-cls.js';
export { createGanIntClsTrainer, interpolateText, interpolationWeights, bceLoss as ganIntClsBceLoss } from './training/gan-int-cls-step.js';
export type { GanIntClsBatch, GanIntClsTrainer, GanIntClsStepResult, GanIntClsDStepResult, GanIntClsGStepResult } from './training/gan-int-cls-step.js';
export { drawGanIntClsPairs, drawGanIntClsCaptions, GAN_INT_CLS_LOAD_SIZE } from './data/gan-int-cls-pairs.js';
export type { GanIntClsPairs } from './data/gan-int-cls-pairs.js';
