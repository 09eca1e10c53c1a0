/**
 * The first cell of every notebook: choose the backend, the data and the models in one call. The models are
 * the shipped ones (data/pretrained), or the folder in GAWWN_MODELS_DIR, or, with `trainFromScratch`, small
 * versions trained here by the library's own trainers (a few minutes on 2 cores). The held-out data is the
 * root in GAWWN_BIRDS_DATA / GAWWN_PEOPLE_DATA, else a small synthetic set generated once (seeded). The
 * environment is read here and in the CLI only; the experiments take everything as options.
 */
import * as path from 'node:path';
import { initBackend, type BackendInfo } from '../backend/select.js';
import { syntheticRoot } from './common.js';
import { trainFromScratch } from './from-scratch.js';

export interface NotebookSetupOptions {
  /** The models the notebook uses, by shipped name (birds-bbox, text-birds, …): what `trainFromScratch` trains. */
  models?: string[];
  /** Train small models first instead of using the shipped ones. Default false. */
  trainFromScratch?: boolean;
  /** Held-out data the notebook reads. Default: birds. */
  data?: ('birds' | 'people')[];
  /** Where models trained from scratch go. Default ../runs/notebook-models (notebooks run in notebooks/). */
  out?: string;
  /** Steps per model trained from scratch. Default 300. */
  steps?: number;
  log?: (line: string) => void;
}

export interface NotebookSetup {
  backend: BackendInfo;
  /** Folder of models by name, or undefined for the shipped ones: pass as `modelsDir`. */
  modelsDir?: string;
  /** CUB-style root of held-out birds (when asked for, or needed to train bird models). */
  birds?: string;
  /** MPII-style root of held-out people (when asked for, or needed to train people models). */
  people?: string;
}

/** Backend, data roots and models directory of a notebook, printing the backend's name. */
export async function notebookSetup(o: NotebookSetupOptions = {}): Promise<NotebookSetup> {
  const log = o.log ?? ((l: string) => console.log(l));
  const backend = await initBackend({ report: null });
  log(`backend: ${backend.name}`);
  const models = o.models ?? [];
  const want = new Set(o.data ?? ['birds']);
  if (o.trainFromScratch) {
    // Every model needs text-birds, trained on birds; people models also need the people set.
    want.add('birds');
    if (models.some((m) => m.startsWith('people-'))) want.add('people');
  }
  const env = process.env;
  const birds = want.has('birds') ? env.GAWWN_BIRDS_DATA || (await syntheticRoot('birds', 1000)) : undefined;
  const people = want.has('people') ? env.GAWWN_PEOPLE_DATA || (await syntheticRoot('people', 2000)) : undefined;
  const modelsDir = o.trainFromScratch
    ? await trainFromScratch({ out: o.out ?? path.join('..', 'runs', 'notebook-models'), models, birds, people, steps: o.steps ?? 300, textSteps: o.steps ?? 300, log })
    : env.GAWWN_MODELS_DIR || undefined;
  return { backend, modelsDir, birds, people };
}
