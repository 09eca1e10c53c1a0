/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './util/backend.js';
export type { BackendName, BackendInfo } from './util/backend.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';
export { writeFileAtomic, writeDirAtomic } from './util/atomic.js';
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
export { runSoak, formatSoakReport } from './training/soak.js';
export type { SoakTrainer, SoakOptions, SoakSample, SoakReport } from './training/soak.js';
export {
  imageGrid, imagesFromTensor, lossChart, metricBars, renderChartPng, renderChartSvg, tableHtml, readLossLog,
  BOX_COLOR, KEYPOINT_COLORS,
} from './display/render.js';
export type {
  GridImage, NormBox, NormKeypoint, ImageGridOptions, LossRecord, LossChartOptions, MetricRow, VegaLiteSpec, HtmlTable,
} from './display/render.js';
export { show, showGrid, showChart, showTable, showPng, showHtml, showBundle, progress, inKernel } from './display/show.js';
export type { Progress, MimeBundle } from './display/show.js';
export { reportHtml, writeReport } from './display/report.js';
export type { Report, ReportSection, ReportImage } from './display/report.js';
export { installKernel, KERNEL_NAME } from './cli/kernel.js';
