/**
 * §3.2 the text embedding GAWWN conditions on (char-CNN-GRU trained with DS-SJE, Reed et al. CVPR 2016):
 * held-out retrieval metrics of a text encoder (its own image side, retrieval.ts) on the test split of a
 * CUB-style root with text_c10 captions, and the nearest held-out captions of a few query captions
 * (cosine similarity), to read what the embedding groups together.
 */
import * as path from 'node:path';
import { metricBars, type VegaLiteSpec } from '../render/render.js';
import { datasetCaptionSource, isHeldOut, sjeClassOf } from '../text/dataset-source.js';
import { loadDataset } from '../data/inspect.js';
import type { DatasetRecord } from '../data/types.js';
import { resolveTextEncoderSpec } from '../text/pretrained.js';
import type { RetrievalMetrics } from '../text/retrieval.js';
import { loadImageEncoder, loadTextEncoder, trainedImageCrop } from '../text/run-io.js';
import { evaluateSje } from '../text/train-sje.js';
import { GawwnError, check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { resolveIn, runLossChart, type ExperimentOptions } from './common.js';

export interface TextEmbeddingOptions extends ExperimentOptions {
  /** A text-encoder run folder or `pretrained:NAME`. Default `pretrained:text-birds200`, the shipped bird models' encoder. */
  encoder?: string;
  /** CUB-style root with text_c10 captions (its test split is used). */
  data: string;
  /** Held-out images per class for the metrics. Default 10. */
  imagesPerClass?: number;
  /** Query captions for nearest neighbours. Default 3. */
  queries?: number;
  /** Neighbours per query. Default 4. */
  k?: number;
}

export interface NearestCaptions {
  query: string;
  queryClass: number;
  neighbours: { caption: string; classId: number; cosine: number; sameClass: boolean }[];
}

export interface TextEmbeddingResult {
  section: '3.2';
  seed: number;
  encoder: string;
  source: string;
  step: number;
  embDim: number;
  /** Retrieval metrics on the held-out images and captions (undefined when the encoder has no image side). */
  metrics?: RetrievalMetrics;
  /** The metrics recorded at training time in the encoder's manifest, when any. */
  trainingMetrics?: Record<string, unknown>;
  metricsChart?: VegaLiteSpec;
  nearest: NearestCaptions[];
  /** Fraction of all queries' neighbours that share the query's class. */
  neighbourPrecision: number;
  lossChart?: VegaLiteSpec;
}

function cosine(a: Float32Array, ai: number, b: Float32Array, bi: number, d: number): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < d; k++) {
    s += a[ai + k] * b[bi + k];
    na += a[ai + k] ** 2;
    nb += b[bi + k] ** 2;
  }
  return s / Math.sqrt(na * nb + 1e-12);
}

/** Runs §3.2. */
export async function runTextEmbedding(opts: TextEmbeddingOptions): Promise<TextEmbeddingResult> {
  const seed = opts.seed ?? 0;
  const spec = opts.encoder ?? 'pretrained:text-birds200';
  const k = opts.k ?? 4;
  const nq = opts.queries ?? 3;
  check(Number.isInteger(k) && k >= 1 && Number.isInteger(nq) && nq >= 1, `queries and k must be positive integers, got ${nq}, ${k}`);
  const dir = resolveTextEncoderSpec(resolveIn(spec, opts.modelsDir));
  const { encoder, run } = loadTextEncoder(dir);
  const image = loadImageEncoder(run);
  try {
    const test = ((await loadDataset(opts.data)).records as DatasetRecord[]).filter((r) => (r.captions?.length ?? 0) > 0 && isHeldOut(r));
    if (test.length === 0) throw new GawwnError('no held-out (test split) images with captions', { file: opts.data });
    const metrics = image !== null
      // The image side sees what it was trained on (full frame, or the box crop: dataset-source.ts ImageCrop).
      ? await evaluateSje(encoder, image, datasetCaptionSource(test, { crop: trainedImageCrop(run) }), { maxItemsPerClass: opts.imagesPerClass ?? 10, captionFrom: 0 })
      : undefined;
    // One held-out caption per test image (the 10th, or the last there is).
    const caps = test.map((r) => { const c = r.captions as string[]; return c[Math.min(9, c.length - 1)]; });
    const cls = test.map(sjeClassOf);
    const D = encoder.config.embDim;
    const emb = await encoder.embed(caps);
    const rng = new Rng(seed);
    const qs = rng.permutation(caps.length).slice(0, Math.min(nq, caps.length));
    let same = 0;
    let total = 0;
    const nearest: NearestCaptions[] = qs.map((q) => {
      const scored = caps.map((c, j) => ({ j, caption: c, classId: cls[j], cosine: cosine(emb, q * D, emb, j * D, D) }))
        .filter((s) => s.j !== q).sort((a, b) => b.cosine - a.cosine).slice(0, k);
      const neighbours = scored.map((s) => ({ caption: s.caption, classId: s.classId, cosine: s.cosine, sameClass: s.classId === cls[q] }));
      same += neighbours.filter((n) => n.sameClass).length;
      total += neighbours.length;
      return { query: caps[q], queryClass: cls[q], neighbours };
    });
    const trainingMetrics = (run.manifest.meta as { metrics?: Record<string, unknown> } | undefined)?.metrics;
    return {
      section: '3.2', seed, encoder: spec, source: dir, step: run.manifest.step, embDim: D, metrics, trainingMetrics,
      metricsChart: metrics ? metricBars([
        { label: 'caption→image top-1', value: metrics.captionToImageTop1 },
        { label: 'image→caption top-1', value: metrics.imageToCaptionTop1 },
        { label: 'caption→image mAP', value: metrics.captionToImageMap },
      ], { title: `held-out retrieval (${metrics.classes} classes)`, metric: 'score' }) : undefined,
      nearest, neighbourPrecision: total > 0 ? same / total : 0,
      lossChart: runLossChart(path.resolve(dir), `${spec} DS-SJE loss`),
    };
  } finally {
    encoder.dispose();
    image?.dispose();
  }
}
