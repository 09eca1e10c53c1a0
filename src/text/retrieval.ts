/**
 * Retrieval evaluation of a joint text/image embedding (the zero-shot protocol of Reed et al. CVPR 2016,
 * used here on held-out images and captions). Scores are inner products, as in DS-SJE training.
 * - captionToImageTop1: each held-out caption is assigned the class whose mean held-out image embedding
 *   scores highest; the fraction assigned to their own class.
 * - imageToCaptionTop1: each held-out image is assigned the class whose mean caption embedding scores
 *   highest (the paper's zero-shot classification direction).
 * - captionToImageMap: each caption ranks all held-out images; average precision with "same class" as
 *   relevant; the mean over captions.
 */
import { check } from '../util/errors.js';

export interface RetrievalInput {
  /** Embedding size D. */
  dim: number;
  /** N_img·D image embeddings. */
  imageEmb: Float32Array;
  imageClass: readonly number[];
  /** N_cap·D caption embeddings. */
  captionEmb: Float32Array;
  captionClass: readonly number[];
}

export interface RetrievalMetrics {
  captionToImageTop1: number;
  imageToCaptionTop1: number;
  captionToImageMap: number;
  images: number;
  captions: number;
  classes: number;
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[ai + k] * b[bi + k];
  return s;
}

/** Class means of embeddings: returns the sorted class list and a (numClasses·D) array. */
function classMeans(emb: Float32Array, cls: readonly number[], d: number): { classes: number[]; means: Float32Array } {
  const classes = [...new Set(cls)].sort((a, b) => a - b);
  const pos = new Map(classes.map((c, i) => [c, i]));
  const means = new Float32Array(classes.length * d);
  const counts = new Float64Array(classes.length);
  cls.forEach((c, i) => {
    const k = pos.get(c)!;
    counts[k]++;
    for (let j = 0; j < d; j++) means[k * d + j] += emb[i * d + j];
  });
  for (let k = 0; k < classes.length; k++) for (let j = 0; j < d; j++) means[k * d + j] /= counts[k];
  return { classes, means };
}

function top1(queries: Float32Array, qClass: readonly number[], protos: { classes: number[]; means: Float32Array }, d: number): number {
  let hit = 0;
  for (let q = 0; q < qClass.length; q++) {
    let best = -Infinity;
    let bestC = NaN;
    protos.classes.forEach((c, k) => {
      const s = dot(queries, q * d, protos.means, k * d, d);
      if (s > best) { best = s; bestC = c; }
    });
    if (bestC === qClass[q]) hit++;
  }
  return hit / qClass.length;
}

/** Average precision of one ranking: `relevant[i]` for the item at rank i (best first). */
export function averagePrecision(relevantInRankOrder: readonly boolean[]): number {
  let hits = 0;
  let sum = 0;
  relevantInRankOrder.forEach((r, i) => {
    if (r) { hits++; sum += hits / (i + 1); }
  });
  return hits === 0 ? 0 : sum / hits;
}

/** Computes the three metrics (definitions in the file header). */
export function retrievalMetrics(inp: RetrievalInput): RetrievalMetrics {
  const d = inp.dim;
  const nI = inp.imageClass.length;
  const nC = inp.captionClass.length;
  check(inp.imageEmb.length === nI * d && inp.captionEmb.length === nC * d, 'retrievalMetrics: embedding sizes do not match the class lists');
  check(nI > 0 && nC > 0, 'retrievalMetrics: need at least one image and one caption');
  const imgProtos = classMeans(inp.imageEmb, inp.imageClass, d);
  const capProtos = classMeans(inp.captionEmb, inp.captionClass, d);
  let apSum = 0;
  const scores = new Float64Array(nI);
  const order = Array.from({ length: nI }, (_, i) => i);
  for (let q = 0; q < nC; q++) {
    for (let i = 0; i < nI; i++) scores[i] = dot(inp.captionEmb, q * d, inp.imageEmb, i * d, d);
    order.sort((a, b) => scores[b] - scores[a] || a - b);
    apSum += averagePrecision(order.map((i) => inp.imageClass[i] === inp.captionClass[q]));
  }
  return {
    captionToImageTop1: top1(inp.captionEmb, inp.captionClass, imgProtos, d),
    imageToCaptionTop1: top1(inp.imageEmb, inp.imageClass, capProtos, d),
    captionToImageMap: apSum / nC,
    images: nI,
    captions: nC,
    classes: new Set([...inp.imageClass, ...inp.captionClass]).size,
  };
}
