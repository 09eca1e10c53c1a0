/**
 * §5.4 "Comparison to previous work" (paper Fig. 8): GAWWN beside GAN-INT-CLS (Reed et al., ICML 2016) on the
 * same captions. GAWWN is the keypoint model with keypoints generated from the text by Gk, so both models
 * get the caption only. GAN-INT-CLS draws 64×64: its samples are upscaled ×2 (nearest neighbour) to sit beside
 * GAWWN's 128×128 ones, which the result and its captions say. Metric rows (e.g. an evaluation's Inception
 * scores) are passed in and returned as a bar chart and a table; this experiment computes none itself.
 */
import { imageGrid, metricBars, type GridImage, type MetricRow, type VegaLiteSpec } from '../render/render.js';
import { sampleImages } from '../sampling/sample.js';
import { GawwnError, check } from '../util/errors.js';
import { defaultCaptions, loadModel, upscaleNearest, withModels, type ExperimentOptions, type ModelInfo } from './common.js';
import { textOnlySamples } from './text-only.js';

export interface ComparisonOptions extends ExperimentOptions {
  /** GAWWN keypoint model. Default `pretrained:birds-keypoint`. */
  model?: string;
  /** Its Gk. Default `pretrained:birds-keypoint-gen`. */
  completer?: string;
  /** The baseline. Default `pretrained:birds-gan-int-cls`. */
  baseline?: string;
  /** Default: 3 held-out captions of `data` when given, else the 3 move captions. */
  captions?: string[];
  /** A dataset root to take the default captions from (its test split). */
  data?: string;
  /** Samples per caption and model. Default 4. */
  samples?: number;
  /** Metric rows of an evaluation (label = model, group = metric, …), shown as bars and a table. */
  metrics?: MetricRow[];
}

export interface ComparisonResult {
  section: '5.4';
  seed: number;
  captions: string[];
  samples: number;
  /** Rows = captions; `samples` GAWWN images, then `samples` GAN-INT-CLS images (upscaled). */
  png: Uint8Array;
  gawwnPng: Uint8Array;
  /** GAN-INT-CLS at its native size. */
  baselinePng: Uint8Array;
  gawwnSize: number;
  baselineSize: number;
  /** Integer factor the baseline was upscaled by in `png` (GAWWN size / baseline size). */
  baselineUpscale: number;
  note: string;
  metrics?: MetricRow[];
  metricsChart?: VegaLiteSpec;
  model: ModelInfo;
  completer: ModelInfo;
  baseline: ModelInfo;
}

/** Runs §5.4. */
export async function runComparison(opts: ComparisonOptions = {}): Promise<ComparisonResult> {
  const seed = opts.seed ?? 0;
  const samples = opts.samples ?? 4;
  check(Number.isInteger(samples) && samples >= 1, `samples must be a positive integer, got ${samples}`);
  const captions = opts.captions ?? (await defaultCaptions(opts.data, 3, seed));
  const m = await loadModel(opts.model ?? 'pretrained:birds-keypoint', opts.modelsDir);
  return withModels([m], async () => {
    const gk = await loadModel(opts.completer ?? 'pretrained:birds-keypoint-gen', opts.modelsDir, false);
    return withModels([gk], async () => {
      const b = await loadModel(opts.baseline ?? 'pretrained:birds-gan-int-cls', opts.modelsDir);
      return withModels([b], async () => {
        if (b.gen.family !== 'gan-int-cls') throw new GawwnError(`the baseline must be a GAN-INT-CLS model; ${b.info.spec} is a ${b.gen.family} model`);
        const g = await textOnlySamples(m, gk, captions, samples, seed);
        const base: GridImage[] = [];
        for (const [i, c] of captions.entries()) {
          const r = await sampleImages(b.gen, b.embed, { captions: [c], n: samples, seed: seed * 1000 + i });
          base.push(...r.images);
        }
        const gs = g.images[0].width;
        const bs = base[0].width;
        const factor = Math.max(1, Math.round(gs / bs));
        if (bs * factor !== gs) throw new GawwnError(`cannot place ${bs} px baseline samples beside ${gs} px GAWWN samples (not an integer ratio)`);
        const rowCaps = (n: number) => Array.from({ length: captions.length * n }, (_, j) => (j % n === 0 ? captions[Math.floor(j / n)] : undefined));
        const both: GridImage[] = [];
        for (let i = 0; i < captions.length; i++) {
          both.push(...g.images.slice(i * samples, (i + 1) * samples));
          both.push(...base.slice(i * samples, (i + 1) * samples).map((im) => upscaleNearest(im, factor)));
        }
        // Column headings in the first cell of each half: which model, and the baseline's upscale.
        const bothCaps = both.map((_, j) => {
          const row = Math.floor(j / (2 * samples));
          const col = j % (2 * samples);
          if (col === 0) return `GAWWN: ${captions[row]}`;
          if (col === samples) return `GAN-INT-CLS (${bs} px${factor > 1 ? ` ×${factor}` : ''})`;
          return undefined;
        });
        const png = await imageGrid(both, { cols: 2 * samples, captions: bothCaps });
        const note = `Each row: ${samples} GAWWN samples (${gs}×${gs}, keypoints generated from the caption by Gk), then ${samples} GAN-INT-CLS samples (${bs}×${bs}${factor > 1 ? `, shown upscaled ×${factor} by nearest neighbour` : ''}).`;
        return {
          section: '5.4', seed, captions, samples, png,
          gawwnPng: await imageGrid(g.images, { cols: samples, captions: rowCaps(samples) }),
          baselinePng: await imageGrid(base, { cols: samples, captions: rowCaps(samples) }),
          gawwnSize: gs, baselineSize: bs, baselineUpscale: factor, note,
          metrics: opts.metrics, metricsChart: opts.metrics && opts.metrics.length > 0 ? metricBars(opts.metrics, { title: 'GAWWN vs GAN-INT-CLS' }) : undefined,
          model: m.info, completer: gk.info, baseline: b.info,
        } satisfies ComparisonResult;
      });
    });
  });
}
