/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './backend/select.js';
export type { BackendName, BackendInfo } from './backend/select.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';
export { writeFileAtomic, writeFileAtomicSync, writeDirAtomic } from './util/atomic.js';
export { float32ToFloat16Bits, float16BitsToFloat32, toFloat16Array, fromFloat16Array } from './util/float16.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  loadLatest,
  findLatestCheckpoint,
  listCheckpoints,
  checkpointsDir,
  stepDirName,
  extractModelWeights,
  assignModelWeights,
  extractOptimizerWeights,
  assignOptimizerWeights,
  exportWeights,
  importWeights,
  CHECKPOINT_FORMAT,
  WEIGHTS_FORMAT,
  FORMAT_VERSION,
  DEFAULT_KEEP,
} from './training/checkpoint.js';
export type {
  NamedTensor,
  TensorGroups,
  CheckpointState,
  CheckpointManifest,
  CheckpointExpectation,
  LoadedCheckpoint,
  SaveOptions,
  ScanOptions,
  ExportOptions,
  WeightsManifest,
  ImportedWeights,
} from './training/checkpoint.js';
export { checkLossesFinite } from './training/guard.js';
export { runSoak, formatSoakReport } from './bench/soak.js';
export type { SoakTrainer, SoakOptions, SoakSample, SoakReport } from './bench/soak.js';
export {
  imageGrid, imagesFromTensor, lossChart, metricBars, renderChartPng, renderChartSvg, tableHtml, readLossLog,
  BOX_COLOR, KEYPOINT_COLORS,
} from './render/render.js';
export type {
  GridImage, NormBox, NormKeypoint, ImageGridOptions, LossRecord, LossChartOptions, MetricRow, VegaLiteSpec, HtmlTable,
} from './render/render.js';
export { show, showGrid, showChart, showTable, showPng, showHtml, showBundle, progress, inKernel } from './display/show.js';
export type { Progress, MimeBundle } from './display/show.js';
export { reportHtml, writeReport } from './render/report.js';
export type { Report, ReportSection, ReportImage } from './render/report.js';
export { installKernel, KERNEL_NAME } from './cli/kernel.js';
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
export type { Batch as DataBatch, BatchOptions, TextEmbeddingLookup } from './data/batches.js';
export { synthBirds, BIRD_ATTRIBUTES, BIRD_REGIONS } from './data/synth-birds.js';
export type { SynthBirdsOptions, BirdColours } from './data/synth-birds.js';
export { synthPeople, PERSON_REGIONS } from './data/synth-people.js';
export type { SynthOptions, SynthReport } from './data/synth-common.js';
export { inspectRoot, loadDataset, detectFormat } from './data/inspect.js';
export type { InspectSummary } from './data/inspect.js';
export { annotationGrid } from './data/annotation-grid.js';
export { COLOURS, COLOUR_NAMES } from './data/raster.js';

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
export { runBench, countForwardMacs, stepFlops } from './bench/training.js';
export type { BenchOptions, BenchResult } from './bench/training.js';
export { generate, sampleNoise } from './sampling/generate.js';
export { GAN_INT_CLS_DEFAULTS, GAN_INT_CLS_PRESETS, resolveGanIntClsConfig, validateGanIntClsConfig } from './config/gan-int-cls.js';
export type { GanIntClsConfig, GanIntClsModelConfig, GanIntClsTrainConfig } from './config/gan-int-cls.js';
export { buildGanIntClsGenerator, buildGanIntClsDiscriminator } from './models/gan-int-cls.js';
export { createGanIntClsTrainer, interpolateText, interpolationWeights as ganIntClsInterpolationWeights, bceLoss as ganIntClsBceLoss } from './training/gan-int-cls-step.js';
export type { GanIntClsBatch, GanIntClsTrainer, GanIntClsStepResult, GanIntClsDStepResult, GanIntClsGStepResult } from './training/gan-int-cls-step.js';
export { drawGanIntClsPairs, drawGanIntClsCaptions, GAN_INT_CLS_LOAD_SIZE } from './data/gan-int-cls-pairs.js';
export type { GanIntClsPairs } from './data/gan-int-cls-pairs.js';
export {
  loadNativeKernels, registerNativeKernels, unregisterNativeKernels, nativeKernelsRegistered, setNativeThreads,
  NATIVE_KERNEL_NAMES,
} from './backend/native/native-kernels.js';
export type { NativeLoadResult } from './backend/native/native-kernels.js';
export { registerWasmTrainingKernels } from './backend/wasm-kernels.js';
export type { WasmKernelOptions, TransposedConvMode } from './backend/wasm-kernels.js';
export { profileKernels, formatKernelProfile } from './bench/profile.js';
export type { KernelProfile, KernelTime } from './bench/profile.js';
export { buildDcganWorkload } from './bench/workload.js';
export type { DcganWorkload, DcganWorkloadConfig } from './bench/workload.js';
// Text embeddings (issue 4): alphabet, char-CNN-GRU/RNN encoder, DS-SJE training, retrieval, cache, Torch7.
export { ALPHABET, ALPHABET_SIZE, DOC_LENGTH, charIndex, encodeIndices, decodeIndices, encodeOneHot, decodeOneHot } from './text/alphabet.js';
export { CharTextEncoder, TEXT_ENCODER_PAPER, TEXT_ENCODER_PRESETS, resolveTextEncoderConfig, sequenceLengths } from './text/encoder.js';
export type { TextEncoderConfig, TextEncoderPreset, TextEncoderArch, TextEncoderStages } from './text/encoder.js';
export { PatchImageEncoder, IMAGE_ENCODER_DEFAULT, imageEncoderForPreset } from './text/image-encoder.js';
export type { ImageEncoderConfig } from './text/image-encoder.js';
export { sjeScores, sjeLoss, sjeLossFromScores } from './text/sje.js';
export { SjeTrainer, SJE_TRAIN_DEFAULT, drawSjeBatch, trainTextEncoder, evaluateSje } from './text/train-sje.js';
export type { SjeDataSource, SjeTrainConfig, SjeBatch, TrainTextEncoderOptions, TrainTextEncoderResult } from './text/train-sje.js';
export { retrievalMetrics, averagePrecision } from './text/retrieval.js';
export type { RetrievalMetrics, RetrievalInput } from './text/retrieval.js';
export { EmbeddingCache, embedCaptions, importEmbeddings, captionKey, runCacheDir } from './text/cache.js';
export { saveEncoderRun, loadEncoderRun, loadTextEncoder, loadImageEncoder } from './text/run-io.js';
export type { EncoderRun, EncoderRunManifest } from './text/run-io.js';
export { readGawwnRecord, readCubT7Record, readT7Embeddings } from './text/reed-t7.js';
export type { GawwnT7Record, CubT7Record, T7Embeddings } from './text/reed-t7.js';
export { datasetCaptionSource, sjeClassOf, isHeldOut, loadImageBytes, bytesToUnit } from './text/dataset-source.js';
export { readT7, readT7File, t7ToJson, t7TensorData, t7TensorFloat32, isT7Table, isT7Tensor, T7Table } from './util/torch7.js';
export type { T7Value, T7Tensor, T7Storage, T7Object } from './util/torch7.js';
export { startDrawServer, serveDraw, loadDrawModels, drawSample, drawInterpolate } from './draw/server.js';
export type { DrawServer, DrawServerOptions, DrawModel, DrawTiming } from './draw/server.js';
export { openDraw, drawUrl, replayCondition } from './draw/notebook.js';
export { parseCondition, readCondition, conditionToRequest, givenParts, makeCondition, layoutPath } from './draw/condition.js';
export type { Condition, GivenPart, Layout } from './draw/condition.js';
// Sampling with a location (paper §5) and the demos' interpolation utilities (reference §8).
export { loadGenerator, resolveModelSpec, listPretrained, pretrainedDir } from './sampling/load.js';
export type { LoadedGenerator } from './sampling/load.js';
export { sampleImages, completeKeypoints } from './sampling/sample.js';
export type { Embedder, SampleRequest, SampleResult } from './sampling/sample.js';
export { boxSchedule, boxPath, beakTailFromBox, lerpVectors, slerpVectors, vectorPath, pasteAffineToBox } from './sampling/interpolate.js';
export type { BoxDemo } from './sampling/interpolate.js';
// The paper's experiments (§4B, §6A–§6E) and the main job (house style §3.7).
export {
  moveCaptions, defaultCaptions, resolveIn, modelsRoot, hasModel, syntheticRoot, SHIPPED_BIRD_CLASSES, findRunLog, runLossChart, loadModel, heldOutExamples, visibleKeypoints, upscaleNearest,
} from './experiments/common.js';
export type { ExperimentOptions, ModelInfo, LoadedModel, HeldOutExample } from './experiments/common.js';
export { runBoxControl } from './experiments/box-control.js';
export type { BoxControlOptions, BoxControlResult, BoxControlSchedule } from './experiments/box-control.js';
export { runKeypointControl, movingParts, groundTruthGrid } from './experiments/keypoint-control.js';
export type { KeypointControlOptions, KeypointControlResult, GroundTruthRow, MovingPartsSchedule } from './experiments/keypoint-control.js';
export { runTextOnly, textOnlySamples } from './experiments/text-only.js';
export type { TextOnlyOptions, TextOnlyResult } from './experiments/text-only.js';
export { runComparison } from './experiments/comparison.js';
export type { ComparisonOptions, ComparisonResult } from './experiments/comparison.js';
export { runHumans } from './experiments/humans.js';
export type { HumansOptions, HumansResult } from './experiments/humans.js';
export { runTextEmbedding } from './experiments/text-embedding.js';
export type { TextEmbeddingOptions, TextEmbeddingResult, NearestCaptions } from './experiments/text-embedding.js';
export { runReproduce, SECTION_MODELS } from './experiments/reproduce.js';
export type { ReproduceOptions, ReproduceResult, ReproduceSectionSummary } from './experiments/reproduce.js';
export { trainFromScratch } from './experiments/from-scratch.js';
export type { FromScratchOptions } from './experiments/from-scratch.js';
// Evaluation (issue 7): evaluator networks, control metrics, results table.
export { buildEvaluator, runEvaluator, evaluatorLoss, validateEvaluatorConfig, softArgmax, keypointBox, widenEvaluator } from './evaluation/evaluator.js';
export { ColourCentroids, medianRgb, regionPixels, foregroundBox } from './evaluation/colour-reader.js';
export type { EvaluatorConfig, EvaluatorOutput } from './evaluation/evaluator.js';
export { loadEvalSet, readSyntheticAttributes } from './evaluation/eval-data.js';
export type { EvalSet, LoadEvalSetOptions, SyntheticAttributes } from './evaluation/eval-data.js';
export { trainEvaluator, loadEvaluator, scoreOnRealSet, fitColourCentroids, chooseBoxRule, EVALUATOR_FORMAT, MIN_PART_PIXELS } from './evaluation/train-evaluator.js';
export type { TrainEvaluatorOptions, TrainEvaluatorResult, EvaluatorCeiling, LoadedEvaluator } from './evaluation/train-evaluator.js';
export { evaluateGenerator, generateForConditions, drawConditions, controlMetrics, frechetWithCi, EVAL_FORMAT, DEFINITIONS as EVAL_DEFINITIONS } from './evaluation/evaluate.js';
export type { Condition as EvalCondition, MetricSet, EvalResult, EvaluateOptions } from './evaluation/evaluate.js';
export {
  boxIou,
  pck,
  attributeAccuracy,
  captionColours,
  frechetDistance,
  featureFrechetDistance,
  meanPairwiseDistance,
  bootstrap,
  meanWithCi,
  symmetricEigen,
  sqrtPsd,
} from './evaluation/metrics.js';
export type { Estimate, PckNorm } from './evaluation/metrics.js';
export { resultsTable, formatEstimate, MODEL_TARGETS, CEILING_TARGETS } from './evaluation/results-table.js';
export { shippedEvalDir, loadEvalResults, evalMetricRows, resultsHtml } from './evaluation/shipped.js';
