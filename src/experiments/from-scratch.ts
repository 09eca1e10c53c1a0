/**
 * `notebookSetup({ trainFromScratch: true })` of the notebooks: trains small versions of the models an experiment needs, with
 * the library's own trainers (DS-SJE for the text encoder, `train` for the image models), into a models
 * directory laid out like data/pretrained (`text-birds/`, `birds-bbox/`, …), to pass as `modelsDir`.
 * Small and short by default (minutes on 2 cores), so the samples are rough; the shipped models are larger.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captionEmbeddings } from '../text/cache.js';
import { loadDataset } from '../data/inspect.js';
import type { DatasetRecord } from '../data/types.js';
import { resolveTextEncoderConfig } from '../text/encoder.js';
import { imageEncoderForPreset } from '../text/image-encoder.js';
import { datasetCaptionSource, isHeldOut, sjeClassOf } from '../text/dataset-source.js';
import { SJE_TRAIN_DEFAULT, trainTextEncoder } from '../text/train-sje.js';
import { train, type TrainFamily } from '../training/loop.js';
import { GawwnError, check } from '../util/errors.js';

export interface FromScratchOptions {
  /** Models directory to write (created; existing models in it are kept, not retrained). */
  out: string;
  /**
   * Which models, by shipped name: text-birds, text-birds200, birds-bbox, birds-keypoint, birds-keypoint-gen,
   * birds-gan-int-cls, people-keypoint, people-keypoint-gen. `text-birds200` is a copy of the stand-in text-birds:
   * one small encoder, trained on `birds`, stands in for both shipped ones.
   */
  models: string[];
  /** CUB-style root for text-birds and birds-*. */
  birds?: string;
  /** MPII-style root for people-* (their captions are embedded with text-birds). */
  people?: string;
  /** Steps per image model. Default 50. */
  steps?: number;
  /** Steps of the text encoder. Default 100. */
  textSteps?: number;
  /** Image-model preset. Default 'tiny'. */
  preset?: string;
  /** Text-encoder preset. Default 'test-tiny'. */
  textPreset?: string;
  batch?: number;
  log?: (line: string) => void;
}

const FAMILY_OF: Readonly<Record<string, { data: 'birds' | 'people'; family: TrainFamily }>> = Object.freeze({
  'birds-bbox': { data: 'birds', family: 'bbox' },
  'birds-keypoint': { data: 'birds', family: 'keypoint' },
  'birds-keypoint-gen': { data: 'birds', family: 'keypoint-gen' },
  'birds-gan-int-cls': { data: 'birds', family: 'gan-int-cls' },
  'people-keypoint': { data: 'people', family: 'keypoint' },
  'people-keypoint-gen': { data: 'people', family: 'keypoint-gen' },
});

/** The text encoders by shipped name (trainFromScratch trains one stand-in for both). */
const TEXT_NAMES: readonly string[] = ['text-birds', 'text-birds200'];

/** Trains the requested models (and text-birds, which they all need) into `out`; returns `out`. */
export async function trainFromScratch(opts: FromScratchOptions): Promise<string> {
  const log = opts.log ?? (() => undefined);
  const steps = opts.steps ?? 50;
  const batch = opts.batch ?? 8;
  check(Number.isInteger(steps) && steps >= 1, `steps must be a positive integer, got ${steps}`);
  const isText = (m: string): boolean => TEXT_NAMES.includes(m);
  for (const m of opts.models) if (!isText(m) && !(m in FAMILY_OF)) throw new GawwnError(`unknown model name '${m}' (known: ${[...TEXT_NAMES, ...Object.keys(FAMILY_OF)].join(', ')})`);
  fs.mkdirSync(opts.out, { recursive: true });
  const text = path.join(opts.out, 'text-birds');
  if (!fs.existsSync(path.join(text, 'text-encoder.json'))) {
    if (!opts.birds) throw new GawwnError('training the text encoder needs a CUB-style birds root (birds)');
    const preset = opts.textPreset ?? 'test-tiny';
    const items = ((await loadDataset(opts.birds)).records as DatasetRecord[]).filter((r) => (r.captions?.length ?? 0) > 0);
    const trainItems = items.filter((r) => !isHeldOut(r));
    const testItems = items.filter((r) => isHeldOut(r));
    const textConfig = resolveTextEncoderConfig(preset);
    log(`text-birds: DS-SJE, ${opts.textSteps ?? 100} steps, preset ${preset}`);
    await trainTextEncoder({
      train: datasetCaptionSource(trainItems),
      heldOut: testItems.length > 0 ? datasetCaptionSource(testItems) : undefined,
      textConfig, imageConfig: imageEncoderForPreset(preset, textConfig.embDim),
      trainConfig: { ...SJE_TRAIN_DEFAULT, batchClasses: Math.min(SJE_TRAIN_DEFAULT.batchClasses, new Set(trainItems.map(sjeClassOf)).size) },
      steps: opts.textSteps ?? 100, seed: 0, outDir: text, meta: { preset, data: opts.birds },
    });
  }
  const copy = path.join(opts.out, 'text-birds200');
  if (opts.models.includes('text-birds200') && !fs.existsSync(path.join(copy, 'text-encoder.json'))) fs.cpSync(text, copy, { recursive: true });
  for (const name of opts.models.filter((m) => !isText(m))) {
    const runDir = path.join(opts.out, name);
    if (fs.existsSync(path.join(runDir, 'final', 'manifest.json'))) continue;
    const { data, family } = FAMILY_OF[name];
    const root = data === 'birds' ? opts.birds : opts.people;
    if (!root) throw new GawwnError(`${name} needs a ${data} dataset root (${data})`);
    const ds = await loadDataset(root, { warn: () => undefined });
    const { dim, embed } = await captionEmbeddings(text, ds.records as DatasetRecord[]);
    log(`${name}: ${family}, ${steps} steps, preset ${opts.preset ?? 'tiny'}`);
    await train({
      family, dataRoot: root, preset: opts.preset ?? 'tiny', outDir: runDir, steps, embed, textEncoder: text,
      overrides: { model: { txtSize: dim }, train: { batchSize: batch } }, checkpointEvery: steps, sampleEvery: steps,
    });
  }
  return opts.out;
}
