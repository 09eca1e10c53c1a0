/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './util/backend.js';
export type { BackendName, BackendInfo } from './util/backend.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';

// Configuration (house style §3.5).
export { resolveConfig, validate as validateConfig } from './config/resolve.js';
export { PAPER_DEFAULTS, KEYPOINT_GRID, CUB_PARTS, MHP_KEYPOINTS } from './config/defaults.js';
export { PRESETS, PRESET_NAMES } from './config/presets.js';
export type { GawwnConfig, ModelConfig, TrainConfig, ModelFamily, ModelVariant, PresetName, DeepPartial } from './config/types.js';

// Layers (reference §1).
export { boxToCropAffine, boxToPasteAffine, invertAffine, affineToMatrix, interpolationWeights } from './layers/geometry.js';
export type { Box, AxisAffine } from './layers/geometry.js';
export { SpatialTransformer, spatialTransform } from './layers/spatial-transformer.js';
export type { StnMode } from './layers/spatial-transformer.js';
export { Replicate, replicate } from './layers/replicate.js';
export { KeypointGate, keypointCell, keypointMask, keypointsToGrid } from './layers/keypoint-grid.js';

// Networks (reference §2–§4).
export { buildBboxGenerator, buildBboxDiscriminator } from './models/bbox.js';
export { buildKeypointGenerator, buildKeypointDiscriminator } from './models/keypoint.js';
export { buildKeypointCompleter, buildKeypointCritic, KeypointSwitch, switchKeypoints } from './models/keypoint-gen.js';
export { MODEL_FAMILIES, familyBuilders } from './models/registry.js';

// Training (reference §5) and sampling.
export { bce, matchingAwareDLoss, plainDLoss, generatorLoss } from './training/losses.js';
export { createGanTrainer, withFrozenStats } from './training/step.js';
export type { GanTrainer, StepOptions } from './training/step.js';
export type { Batch, BatchOf, BboxBatch, KeypointBatch, KeypointGenBatch, StepResult } from './training/types.js';
export { runBench, countForwardMacs, stepFlops } from './training/bench.js';
export type { BenchOptions, BenchResult } from './training/bench.js';
export { generate, sampleNoise } from './sampling/generate.js';
