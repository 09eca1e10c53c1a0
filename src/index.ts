/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './util/backend.js';
export type { BackendName, BackendInfo } from './util/backend.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';
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
export { readCubCaptionItems, cubCaptionSource } from './text/cub-captions.js';
export type { CubCaptionItem } from './text/cub-captions.js';
export { readT7, readT7File, t7ToJson, t7TensorData, t7TensorFloat32, isT7Table, isT7Tensor, T7Table } from './util/torch7.js';
export type { T7Value, T7Tensor, T7Storage, T7Object } from './util/torch7.js';
