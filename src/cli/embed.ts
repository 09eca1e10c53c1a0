/**
 * `gawwn embed --encoder RUN "a caption" …`: prints caption embeddings as JSON
 * `{encoderId, dim, embeddings: [{caption, vector}]}`. RUN is a trained text-encoder run directory (its
 * embedding cache is used and extended) or a `.t7` file of precomputed embeddings ({raw_txt, fea_txt}).
 */
import type { Command } from 'commander';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';
import { embedCaptions } from '../text/cache.js';

export function register(program: Command): void {
  program.command('embed')
    .description('print the text embeddings of captions as JSON')
    .requiredOption('--encoder <run>', 'text-encoder run directory (gawwn train-text-encoder) or a .t7 file of precomputed embeddings')
    .option('--no-cache', 'do not read or write the run\'s embedding cache')
    .argument('<captions...>', 'captions to embed')
    .action(async (captions: string[], o: { encoder: string; cache: boolean }) => {
      if (captions.length === 0) throw new GawwnError('give at least one caption');
      if (!/\.t7$/i.test(o.encoder)) await initBackend({ report: null });
      const r = await embedCaptions(o.encoder, captions, { useCache: o.cache });
      const embeddings = captions.map((caption, i) => ({ caption, vector: Array.from(r.embeddings.subarray(i * r.dim, (i + 1) * r.dim)) }));
      process.stdout.write(JSON.stringify({ encoderId: r.encoderId, dim: r.dim, embeddings }) + '\n');
    });
}
