/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * The paper's API, grouped as the paper is; every other module stays importable by its path
 * (e.g. `gawwn/dist/src/training/checkpoint.js`).
 */

// Backend, seeded randomness and the error users can act on.
export { initBackend } from './backend/select.js';
export type { BackendName, BackendInfo } from './backend/select.js';
export { Rng } from './util/rng.js';
export { GawwnError } from './util/errors.js';

// Configuration: the paper's hyper-parameters (§5) and the smaller presets that fit a CPU.
export { resolveConfig } from './config/resolve.js';
export { PAPER_DEFAULTS } from './config/defaults.js';
export { PRESETS, PRESET_NAMES } from './config/presets.js';
export type { GawwnConfig, ModelConfig, TrainConfig, ModelFamily, PresetName } from './config/types.js';
export { GAN_INT_CLS_PRESETS, resolveGanIntClsConfig } from './config/gan-int-cls.js';
export type { GanIntClsConfig } from './config/gan-int-cls.js';

// Layers: the spatial transformer that crops and pastes by box (§4.1), replication, keypoint grids (§4.2).
export { SpatialTransformer, spatialTransform } from './layers/spatial-transformer.js';
export type { Box } from './layers/geometry.js';
export { Replicate, replicate } from './layers/replicate.js';
export { KeypointGate, keypointsToGrid } from './layers/keypoint-grid.js';

// The four networks: box-conditional (§4.1), keypoint-conditional (§4.2), keypoint generator (§4.3), GAN-INT-CLS (§5.4).
export { buildBboxGenerator, buildBboxDiscriminator } from './models/bbox.js';
export { buildKeypointGenerator, buildKeypointDiscriminator } from './models/keypoint.js';
export { buildKeypointCompleter, buildKeypointCritic } from './models/keypoint-gen.js';
export { buildGanIntClsGenerator, buildGanIntClsDiscriminator } from './models/gan-int-cls.js';

// Data: CUB-200-2011 birds and MPII people (§5), synthetic stand-ins, crops and batches.
export { loadCub } from './data/cub.js';
export type { CubDataset } from './data/cub.js';
export { loadMpii } from './data/mpii.js';
export type { MpiiDataset } from './data/mpii.js';
export { loadDataset } from './data/inspect.js';
export { synthBirds } from './data/synth-birds.js';
export { synthPeople } from './data/synth-people.js';
export { preprocess } from './data/augment.js';
export { batches } from './data/batches.js';
export { CUB_PART_NAMES, MPII_POINT_NAMES } from './data/types.js';
export type { BBox, Part, DatasetRecord } from './data/types.js';

// Text encoder: char-CNN-GRU trained with the deep symmetric structured joint embedding (§3.2).
export { CharTextEncoder, TEXT_ENCODER_PRESETS, resolveTextEncoderConfig } from './text/encoder.js';
export type { TextEncoderConfig } from './text/encoder.js';
export { trainTextEncoder } from './text/train-sje.js';
export type { TrainTextEncoderOptions } from './text/train-sje.js';
export { sjeLoss } from './text/sje.js';
export { retrievalMetrics } from './text/retrieval.js';
export { loadTextEncoder } from './text/run-io.js';
export { embedCaptions, captionEmbeddings } from './text/cache.js';

// Training: the matching-aware GAN losses (§3.1), one step, the loop with checkpoints and exported weights.
export { matchingAwareDLoss, generatorLoss } from './training/losses.js';
export { createGanTrainer } from './training/step.js';
export type { GanTrainer } from './training/step.js';
export type { Batch, StepResult } from './training/types.js';
export { train } from './training/loop.js';
export type { TrainOptions, TrainResult, TrainFamily } from './training/loop.js';
export { createGanIntClsTrainer } from './training/gan-int-cls-step.js';
export { loadLatest, exportWeights, importWeights } from './training/checkpoint.js';

// Pipeline: a trained model with its text encoder and keypoint generator, ready to draw (§4, §5).
export { load, Pipeline } from './sampling/pipeline.js';
export type {
  PipelineOptions, PipelineSampleOptions, PipelineSample, SampleCondition, PipelineInterpolateOptions, PipelineInterpolation,
  GivenKeypoints,
} from './sampling/pipeline.js';
export { listPretrained } from './sampling/load.js';

// Interpolation: the demos' box schedules and part paths (§5.1, §5.2), noise and text-code paths.
export { boxSchedule, boxPath, layoutPath, lerpVectors, slerpVectors, vectorPath } from './sampling/interpolate.js';
export type { BoxDemo, Layout, GivenPart } from './sampling/interpolate.js';

// Evaluation: an evaluator network reads box, parts and colours back from samples; control metrics and the results table.
export { trainEvaluator, loadEvaluator } from './evaluation/train-evaluator.js';
export type { LoadedEvaluator } from './evaluation/train-evaluator.js';
export { evaluateGenerator } from './evaluation/evaluate.js';
export type { EvalResult, MetricSet } from './evaluation/evaluate.js';
export { boxIou, pck, frechetDistance } from './evaluation/metrics.js';
export { resultsTable } from './evaluation/results-table.js';
export { shippedEvalDir, loadEvalResults, evalMetricRows, resultsHtml } from './evaluation/shipped.js';

// Experiments (§5.1–§5.5, and the text embedding of §3.2): each returns plain data and PNG bytes.
export { runBoxControl } from './experiments/box-control.js';
export type { BoxControlResult } from './experiments/box-control.js';
export { runKeypointControl } from './experiments/keypoint-control.js';
export type { KeypointControlResult } from './experiments/keypoint-control.js';
export { runTextOnly } from './experiments/text-only.js';
export type { TextOnlyResult } from './experiments/text-only.js';
export { runComparison } from './experiments/comparison.js';
export type { ComparisonResult } from './experiments/comparison.js';
export { runHumans } from './experiments/humans.js';
export type { HumansResult } from './experiments/humans.js';
export { runTextEmbedding } from './experiments/text-embedding.js';
export type { TextEmbeddingResult } from './experiments/text-embedding.js';
export { runReproduce } from './experiments/reproduce.js';
export type { ReproduceResult } from './experiments/reproduce.js';
export { trainFromScratch } from './experiments/from-scratch.js';
export { heldOutExamples, syntheticRoot } from './experiments/common.js';
export type { ExperimentOptions } from './experiments/common.js';
export { notebookSetup } from './experiments/notebook-setup.js';
export type { NotebookSetup, NotebookSetupOptions } from './experiments/notebook-setup.js';

// The draw page: open it from a notebook, replay a condition it saved.
export { openDraw, replayCondition } from './draw/notebook.js';
export { startDrawServer } from './draw/server.js';
export type { Condition } from './draw/condition.js';

// Rendering (PNG grids, vega-lite charts, HTML tables and reports) and the notebook display.
export { imageGrid, lossChart, metricBars, readLossLog, tableHtml } from './render/render.js';
export type { GridImage, NormKeypoint, LossRecord, VegaLiteSpec } from './render/render.js';
export { writeReport } from './render/report.js';
export { show, showGrid, showChart, showTable, showPng, showHtml, progress, inKernel } from './display/show.js';
