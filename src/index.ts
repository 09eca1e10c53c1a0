/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './util/backend.js';
export type { BackendName, BackendInfo } from './util/backend.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';
export { loadCub, resolveCubRoot } from './data/cub.js';
export type { CubDataset, LoadCubOptions } from './data/cub.js';
export { loadMpii, headCentre } from './data/mpii.js';
export type { MpiiDataset, LoadMpiiOptions } from './data/mpii.js';
export { readCaptionFile, readCaptionTable, formatCaptionTable } from './data/captions.js';
export { CUB_PART_NAMES, CUB_FLIP_PAIRS, MPII_JOINT_NAMES, MPII_POINT_NAMES, MPII_FLIP_PAIRS } from './data/types.js';
export type { BBox, Part, CubRecord, MpiiRecord, DatasetRecord, WarnFn } from './data/types.js';
export { decodeRgb, decodeResized } from './data/image.js';
export type { RgbImage } from './data/image.js';
export { mapBox, mapKeypoints, mapX, mapY, cropOffset, mhpRegion } from './data/geometry.js';
export type { CropPlan } from './data/geometry.js';
export { preprocess, planCrop, cropFlipScale, DecodeCache } from './data/augment.js';
export type { Example, PreprocessOptions } from './data/augment.js';
export { batches, meanEmbedding, drawCaptionIndices } from './data/batches.js';
export type { Batch, BatchOptions, TextEmbeddingLookup } from './data/batches.js';
export { synthBirds, BIRD_ATTRIBUTES, BIRD_REGIONS } from './data/synth-birds.js';
export type { SynthBirdsOptions, BirdColours } from './data/synth-birds.js';
export { synthPeople, PERSON_REGIONS } from './data/synth-people.js';
export type { SynthOptions, SynthReport } from './data/synth-common.js';
export { inspectRoot, loadDataset, detectFormat } from './data/inspect.js';
export type { InspectSummary } from './data/inspect.js';
export { annotationGrid } from './data/annotation-grid.js';
export { COLOURS, COLOUR_NAMES } from './data/raster.js';
