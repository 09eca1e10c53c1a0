/**
 * The draw page from a notebook: `openDraw` starts the server in the kernel's process for the
 * notebook's model and prints the URL; `replayCondition` draws a condition the page saved with `sampleImages`,
 * the same call the page's server made, so the notebook gets the page's images back.
 */
import { loadGenerator, resolveIn, type LoadedGenerator } from '../sampling/load.js';
import { embedderFor } from '../sampling/pipeline.js';
import { sampleImages, type SampleResult } from '../sampling/sample.js';
import { conditionToRequest, parseCondition, readCondition, type Condition } from './condition.js';
import { startDrawServer, type DrawServer, type DrawServerOptions } from './server.js';

/** The URL of a running draw server (for printing or an `<a>` in a cell). */
export function drawUrl(server: DrawServer): string {
  return server.url;
}

/**
 * Starts `gawwn draw` inside this process for `runs` (run folders or `pretrained:NAME`) and prints the URL.
 * Call `close()` on the result when done (the kernel otherwise keeps it running).
 * @example
 * const draw = await openDraw({ runs: ['pretrained:birds-keypoint'] });   // prints http://127.0.0.1:PORT/
 */
export async function openDraw(opts: DrawServerOptions, log: (line: string) => void = (l) => console.log(l)): Promise<DrawServer> {
  const server = await startDrawServer(opts);
  log(`gawwn draw: ${server.url}  (models: ${opts.runs.join(', ')})`);
  return server;
}

/**
 * Replays a condition saved by the page (a file path or the parsed JSON): same model, caption, noise seed,
 * box or given parts, and keypoint generator. Pass `gen`/`completer` to reuse loaded models, and `modelsDir` (a
 * folder of models by name, as GAWWN_MODELS_DIR) to look the condition's `pretrained:NAME` specs up there.
 * @example
 * const r = await replayCondition('../data/conditions/birds-bbox.json', { modelsDir });
 */
export async function replayCondition(condition: string | Condition, models: { gen?: LoadedGenerator; completer?: LoadedGenerator; modelsDir?: string } = {}): Promise<SampleResult> {
  const c = typeof condition === 'string' ? readCondition(condition) : parseCondition(condition);
  const gen = models.gen ?? (await loadGenerator(resolveIn(c.run, models.modelsDir)));
  let completer: LoadedGenerator | undefined;
  try {
    completer = models.completer ?? (c.keypointGen !== undefined ? await loadGenerator(resolveIn(c.keypointGen, models.modelsDir)) : undefined);
    return await sampleImages(gen, embedderFor(gen, models.modelsDir), conditionToRequest(c, gen.partNames), completer);
  } finally {
    if (!models.gen) gen.dispose();
    if (!models.completer) completer?.dispose();
  }
}
