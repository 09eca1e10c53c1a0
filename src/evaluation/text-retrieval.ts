/**
 * Retrieval of a trained text encoder on a root's held-out images (the zero-shot protocol of Reed et al. CVPR 2016
 * that trains GAWWN's text embedding, §3.2): caption→image and image→caption top-1 over classes, caption→image
 * mAP. With a class selection it can score only the classes held out of training entirely
 * (`synth-birds --test-classes K`, like the paper's 150/50 CUB split): colour combinations the encoder never saw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../data/inspect.js';
import type { DatasetRecord } from '../data/types.js';
import { datasetCaptionSource, isHeldOut, type ImageCrop } from '../text/dataset-source.js';
import type { RetrievalMetrics } from '../text/retrieval.js';
import { loadImageEncoder, loadTextEncoder, trainedImageCrop } from '../text/run-io.js';
import { evaluateSje } from '../text/train-sje.js';
import { GawwnError } from '../util/errors.js';
import { readSyntheticAttributes, selectClasses, type ClassSelection } from './eval-data.js';

export interface TextRetrievalOptions {
  /** Held-out classes to score (eval-data.ts ClassSelection). Default 'all'. */
  classes?: ClassSelection;
  /** Held-out images per class (each with all its captions). Default 20, as `train text-encoder`'s final metrics. */
  imagesPerClass?: number;
}

export interface TextRetrievalResult extends RetrievalMetrics {
  classSelection: ClassSelection;
  /** What the image side saw (the crop it was trained with, from the encoder's manifest). */
  imageCrop: ImageCrop;
}

/** Scores the encoder run `encoderDir` (text and image sides) on the held-out split of `dataRoot`. */
export async function textRetrieval(encoderDir: string, dataRoot: string, o: TextRetrievalOptions = {}): Promise<TextRetrievalResult> {
  const classes = o.classes ?? 'all';
  const perClass = o.imagesPerClass ?? 20;
  if (!Number.isInteger(perClass) || perClass < 1) throw new GawwnError(`images per class must be an integer >= 1, got ${perClass}`);
  const { encoder, run } = loadTextEncoder(encoderDir);
  const image = loadImageEncoder(run);
  try {
    if (image === null) throw new GawwnError('this text encoder was saved without its image side: retrieval needs both', { file: path.join(encoderDir, 'text-encoder.json') });
    const crop = trainedImageCrop(run);
    const ds = await loadDataset(dataRoot, { warn: () => undefined });
    let held = (ds.records as DatasetRecord[]).filter((r) => isHeldOut(r) && (r.captions?.length ?? 0) > 0);
    if (held.length === 0) throw new GawwnError('no held-out images with captions', { file: dataRoot });
    if (classes !== 'all') {
      const attrsFile = path.join(dataRoot, 'attributes.json');
      const testClasses = fs.existsSync(attrsFile) ? readSyntheticAttributes(dataRoot).testClasses : [];
      held = selectClasses(held, classes, testClasses, dataRoot);
    }
    const m = await evaluateSje(encoder, image, datasetCaptionSource(held, { crop }), { maxItemsPerClass: perClass });
    return { ...m, classSelection: classes, imageCrop: crop };
  } finally {
    encoder.dispose();
    image?.dispose();
  }
}
