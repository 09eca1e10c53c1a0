/**
 * One object per trained model, for notebooks, the draw server, the experiments and the CLI alike:
 * `await load('pretrained:birds-bbox')` holds the generator G (its averaged weights when the run kept them),
 * the text encoder it was trained with and an embedding cache, and for a keypoint model the keypoint
 * generator Gk that completes the parts not given (§4.3). `sample` draws from a caption and a box (§4.1) or
 * some keypoints (§4.2); `interpolate` keeps the noise fixed while the box or the parts move (§5.1, §5.2).
 * Coordinates are normalised to [0,1]: x right, y down, box = top-left + size.
 */
import type { Box } from '../layers/geometry.js';
import type { GridImage, NormKeypoint } from '../render/render.js';
import { embedCaptions } from '../text/cache.js';
import { resolveTextEncoderSpec } from '../text/pretrained.js';
import { GawwnError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { layoutPath, type GivenPart, type Layout } from './interpolate.js';
import { loadGenerator, resolveIn, resolveModelSpec, type LoadedGenerator } from './load.js';
import { partsToMap, sampleImages, type Embedder, type SampleResult } from './sample.js';

/** Captions whose text codes a pipeline keeps in memory (typing and dragging in the draw page reuse them). */
export const EMBED_CACHE_SIZE = 256;

/** The embedder of a generator's text encoder (a `pretrained:NAME` it records is looked up in `modelsDir` when given). */
export function embedderFor(gen: LoadedGenerator, modelsDir?: string): Embedder {
  if (gen.textEncoder === '') throw new GawwnError(`model ${gen.source} does not record its text encoder`, { file: gen.source });
  const enc = resolveTextEncoderSpec(resolveIn(gen.textEncoder, modelsDir));
  return async (captions) => {
    const { dim, embeddings } = await embedCaptions(enc, captions);
    return captions.map((_, i) => embeddings.slice(i * dim, (i + 1) * dim));
  };
}

/**
 * The keypoint generator that goes with a shipped keypoint model, birds-keypoint → birds-keypoint-gen (looked up
 * in `modelsDir` when given); undefined when there is none.
 */
export function defaultCompleter(spec: string, modelsDir?: string): string | undefined {
  if (!spec.startsWith('pretrained:') || !spec.endsWith('-keypoint')) return undefined;
  const gk = `${spec}-gen`;
  try {
    resolveModelSpec(resolveIn(gk, modelsDir));
    return gk;
  } catch {
    return undefined;
  }
}

/** Caches caption → text code in memory, `size` captions at most (oldest dropped first). */
function cachedEmbedder(embed: Embedder, size: number): Embedder {
  const cache = new Map<string, Float32Array>();
  return async (captions) => {
    const missing = [...new Set(captions.filter((c) => !cache.has(c)))];
    if (missing.length > 0) {
      const codes = await embed(missing);
      missing.forEach((c, i) => cache.set(c, codes[i]));
      while (cache.size > size) cache.delete(cache.keys().next().value as string);
    }
    return captions.map((c) => cache.get(c) as Float32Array);
  };
}

export interface PipelineOptions {
  /**
   * Folder holding models by name (`birds-bbox/`, `text-birds/`, …): every `pretrained:NAME`, including the
   * text encoder a model records and its keypoint generator, is looked up there instead of data/pretrained.
   */
  modelsDir?: string;
  /**
   * Keypoint generator completing the parts a keypoint model is not given: a run folder or `pretrained:NAME`;
   * `null` for none. Default: the shipped one that goes with a shipped keypoint model.
   */
  keypointGen?: string | null;
  /** Whether to load the text encoder; false for a generator used with precomputed text codes. Default true. */
  textEncoder?: boolean;
}

/** Given parts: by part index, by name, or as `{name, x, y}` items. */
export type GivenKeypoints = Map<number, { x: number; y: number }> | readonly GivenPart[] | Readonly<Record<string, { x: number; y: number }>>;

export interface PipelineSampleOptions {
  /** One caption for all samples, or one per sample. */
  caption: string | readonly string[];
  /** Box model: where the bird goes. */
  box?: Box;
  /** Keypoint model: the given parts (the rest are completed by Gk when the pipeline has one). */
  keypoints?: GivenKeypoints;
  /** Number of samples (one noise vector each). Default 1. */
  n?: number;
  /** Seed of the noise: the same seed gives the same images. Default 0. */
  seed?: number;
  /** Noise to use instead of drawing it ([n·nz]). */
  z?: Float32Array;
}

/** What a draw was conditioned on: enough to replay it (the fields of the draw page's condition JSON). */
export interface SampleCondition {
  run: string;
  family: string;
  caption: string;
  n: number;
  seed: number;
  size: number;
  box?: Box;
  /** Per sample, every part used: given (`generated: false`) or completed by Gk. */
  keypoints?: NormKeypoint[][];
  keypointGen?: string;
}

export interface PipelineSample extends SampleResult {
  condition: SampleCondition;
}

export interface PipelineInterpolateOptions {
  caption: string;
  from: Layout;
  to: Layout;
  /** Frames of the strip, `from` first and `to` last. */
  frames: number;
  /** The noise is that of sample `index` of an `n`-sample draw with `seed` (so a strip continues a draw). */
  seed?: number;
  n?: number;
  index?: number;
  /** Aborting it stops the strip before its next frame (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface PipelineInterpolation {
  images: GridImage[];
  layouts: Layout[];
  /** Keypoint model: the parts used in each frame. */
  keypoints?: NormKeypoint[][];
}

/** A loaded model ready to draw; `dispose()` frees its tensors. */
export class Pipeline {
  private disposed = false;
  private readonly embedder: Embedder;

  private constructor(
    /** The spec it was loaded from, as given (`pretrained:birds-bbox` or a run folder). */
    readonly spec: string,
    /** The image generator (or, for a `keypoint-gen` run, the keypoint generator itself). */
    readonly generator: LoadedGenerator,
    /** The keypoint generator completing missing parts (keypoint models only). */
    readonly completer: LoadedGenerator | undefined,
    /** The spec of `completer`. */
    readonly completerSpec: string | undefined,
    embed: Embedder,
  ) {
    this.embedder = cachedEmbedder(embed, EMBED_CACHE_SIZE);
  }

  /** Loads `RUN` or `pretrained:NAME`, its text encoder and, for a keypoint model, its keypoint generator. */
  static async load(spec: string, opts: PipelineOptions = {}): Promise<Pipeline> {
    const gen = await loadGenerator(resolveIn(spec, opts.modelsDir));
    let completer: LoadedGenerator | undefined;
    try {
      const embed: Embedder = opts.textEncoder === false
        ? () => Promise.reject(new GawwnError(`model ${spec} was loaded without its text encoder`))
        : embedderFor(gen, opts.modelsDir);
      const completerSpec = gen.family !== 'keypoint' || opts.keypointGen === null ? undefined : opts.keypointGen ?? defaultCompleter(spec, opts.modelsDir);
      if (completerSpec !== undefined) {
        completer = await loadGenerator(resolveIn(completerSpec, opts.modelsDir));
        if (completer.family !== 'keypoint-gen') throw new GawwnError(`keypoint generator ${completerSpec} is a ${completer.family} model, not a keypoint generator`);
      }
      return new Pipeline(spec, gen, completer, completerSpec, embed);
    } catch (e) {
      gen.dispose();
      completer?.dispose();
      throw e;
    }
  }

  get family(): LoadedGenerator['family'] {
    return this.generator.family;
  }

  /** Part names of the dataset the model was trained on (CUB's 15, MPII's 17; none for a box model). */
  get partNames(): string[] {
    return this.generator.partNames;
  }

  /** Side of the images it draws, in pixels. */
  get imageSize(): number {
    return this.generator.config.model.imageSize;
  }

  /** Length of one noise vector z. */
  get nz(): number {
    return this.generator.config.model.nz;
  }

  private live(): void {
    if (this.disposed) throw new GawwnError(`pipeline ${this.spec} was disposed`);
  }

  /** Text codes of `captions` from the model's text encoder, one vector each. */
  async embed(captions: readonly string[]): Promise<Float32Array[]> {
    this.live();
    return this.embedder(captions);
  }

  private given(k: GivenKeypoints | undefined): Map<number, { x: number; y: number }> | undefined {
    if (k === undefined) return this.family === 'keypoint' ? new Map() : undefined;
    if (k instanceof Map) return k;
    const parts: readonly GivenPart[] = Array.isArray(k) ? (k as readonly GivenPart[]) : Object.entries(k).map(([name, p]) => ({ name, x: p.x, y: p.y }));
    return partsToMap(parts, this.partNames);
  }

  /** Draws `n` images of `caption` where the box or the keypoints say; returns them with the condition used. */
  async sample(o: PipelineSampleOptions): Promise<PipelineSample> {
    this.live();
    const captions = typeof o.caption === 'string' ? [o.caption] : [...o.caption];
    const n = o.n ?? 1;
    const seed = o.seed ?? 0;
    const r = await sampleImages(this.generator, this.embedder, { captions, n, seed, box: o.box, keypoints: this.given(o.keypoints), z: o.z }, this.completer);
    const condition: SampleCondition = { run: this.spec, family: this.family, caption: captions[0], n, seed, size: r.images[0].width };
    if (r.box) condition.box = r.box;
    if (r.keypoints) condition.keypoints = r.keypoints;
    if (this.completer && this.family === 'keypoint') condition.keypointGen = this.completerSpec;
    return { ...r, condition };
  }

  /** One noise vector, the layout moving from `from` to `to` over `frames` images. */
  async interpolate(o: PipelineInterpolateOptions): Promise<PipelineInterpolation> {
    this.live();
    const seed = o.seed ?? 0;
    const n = o.n ?? 1;
    const index = o.index ?? 0;
    const nz = this.nz;
    const z = new Rng(seed).normalArray(n * nz).slice(index * nz, (index + 1) * nz);
    const layouts = layoutPath(o.from, o.to, o.frames);
    const images: GridImage[] = [];
    const keypoints: NormKeypoint[][] = [];
    for (const l of layouts) {
      o.signal?.throwIfAborted(); // a caller that no longer wants the strip stops it between frames
      const r = await this.sample({ caption: o.caption, n: 1, seed, z, box: l.box, keypoints: l.keypoints });
      images.push(...r.images);
      if (r.keypoints) keypoints.push(...r.keypoints);
    }
    return { images, layouts, keypoints: keypoints.length ? keypoints : undefined };
  }

  /** Frees G and Gk; the pipeline cannot draw afterwards. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.generator.dispose();
    this.completer?.dispose();
  }
}

/** `await load('pretrained:birds-bbox')`: a `Pipeline` for a run folder or a shipped model. */
export function load(spec: string, opts: PipelineOptions = {}): Promise<Pipeline> {
  return Pipeline.load(spec, opts);
}
